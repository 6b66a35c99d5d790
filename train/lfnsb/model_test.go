//go:build torch

package lfnsb

import (
	"math"
	"strings"
	"testing"
)

// TestParamsAndSizes checks the default widths give about the paper's
// 2.68 M parameters at 112x112, that smaller inputs build, and that bad
// configurations are refused.
func TestParamsAndSizes(t *testing.T) {
	for _, size := range []int{112, 64, 48} {
		c := Default(size, 8)
		m, err := New(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		n := m.NumParams()
		t.Logf("size %d: final map %dx%d, %d parameters", size, c.FinalSide(), c.FinalSide(), n)
		if size == 112 && math.Abs(float64(n)-2.68e6) > 0.03*2.68e6 {
			t.Errorf("LFNSB at 112 has %d parameters, want about 2.68 M", n)
		}
		var centres bool
		for _, v := range m.Vars() {
			centres = centres || v.Name == CentresName
		}
		if !centres {
			t.Error("the Cosine-Harmony centres are not among the checkpointed variables")
		}
	}
	if got := Default(112, 8).FinalSide(); got != 7 {
		t.Errorf("final side at 112: %d, want 7", got)
	}
	bad := Default(48, 8)
	bad.SBPool = 4
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "pool") {
		t.Errorf("a 4x4 Spatial Bias pool on a 3x3 map: %v", err)
	}
	bad = Default(48, 8)
	bad.Kernels = []int64{3, 3}
	if err := bad.Validate(); err == nil {
		t.Error("repeated MixConv kernels accepted")
	}
}
