//go:build torch

// Package nntest holds checks the model packages' tests share.
package nntest

import (
	"math"
	"testing"

	"github.com/ferlive/ferlive/train/nn"
)

// MaxAbsDiff is the largest |a[i] - b[i]|.
func MaxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// CheckRecentre checks that re-centring a model's batch norms (norms) on
// one batch keeps its inference outputs at want and makes its
// training-mode outputs (batch statistics) equal them, where before they
// differed by far more. outputs runs the batch in inference, or with
// batch statistics when train (the momenta are set to 0 so the running
// statistics stay).
func CheckRecentre(t *testing.T, norms []*nn.Norm, outputs func(train bool) []float32, want []float32) {
	t.Helper()
	for _, b := range norms {
		b.Momentum = 0
	}
	before := MaxAbsDiff(want, outputs(true))
	if err := nn.Recentre(norms, func() error { outputs(false); return nil }); err != nil {
		t.Fatal(err)
	}
	eval := outputs(false)
	if d := MaxAbsDiff(want, eval); d > 1e-4 {
		t.Fatalf("re-centring changed inference by %.3g", d)
	}
	after := MaxAbsDiff(eval, outputs(true))
	t.Logf("|batch statistics - inference| outputs %.3g before re-centring, %.3g after", before, after)
	if after > 1e-3 || before < 100*after {
		t.Fatalf("training-mode outputs differ from inference by %.3g after re-centring (%.3g before)", after, before)
	}
}
