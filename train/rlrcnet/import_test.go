//go:build torch

package rlrcnet

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/nn/nntest"
	"github.com/ferlive/ferlive/train/torch"
)

// branchLogits runs x through m, in inference or (train, momentum 0 so the
// running statistics stay) with batch statistics, and returns every
// branch's logits concatenated.
func branchLogits(t *testing.T, m *Model, x []float32, train bool) []float32 {
	t.Helper()
	var out []float32
	err := torch.NoGrad(func() (err error) {
		defer torch.Recover(&err)
		s := torch.NewScope()
		defer s.Drop()
		xt := torch.MustFromFloat32(x, []int64{int64(len(x) / (48 * 48)), 1, 48, 48}, false).In(s)
		ls := m.BranchLogits(xt)
		if train {
			ls = m.CalibrationLogits(xt)
		}
		for _, l := range ls {
			out = append(out, nn.Values(l)...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportExported reads an exported graph back into a fresh model (as
// `ferlive train --init-from` does): the model computes what the graph
// computes, exporting it again gives the same weights, and after the
// batch norms are re-centred on a batch, training-mode batch statistics
// give the same outputs as inference, so fine-tuning starts from the
// exported model instead of a renormalised one.
func TestImportExported(t *testing.T) {
	torch.SetNumThreads(2)
	for _, v := range []string{"full", "shufflenet"} {
		t.Run(v, func(t *testing.T) {
			rng := rand.New(rand.NewSource(5))
			src, c := settledModel(t, v, 3, rng)
			g, err := src.Export(0.5, testSpec())
			if err != nil {
				t.Fatal(err)
			}
			m, err := New(c, 99)
			if err != nil {
				t.Fatal(err)
			}
			w, err := m.Import(g, 0.5, true)
			if err != nil {
				t.Fatal(err)
			}
			if w != 0.5 && len(m.Branches) == 2 {
				t.Fatalf("a two-branch graph re-exports at weight %g, want 0.5", w)
			}
			again, err := m.Export(w, testSpec())
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
			want := branchLogits(t, src, x, false)
			got := branchLogits(t, m, x, false)
			if d := nntest.MaxAbsDiff(want, got); d > 1e-4 {
				t.Fatalf("imported model's logits differ from the source's by %.3g", d)
			}
			var norms []*nn.Norm
			for _, b := range m.ConvBNs() {
				norms = append(norms, &b.Norm)
			}
			nntest.CheckRecentre(t, norms, func(train bool) []float32 { return branchLogits(t, m, x, train) }, want)
		})
	}
}

// TestImportKeepsOrRefuses checks a fresh classifier is left alone with
// head false, and that a graph of another variant is refused.
func TestImportKeepsOrRefuses(t *testing.T) {
	c, _, err := Variant("full", 7, 48)
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	g, err := src.Export(0.5, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(c, 4)
	if err != nil {
		t.Fatal(err)
	}
	fc := nn.Values(m.Branches[1].FC.W)
	if _, err := m.Import(g, 0.5, false); err != nil {
		t.Fatal(err)
	}
	if d := nntest.MaxAbsDiff(fc, nn.Values(m.Branches[1].FC.W)); d != 0 {
		t.Fatalf("head false: the classifier changed by %.3g", d)
	}
	again, err := m.Export(0.5, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.CompareInitializers(g, again, 1e-5, "fc_w", "fc_b"); err != nil {
		t.Fatalf("head false: the rest of the model: %v", err)
	}
	if err := nn.CompareInitializers(g, again, 1e-5); err == nil {
		t.Fatal("the fresh classifiers compare equal to the graph's")
	}
	c2, _, err := Variant("clipk5", 7, 48)
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(c2, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Import(g, 0.5, true)
	if err == nil {
		// what the import could not see, the comparison of the re-export does
		again2, err2 := other.Export(0.5, testSpec())
		if err2 != nil {
			t.Fatal(err2)
		}
		err = nn.CompareInitializers(g, again2, 1e-5)
	}
	if err == nil {
		t.Fatal("a full model's graph imported into a clipk5 model without error")
	}
	t.Logf("full graph into clipk5: %v", err)
}

// TestImportOneBranch reads the graph of a dual model exported with the
// re-balancing branch weighted 0 (the shipped model's --infer-weight 1):
// the graph holds one branch, both branches start from it, so the
// imported model computes the graph's logits at any weight, and training
// it goes on as a dual model. A two-branch graph cannot be read for
// inference with one branch alone.
func TestImportOneBranch(t *testing.T) {
	torch.SetNumThreads(2)
	rng := rand.New(rand.NewSource(6))
	src, c := settledModel(t, "full", 3, rng)
	g, err := src.Export(1, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	for _, head := range []bool{true, false} {
		m, err := New(c, 99)
		if err != nil {
			t.Fatal(err)
		}
		fc := nn.Values(m.Branches[1].FC.W)
		w, err := m.Import(g, 0.5, head)
		if err != nil {
			t.Fatalf("head %v: %v", head, err)
		}
		if w != 1 {
			t.Fatalf("a one-branch graph re-exports at weight %g, want 1", w)
		}
		again, err := m.Export(w, testSpec())
		if err != nil {
			t.Fatal(err)
		}
		var skip []string
		if !head {
			skip = []string{"fc_w", "fc_b"}
			if d := nntest.MaxAbsDiff(fc, nn.Values(m.Branches[1].FC.W)); d != 0 {
				t.Fatalf("head false: the classifier changed by %.3g", d)
			}
		}
		if err := nn.CompareInitializers(g, again, 1e-5, skip...); err != nil {
			t.Fatalf("head %v: re-export of the imported model: %v", head, err)
		}
		if !head {
			continue
		}
		x := make([]float32, 16*48*48)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		want := branchLogits(t, src, x, false)[:16*7] // the conventional branch
		got := branchLogits(t, m, x, false)
		if d := nntest.MaxAbsDiff(append(append([]float32{}, want...), want...), got); d > 1e-4 {
			t.Fatalf("both imported branches should compute the graph's branch: differ by %.3g", d)
		}
	}
	two, err := src.Export(0.5, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(c, 99)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Import(two, 1, true); err == nil || !strings.Contains(err.Error(), "summed") {
		t.Fatalf("a two-branch graph imported for inference with weight 1: %v", err)
	}
}
