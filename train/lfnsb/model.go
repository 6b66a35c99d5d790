//go:build torch

package lfnsb

import (
	"fmt"
	"math/rand"

	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

// convAct is a Conv2d_BN followed by the configured activation.
func convAct(rng *rand.Rand, act string, in, out, k, stride, groups int64) nn.Sequential {
	if act == "relu" {
		return nn.Sequential{nn.NewConvBN(rng, in, out, k, stride, groups, nn.ReLU{})}
	}
	return nn.Sequential{nn.NewConvBN(rng, in, out, k, stride, groups, nil), nn.NewPReLU(out)}
}

// Bottleneck is MobileFaceNet's inverted residual: a 1x1 expansion
// (Conv2d_BN, activation), a MixConv depthwise convolution (activation), a
// linear 1x1 projection, and a residual connection when the stride is 1
// and the widths match.
type Bottleneck struct {
	Expand, DW nn.Sequential
	Project    *nn.ConvBN
	Residual   bool
}

func newBottleneck(rng *rand.Rand, c Config, in, out, t, stride int64) *Bottleneck {
	h := in * t
	dw := nn.Sequential{nn.NewMixConv(rng, h, c.Kernels, stride)}
	if c.Act == "relu" {
		dw = append(dw, activation{nn.ReLU{}})
	} else {
		dw = append(dw, nn.NewPReLU(h))
	}
	return &Bottleneck{
		Expand:   convAct(rng, c.Act, in, h, 1, 1, 1),
		DW:       dw,
		Project:  nn.NewConvBN(rng, h, out, 1, 1, 1, nil),
		Residual: stride == 1 && in == out,
	}
}

// activation makes a stateless activation a layer.
type activation struct{ a nn.Activation }

func (a activation) Forward(x *torch.Tensor, _ bool) *torch.Tensor { return a.a.Apply(x) }
func (a activation) Vars() []nn.Var                                { return nil }
func (a activation) Export(e *nn.Exporter, in string) string       { return a.a.Export(e, in) }

// Forward implements nn.Layer.
func (b *Bottleneck) Forward(x *torch.Tensor, train bool) *torch.Tensor {
	y := b.Project.Forward(b.DW.Forward(b.Expand.Forward(x, train), train), train)
	if b.Residual {
		y = y.MustAdd(x)
	}
	return y
}

// Vars implements nn.Layer.
func (b *Bottleneck) Vars() []nn.Var {
	return concatVars([]string{"expand", "dw", "project"}, b.Expand, b.DW, b.Project)
}

// Norms implements nn.BNLayer.
func (b *Bottleneck) Norms() []*nn.Norm { return nn.Norms(b.Expand, b.DW, b.Project) }

// Import implements nn.Importable.
func (b *Bottleneck) Import(im *nn.Importer) {
	b.Expand.Import(im)
	b.DW.Import(im)
	b.Project.Import(im)
}

// Export implements nn.Layer.
func (b *Bottleneck) Export(e *nn.Exporter, in string) string {
	y := b.Project.Export(e, b.DW.Export(e, b.Expand.Export(e, in)))
	if b.Residual {
		y = e.B.Op("Add", []string{y, in})
	}
	return y
}

func concatVars(names []string, ls ...nn.Layer) []nn.Var {
	var out []nn.Var
	for i, l := range ls {
		for _, v := range l.Vars() {
			v.Name = names[i] + "." + v.Name
			out = append(out, v)
		}
	}
	return out
}

// Model is LFNSB.
type Model struct {
	Cfg     Config
	Stem    nn.Sequential   // Conv2d_BN 3x3, stride 2
	DW      nn.Sequential   // depthwise Conv2d_BN 3x3
	Blocks  nn.Sequential   // bottlenecks
	Conv    nn.Sequential   // 1x1 Conv2d_BN to Cfg.Conv channels
	Rep     *nn.RepVGGDW    // nil when off
	SB      *nn.SpatialBias // nil when off
	GDC     *nn.ConvBN      // global depthwise convolution (kernel = final side), linear
	Emb     *nn.LinearBN    // embedding
	FC      *nn.Linear      // classifier
	Centres *torch.Tensor   // Cosine-Harmony class centres [Classes, Embedding]: trained and checkpointed, never exported
}

// New builds a model with weights drawn from seed.
func New(c Config, seed int64) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(seed))
	m := &Model{Cfg: c}
	m.Stem = convAct(rng, c.Act, 1, c.Stem, 3, c.StemStride, 1)
	m.DW = convAct(rng, c.Act, c.Stem, c.Stem, 3, 1, c.Stem)
	in := c.Stem
	for _, b := range c.Blocks {
		for i := 0; i < b.N; i++ {
			s := int64(1)
			if i == 0 {
				s = b.S
			}
			m.Blocks = append(m.Blocks, newBottleneck(rng, c, in, b.C, b.T, s))
			in = b.C
		}
	}
	m.Conv = convAct(rng, c.Act, in, c.Conv, 1, 1, 1)
	if c.Repvgg {
		m.Rep = nn.NewRepVGGDW(rng, c.Conv)
	}
	side := c.FinalSide()
	ch := c.Conv
	if c.SB {
		m.SB = nn.NewSpatialBias(rng, nn.Shape{C: c.Conv, H: side, W: side}, c.SBReduced, c.SBPool)
		ch += m.SB.OutChannels()
	}
	m.GDC = nn.NewConvBN(rng, ch, ch, side, 1, ch, nil)
	m.GDC.Pad = 0
	m.Emb = nn.NewLinearBN(rng, ch, c.Embedding)
	m.FC = nn.NewLinear(rng, c.Embedding, int64(c.Classes))
	cen := make([]float32, int64(c.Classes)*c.Embedding)
	for i := range cen {
		cen[i] = float32(rng.NormFloat64())
	}
	m.Centres = torch.MustFromFloat32(cen, []int64{int64(c.Classes), c.Embedding}, true)
	return m, nil
}

// layers lists the inference layers in order with their names.
func (m *Model) layers() ([]string, []nn.Layer) {
	names := []string{"stem", "dw", "blocks", "conv"}
	ls := []nn.Layer{m.Stem, m.DW, m.Blocks, m.Conv}
	if m.Rep != nil {
		names, ls = append(names, "repvggdw"), append(ls, m.Rep)
	}
	if m.SB != nil {
		names, ls = append(names, "sb"), append(ls, m.SB)
	}
	return append(names, "gdc", "emb", "fc"), append(ls, m.GDC, m.Emb, m.FC)
}

// CentresName is the checkpoint name of the Cosine-Harmony centres.
const CentresName = "ch.centres"

// Vars lists every parameter and buffer with a stable name, the
// Cosine-Harmony centres last.
func (m *Model) Vars() []nn.Var {
	names, ls := m.layers()
	return append(concatVars(names, ls...), nn.Var{Name: CentresName, T: m.Centres})
}

// NumParams counts the trainable parameters of the inference model
// (buffers and the Cosine-Harmony centres excluded).
func (m *Model) NumParams() int64 {
	var n int64
	for _, v := range m.Vars() {
		if !v.Buffer && v.Name != CentresName {
			n += v.T.Numel()
		}
	}
	return n
}

// Norms returns every batch norm.
func (m *Model) Norms() []*nn.Norm {
	_, ls := m.layers()
	return nn.Norms(ls...)
}

// Forward runs the model (train: batch statistics, running statistics
// updated) on x [N,1,S,S] and returns the embedding [N,Embedding] and the
// logits [N,Classes].
func (m *Model) Forward(x *torch.Tensor, train bool) (emb, logits *torch.Tensor) {
	y := m.Stem.Forward(x, train)
	y = m.DW.Forward(y, train)
	y = m.Blocks.Forward(y, train)
	y = m.Conv.Forward(y, train)
	if m.Rep != nil {
		y = m.Rep.Forward(y, train)
	}
	if m.SB != nil {
		y = m.SB.Forward(y, train)
	}
	y = m.GDC.Forward(y, train)
	y = y.MustReshape(y.Shape()[0], m.GDC.Out)
	emb = m.Emb.Forward(y, train)
	return emb, m.FC.Forward(emb, train)
}

// Logits runs inference (running batch-norm statistics).
func (m *Model) Logits(x *torch.Tensor) *torch.Tensor {
	_, z := m.Forward(x, false)
	return z
}

// Describe is a one-line description with the parameter count.
func (m *Model) Describe() string {
	return fmt.Sprintf("LFNSB %s; %d parameters", m.Cfg, m.NumParams())
}

// SetCentres sets the Cosine-Harmony centres (one row per class); a nil
// row keeps its centre.
func (m *Model) SetCentres(rows [][]float32) (err error) {
	defer torch.Recover(&err)
	k, d := int64(m.Cfg.Classes), m.Cfg.Embedding
	if int64(len(rows)) != k {
		return fmt.Errorf("%d centres for %d classes", len(rows), k)
	}
	c := nn.Values(m.Centres)
	for i, r := range rows {
		if r == nil {
			continue
		}
		if int64(len(r)) != d {
			return fmt.Errorf("centre %d has %d values, the embedding %d", i, len(r), d)
		}
		copy(c[int64(i)*d:], r)
	}
	src := torch.MustFromFloat32(c, []int64{k, d}, false)
	defer src.Drop()
	return m.Centres.CopyFrom(src)
}
