//go:build torch

package nn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ferlive/ferlive/internal/onnx"
)

// Importer reads the weights of a graph the layers exported back into
// them: each layer's Import takes, in the order its Export wrote them, the
// initializers Export named with the same prefixes. Folded batch norms come
// back as weights plus a batch norm of the same inference function
// (Norm.SetAffine), fused RepVGG blocks as their 3x3 branch. Layers panic
// on error; the caller recovers with torch.Recover. Whether the whole graph
// matched is for the caller to check by exporting again and comparing
// (CompareInitializers).
type Importer struct {
	inits []*onnx.Tensor
	pos   int
}

// NewImporter reads the initializers of m in the order they were written.
func NewImporter(m *onnx.Model) *Importer {
	return &Importer{inits: m.Graph.Initializers}
}

// Importable is a layer that can read its weights from an exported graph.
type Importable interface {
	Import(im *Importer)
}

// Next returns the values of the next float initializer named prefix_N,
// checking its shape; initializers of other prefixes before it (shapes,
// slice bounds, fixed matrices) are skipped.
func (im *Importer) Next(prefix string, dims ...int64) []float32 {
	for ; im.pos < len(im.inits); im.pos++ {
		t := im.inits[im.pos]
		if InitPrefix(t.Name) != prefix {
			continue
		}
		im.pos++
		if !sameDims(t.Dims, dims) {
			panic(fmt.Errorf("initializer %s has shape %v, the model expects %v", t.Name, t.Dims, dims))
		}
		v, err := t.Floats()
		if err != nil {
			panic(fmt.Errorf("initializer %s: %w", t.Name, err))
		}
		return v
	}
	panic(fmt.Errorf("the graph has no further %s_* initializer of shape %v: it was not exported from this architecture", prefix, dims))
}

// PeekDims returns the shape of the next float initializer named prefix_N
// without reading it (nil when there is none).
func (im *Importer) PeekDims(prefix string) []int64 {
	for _, t := range im.inits[im.pos:] {
		if InitPrefix(t.Name) == prefix {
			return t.Dims
		}
	}
	return nil
}

// Pos is how far the import has read; Seek goes back to a position Pos
// returned, to read the same initializers into another layer.
func (im *Importer) Pos() int { return im.pos }

// Seek moves the import to position pos (from Pos).
func (im *Importer) Seek(pos int) { im.pos = pos }

// Remaining counts the initializers named prefix_N not yet read.
func (im *Importer) Remaining(prefix string) int {
	n := 0
	for _, t := range im.inits[im.pos:] {
		if InitPrefix(t.Name) == prefix {
			n++
		}
	}
	return n
}

// Skip passes over the next initializer named prefix_N, whatever its
// shape (a layer left out of the import, such as a classifier for other
// classes).
func (im *Importer) Skip(prefix string) {
	for ; im.pos < len(im.inits); im.pos++ {
		if InitPrefix(im.inits[im.pos].Name) == prefix {
			im.pos++
			return
		}
	}
	panic(fmt.Errorf("the graph has no further %s_* initializer: it was not exported from this architecture", prefix))
}

// InitPrefix is an initializer name without the _N suffix the graph
// builder adds.
func InitPrefix(name string) string {
	i := strings.LastIndexByte(name, '_')
	if i < 0 {
		return name
	}
	for _, r := range name[i+1:] {
		if r < '0' || r > '9' {
			return name
		}
	}
	return name[:i]
}

func sameDims(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func ones(n int64) []float32 { return fill(n, 1) }

// Import implements Importable: the folded convolution becomes the weights
// and the batch norm adds the bias.
func (c *ConvBN) Import(im *Importer) {
	w := im.Next("conv_w", c.Out, c.In/c.Group, c.K, c.K)
	b := im.Next("conv_b", c.Out)
	set(c.W, w)
	c.Norm.SetAffine(ones(c.Out), b)
}

// ImportResampled reads a ConvBN like Import, but takes a square kernel of
// any side and resamples it bilinearly (corners aligned) to the layer's,
// scaled so that each kernel keeps its sum (see ResampleKernels): for a global depthwise
// convolution (kernel = final map) exported at another input size, the
// weighted pooling then sees the same pattern on the larger or smaller map.
func (c *ConvBN) ImportResampled(im *Importer) {
	d := im.PeekDims("conv_w")
	if len(d) != 4 || d[2] != d[3] || d[2] == c.K {
		c.Import(im)
		return
	}
	k := d[2]
	w := im.Next("conv_w", c.Out, c.In/c.Group, k, k)
	b := im.Next("conv_b", c.Out)
	set(c.W, ResampleKernels(w, int(k), int(c.K)))
	c.Norm.SetAffine(ones(c.Out), b)
}

// ResampleKernels resamples square kernels of side from (laid out one
// after another) to side to, bilinearly with corners aligned, each then
// rescaled to keep its sum. A kernel whose weights (nearly) cancel has no
// sum worth keeping: rescaling to it could shrink or inflate the kernel
// without bound, so it is scaled by the area ratio (from/to)^2 instead,
// as is any kernel whose sum-keeping factor strays more than 2x from it.
func ResampleKernels(w []float32, from, to int) []float32 {
	n := len(w) / (from * from)
	out := make([]float32, n*to*to)
	scale := float64(from*from) / float64(to*to)
	pos := func(i int) (int, int, float64) {
		if to == 1 || from == 1 {
			return 0, 0, 0
		}
		x := float64(i) * float64(from-1) / float64(to-1)
		i0 := int(x)
		if i0 >= from-1 {
			return from - 1, from - 1, 0
		}
		return i0, i0 + 1, x - float64(i0)
	}
	for k := 0; k < n; k++ {
		src := w[k*from*from : (k+1)*from*from]
		dst := out[k*to*to : (k+1)*to*to]
		var sum, rs float64
		for _, v := range src {
			sum += float64(v)
		}
		for y := 0; y < to; y++ {
			y0, y1, fy := pos(y)
			for x := 0; x < to; x++ {
				x0, x1, fx := pos(x)
				v := (1-fy)*((1-fx)*float64(src[y0*from+x0])+fx*float64(src[y0*from+x1])) +
					fy*((1-fx)*float64(src[y1*from+x0])+fx*float64(src[y1*from+x1]))
				dst[y*to+x] = float32(v)
				rs += v
			}
		}
		f := scale
		if rs != 0 {
			if keep := sum / rs; keep >= scale/2 && keep <= 2*scale {
				f = keep
			}
		}
		for i := range dst {
			dst[i] = float32(float64(dst[i]) * f)
		}
	}
	return out
}

// Import implements Importable.
func (l *Linear) Import(im *Importer) { l.ImportScaled(im, 1) }

// ImportScaled reads a Gemm written by ExportScaled with the same s.
func (l *Linear) ImportScaled(im *Importer, s float32) {
	w := im.Next("fc_w", l.Out, l.In)
	b := im.Next("fc_b", l.Out)
	for i := range w {
		w[i] /= s
	}
	for i := range b {
		b[i] /= s
	}
	set(l.W, w)
	set(l.B, b)
}

// Import implements Importable: every layer in order.
func (s Sequential) Import(im *Importer) {
	for _, l := range s {
		ImportLayer(im, l)
	}
}

// ImportLayer imports l, which must be Importable unless it has no
// variables (activations, pooling).
func ImportLayer(im *Importer, l Layer) {
	if i, ok := l.(Importable); ok {
		i.Import(im)
		return
	}
	if len(l.Vars()) > 0 {
		panic(fmt.Errorf("layer %T cannot read its weights from a graph", l))
	}
}

// Import implements Importable.
func (p *PReLU) Import(im *Importer) { set(p.A, im.Next("prelu", p.C, 1, 1)) }

// Import implements Importable: the exported Mul and Add.
func (b *BatchNorm) Import(im *Importer) {
	s := im.Next("bn_s", b.C, 1, 1)
	t := im.Next("bn_t", b.C, 1, 1)
	b.Norm.SetAffine(s, t)
}

// Import implements Importable.
func (m *MixConv) Import(im *Importer) {
	for _, p := range m.Parts {
		p.Import(im)
	}
}

// Import implements Importable. The fused convolution goes to the 3x3
// branch; the 1x1 branch and the identity get gamma 0, so they add
// nothing until training grows them (their weights keep their
// initialisation, so gamma has a gradient).
func (r *RepVGGDW) Import(im *Importer) {
	w := im.Next("rep_w", r.C, 1, 3, 3)
	b := im.Next("rep_b", r.C)
	set(r.Conv3.W, w)
	zero := make([]float32, r.C)
	r.Conv3.Norm.SetAffine(ones(r.C), b)
	r.Conv1.Norm.SetAffine(zero, zero)
	r.ID.Norm.SetAffine(zero, zero)
}

// Import implements Importable.
func (l *LinearBN) Import(im *Importer) {
	set(l.W, im.Next("emb_w", l.Out, l.In))
	l.BN.Norm.SetAffine(ones(l.Out), im.Next("emb_b", l.Out))
}

// Import implements Importable.
func (s *SpatialBias) Import(im *Importer) {
	p := s.Pool * s.Pool
	s.Reduce.Import(im)
	set(s.W, im.Next("sb_w", p, p, 1, 3))
	set(s.B, im.Next("sb_b", p))
}

// Import implements Importable.
func (s *ShuffleAttention) Import(im *Importer) {
	h := s.C / (2 * s.G)
	hv := []int64{1, h, 1, 1}
	set(s.CW, im.Next("sa_cw", hv...))
	set(s.CB, im.Next("sa_cb", hv...))
	set(s.GW, im.Next("sa_gw", h))
	set(s.GB, im.Next("sa_gb", h))
	set(s.SW, im.Next("sa_sw", hv...))
	set(s.SB, im.Next("sa_sb", hv...))
}

// CompareInitializers checks that b, exported from imported weights,
// holds the float initializers of a in the same order, shapes and (within
// tol, relative to the largest magnitude of each) values; skip names
// prefixes not compared. It names the first difference.
func CompareInitializers(a, b *onnx.Model, tol float64, skip ...string) error {
	return compareInitializers(a, b, tol, nil, skip)
}

// CompareResized is CompareInitializers for weights imported from a graph
// of another input size: initializers named with a prefix in resized (the
// size-dependent ones: a resampled kernel, fixed pooling matrices) may
// differ in shape, and are then compared by name and rank only.
func CompareResized(a, b *onnx.Model, tol float64, resized []string, skip ...string) error {
	return compareInitializers(a, b, tol, resized, skip)
}

func compareInitializers(a, b *onnx.Model, tol float64, resized, skip []string) error {
	keep := func(m *onnx.Model) []*onnx.Tensor {
		var out []*onnx.Tensor
	next:
		for _, t := range m.Graph.Initializers {
			if t.DataType != onnx.Float {
				continue
			}
			for _, s := range skip {
				if InitPrefix(t.Name) == s {
					continue next
				}
			}
			out = append(out, t)
		}
		return out
	}
	ta, tb := keep(a), keep(b)
	if len(ta) != len(tb) {
		return fmt.Errorf("%d weight tensors, the architecture has %d", len(ta), len(tb))
	}
	for i := range ta {
		if InitPrefix(ta[i].Name) == InitPrefix(tb[i].Name) && len(ta[i].Dims) == len(tb[i].Dims) &&
			!sameDims(ta[i].Dims, tb[i].Dims) && slices.Contains(resized, InitPrefix(ta[i].Name)) {
			continue
		}
		if InitPrefix(ta[i].Name) != InitPrefix(tb[i].Name) || !sameDims(ta[i].Dims, tb[i].Dims) {
			return fmt.Errorf("weight %d is %s %v, the architecture has %s %v", i, ta[i].Name, ta[i].Dims, tb[i].Name, tb[i].Dims)
		}
		va, err := ta[i].Floats()
		if err != nil {
			return err
		}
		vb, err := tb[i].Floats()
		if err != nil {
			return err
		}
		var big, diff float64
		for j := range va {
			big = max(big, abs(float64(va[j])))
			diff = max(diff, abs(float64(va[j])-float64(vb[j])))
		}
		if diff > tol*max(big, 1e-3) {
			return fmt.Errorf("weight %s differs after import by up to %.3g (largest value %.3g)", ta[i].Name, diff, big)
		}
	}
	return nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
