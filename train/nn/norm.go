//go:build torch

package nn

import (
	"fmt"
	"math"

	"github.com/ferlive/ferlive/train/torch"
)

// Norm is a batch norm over the channels (axis 1) of [N,C] or [N,C,H,W]
// inputs: its affine parameters, running statistics and momentum. ConvBN
// and BatchNorm hold one.
type Norm struct {
	Gamma, Beta, RunMean, RunVar *torch.Tensor
	Eps, Momentum                float64
	probe                        *moments // set while Recentre's statistics are gathered
}

// moments accumulates per-channel first and second moments.
type moments struct {
	sum, sq []float64
	n       float64
}

func newNorm(c int64) Norm {
	return Norm{Gamma: param(fill(c, 1), c), Beta: param(fill(c, 0), c),
		RunMean: buffer(fill(c, 0), c), RunVar: buffer(fill(c, 1), c), Eps: 1e-5, Momentum: 0.1}
}

// Forward normalises z: with batch statistics (updating the running ones)
// when train, else with the running statistics. In inference, while a
// probe is set (Probe), the statistics of z are recorded.
func (b *Norm) Forward(z *torch.Tensor, train bool) *torch.Tensor {
	if !train && b.probe != nil {
		b.probe.add(z)
	}
	return z.MustBatchNorm(b.Gamma, b.Beta, b.RunMean, b.RunVar, train, b.Momentum, b.Eps)
}

func (p *moments) add(z *torch.Tensor) {
	dims := []int64{0}
	if len(z.Shape()) == 4 {
		dims = []int64{0, 2, 3}
	}
	c := z.Shape()[1]
	m := Values(z.MustMeanDims(dims, false))
	q := Values(z.MustMul(z).MustMeanDims(dims, false))
	w := float64(z.Numel() / c)
	if p.sum == nil {
		p.sum, p.sq = make([]float64, c), make([]float64, c)
	}
	for i := range m {
		p.sum[i] += w * float64(m[i])
		p.sq[i] += w * float64(q[i])
	}
	p.n += w
}

// Vars lists the parameters and running statistics.
func (b *Norm) Vars() []Var {
	return []Var{{Name: "gamma", T: b.Gamma}, {Name: "beta", T: b.Beta},
		{Name: "mean", T: b.RunMean, Buffer: true}, {Name: "var", T: b.RunVar, Buffer: true}}
}

// Affine returns the inference-time batch norm as y = s*z + t per channel.
func (b *Norm) Affine() (s, t []float64) {
	g, be, m, v := Values(b.Gamma), Values(b.Beta), Values(b.RunMean), Values(b.RunVar)
	s, t = make([]float64, len(g)), make([]float64, len(g))
	for c := range s {
		s[c] = float64(g[c]) / math.Sqrt(float64(v[c])+b.Eps)
		t[c] = float64(be[c]) - float64(m[c])*s[c]
	}
	return s, t
}

// SetAffine makes the inference-time batch norm y = s*z + t per channel
// (running mean 0 and variance 1-eps, so gamma = s and beta = t). Training
// from there would normalise by batch statistics the weights never saw;
// Probe and Recentre fix that.
func (b *Norm) SetAffine(s, t []float32) {
	c := int(b.Gamma.Numel())
	if len(s) != c || len(t) != c {
		panic(fmt.Errorf("batch norm of %d channels given %d scales and %d shifts", c, len(s), len(t)))
	}
	set(b.Gamma, s)
	set(b.Beta, t)
	set(b.RunMean, make([]float32, c))
	set(b.RunVar, fill(int64(c), float32(1-b.Eps)))
}

// Probe starts recording the statistics of the norm's input in inference
// passes, for Recentre.
func (b *Norm) Probe() { b.probe = &moments{} }

// Recentre moves the running statistics to the mean and variance its input
// had in the inference passes since Probe, and changes gamma and beta so
// that inference computes the same function as before: with y = s*z + t,
// mean m and variance v, gamma = s*sqrt(v+eps) and beta = t + s*m. Batch
// statistics in training then match the running ones, so training starts
// from the function inference computes instead of renormalising every
// layer. It fails when no input was seen since Probe.
func (b *Norm) Recentre() error {
	p := b.probe
	b.probe = nil
	if p == nil || p.n == 0 {
		return fmt.Errorf("batch norm re-centring: no inputs were seen")
	}
	s, t := b.Affine()
	c := len(s)
	g, be, m, v := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
	for i := range s {
		mean := p.sum[i] / p.n
		vr := math.Max(p.sq[i]/p.n-mean*mean, 0)
		g[i] = float32(s[i] * math.Sqrt(vr+b.Eps))
		be[i] = float32(t[i] + s[i]*mean)
		m[i], v[i] = float32(mean), float32(vr)
	}
	set(b.Gamma, g)
	set(b.Beta, be)
	set(b.RunMean, m)
	set(b.RunVar, v)
	return nil
}

// Recentre re-centres norms (Norm.Recentre) on the statistics their
// inputs have in the inference passes pass runs.
func Recentre(norms []*Norm, pass func() error) error {
	for _, b := range norms {
		b.Probe()
	}
	err := pass()
	for i, b := range norms {
		if err != nil {
			b.probe = nil
			continue
		}
		if err = b.Recentre(); err != nil {
			err = fmt.Errorf("batch norm %d: %w", i, err)
		}
	}
	return err
}

// set copies data into t in place, panicking on error.
func set(t *torch.Tensor, data []float32) {
	src := torch.MustFromFloat32(data, t.Shape(), false)
	defer src.Drop()
	if err := t.CopyFrom(src); err != nil {
		panic(err)
	}
}

// SetWeights sets a ConvBN's kernel w (its own layout) and its inference
// batch norm y = s*z + t per channel (Norm.SetAffine), panicking on a size
// mismatch: how weights read from another framework enter a layer.
func SetWeights(c *ConvBN, w, s, t []float32) {
	if int64(len(w)) != c.W.Numel() {
		panic(fmt.Errorf("convolution of %d weights given %d", c.W.Numel(), len(w)))
	}
	set(c.W, w)
	c.Norm.SetAffine(s, t)
}
