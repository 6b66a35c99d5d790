//go:build torch

package train

import "testing"

// TestEpochTimesLeaveOutBudgetCuts: the epochs a time budget ended early (the
// last, and the last before a resume that extended the budget) do not count
// towards the time per epoch; a short epoch elsewhere does.
func TestEpochTimesLeaveOutBudgetCuts(t *testing.T) {
	sec := []float64{300, 310, 60, 320, 200, 330, 90}
	ms := make([]EpochMetrics, len(sec))
	for i, s := range sec {
		ms[i] = EpochMetrics{Epoch: i + 1, EpochSec: s}
	}
	// resumed after the cut epoch 3 (budget extended) and at epoch 5 step 40 (SIGINT)
	s, partial := epochTimes(ms, []Resume{{Epoch: 3}, {Epoch: 4, Step: 40}})
	if !partial || s.min != 200 || s.max != 330 || s.mean != (300+310+320+200+330)/5.0 {
		t.Fatalf("epochTimes = %+v, partial %v; want epochs 3 and 7 left out (mean 292, 200 to 330), last one partial", s, partial)
	}
	s, partial = epochTimes(ms[:2], nil)
	if partial || s.mean != 305 {
		t.Fatalf("two full epochs: %+v, partial %v", s, partial)
	}
}
