//go:build torch

package rlrcnet

import (
	"fmt"
	"math/rand"

	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

// Unit is a ShuffleNetV2 unit: a basic unit splits the channels, transforms
// one half and concatenates; a down-sampling unit (stride 2) transforms the
// whole input in two branches. Channels are shuffled in 2 groups after.
type Unit struct {
	Down        bool
	Left, Right nn.Sequential // Left only when Down
	In, Out     int64
	OutShape    nn.Shape
}

func newUnit(rng *rand.Rand, c Config, act nn.Activation, in, out int64, down bool, outShape nn.Shape) *Unit {
	k := c.Kernel
	u := &Unit{Down: down, In: in, Out: out, OutShape: outShape}
	half := out / 2
	if down {
		u.Left = nn.Sequential{nn.NewConvBN(rng, in, in, k, 2, in, nil), nn.NewConvBN(rng, in, half, 1, 1, 1, act)}
		if c.Clip {
			u.Right = nn.Sequential{nn.NewConvBN(rng, in, in, k, 2, in, nil), nn.NewConvBN(rng, in, half, 1, 1, 1, act)}
		} else {
			u.Right = nn.Sequential{nn.NewConvBN(rng, in, half, 1, 1, 1, act), nn.NewConvBN(rng, half, half, k, 2, half, nil),
				nn.NewConvBN(rng, half, half, 1, 1, 1, act)}
		}
		return u
	}
	if c.Clip {
		u.Right = nn.Sequential{nn.NewConvBN(rng, half, half, k, 1, half, nil), nn.NewConvBN(rng, half, half, 1, 1, 1, act)}
	} else {
		u.Right = nn.Sequential{nn.NewConvBN(rng, half, half, 1, 1, 1, act), nn.NewConvBN(rng, half, half, k, 1, half, nil),
			nn.NewConvBN(rng, half, half, 1, 1, 1, act)}
	}
	return u
}

// Forward implements nn.Layer.
func (u *Unit) Forward(x *torch.Tensor, train bool) *torch.Tensor {
	var y *torch.Tensor
	if u.Down {
		y = torch.MustCat([]*torch.Tensor{u.Left.Forward(x, train), u.Right.Forward(x, train)}, 1)
	} else {
		h := u.In / 2
		x1, x2 := x.MustNarrow(1, 0, h), x.MustNarrow(1, h, h)
		y = torch.MustCat([]*torch.Tensor{x1, u.Right.Forward(x2, train)}, 1)
	}
	return nn.ChannelShuffle(y, 2)
}

// Vars implements nn.Layer.
func (u *Unit) Vars() []nn.Var {
	var out []nn.Var
	for _, v := range u.Left.Vars() {
		v.Name = "left." + v.Name
		out = append(out, v)
	}
	for _, v := range u.Right.Vars() {
		v.Name = "right." + v.Name
		out = append(out, v)
	}
	return out
}

// Export implements nn.Layer.
func (u *Unit) Export(e *nn.Exporter, in string) string {
	var y string
	if u.Down {
		y = e.B.Op("Concat", []string{u.Left.Export(e, in), u.Right.Export(e, in)}, onnxAxis1())
	} else {
		h := u.In / 2
		x1 := nn.ExportSlice(e, in, 1, 0, h)
		x2 := nn.ExportSlice(e, in, 1, h, 2*h)
		y = e.B.Op("Concat", []string{x1, u.Right.Export(e, x2)}, onnxAxis1())
	}
	return nn.ExportChannelShuffle(e, y, 2, u.OutShape)
}

// Branch is what each BBN branch owns: stage 4, conv5 and the classifier.
type Branch struct {
	Stage4 nn.Sequential
	Conv5  *nn.ConvBN // nil when Conv5 is 0
	FC     *nn.Linear
}

// Features returns the pooled features [N, F].
func (b *Branch) Features(x *torch.Tensor, train bool) *torch.Tensor {
	y := b.Stage4.Forward(x, train)
	if b.Conv5 != nil {
		y = b.Conv5.Forward(y, train)
	}
	return nn.GlobalPool{}.Forward(y, train)
}

// Logits returns the branch's logits W f + b.
func (b *Branch) Logits(x *torch.Tensor, train bool) *torch.Tensor {
	return b.FC.Forward(b.Features(x, train), train)
}

// Vars names the branch's parameters.
func (b *Branch) Vars() []nn.Var {
	var out []nn.Var
	add := func(p string, vs []nn.Var) {
		for _, v := range vs {
			v.Name = p + "." + v.Name
			out = append(out, v)
		}
	}
	add("stage4", b.Stage4.Vars())
	if b.Conv5 != nil {
		add("conv5", b.Conv5.Vars())
	}
	add("fc", b.FC.Vars())
	return out
}

// Model is RLR-CNet (or an ablation of it, per Config).
type Model struct {
	Cfg      Config
	Stem     *nn.ConvBN
	Stage2   nn.Sequential
	SA       *nn.ShuffleAttention // nil when off
	Stage3   nn.Sequential
	Branches []*Branch // two with Dual: [0] conventional (uniform), [1] re-balancing (reversed)
}

// New builds a model with weights drawn from seed.
func New(c Config, seed int64) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	act, err := nn.ActivationByName(c.Act)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(seed))
	m := &Model{Cfg: c}
	side := int64(c.Size)
	m.Stem = nn.NewConvBN(rng, 1, c.Widths[0], 3, c.StemStride, 1, act)
	side = (side + c.StemStride - 1) / c.StemStride
	stage := func(in, out int64, n int, side int64) nn.Sequential {
		s := (side + 1) / 2
		sh := nn.Shape{C: out, H: s, W: s}
		seq := nn.Sequential{newUnit(rng, c, act, in, out, true, sh)}
		for i := 1; i < n; i++ {
			seq = append(seq, newUnit(rng, c, act, out, out, false, sh))
		}
		return seq
	}
	m.Stage2 = stage(c.Widths[0], c.Widths[1], c.Repeats[0], side)
	side = (side + 1) / 2
	if c.SA {
		m.SA = nn.NewShuffleAttention(c.Widths[1], c.SAGroups, nn.Shape{C: c.Widths[1], H: side, W: side})
	}
	m.Stage3 = stage(c.Widths[1], c.Widths[2], c.Repeats[1], side)
	side = (side + 1) / 2
	nb := 1
	if c.Dual {
		nb = 2
	}
	for i := 0; i < nb; i++ {
		b := &Branch{Stage4: stage(c.Widths[2], c.Widths[3], c.Repeats[2], side)}
		feat := c.Widths[3]
		if c.Conv5 > 0 {
			b.Conv5 = nn.NewConvBN(rng, c.Widths[3], c.Conv5, 1, 1, 1, act)
			feat = c.Conv5
		}
		b.FC = nn.NewLinear(rng, feat, int64(c.Classes))
		m.Branches = append(m.Branches, b)
	}
	return m, nil
}

// Vars lists every parameter and buffer with a stable name.
func (m *Model) Vars() []nn.Var {
	var out []nn.Var
	add := func(p string, vs []nn.Var) {
		for _, v := range vs {
			v.Name = p + "." + v.Name
			out = append(out, v)
		}
	}
	add("stem", m.Stem.Vars())
	add("stage2", m.Stage2.Vars())
	if m.SA != nil {
		add("sa", m.SA.Vars())
	}
	add("stage3", m.Stage3.Vars())
	for i, b := range m.Branches {
		add(fmt.Sprintf("branch%d", i), b.Vars())
	}
	return out
}

// NumParams counts trainable parameters (buffers excluded).
func (m *Model) NumParams() int64 { return nn.NumParams(m.Vars()) }

// shared runs the layers both branches share (stem to stage 3).
func (m *Model) shared(x *torch.Tensor, train bool) *torch.Tensor {
	y := m.Stem.Forward(x, train)
	y = m.Stage2.Forward(y, train)
	if m.SA != nil {
		y = m.SA.Forward(y, train)
	}
	return m.Stage3.Forward(y, train)
}

// TrainLogits runs a training forward pass. With one branch x is [N,1,S,S]
// and the logits are [N,C]. With two, x holds the uniform batch (first
// half) and the reversed batch (second half); the result is BBN's mixed
// logits z = a*W1 f1 + (1-a)*W2 f2, [N/2, C].
func (m *Model) TrainLogits(x *torch.Tensor, alpha float64) *torch.Tensor {
	f := m.shared(x, true)
	if len(m.Branches) == 1 {
		return m.Branches[0].Logits(f, true)
	}
	n := f.Shape()[0] / 2
	l1 := m.Branches[0].Logits(f.MustNarrow(0, 0, n), true)
	l2 := m.Branches[1].Logits(f.MustNarrow(0, n, n), true)
	return l1.MustMulScalar(alpha).MustAdd(l2.MustMulScalar(1 - alpha))
}

// Logits runs inference (running batch-norm statistics): both branches see
// the same image and their logits are mixed with weight w for the
// conventional branch (BBN infers with w = 0.5).
func (m *Model) Logits(x *torch.Tensor, w float64) *torch.Tensor {
	f := m.shared(x, false)
	if len(m.Branches) == 1 {
		return m.Branches[0].Logits(f, false)
	}
	l1 := m.Branches[0].Logits(f, false)
	l2 := m.Branches[1].Logits(f, false)
	return l1.MustMulScalar(w).MustAdd(l2.MustMulScalar(1 - w))
}

// BranchLogits runs inference and returns each branch's logits (for
// choosing the inference weight on validation data).
func (m *Model) BranchLogits(x *torch.Tensor) []*torch.Tensor {
	f := m.shared(x, false)
	out := make([]*torch.Tensor, len(m.Branches))
	for i, b := range m.Branches {
		out[i] = b.Logits(f, false)
	}
	return out
}

// ConvBNs lists every convolution + batch-norm layer of the model.
func (m *Model) ConvBNs() []*nn.ConvBN {
	out := []*nn.ConvBN{m.Stem}
	seq := func(s nn.Sequential) {
		for _, l := range s {
			switch v := l.(type) {
			case *nn.ConvBN:
				out = append(out, v)
			case *Unit:
				for _, x := range append(append(nn.Sequential{}, v.Left...), v.Right...) {
					if c, ok := x.(*nn.ConvBN); ok {
						out = append(out, c)
					}
				}
			}
		}
	}
	seq(m.Stage2)
	seq(m.Stage3)
	for _, b := range m.Branches {
		seq(b.Stage4)
		if b.Conv5 != nil {
			out = append(out, b.Conv5)
		}
	}
	return out
}

// CalibrationLogits runs the layers in training mode (batch statistics,
// running statistics updated) with both branches on the same images, as at
// inference; it is used to re-estimate batch-norm statistics.
func (m *Model) CalibrationLogits(x *torch.Tensor) []*torch.Tensor {
	f := m.shared(x, true)
	out := make([]*torch.Tensor, len(m.Branches))
	for i, b := range m.Branches {
		out[i] = b.Logits(f, true)
	}
	return out
}
