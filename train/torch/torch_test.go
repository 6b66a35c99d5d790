//go:build torch

package torch

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func near(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("%s[%d] = %g, want %g (all: %v)", what, i, got[i], want[i], got)
		}
	}
}

func vals(t *testing.T, x *Tensor) []float32 {
	t.Helper()
	v, err := x.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestElementwiseAndShapes(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	a := MustFromFloat32([]float32{1, 2, 3, 4, 5, 6}, []int64{2, 3}, false).In(s)
	b := MustFromFloat32([]float32{10, 20, 30}, []int64{3}, false).In(s)
	near(t, "add", vals(t, a.MustAdd(b)), []float32{11, 22, 33, 14, 25, 36}, 0)
	near(t, "mul", vals(t, a.MustMul(b)), []float32{10, 40, 90, 40, 100, 180}, 0)
	near(t, "div", vals(t, b.MustDiv(b)), []float32{1, 1, 1}, 0)
	near(t, "sub", vals(t, a.MustSub(a)), make([]float32, 6), 0)
	near(t, "scalar", vals(t, a.MustMulScalar(2).MustAddScalar(1)), []float32{3, 5, 7, 9, 11, 13}, 0)
	near(t, "sqrt", vals(t, MustFromFloat32([]float32{4, 9}, []int64{2}, false).In(s).MustSqrt()), []float32{2, 3}, 1e-7)
	x := MustFromFloat32([]float32{-2, 0, 3}, []int64{3}, false).In(s)
	near(t, "relu", vals(t, x.MustRelu()), []float32{0, 0, 3}, 0)
	near(t, "sigmoid", vals(t, x.MustSigmoid()), []float32{float32(1 / (1 + math.Exp(2))), 0.5, float32(1 / (1 + math.Exp(-3)))}, 1e-6)
	near(t, "softplus", vals(t, x.MustSoftplus()), []float32{float32(math.Log1p(math.Exp(-2))), float32(math.Log(2)), float32(math.Log1p(math.Exp(3)))}, 1e-6)
	near(t, "tanh", vals(t, x.MustTanh()), []float32{float32(math.Tanh(-2)), 0, float32(math.Tanh(3))}, 1e-6)
	tr := a.MustTranspose(0, 1)
	if sh := tr.Shape(); sh[0] != 3 || sh[1] != 2 {
		t.Fatalf("transpose shape %v", sh)
	}
	near(t, "transpose", vals(t, tr), []float32{1, 4, 2, 5, 3, 6}, 0)
	near(t, "reshape", vals(t, tr.MustReshape(6)), []float32{1, 4, 2, 5, 3, 6}, 0)
	near(t, "narrow", vals(t, a.MustNarrow(1, 1, 2)), []float32{2, 3, 5, 6}, 0)
	near(t, "cat", vals(t, MustCat([]*Tensor{a.MustNarrow(1, 0, 1), a.MustNarrow(1, 2, 1)}, 1)), []float32{1, 3, 4, 6}, 0)
	near(t, "mean", vals(t, a.MustMeanDims([]int64{1}, false)), []float32{2, 5}, 1e-6)
	am, _ := a.Argmax(1)
	if v, _ := am.Int64s(); v[0] != 2 || v[1] != 2 {
		t.Fatalf("argmax %v", v)
	}
	if n := s.Len(); n < 20 {
		t.Fatalf("scope holds %d tensors: results must join their input's scope", n)
	}
}

func TestConv2d(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	// 1x1x3x3 input 1..9, 2x2 kernel [[1,0],[0,-1]], stride 1, no pad
	x := MustFromFloat32([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, []int64{1, 1, 3, 3}, false).In(s)
	w := MustFromFloat32([]float32{1, 0, 0, -1}, []int64{1, 1, 2, 2}, true).In(s)
	b := MustFromFloat32([]float32{0.5}, []int64{1}, false).In(s)
	y := x.MustConv2d(w, b, 1, 0, 1)
	near(t, "conv", vals(t, y), []float32{-3.5, -3.5, -3.5, -3.5}, 1e-6)
	// gradient of sum(y) wrt w: sum of the input windows
	sum, _ := y.Sum()
	if err := sum.In(s).Backward(); err != nil {
		t.Fatal(err)
	}
	g, _ := w.Grad()
	near(t, "conv grad", vals(t, g.In(s)), []float32{1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9}, 1e-5)
	// depthwise, stride 2, padding 1
	x2 := MustFromFloat32([]float32{1, 2, 3, 4, 10, 20, 30, 40}, []int64{1, 2, 2, 2}, false).In(s)
	w2 := MustFromFloat32([]float32{0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0}, []int64{2, 1, 3, 3}, false).In(s)
	near(t, "depthwise", vals(t, x2.MustConv2d(w2, nil, 2, 1, 2)), []float32{1, 20}, 1e-6)
}

func TestLinearCrossEntropyGradients(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	x := MustFromFloat32([]float32{1, 2, 3, 4}, []int64{2, 2}, false).In(s)
	w := MustFromFloat32([]float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, []int64{3, 2}, true).In(s)
	b := MustFromFloat32([]float32{0, 0.1, -0.1}, []int64{3}, true).In(s)
	z := x.MustLinear(w, b)
	zv := vals(t, z)
	near(t, "linear", zv, []float32{0.5, 1.2, 1.6, 1.1, 2.6, 3.8}, 1e-6)
	y := MustFromInt64([]int64{2, 0}, []int64{2}).In(s)
	loss := z.MustCrossEntropy(y, 0)
	lv, _ := loss.Item()
	// reference: mean of -log softmax(z)[y]
	ref := 0.0
	grad := make([]float32, 6)
	for i, yi := range []int{2, 0} {
		row := zv[i*3 : i*3+3]
		var se float64
		for _, v := range row {
			se += math.Exp(float64(v))
		}
		ref += (math.Log(se) - float64(row[yi])) / 2
		for c := 0; c < 3; c++ {
			p := math.Exp(float64(row[c])) / se
			if c == yi {
				p--
			}
			grad[i*3+c] = float32(p / 2)
		}
	}
	if math.Abs(lv-ref) > 1e-6 {
		t.Fatalf("cross-entropy %g, want %g", lv, ref)
	}
	if err := loss.Backward(); err != nil {
		t.Fatal(err)
	}
	gb, _ := b.Grad()
	near(t, "dL/db", vals(t, gb.In(s)), []float32{grad[0] + grad[3], grad[1] + grad[4], grad[2] + grad[5]}, 1e-6)
	gw, _ := w.Grad()
	want := make([]float32, 6)
	xs := []float32{1, 2, 3, 4}
	for c := 0; c < 3; c++ {
		for k := 0; k < 2; k++ {
			want[c*2+k] = grad[c]*xs[k] + grad[3+c]*xs[2+k]
		}
	}
	near(t, "dL/dW", vals(t, gw.In(s)), want, 1e-6)
	// label smoothing: (1-e)*CE + e*mean(-log p)
	ls, _ := z.MustCrossEntropy(y, 0.1).Item()
	var uni float64
	for i := 0; i < 2; i++ {
		row := zv[i*3 : i*3+3]
		var se float64
		for _, v := range row {
			se += math.Exp(float64(v))
		}
		for _, v := range row {
			uni += (math.Log(se) - float64(v)) / 3 / 2
		}
	}
	if want := 0.9*ref + 0.1*uni; math.Abs(ls-want) > 1e-6 {
		t.Fatalf("smoothed cross-entropy %g, want %g", ls, want)
	}
}

func TestBatchNormAndGroupNorm(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	x := MustFromFloat32([]float32{1, 3, 5, 7, 2, 2, 2, 10}, []int64{2, 2, 2, 1}, false).In(s)
	w := MustFromFloat32([]float32{1, 1}, []int64{2}, true).In(s)
	b := MustFromFloat32([]float32{0, 0}, []int64{2}, true).In(s)
	rm := MustFromFloat32([]float32{0, 0}, []int64{2}, false).In(s)
	rv := MustFromFloat32([]float32{1, 1}, []int64{2}, false).In(s)
	y := x.MustBatchNorm(w, b, rm, rv, true, 0.1, 0)
	// channel 0 values 1,3,2,2: mean 2, biased var 0.5; channel 1: 5,7,2,10 mean 6 var 8.5
	c0 := float32(1 / math.Sqrt(0.5))
	c1 := float32(1 / math.Sqrt(8.5))
	near(t, "bn train", vals(t, y), []float32{-c0, c0, -c1, c1, 0, 0, -4 * c1, 4 * c1}, 1e-5)
	// running stats: momentum 0.1, unbiased variance
	near(t, "running mean", vals(t, rm), []float32{0.2, 0.6}, 1e-6)
	near(t, "running var", vals(t, rv), []float32{0.9 + 0.1*0.5*4/3, 0.9 + 0.1*8.5*4/3}, 1e-5)
	ye := x.MustBatchNorm(w, b, rm, rv, false, 0.1, 0)
	want := make([]float32, 8)
	xs := []float32{1, 3, 5, 7, 2, 2, 2, 10}
	rmv, rvv := vals(t, rm), vals(t, rv)
	for i := range xs {
		c := (i / 2) % 2
		want[i] = (xs[i] - rmv[c]) / float32(math.Sqrt(float64(rvv[c])))
	}
	near(t, "bn eval", vals(t, ye), want, 1e-5)
	g := x.MustGroupNorm(2, nil, nil, 0)
	near(t, "group norm (per channel)", vals(t, g), []float32{-1, 1, -1, 1, 0, 0, -1, 1}, 1e-5)
}

func TestSGDAndAdamW(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	p := MustFromFloat32([]float32{1, -2}, []int64{2}, true).In(s)
	opt, err := NewSGD([]Param{{Tensor: p, WeightDecay: 0.1}}, 0.9, false)
	if err != nil {
		t.Fatal(err)
	}
	defer opt.Close()
	// loss = sum(3p): grad 3; with wd: g = 3 + 0.1 p
	step := func() {
		l := p.MustMulScalar(3)
		sum, _ := l.Sum()
		opt.ZeroGrad()
		if err := sum.In(s).Backward(); err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(0.5); err != nil {
			t.Fatal(err)
		}
	}
	step()
	// buf = 3 + 0.1 p = 3.1, -> p = 1 - 0.5*3.1 = -0.55 ; -2: buf 2.8 -> -3.4
	near(t, "sgd 1", vals(t, p), []float32{-0.55, -3.4}, 1e-6)
	step()
	// g = 3 - 0.055 = 2.945 ; buf = 0.9*3.1 + 2.945 = 5.735 ; p = -0.55 - 2.8675
	near(t, "sgd 2", vals(t, p), []float32{-0.55 - 0.5*5.735, -3.4 - 0.5*(0.9*2.8+3-0.34)}, 1e-5)
	st := opt.State()
	near(t, "momentum buffer", vals(t, st[0].Tensor), []float32{5.735, 0.9*2.8 + 3 - 0.34}, 1e-5)
	st[0].Tensor.Drop()

	q := MustFromFloat32([]float32{1}, []int64{1}, true).In(s)
	ad, err := NewAdamW([]Param{{Tensor: q, WeightDecay: 0.01}}, 0.9, 0.999, 1e-8)
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	l := q.MustMulScalar(2)
	sum, _ := l.Sum()
	sum.In(s).Backward()
	ad.Step(0.1)
	// first AdamW step moves by lr*sign(g) after decoupled decay
	near(t, "adamw", vals(t, q), []float32{1*(1-0.1*0.01) - 0.1}, 1e-5)
}

func TestSaveLoadAndErrors(t *testing.T) {
	s := NewScope()
	defer s.Drop()
	a := MustFromFloat32([]float32{1, 2, 3}, []int64{3}, true).In(s)
	b := MustFromFloat32([]float32{4}, []int64{1, 1}, false).In(s)
	path := filepath.Join(t.TempDir(), "ck.pt")
	if err := Save(path, []Named{{"layer.w", a}, {"layer.bn.mean", b}}); err != nil {
		t.Fatal(err)
	}
	keys, err := Keys(path)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	a2 := MustFromFloat32([]float32{0, 0, 0}, []int64{3}, true).In(s)
	b2 := MustFromFloat32([]float32{0}, []int64{1, 1}, false).In(s)
	if err := Load(path, []Named{{"layer.w", a2}, {"layer.bn.mean", b2}}); err != nil {
		t.Fatal(err)
	}
	near(t, "loaded", append(vals(t, a2), vals(t, b2)...), []float32{1, 2, 3, 4}, 0)
	bad := MustFromFloat32([]float32{0, 0}, []int64{2}, false).In(s)
	if err := Load(path, []Named{{"layer.w", bad}}); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("loading into a wrong shape: %v, want a shape error", err)
	}
	if err := Load(path, []Named{{"missing", bad}}); err == nil {
		t.Fatal("loading a missing name succeeded")
	}
	// a C++ exception becomes a Go error
	x := MustFromFloat32(make([]float32, 9), []int64{1, 1, 3, 3}, false).In(s)
	w := MustFromFloat32(make([]float32, 8), []int64{1, 2, 2, 2}, false).In(s)
	if _, err := x.Conv2d(w, nil, 1, 0, 1); err == nil || !strings.HasPrefix(err.Error(), "libtorch:") {
		t.Fatalf("conv with mismatched channels: %v, want a libtorch error", err)
	}
	func() {
		var err error
		defer func() {
			if err == nil {
				t.Fatal("Recover did not turn the panic into an error")
			}
		}()
		defer Recover(&err)
		x.MustConv2d(w, nil, 1, 0, 1)
	}()
}

func TestNoGradAndThreads(t *testing.T) {
	SetNumThreads(2)
	if n := NumThreads(); n != 2 {
		t.Fatalf("NumThreads = %d after SetNumThreads(2)", n)
	}
	s := NewScope()
	defer s.Drop()
	w := MustFromFloat32([]float32{1, 2}, []int64{2}, true).In(s)
	var y *Tensor
	NoGrad(func() error {
		y = w.MustMulScalar(2)
		return nil
	})
	if y.RequiresGrad() {
		t.Fatal("a result computed under NoGrad requires grad")
	}
	if !w.MustMulScalar(2).RequiresGrad() {
		t.Fatal("grad mode was not restored")
	}
}
