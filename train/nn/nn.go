//go:build torch

package nn

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/train/torch"
)

// Var is a named parameter or buffer of a layer.
type Var struct {
	Name   string
	T      *torch.Tensor
	Decay  bool // weight decay applies (conv and linear weights)
	Buffer bool // not trained (batch-norm running statistics)
}

// NumParams counts the trained values of vs (buffers excluded).
func NumParams(vs []Var) int64 {
	var n int64
	for _, v := range vs {
		if !v.Buffer {
			n += v.T.Numel()
		}
	}
	return n
}

// Opset is the ONNX opset of the models ferlive exports.
const Opset = 17

// InputName and OutputName name an exported model's input [batch,1,S,S]
// and its output [batch,classes] of class probabilities.
const (
	InputName  = "input"
	OutputName = "probs"
)

// Exporter writes layers into an ONNX graph. Layers panic on error; the
// caller recovers with torch.Recover.
type Exporter struct {
	B *onnx.Builder
}

// Values copies a tensor's values, panicking on error.
func Values(t *torch.Tensor) []float32 {
	v, err := t.Float32s()
	if err != nil {
		panic(err)
	}
	return v
}

// Layer is a trainable, exportable building block. Forward panics on
// libtorch errors (callers recover with torch.Recover); its result joins
// the scope of x.
type Layer interface {
	Forward(x *torch.Tensor, train bool) *torch.Tensor
	Vars() []Var
	Export(e *Exporter, in string) string
}

func prefixed(prefix string, vs []Var) []Var {
	out := make([]Var, len(vs))
	for i, v := range vs {
		v.Name = prefix + "." + v.Name
		out[i] = v
	}
	return out
}

// Sequential runs layers in order.
type Sequential []Layer

// Forward implements Layer.
func (s Sequential) Forward(x *torch.Tensor, train bool) *torch.Tensor {
	for _, l := range s {
		x = l.Forward(x, train)
	}
	return x
}

// Vars implements Layer; names are prefixed with the index.
func (s Sequential) Vars() []Var {
	var out []Var
	for i, l := range s {
		out = append(out, prefixed(fmt.Sprint(i), l.Vars())...)
	}
	return out
}

// Export implements Layer.
func (s Sequential) Export(e *Exporter, in string) string {
	for _, l := range s {
		in = l.Export(e, in)
	}
	return in
}

func param(data []float32, shape ...int64) *torch.Tensor {
	return torch.MustFromFloat32(data, shape, true)
}

func buffer(data []float32, shape ...int64) *torch.Tensor {
	return torch.MustFromFloat32(data, shape, false)
}

func fill(n int64, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// Activation is an elementwise nonlinearity.
type Activation interface {
	Apply(x *torch.Tensor) *torch.Tensor
	Export(e *Exporter, in string) string
	Name() string
}

// ReLU is max(x, 0).
type ReLU struct{}

// Apply implements Activation.
func (ReLU) Apply(x *torch.Tensor) *torch.Tensor { return x.MustRelu() }

// Export implements Activation.
func (ReLU) Export(e *Exporter, in string) string { return e.B.Op("Relu", []string{in}) }

// Name implements Activation.
func (ReLU) Name() string { return "relu" }

// ReLU6 is min(max(x, 0), 6), MobileNet's activation.
type ReLU6 struct{}

// Apply implements Activation.
func (ReLU6) Apply(x *torch.Tensor) *torch.Tensor { return x.MustRelu6() }

// Export implements Activation (Clip with bounds as inputs, opset 11+).
func (ReLU6) Export(e *Exporter, in string) string {
	return e.B.Op("Clip", []string{in, e.B.Floats("clip_min", nil, []float32{0}), e.B.Floats("clip_max", nil, []float32{6})})
}

// Name implements Activation.
func (ReLU6) Name() string { return "relu6" }

// BetaMish is RLR-CNet's activation as printed in the paper:
// f(x) = x * tanh(ln(1 + exp(A*x / sqrt(B + x^2)))), A=7, B=35.
// The inner term A*x/sqrt(B+x^2) is a smooth sign-like squashing of x into
// (-A, A) with slope A/sqrt(B) ~ 1.18 at 0, so f behaves like Mish near 0,
// tends to x for large x and to a small negative slope (~tanh(ln(1+e^-7))
// ~ 9.1e-4) for large negative x; see the tests for the numbers.
type BetaMish struct{ A, B float64 }

// Apply implements Activation (one fused libtorch kernel).
func (m BetaMish) Apply(x *torch.Tensor) *torch.Tensor { return x.MustBetaMish(m.A, m.B) }

// ApplyComposite computes the same function from elementary libtorch ops
// (autograd differentiates it); the tests check the fused kernel against it.
func (m BetaMish) ApplyComposite(x *torch.Tensor) *torch.Tensor {
	d := x.MustMul(x).MustAddScalar(m.B).MustSqrt()
	u := x.MustMulScalar(m.A).MustDiv(d)
	return x.MustMul(u.MustSoftplus().MustTanh())
}

// Export implements Activation.
func (m BetaMish) Export(e *Exporter, in string) string {
	b := e.B
	x2 := b.Op("Mul", []string{in, in})
	d := b.Op("Sqrt", []string{b.Op("Add", []string{x2, b.Floats("bm_b", nil, []float32{float32(m.B)})})})
	u := b.Op("Div", []string{b.Op("Mul", []string{in, b.Floats("bm_a", nil, []float32{float32(m.A)})}), d})
	t := b.Op("Tanh", []string{b.Op("Softplus", []string{u})})
	return b.Op("Mul", []string{in, t})
}

// Name implements Activation.
func (BetaMish) Name() string { return "betamish" }

// ActivationByName returns relu or betamish (A=7, B=35).
func ActivationByName(name string) (Activation, error) {
	switch name {
	case "relu":
		return ReLU{}, nil
	case "betamish", "beta-mish":
		return BetaMish{A: 7, B: 35}, nil
	}
	return nil, fmt.Errorf("activation %q: want relu or betamish", name)
}

// ConvBN is a bias-free convolution, batch norm and an optional activation.
// It exports as one Conv (batch norm folded) and the activation.
type ConvBN struct {
	W *torch.Tensor
	Norm
	In, Out, K, Stride, Pad, Group int64
	// Pads, when not all zero, replaces Pad by explicit zero padding
	// (top, left, bottom, right): TensorFlow's "SAME" padding of a
	// stride-2 convolution on an even side is 0 before and 1 after.
	Pads [4]int64
	Act  Activation // nil: linear
}

// SamePads returns TensorFlow's "SAME" padding (top, left, bottom, right)
// of a k x k convolution with stride s on a side x side input.
func SamePads(side, k, s int64) [4]int64 {
	out := (side + s - 1) / s
	total := max((out-1)*s+k-side, 0)
	lo := total / 2
	return [4]int64{lo, lo, total - lo, total - lo}
}

// NewConvBN makes a ConvBN with He-normal weights (fan in).
func NewConvBN(rng *rand.Rand, in, out, k, stride, groups int64, act Activation) *ConvBN {
	fanIn := float64(in/groups) * float64(k*k)
	std := math.Sqrt(2 / fanIn)
	w := make([]float32, out*(in/groups)*k*k)
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
	return &ConvBN{
		W: param(w, out, in/groups, k, k), Norm: newNorm(out),
		In: in, Out: out, K: k, Stride: stride, Pad: k / 2, Group: groups, Act: act,
	}
}

// Forward implements Layer.
func (c *ConvBN) Forward(x *torch.Tensor, train bool) *torch.Tensor {
	pad := c.Pad
	if c.Pads != [4]int64{} {
		p := c.Pads
		if p[0] == p[2] && p[1] == p[3] && p[0] == p[1] {
			pad = p[0]
		} else {
			x, pad = x.MustPad2d(p[1], p[3], p[0], p[2]), 0
		}
	}
	y := c.Norm.Forward(x.MustConv2d(c.W, nil, c.Stride, pad, c.Group), train)
	if c.Act != nil {
		y = c.Act.Apply(y)
	}
	return y
}

// Vars implements Layer.
func (c *ConvBN) Vars() []Var {
	return append([]Var{{Name: "w", T: c.W, Decay: true}}, prefixed("bn", c.Norm.Vars())...)
}

// Folded returns the convolution weights and bias with batch norm folded in.
func (c *ConvBN) Folded() (w, b []float32) {
	w = Values(c.W)
	s, t := c.Affine()
	per := int64(len(w)) / c.Out
	for o := int64(0); o < c.Out; o++ {
		for i := o * per; i < (o+1)*per; i++ {
			w[i] = float32(float64(w[i]) * s[o])
		}
	}
	return w, f32(t)
}

// Export implements Layer.
func (c *ConvBN) Export(e *Exporter, in string) string {
	w, b := c.Folded()
	pads := []int64{c.Pad, c.Pad, c.Pad, c.Pad}
	if c.Pads != [4]int64{} {
		pads = c.Pads[:]
	}
	y := e.B.Op("Conv", []string{in,
		e.B.Floats("conv_w", []int64{c.Out, c.In / c.Group, c.K, c.K}, w),
		e.B.Floats("conv_b", []int64{c.Out}, b)},
		onnx.AInts("kernel_shape", c.K, c.K), onnx.AInts("strides", c.Stride, c.Stride),
		onnx.AInts("pads", pads...), onnx.AInt("group", c.Group),
		onnx.AInts("dilations", 1, 1))
	if c.Act != nil {
		y = c.Act.Export(e, y)
	}
	return y
}

// Linear is y = x W^T + b.
type Linear struct {
	W, B    *torch.Tensor
	In, Out int64
}

// NewLinear makes a linear layer with N(0, 0.01) weights and zero bias.
func NewLinear(rng *rand.Rand, in, out int64) *Linear {
	w := make([]float32, in*out)
	for i := range w {
		w[i] = float32(rng.NormFloat64() * 0.01)
	}
	return &Linear{W: param(w, out, in), B: param(fill(out, 0), out), In: in, Out: out}
}

// Forward implements Layer.
func (l *Linear) Forward(x *torch.Tensor, _ bool) *torch.Tensor { return x.MustLinear(l.W, l.B) }

// Vars implements Layer.
func (l *Linear) Vars() []Var {
	return []Var{{Name: "w", T: l.W, Decay: true}, {Name: "b", T: l.B}}
}

// Export implements Layer.
func (l *Linear) Export(e *Exporter, in string) string { return l.ExportScaled(e, in, 1) }

// ExportScaled exports s*(x W^T + b) as one Gemm.
func (l *Linear) ExportScaled(e *Exporter, in string, s float32) string {
	w, b := Values(l.W), Values(l.B)
	for i := range w {
		w[i] *= s
	}
	for i := range b {
		b[i] *= s
	}
	return e.B.Op("Gemm", []string{in, e.B.Floats("fc_w", []int64{l.Out, l.In}, w), e.B.Floats("fc_b", []int64{l.Out}, b)},
		onnx.AInt("transB", 1))
}

// GlobalPool averages over H and W and flattens to [N, C].
type GlobalPool struct{}

// Forward implements Layer.
func (GlobalPool) Forward(x *torch.Tensor, _ bool) *torch.Tensor {
	return x.MustMeanDims([]int64{2, 3}, false)
}

// Vars implements Layer.
func (GlobalPool) Vars() []Var { return nil }

// Export implements Layer.
func (GlobalPool) Export(e *Exporter, in string) string {
	return e.B.Op("Flatten", []string{e.B.Op("GlobalAveragePool", []string{in})}, onnx.AInt("axis", 1))
}

// Shape is a feature map's static shape (without batch), used at export.
type Shape struct{ C, H, W int64 }

// ChannelShuffle interleaves g channel groups (ShuffleNet).
func ChannelShuffle(x *torch.Tensor, g int64) *torch.Tensor {
	s := x.Shape()
	return x.MustReshape(s[0], g, s[1]/g, s[2], s[3]).MustTranspose(1, 2).MustReshape(s[0], s[1], s[2], s[3])
}

// ExportChannelShuffle writes ChannelShuffle for a map of shape sh.
func ExportChannelShuffle(e *Exporter, in string, g int64, sh Shape) string {
	r := e.B.Op("Reshape", []string{in, e.B.Ints("shape", []int64{5}, []int64{0, g, sh.C / g, sh.H, sh.W})})
	t := e.B.Op("Transpose", []string{r}, onnx.AInts("perm", 0, 2, 1, 3, 4))
	return e.B.Op("Reshape", []string{t, e.B.Ints("shape", []int64{4}, []int64{0, sh.C, sh.H, sh.W})})
}

// ExportSlice writes x[:, lo:hi] along the channel axis.
func ExportSlice(e *Exporter, in string, axis, lo, hi int64) string {
	return e.B.Op("Slice", []string{in,
		e.B.Ints("starts", []int64{1}, []int64{lo}), e.B.Ints("ends", []int64{1}, []int64{hi}),
		e.B.Ints("axes", []int64{1}, []int64{axis})})
}

// ShuffleAttention is SA-Net's shuffle attention (Zhang & Yang 2021): the
// channels form G groups, each split into a channel-attention half (global
// average pool, affine, sigmoid gate) and a spatial-attention half (group
// norm per channel, affine, sigmoid gate), then channels are shuffled.
type ShuffleAttention struct {
	C, G                   int64
	CW, CB, SW, SB, GW, GB *torch.Tensor
	Shape                  Shape // input map shape, for export
}

// NewShuffleAttention makes SA for c channels in g groups (c divisible by 2g),
// initialised as in SA-Net (weights 0, biases 1).
func NewShuffleAttention(c, g int64, sh Shape) *ShuffleAttention {
	h := c / (2 * g)
	return &ShuffleAttention{C: c, G: g, Shape: sh,
		CW: param(fill(h, 0), 1, h, 1, 1), CB: param(fill(h, 1), 1, h, 1, 1),
		SW: param(fill(h, 0), 1, h, 1, 1), SB: param(fill(h, 1), 1, h, 1, 1),
		GW: param(fill(h, 1), h), GB: param(fill(h, 0), h),
	}
}

// Forward implements Layer.
func (s *ShuffleAttention) Forward(x *torch.Tensor, _ bool) *torch.Tensor {
	sh := x.Shape()
	n, c, hh, ww := sh[0], sh[1], sh[2], sh[3]
	h := c / (2 * s.G)
	xg := x.MustReshape(n*s.G, c/s.G, hh, ww)
	x0 := xg.MustNarrow(1, 0, h)
	x1 := xg.MustNarrow(1, h, h)
	xn := x0.MustMeanDims([]int64{2, 3}, true).MustMul(s.CW).MustAdd(s.CB).MustSigmoid()
	xn = x0.MustMul(xn)
	xs := x1.MustGroupNorm(h, s.GW, s.GB, 1e-5).MustMul(s.SW).MustAdd(s.SB).MustSigmoid()
	xs = x1.MustMul(xs)
	out := torch.MustCat([]*torch.Tensor{xn, xs}, 1).MustReshape(n, c, hh, ww)
	return ChannelShuffle(out, 2)
}

// Vars implements Layer.
func (s *ShuffleAttention) Vars() []Var {
	return []Var{{Name: "cw", T: s.CW}, {Name: "cb", T: s.CB}, {Name: "sw", T: s.SW}, {Name: "sb", T: s.SB},
		{Name: "gn.w", T: s.GW}, {Name: "gn.b", T: s.GB}}
}

// Export implements Layer. GroupNorm with one channel per group is
// InstanceNormalization (opset 6), so no opset-18 op is needed.
func (s *ShuffleAttention) Export(e *Exporter, in string) string {
	b := e.B
	h := s.C / (2 * s.G)
	sh := s.Shape
	xg := b.Op("Reshape", []string{in, b.Ints("shape", []int64{4}, []int64{-1, s.C / s.G, sh.H, sh.W})})
	x0 := ExportSlice(e, xg, 1, 0, h)
	x1 := ExportSlice(e, xg, 1, h, 2*h)
	hv := []int64{1, h, 1, 1}
	xn := b.Op("GlobalAveragePool", []string{x0})
	xn = b.Op("Add", []string{b.Op("Mul", []string{xn, b.Floats("sa_cw", hv, Values(s.CW))}), b.Floats("sa_cb", hv, Values(s.CB))})
	xn = b.Op("Mul", []string{x0, b.Op("Sigmoid", []string{xn})})
	xs := b.Op("InstanceNormalization", []string{x1, b.Floats("sa_gw", []int64{h}, Values(s.GW)), b.Floats("sa_gb", []int64{h}, Values(s.GB))},
		onnx.AFloat("epsilon", 1e-5))
	xs = b.Op("Add", []string{b.Op("Mul", []string{xs, b.Floats("sa_sw", hv, Values(s.SW))}), b.Floats("sa_sb", hv, Values(s.SB))})
	xs = b.Op("Mul", []string{x1, b.Op("Sigmoid", []string{xs})})
	out := b.Op("Concat", []string{xn, xs}, onnx.AInt("axis", 1))
	out = b.Op("Reshape", []string{out, b.Ints("shape", []int64{4}, []int64{0 - 1, s.C, sh.H, sh.W})})
	return ExportChannelShuffle(e, out, 2, sh)
}
