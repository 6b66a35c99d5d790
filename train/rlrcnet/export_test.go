//go:build torch

package rlrcnet

import (
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/train/torch"
)

func testSpec() contract.Spec {
	return contract.Spec{Labels: contract.FER2013Labels, Channels: 1, Size: 48, Mean: []float32{0.5}, Std: []float32{0.25},
		Crop: contract.Crop{Scale: 1.2}, Arch: "rlrcnet", Dataset: "fer2013"}
}

// settledModel builds variant v's 7-class 48x48 model with seed and
// settles it (settle) with rng.
func settledModel(t *testing.T, v string, seed int64, rng *rand.Rand) (*Model, Config) {
	t.Helper()
	c, _, err := Variant(v, 7, 48)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	settle(t, m, rng)
	return m, c
}

// settle moves batch-norm running statistics, BN affine parameters and SA
// gates away from their trivial initial values, so folding and attention
// are really exercised.
func settle(t *testing.T, m *Model, rng *rand.Rand) {
	t.Helper()
	for _, v := range m.Vars() {
		if v.T.Numel() > 5000 {
			continue
		}
		vals, _ := v.T.Float32s()
		for i := range vals {
			switch {
			case v.Buffer:
			default:
				vals[i] += float32(rng.NormFloat64() * 0.1)
			}
		}
		nt := torch.MustFromFloat32(vals, v.T.Shape(), false)
		if err := v.T.CopyFrom(nt); err != nil {
			t.Fatal(err)
		}
		nt.Drop()
	}
	// calibrate running statistics on data (momentum 1: the last batch's)
	for _, c := range m.ConvBNs() {
		c.Momentum = 1
	}
	n := int64(32 * len(m.Branches))
	x := make([]float32, n*48*48)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	s := torch.NewScope()
	m.TrainLogits(torch.MustFromFloat32(x, []int64{n, 1, 48, 48}, false).In(s), 0.5)
	s.Drop()
	for _, c := range m.ConvBNs() {
		c.Momentum = 0.1
	}
}

// TestExportParity checks libtorch and ONNX Runtime agree to 1e-4 on the
// same batch, for every ablation row (BN folded, SA, shuffles, dual branch).
func TestExportParity(t *testing.T) {
	testenv.ORT(t)
	torch.SetNumThreads(2)
	for _, v := range Variants {
		t.Run(v, func(t *testing.T) {
			rng := rand.New(rand.NewSource(5))
			m, c := settledModel(t, v, 3, rng)
			weights := []float64{0.5}
			if c.Dual {
				// 1 and 0 leave the unused branch out of the graph
				weights = append(weights, 1, 0)
			}
			nodes := map[float64]int{}
			for _, w := range weights {
				nodes[w] = exportParity(t, v, m, w, rng)
			}
			if c.Dual && !(nodes[1] < nodes[0.5] && nodes[0] < nodes[0.5]) {
				t.Fatalf("graph nodes by branch weight %v: a branch of weight 0 should be left out", nodes)
			}
		})
	}
}

// exportParity exports m with branch weight w, runs a batch through ONNX
// Runtime and libtorch, fails on a difference above 1e-4 and returns the
// number of graph nodes.
func exportParity(t *testing.T, v string, m *Model, w float64, rng *rand.Rand) int {
	t.Helper()
	om, err := m.Export(w, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := onnx.WriteFile(path, om); err != nil {
		t.Fatal(err)
	}
	const n = 5
	x := make([]float32, n*48*48)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	var want []float32
	err = torch.NoGrad(func() (err error) {
		defer torch.Recover(&err)
		s := torch.NewScope()
		defer s.Drop()
		p := m.Logits(torch.MustFromFloat32(x, []int64{n, 1, 48, 48}, false).In(s), w).MustSoftmax(1)
		want, err = p.Float32s()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := ort.NewSession(path, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	in, err := ortgo.NewTensor(ortgo.NewShape(n, 1, 48, 48), x)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	outs := []ortgo.Value{nil}
	if err := sess.Run([]ortgo.Value{in}, outs); err != nil {
		t.Fatal(err)
	}
	defer outs[0].Destroy()
	got := outs[0].(*ortgo.Tensor[float32]).GetData()
	if len(got) != len(want) {
		t.Fatalf("ORT gave %d values, libtorch %d", len(got), len(want))
	}
	var maxd float64
	for i := range got {
		maxd = math.Max(maxd, math.Abs(float64(got[i]-want[i])))
	}
	var top float64
	for i := 0; i < n; i++ {
		for _, p := range want[i*7 : i*7+7] {
			top = math.Max(top, float64(p))
		}
	}
	t.Logf("%s w=%g: max |ORT - libtorch| = %.2e over %d probabilities (largest %.3f), %d nodes", v, w, maxd, len(got), top, len(om.Graph.Nodes))
	if top > 0.999 {
		t.Fatalf("probabilities saturate (%.4f): the comparison would be vacuous", top)
	}
	if maxd > 1e-4 {
		t.Fatalf("export drifts: max difference %.3g > 1e-4", maxd)
	}
	if got := om.MetaMap()[contract.KeyArch]; got != "rlrcnet" {
		t.Fatalf("metadata arch %q", got)
	}
	if _, err := contract.Parse(om.MetaMap()); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	return len(om.Graph.Nodes)
}
