//go:build torch

package faceres

import (
	"fmt"
	"math/rand"

	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

// Config is the expression model's shape.
type Config struct {
	Size     int     `json:"size"`     // input side
	Classes  int     `json:"classes"`  // classifier outputs
	Channels int     `json:"channels"` // 1 (gray faces: the RGB stem summed) or 3
	Depth    int     `json:"depth"`    // the last depthwise-separable block kept, 11 or 13
	Dropout  float64 `json:"dropout"`  // dropout before the classifier in training
}

// Default is the configuration used for FER: gray faces, all 13 blocks.
func Default(size, classes int) Config {
	return Config{Size: size, Classes: classes, Channels: 1, Depth: 13, Dropout: 0.2}
}

// String describes the configuration.
func (c Config) String() string {
	return fmt.Sprintf("size %d, %d classes, %d channel(s), blocks 1-%d, dropout %g", c.Size, c.Classes, c.Channels, c.Depth, c.Dropout)
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Size < 32 || c.Size > 448 {
		return fmt.Errorf("faceres: size %d: want 32 to 448", c.Size)
	}
	if c.Classes < 2 {
		return fmt.Errorf("faceres: %d classes: want at least 2", c.Classes)
	}
	if c.Channels != 1 && c.Channels != 3 {
		return fmt.Errorf("faceres: %d channels: want 1 or 3", c.Channels)
	}
	if c.Depth < 1 || c.Depth > 13 {
		return fmt.Errorf("faceres: depth %d: want 1 to 13 blocks", c.Depth)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		return fmt.Errorf("faceres: dropout %g: want 0 to 1", c.Dropout)
	}
	return nil
}

// blocks is MobileNet v1's table: the output width and stride of each
// depthwise-separable block (the depthwise convolution carries the stride).
var blocks = [13]struct{ C, S int64 }{
	{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
	{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
}

// Model is MobileNet v1 (the HSE FaceRes backbone) with a linear
// classifier on the globally pooled output of block Cfg.Depth. Every
// convolution pads as TensorFlow's "SAME" does, so the imported weights
// compute what they computed in TensorFlow.
type Model struct {
	Cfg    Config
	Layers nn.Sequential // conv1, then dw_i and pw_i for i = 1..Depth; each a ConvBN with ReLU6
	FC     *nn.Linear
	// Frozen is how many leading layers run as in inference (running
	// batch-norm statistics, no gradients); 0 trains all.
	Frozen int
	rng    *rand.Rand
}

// New builds a model with random weights drawn from seed.
func New(c Config, seed int64) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(seed))
	m := &Model{Cfg: c, rng: rng}
	side := int64(c.Size)
	conv := func(in, out, k, s, groups int64) {
		l := nn.NewConvBN(rng, in, out, k, s, groups, nn.ReLU6{})
		l.Pads = nn.SamePads(side, k, s)
		m.Layers = append(m.Layers, l)
		side = (side + s - 1) / s
	}
	conv(int64(c.Channels), 32, 3, 2, 1)
	in := int64(32)
	for _, b := range blocks[:c.Depth] {
		conv(in, in, 3, b.S, in)
		conv(in, b.C, 1, 1, 1)
		in = b.C
	}
	m.FC = nn.NewLinear(rng, in, int64(c.Classes))
	return m, nil
}

// Features is the width of the pooled features the classifier reads.
func (m *Model) Features() int64 { return m.FC.In }

// Vars lists every parameter and buffer with a stable name.
func (m *Model) Vars() []nn.Var {
	var out []nn.Var
	for _, v := range m.Layers.Vars() {
		v.Name = "layers." + v.Name
		out = append(out, v)
	}
	for _, v := range m.FC.Vars() {
		v.Name = "fc." + v.Name
		out = append(out, v)
	}
	return out
}

// TrainVars lists the parameters training updates: those of the layers
// after the frozen ones, and the classifier.
func (m *Model) TrainVars() []nn.Var {
	var out []nn.Var
	for i, l := range m.Layers {
		if i < m.Frozen {
			continue
		}
		for _, v := range l.Vars() {
			v.Name = fmt.Sprintf("layers.%d.%s", i, v.Name)
			out = append(out, v)
		}
	}
	for _, v := range m.FC.Vars() {
		v.Name = "fc." + v.Name
		out = append(out, v)
	}
	return out
}

// Freeze makes the first n layers run as in inference and stop
// requiring gradients, so no backward pass goes through them.
func (m *Model) Freeze(n int) error {
	if n < 0 || n > len(m.Layers) {
		return fmt.Errorf("faceres: freeze %d layers: the model has %d", n, len(m.Layers))
	}
	m.Frozen = n
	for i, l := range m.Layers {
		for _, v := range l.Vars() {
			if v.Buffer {
				continue
			}
			if err := v.T.SetRequiresGrad(i >= n); err != nil {
				return err
			}
		}
	}
	return nil
}

// NumParams counts the trainable parameters of the inference model.
func (m *Model) NumParams() int64 { return nn.NumParams(m.Vars()) }

// Norms returns every batch norm.
func (m *Model) Norms() []*nn.Norm { return nn.Norms(m.Layers...) }

// Pooled runs the convolutional layers on x [N,C,S,S] and returns the
// globally pooled features [N,Features]. Frozen layers always run as in
// inference.
func (m *Model) Pooled(x *torch.Tensor, train bool) *torch.Tensor {
	y := x
	for i, l := range m.Layers {
		y = l.Forward(y, train && i >= m.Frozen)
	}
	return y.MustMeanDims([]int64{2, 3}, false)
}

// Forward returns the logits [N,Classes]; in training, dropout applies
// to the pooled features.
func (m *Model) Forward(x *torch.Tensor, train bool) *torch.Tensor {
	f := m.Pooled(x, train)
	if train && m.Cfg.Dropout > 0 {
		sh := f.Shape()
		keep := 1 - m.Cfg.Dropout
		mask := make([]float32, sh[0]*sh[1])
		for i := range mask {
			if m.rng.Float64() < keep {
				mask[i] = float32(1 / keep)
			}
		}
		mt := torch.MustFromFloat32(mask, sh, false)
		defer mt.Drop() // the product keeps what autograd needs
		f = f.MustMul(mt)
	}
	return m.FC.Forward(f, train)
}

// Describe is a one-line description with the parameter count.
func (m *Model) Describe() string {
	return fmt.Sprintf("FaceRes MobileNet v1 %s; %d parameters", m.Cfg, m.NumParams())
}
