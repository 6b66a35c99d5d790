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

// TestBetaMishShape records what the formula as printed in the paper does:
// f(x) = x tanh(ln(1 + exp(7x / sqrt(35 + x^2)))). Its inner term saturates
// at +-7, so it is Mish-like near 0 (f'(0) = tanh(ln 2) = 0.6, a dip to
// about -0.265 near x = -1.05) and tends to x for large x, but unlike Mish
// (and Misra's beta-Mish x tanh(beta softplus(x))), which tend to 0 for
// x -> -inf, it keeps a small linear leak: f(x) ~ tanh(ln(1+e^-7)) x ~
// 9.1e-4 x, after a shallow local maximum near x = -10.
func TestBetaMishShape(t *testing.T) {
	f := func(x float64) float64 { return betaMish64(x, 7, 35) }
	h := 1e-6
	if d := (f(h) - f(-h)) / (2 * h); math.Abs(d-math.Tanh(math.Ln2)) > 1e-6 {
		t.Errorf("f'(0) = %g, want tanh(ln 2) = 0.6", d)
	}
	xmin, fmin := 0.0, 0.0
	for x := -5.0; x < 0; x += 1e-3 {
		if v := f(x); v < fmin {
			xmin, fmin = x, v
		}
	}
	if math.Abs(xmin+1.05) > 0.02 || math.Abs(fmin+0.265) > 0.002 {
		t.Errorf("minimum %g at %g, want about -0.265 at -1.05", fmin, xmin)
	}
	leak := (f(-1000) - f(-2000)) / 1000
	if want := math.Tanh(math.Log1p(math.Exp(-7))); math.Abs(leak-want) > 1e-6 {
		t.Errorf("slope for x -> -inf %g, want %g", leak, want)
	}
	if f(-10) < f(-5) || f(-10) < f(-30) {
		t.Errorf("expected a shallow local maximum near -10: f(-30)=%g f(-10)=%g f(-5)=%g", f(-30), f(-10), f(-5))
	}
	if d := math.Abs(f(30) - 30); d > 1e-3 {
		t.Errorf("f(30) = %g, want about 30", f(30))
	}
}
