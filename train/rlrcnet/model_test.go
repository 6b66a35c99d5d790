//go:build torch

package rlrcnet

import (
	"math"
	"math/rand"
	"testing"

	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

// TestParamsAndBBNMix checks the parameter budget of every ablation row and
// that the dual model's training logits are BBN's a*W1 f1 + (1-a)*W2 f2
// with f1 from the uniform half and f2 from the reversed half.
func TestParamsAndBBNMix(t *testing.T) {
	for _, v := range Variants {
		c, _, _ := Variant(v, 7, 48)
		m, err := New(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		n := m.NumParams()
		t.Logf("%s: %d parameters", v, n)
		if v == "full" && (n > 1100000 || n < 950000) {
			t.Errorf("RLR-CNet has %d parameters, want about 1.02 M (<= 1.1 M)", n)
		}
	}
	c, _, _ := Variant("full", 7, 48)
	m, _ := New(c, 2)
	x := make([]float32, 8*48*48)
	rng := rand.New(rand.NewSource(1))
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	err := torch.NoGrad(func() (err error) {
		defer torch.Recover(&err)
		s := torch.NewScope()
		defer s.Drop()
		xt := torch.MustFromFloat32(x, []int64{8, 1, 48, 48}, false).In(s)
		for _, a := range []float64{1, 0.3} {
			z := nn.Values(m.TrainLogits(xt, a))
			f := m.shared(xt, true)
			l1 := nn.Values(m.Branches[0].Logits(f.MustNarrow(0, 0, 4), true))
			l2 := nn.Values(m.Branches[1].Logits(f.MustNarrow(0, 4, 4), true))
			for i := range z {
				want := a*float64(l1[i]) + (1-a)*float64(l2[i])
				if math.Abs(float64(z[i])-want) > 1e-4 {
					t.Fatalf("a=%g: z[%d] = %g, want %g", a, i, z[i], want)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
