//go:build torch

package nn

import (
	"math"
	"testing"

	"github.com/ferlive/ferlive/train/torch"
)

// betaMish64 is the printed formula in float64.
func betaMish64(x, a, b float64) float64 {
	return x * math.Tanh(math.Log1p(math.Exp(a*x/math.Sqrt(b+x*x))))
}

func grid() []float32 {
	var xs []float32
	for x := -30.0; x <= 30; x += 0.25 {
		xs = append(xs, float32(x))
	}
	return xs
}

// TestBetaMishKernel checks the fused kernel's values and gradients against
// the float64 formula, a central finite difference and libtorch autograd of
// the composite expression.
func TestBetaMishKernel(t *testing.T) {
	m := BetaMish{A: 7, B: 35}
	xs := grid()
	grads := make([][]float32, 2)
	vals := make([][]float32, 2)
	for k, f := range []func(*torch.Tensor) *torch.Tensor{m.Apply, m.ApplyComposite} {
		err := func() (err error) {
			defer torch.Recover(&err)
			s := torch.NewScope()
			defer s.Drop()
			x := torch.MustFromFloat32(xs, []int64{int64(len(xs))}, true).In(s)
			y := f(x)
			vals[k] = Values(y)
			if err := must(y.Sum()).Backward(); err != nil {
				return err
			}
			g, err := x.Grad()
			if err != nil {
				return err
			}
			grads[k] = Values(g)
			return nil
		}()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, x := range xs {
		want := betaMish64(float64(x), 7, 35)
		h := 1e-4
		dwant := (betaMish64(float64(x)+h, 7, 35) - betaMish64(float64(x)-h, 7, 35)) / (2 * h)
		for k, name := range []string{"fused", "composite"} {
			if d := math.Abs(float64(vals[k][i]) - want); d > 1e-5*math.Max(1, math.Abs(want)) {
				t.Fatalf("%s f(%g) = %g, want %g", name, x, vals[k][i], want)
			}
			if d := math.Abs(float64(grads[k][i]) - dwant); d > 1e-4*math.Max(1, math.Abs(dwant)) {
				t.Fatalf("%s f'(%g) = %g, want %g (finite difference)", name, x, grads[k][i], dwant)
			}
		}
	}
}

func must(t *torch.Tensor, err error) *torch.Tensor {
	if err != nil {
		panic(err)
	}
	return t
}
