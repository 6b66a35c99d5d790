//go:build torch

package lfnsb

import (
	"math/rand"
	"testing"

	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/nn/nntest"
	"github.com/ferlive/ferlive/train/torch"
)

// logits runs x [N,1,48,48] through m in inference or (train) with batch
// statistics.
func logits(t *testing.T, m *Model, x []float32, train bool) []float32 {
	t.Helper()
	var out []float32
	err := torch.NoGrad(func() (err error) {
		defer torch.Recover(&err)
		s := torch.NewScope()
		defer s.Drop()
		_, z := m.Forward(torch.MustFromFloat32(x, []int64{int64(len(x) / (48 * 48)), 1, 48, 48}, false).In(s), train)
		out = nn.Values(z)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportExported reads an exported LFNSB graph (folded batch norms,
// fused RepVGG block, folded embedding) back into a fresh model: same
// outputs, same weights when exported again, and after re-centring the
// batch norms, training-mode batch statistics give inference's outputs.
func TestImportExported(t *testing.T) {
	torch.SetNumThreads(2)
	src, err := New(Default(48, 8), 7)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(11))
	settle(t, src, rng)
	g, err := src.Export(testSpec(48))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Default(48, 8), 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Import(g, true); err != nil {
		t.Fatal(err)
	}
	again, err := m.Export(testSpec(48))
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.CompareInitializers(g, again, 1e-5); err != nil {
		t.Fatalf("re-export of the imported model: %v", err)
	}
	x := make([]float32, 32*48*48)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	want := logits(t, src, x, false)
	if d := maxDiff(want, logits(t, m, x, false)); d > 1e-4 {
		t.Fatalf("imported model's logits differ from the source's by %.3g", d)
	}
	nntest.CheckRecentre(t, m.Norms(), func(train bool) []float32 { return logits(t, m, x, train) }, want)

	// another configuration is refused
	c := Default(48, 8)
	c.SB = false
	other, err := New(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	err = other.Import(g, true)
	if err == nil {
		a, err2 := other.Export(testSpec(48))
		if err2 != nil {
			t.Fatal(err2)
		}
		err = nn.CompareInitializers(g, a, 1e-5)
	}
	if err == nil {
		t.Fatal("a graph with Spatial Bias imported into a model without it")
	}
	t.Logf("without Spatial Bias: %v", err)
}
