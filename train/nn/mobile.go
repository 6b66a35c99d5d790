//go:build torch

package nn

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/train/torch"
)

// This file holds the layers of MobileFaceNet-style networks (LFNSB):
// PReLU, stand-alone batch norm, MixConv, RepVGGDW, a linear layer with
// batch norm, and the Spatial Bias module. Every batch norm folds into the
// preceding linear operation at export, and RepVGGDW's three branches fuse
// into one depthwise convolution.

// BNLayer is implemented by layers that hold batch norms; Norms returns
// them (precise-BN recalibration sets their momenta, an import re-centres
// them).
type BNLayer interface {
	Norms() []*Norm
}

// Norms collects the batch norms of the layers that have any.
func Norms(ls ...Layer) []*Norm {
	var out []*Norm
	for _, l := range ls {
		if b, ok := l.(BNLayer); ok {
			out = append(out, b.Norms()...)
		}
	}
	return out
}

// Norms implements BNLayer.
func (c *ConvBN) Norms() []*Norm { return []*Norm{&c.Norm} }

// Norms implements BNLayer.
func (s Sequential) Norms() []*Norm { return Norms(s...) }

// PReLU is max(x,0) + a*min(x,0) with a learned slope a per channel
// (MobileFaceNet's activation), applied to [N,C,H,W] maps.
type PReLU struct {
	A *torch.Tensor
	C int64
}

// NewPReLU makes a PReLU over c channels with slopes 0.25 (PyTorch's
// default).
func NewPReLU(c int64) *PReLU { return &PReLU{A: param(fill(c, 0.25), c), C: c} }

// Forward implements Layer.
func (p *PReLU) Forward(x *torch.Tensor, _ bool) *torch.Tensor { return x.MustPRelu(p.A) }

// Vars implements Layer (slopes take no weight decay).
func (p *PReLU) Vars() []Var { return []Var{{Name: "a", T: p.A}} }

// Export implements Layer.
func (p *PReLU) Export(e *Exporter, in string) string {
	return e.B.Op("PRelu", []string{in, e.B.Floats("prelu", []int64{p.C, 1, 1}, Values(p.A))})
}

// BatchNorm is a stand-alone batch norm over the channels (axis 1) of
// [N,C] or [N,C,H,W] inputs.
type BatchNorm struct {
	Norm
	C int64
}

// NewBatchNorm makes a batch norm over c channels (gamma 1, beta 0).
func NewBatchNorm(c int64) *BatchNorm { return &BatchNorm{Norm: newNorm(c), C: c} }

// Norms implements BNLayer.
func (b *BatchNorm) Norms() []*Norm { return []*Norm{&b.Norm} }

// Export implements Layer (as a per-channel Mul and Add on [N,C,H,W]).
func (b *BatchNorm) Export(e *Exporter, in string) string {
	s, t := b.Affine()
	sh := []int64{b.C, 1, 1}
	y := e.B.Op("Mul", []string{in, e.B.Floats("bn_s", sh, f32(s))})
	return e.B.Op("Add", []string{y, e.B.Floats("bn_t", sh, f32(t))})
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// MixConv is MixNet's mixed depthwise convolution with batch norm: the
// channels are split into groups, each convolved depthwise with its own
// kernel size (e.g. 3, 5, 7), and concatenated. Batch norm is per channel,
// so one batch norm per group equals one over the concatenation.
type MixConv struct {
	Parts  []*ConvBN
	Splits []int64
}

// MixSplits divides c channels into len(kernels) groups as evenly as
// possible, the remainder going to the first (smallest-kernel) group.
func MixSplits(c int64, kernels []int64) []int64 {
	n := int64(len(kernels))
	out := make([]int64, n)
	for i := range out {
		out[i] = c / n
	}
	out[0] += c - (c/n)*n
	return out
}

// NewMixConv makes a mixed depthwise convolution over c channels.
func NewMixConv(rng *rand.Rand, c int64, kernels []int64, stride int64) *MixConv {
	m := &MixConv{Splits: MixSplits(c, kernels)}
	for i, k := range kernels {
		g := m.Splits[i]
		m.Parts = append(m.Parts, NewConvBN(rng, g, g, k, stride, g, nil))
	}
	return m
}

// Forward implements Layer.
func (m *MixConv) Forward(x *torch.Tensor, train bool) *torch.Tensor {
	if len(m.Parts) == 1 {
		return m.Parts[0].Forward(x, train)
	}
	ys := make([]*torch.Tensor, len(m.Parts))
	var off int64
	for i, p := range m.Parts {
		ys[i] = p.Forward(x.MustNarrow(1, off, m.Splits[i]), train)
		off += m.Splits[i]
	}
	return torch.MustCat(ys, 1)
}

// Vars implements Layer.
func (m *MixConv) Vars() []Var {
	var out []Var
	for i, p := range m.Parts {
		out = append(out, prefixed(fmt.Sprint(i), p.Vars())...)
	}
	return out
}

// Norms implements BNLayer.
func (m *MixConv) Norms() []*Norm {
	var out []*Norm
	for _, p := range m.Parts {
		out = append(out, &p.Norm)
	}
	return out
}

// Export implements Layer: one Slice and Conv per kernel size, then Concat.
func (m *MixConv) Export(e *Exporter, in string) string {
	if len(m.Parts) == 1 {
		return m.Parts[0].Export(e, in)
	}
	var ys []string
	var off int64
	for i, p := range m.Parts {
		ys = append(ys, p.Export(e, ExportSlice(e, in, 1, off, off+m.Splits[i])))
		off += m.Splits[i]
	}
	return e.B.Op("Concat", ys, onnx.AInt("axis", 1))
}

// RepVGGDW is a re-parameterisable depthwise block: a 3x3 depthwise
// convolution with batch norm, a 1x1 depthwise convolution with batch norm
// and a batch-normed identity, summed. At export the three branches fuse
// into one 3x3 depthwise convolution with bias.
type RepVGGDW struct {
	C            int64
	Conv3, Conv1 *ConvBN
	ID           *BatchNorm
}

// NewRepVGGDW makes a RepVGGDW block over c channels.
func NewRepVGGDW(rng *rand.Rand, c int64) *RepVGGDW {
	return &RepVGGDW{C: c, Conv3: NewConvBN(rng, c, c, 3, 1, c, nil), Conv1: NewConvBN(rng, c, c, 1, 1, c, nil), ID: NewBatchNorm(c)}
}

// Forward implements Layer (the three branches, unfused).
func (r *RepVGGDW) Forward(x *torch.Tensor, train bool) *torch.Tensor {
	return r.Conv3.Forward(x, train).MustAdd(r.Conv1.Forward(x, train)).MustAdd(r.ID.Forward(x, train))
}

// Vars implements Layer.
func (r *RepVGGDW) Vars() []Var {
	out := prefixed("dw3", r.Conv3.Vars())
	out = append(out, prefixed("dw1", r.Conv1.Vars())...)
	return append(out, prefixed("id", r.ID.Vars())...)
}

// Norms implements BNLayer.
func (r *RepVGGDW) Norms() []*Norm { return []*Norm{&r.Conv3.Norm, &r.Conv1.Norm, &r.ID.Norm} }

// Fused returns the single depthwise 3x3 convolution (weights [C,1,3,3]
// and bias [C]) equal to the block at inference: the folded 3x3 kernel,
// plus the folded 1x1 kernel and the identity's scale at its centre.
func (r *RepVGGDW) Fused() (w, b []float32) {
	w, b = r.Conv3.Folded()
	w1, b1 := r.Conv1.Folded()
	s, t := r.ID.Affine()
	for c := int64(0); c < r.C; c++ {
		w[c*9+4] += w1[c] + float32(s[c])
		b[c] += b1[c] + float32(t[c])
	}
	return w, b
}

// Export implements Layer: one fused Conv.
func (r *RepVGGDW) Export(e *Exporter, in string) string {
	w, b := r.Fused()
	return e.B.Op("Conv", []string{in, e.B.Floats("rep_w", []int64{r.C, 1, 3, 3}, w), e.B.Floats("rep_b", []int64{r.C}, b)},
		onnx.AInts("kernel_shape", 3, 3), onnx.AInts("strides", 1, 1), onnx.AInts("pads", 1, 1, 1, 1),
		onnx.AInt("group", r.C), onnx.AInts("dilations", 1, 1))
}

// LinearBN is a bias-free linear layer followed by batch norm over its
// outputs (MobileFaceNet's embedding); it exports as one Gemm.
type LinearBN struct {
	W       *torch.Tensor
	BN      *BatchNorm
	In, Out int64
}

// NewLinearBN makes a LinearBN with He-normal weights.
func NewLinearBN(rng *rand.Rand, in, out int64) *LinearBN {
	w := make([]float32, in*out)
	std := math.Sqrt(2 / float64(in))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
	return &LinearBN{W: param(w, out, in), BN: NewBatchNorm(out), In: in, Out: out}
}

// Forward implements Layer ([N,In] -> [N,Out]).
func (l *LinearBN) Forward(x *torch.Tensor, train bool) *torch.Tensor {
	return l.BN.Forward(x.MustLinear(l.W, nil), train)
}

// Vars implements Layer.
func (l *LinearBN) Vars() []Var {
	return append([]Var{{Name: "w", T: l.W, Decay: true}}, prefixed("bn", l.BN.Vars())...)
}

// Norms implements BNLayer.
func (l *LinearBN) Norms() []*Norm { return l.BN.Norms() }

// Export implements Layer: Gemm with the batch norm folded in.
func (l *LinearBN) Export(e *Exporter, in string) string {
	w := Values(l.W)
	s, t := l.BN.Affine()
	for o := int64(0); o < l.Out; o++ {
		for i := o * l.In; i < (o+1)*l.In; i++ {
			w[i] = float32(float64(w[i]) * s[o])
		}
	}
	return e.B.Op("Gemm", []string{in, e.B.Floats("emb_w", []int64{l.Out, l.In}, w), e.B.Floats("emb_b", []int64{l.Out}, f32(t))},
		onnx.AInt("transB", 1))
}

// SpatialBias is the Spatial Bias module (Go et al. 2023) as LFNSB uses
// it: a 1x1 convolution (batch norm, ReLU) reduces the map to Reduced
// channels, adaptive average pooling shrinks it to Pool x Pool, each
// channel is flattened, a 1-D convolution (kernel 3, no padding) runs along
// the channel axis with the Pool*Pool positions as its channels, the
// result (Reduced-2 maps of Pool x Pool) is upsampled bilinearly to the
// feature map's size and concatenated to it. Only static axes are
// reshaped, so any batch size (1 included) works, in libtorch and in the
// exported graph.
type SpatialBias struct {
	Reduce  *ConvBN
	W, B    *torch.Tensor // the 1-D convolution as [P,P,1,3] and [P], P = Pool*Pool
	Reduced int64
	Pool    int64
	Shape   Shape // input map shape (for export and the upsampling size)
}

// NewSpatialBias makes a Spatial Bias module for maps of shape sh.
func NewSpatialBias(rng *rand.Rand, sh Shape, reduced, pool int64) *SpatialBias {
	p := pool * pool
	w := make([]float32, p*p*3)
	std := math.Sqrt(2 / float64(p*3))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
	return &SpatialBias{Reduce: NewConvBN(rng, sh.C, reduced, 1, 1, 1, ReLU{}),
		W: param(w, p, p, 1, 3), B: param(fill(p, 0), p), Reduced: reduced, Pool: pool, Shape: sh}
}

// OutChannels is the number of channels the module appends.
func (s *SpatialBias) OutChannels() int64 { return s.Reduced - 2 }

// Bias returns the spatial bias maps [N, Reduced-2, H, W].
func (s *SpatialBias) Bias(x *torch.Tensor, train bool) *torch.Tensor {
	n := x.Shape()[0]
	p := s.Pool * s.Pool
	y := s.Reduce.Forward(x, train).MustAdaptiveAvgPool2d(s.Pool, s.Pool) // [N,R,P0,P0]
	y = y.MustReshape(n, s.Reduced, p).MustTranspose(1, 2)                // [N,P,R]
	y = y.MustReshape(n, p, 1, s.Reduced).MustConv2d(s.W, s.B, 1, 0, 1)   // [N,P,1,R-2]
	y = y.MustReshape(n, p, s.Reduced-2).MustTranspose(1, 2)              // [N,R-2,P]
	y = y.MustReshape(n, s.Reduced-2, s.Pool, s.Pool)
	return y.MustUpsampleBilinear2d(s.Shape.H, s.Shape.W, false)
}

// Forward implements Layer: the input with the bias maps appended.
func (s *SpatialBias) Forward(x *torch.Tensor, train bool) *torch.Tensor {
	return torch.MustCat([]*torch.Tensor{x, s.Bias(x, train)}, 1)
}

// Vars implements Layer.
func (s *SpatialBias) Vars() []Var {
	return append(prefixed("reduce", s.Reduce.Vars()), Var{Name: "conv1d.w", T: s.W, Decay: true}, Var{Name: "conv1d.b", T: s.B})
}

// Norms implements BNLayer.
func (s *SpatialBias) Norms() []*Norm { return s.Reduce.Norms() }

// Export implements Layer. The adaptive pooling and the bilinear
// upsampling are linear maps over the spatial positions with fixed
// coefficients; they export as MatMul with those coefficients (computed
// as libtorch defines the two ops), which is exact for any bin overlap.
func (s *SpatialBias) Export(e *Exporter, in string) string {
	b := e.B
	h, w := s.Shape.H, s.Shape.W
	p := s.Pool * s.Pool
	r := s.Reduced
	y := s.Reduce.Export(e, in)
	y = b.Op("Reshape", []string{y, b.Ints("shape", []int64{3}, []int64{0, r, h * w})})
	y = b.Op("MatMul", []string{y, b.Floats("sb_pool", []int64{h * w, p}, PoolMatrix(h, w, s.Pool))}) // [N,R,P]
	y = b.Op("Transpose", []string{y}, onnx.AInts("perm", 0, 2, 1))
	y = b.Op("Reshape", []string{y, b.Ints("shape", []int64{4}, []int64{0, p, 1, r})})
	y = b.Op("Conv", []string{y, b.Floats("sb_w", []int64{p, p, 1, 3}, Values(s.W)), b.Floats("sb_b", []int64{p}, Values(s.B))},
		onnx.AInts("kernel_shape", 1, 3), onnx.AInts("strides", 1, 1), onnx.AInts("pads", 0, 0, 0, 0), onnx.AInts("dilations", 1, 1))
	y = b.Op("Reshape", []string{y, b.Ints("shape", []int64{3}, []int64{0, p, r - 2})})
	y = b.Op("Transpose", []string{y}, onnx.AInts("perm", 0, 2, 1))                                     // [N,R-2,P]
	y = b.Op("MatMul", []string{y, b.Floats("sb_up", []int64{p, h * w}, UpsampleMatrix(s.Pool, h, w))}) // [N,R-2,H*W]
	y = b.Op("Reshape", []string{y, b.Ints("shape", []int64{4}, []int64{0, r - 2, h, w})})
	return b.Op("Concat", []string{in, y}, onnx.AInt("axis", 1))
}

// adaptiveBins returns libtorch's adaptive-pooling bins of an axis of
// length n into o bins: [floor(i*n/o), ceil((i+1)*n/o)).
func adaptiveBins(n, o int64) [][2]int64 {
	out := make([][2]int64, o)
	for i := int64(0); i < o; i++ {
		out[i] = [2]int64{i * n / o, ((i+1)*n + o - 1) / o}
	}
	return out
}

// PoolMatrix is adaptive average pooling of an h x w map to pool x pool as
// a matrix [h*w, pool*pool] (row = input position, column = output bin).
func PoolMatrix(h, w, pool int64) []float32 {
	bh, bw := adaptiveBins(h, pool), adaptiveBins(w, pool)
	p := pool * pool
	m := make([]float32, h*w*p)
	for i, ri := range bh {
		for j, cj := range bw {
			area := float32((ri[1] - ri[0]) * (cj[1] - cj[0]))
			for y := ri[0]; y < ri[1]; y++ {
				for x := cj[0]; x < cj[1]; x++ {
					m[(y*w+x)*p+int64(i)*pool+int64(j)] = 1 / area
				}
			}
		}
	}
	return m
}

// bilinearAxis returns the [out][in] interpolation weights of one axis for
// libtorch's bilinear upsampling without aligned corners.
func bilinearAxis(in, out int64) [][]float64 {
	m := make([][]float64, out)
	scale := float64(in) / float64(out)
	for o := range m {
		m[o] = make([]float64, in)
		src := (float64(o)+0.5)*scale - 0.5
		if src < 0 {
			src = 0
		}
		i0 := int64(src)
		i1 := i0 + 1
		if i1 > in-1 {
			i1 = in - 1
		}
		f := src - float64(i0)
		m[o][i0] += 1 - f
		m[o][i1] += f
	}
	return m
}

// UpsampleMatrix is bilinear upsampling of a pool x pool map to h x w as a
// matrix [pool*pool, h*w].
func UpsampleMatrix(pool, h, w int64) []float32 {
	mh, mw := bilinearAxis(pool, h), bilinearAxis(pool, w)
	p := pool * pool
	m := make([]float32, p*h*w)
	for i := int64(0); i < pool; i++ {
		for j := int64(0); j < pool; j++ {
			for y := int64(0); y < h; y++ {
				for x := int64(0); x < w; x++ {
					m[(i*pool+j)*h*w+y*w+x] = float32(mh[y][i] * mw[x][j])
				}
			}
		}
	}
	return m
}
