//go:build torch

package torch

import (
	"math"
	"testing"
)

// grad returns the gradient of x after backward, or fails.
func grad(t *testing.T, s *Scope, x *Tensor) []float32 {
	t.Helper()
	g, err := x.Grad()
	if err != nil || g == nil {
		t.Fatalf("no gradient: %v", err)
	}
	return vals(t, g.In(s))
}

// weighted returns sum(y * w) for fixed weights w 1, 2, 3, ... so that the
// gradient of y reaches each input with a distinct weight.
func weighted(s *Scope, y *Tensor) (*Tensor, []float32) {
	n := y.Numel()
	w := make([]float32, n)
	for i := range w {
		w[i] = float32(i + 1)
	}
	wt := MustFromFloat32(w, y.Shape(), false).In(s)
	return y.MustMul(wt).MustSum(), w
}

func TestAdaptiveAvgPool2d(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	// 3x3 -> 2x2: bins [0,2) and [1,3) on both axes (overlapping)
	x := MustFromFloat32([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, []int64{1, 1, 3, 3}, true).In(s)
	y := x.MustAdaptiveAvgPool2d(2, 2)
	near(t, "pool", vals(t, y), []float32{3, 4, 6, 7}, 1e-6)
	l, w := weighted(s, y)
	if err := l.Backward(); err != nil {
		t.Fatal(err)
	}
	// input (r,c) gets w[bin]/4 from every bin containing it
	want := make([]float32, 9)
	for oi := 0; oi < 2; oi++ {
		for oj := 0; oj < 2; oj++ {
			for r := oi; r < oi+2; r++ {
				for c := oj; c < oj+2; c++ {
					want[r*3+c] += w[oi*2+oj] / 4
				}
			}
		}
	}
	near(t, "pool grad", grad(t, s, x), want, 1e-6)
	// 4x4 -> 2x2 is plain 2x2 average pooling
	x4 := MustFromFloat32([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, []int64{1, 1, 4, 4}, false).In(s)
	near(t, "pool 4->2", vals(t, x4.MustAdaptiveAvgPool2d(2, 2)), []float32{3.5, 5.5, 11.5, 13.5}, 1e-6)
}

func TestUpsampleBilinear2d(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	in := []float32{1, 2, 3, 4, 5, 6}
	x := MustFromFloat32(in, []int64{1, 1, 2, 3}, true).In(s)
	y := x.MustUpsampleBilinear2d(4, 5, false)
	if sh := y.Shape(); sh[2] != 4 || sh[3] != 5 {
		t.Fatalf("shape %v", sh)
	}
	// PyTorch's F.interpolate(x, size=(4, 5), mode="bilinear",
	// align_corners=False), worked by hand: output pixel o samples
	// (o+0.5)*in/out-0.5, clamped at 0. Rows 2->4 sample 0, .25, .75, 1.25
	// (clamped to row 1); columns 3->5 sample 0, .4, 1, 1.6, 2.2.
	mh := [][]float64{{1, 0}, {0.75, 0.25}, {0.25, 0.75}, {0, 1}}
	mw := [][]float64{{1, 0, 0}, {0.6, 0.4, 0}, {0, 1, 0}, {0, 0.4, 0.6}, {0, 0, 1}}
	near(t, "upsample", vals(t, y), []float32{
		1, 1.4, 2, 2.6, 3,
		1.75, 2.15, 2.75, 3.35, 3.75,
		3.25, 3.65, 4.25, 4.85, 5.25,
		4, 4.4, 5, 5.6, 6,
	}, 1e-5)
	l, w := weighted(s, y)
	if err := l.Backward(); err != nil {
		t.Fatal(err)
	}
	gw := make([]float32, 6)
	for oy := 0; oy < 4; oy++ {
		for ox := 0; ox < 5; ox++ {
			for iy := 0; iy < 2; iy++ {
				for ix := 0; ix < 3; ix++ {
					gw[iy*3+ix] += float32(mh[oy][iy] * mw[ox][ix] * float64(w[oy*5+ox]))
				}
			}
		}
	}
	near(t, "upsample grad", grad(t, s, x), gw, 1e-4)
}

func TestPReluAndSumDims(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	// [1,2,2,1]: channel 0 holds -2, 3; channel 1 holds -4, 1
	x := MustFromFloat32([]float32{-2, 3, -4, 1}, []int64{1, 2, 2, 1}, true).In(s)
	a := MustFromFloat32([]float32{0.25, 0.5}, []int64{2}, true).In(s)
	y := x.MustPRelu(a)
	near(t, "prelu", vals(t, y), []float32{-0.5, 3, -2, 1}, 1e-6)
	l, w := weighted(s, y)
	if err := l.Backward(); err != nil {
		t.Fatal(err)
	}
	near(t, "prelu dx", grad(t, s, x), []float32{0.25 * w[0], w[1], 0.5 * w[2], w[3]}, 1e-6)
	near(t, "prelu da", grad(t, s, a), []float32{-2 * w[0], -4 * w[2]}, 1e-6)

	m := MustFromFloat32([]float32{1, 2, 3, 4, 5, 6}, []int64{2, 3}, true).In(s)
	sd := m.MustSumDims([]int64{1}, true)
	if sh := sd.Shape(); len(sh) != 2 || sh[1] != 1 {
		t.Fatalf("keepdim shape %v", sh)
	}
	near(t, "sum dim 1", vals(t, sd), []float32{6, 15}, 0)
	near(t, "sum dim 0", vals(t, m.MustSumDims([]int64{0}, false)), []float32{5, 7, 9}, 0)
	l2, w2 := weighted(s, sd)
	if err := l2.Backward(); err != nil {
		t.Fatal(err)
	}
	near(t, "sum grad", grad(t, s, m), []float32{w2[0], w2[0], w2[0], w2[1], w2[1], w2[1]}, 0)
}

func TestSoftCrossEntropy(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	z := []float32{0.5, 1.2, -0.3, 2, 0.1, 0.4}
	q := []float32{0.2, 0.7, 0.1, 0, 0.5, 0.5}
	zt := MustFromFloat32(z, []int64{2, 3}, true).In(s)
	qt := MustFromFloat32(q, []int64{2, 3}, false).In(s)
	for _, eps := range []float64{0, 0.1} {
		l := zt.MustSoftCrossEntropy(qt, eps)
		got, err := l.Item()
		if err != nil {
			t.Fatal(err)
		}
		var want float64
		g := make([]float32, 6)
		for i := 0; i < 2; i++ {
			row := z[i*3 : i*3+3]
			var se float64
			for _, v := range row {
				se += math.Exp(float64(v))
			}
			for c := 0; c < 3; c++ {
				qc := (1-eps)*float64(q[i*3+c]) + eps/3
				want -= qc * (float64(row[c]) - math.Log(se)) / 2
				g[i*3+c] = float32((math.Exp(float64(row[c]))/se - qc) / 2)
			}
		}
		if math.Abs(got-want) > 1e-6 {
			t.Fatalf("smoothing %g: soft cross-entropy %g, want %g", eps, got, want)
		}
		if err := zt.ZeroGrad(); err != nil {
			t.Fatal(err)
		}
		if err := l.Backward(); err != nil {
			t.Fatal(err)
		}
		near(t, "soft CE grad", grad(t, s, zt), g, 1e-6)
	}
	// one-hot probabilities give the ordinary cross-entropy
	oh := MustFromFloat32([]float32{0, 1, 0, 1, 0, 0}, []int64{2, 3}, false).In(s)
	hard, _ := zt.MustCrossEntropy(MustFromInt64([]int64{1, 0}, []int64{2}).In(s), 0.1).Item()
	soft, _ := zt.MustSoftCrossEntropy(oh, 0.1).Item()
	if math.Abs(hard-soft) > 1e-6 {
		t.Fatalf("one-hot soft CE %g != CE %g", soft, hard)
	}
	if _, err := zt.SoftCrossEntropy(MustFromInt64([]int64{1, 0}, []int64{2}).In(s), 0); err == nil {
		t.Fatal("integer targets accepted as probabilities")
	}
}
