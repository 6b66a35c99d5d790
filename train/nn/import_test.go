//go:build torch

package nn

import (
	"math"
	"testing"
)

// TestResampleKernels checks the resampling of a global depthwise kernel
// for another input size: the same side is unchanged, every kernel keeps
// its sum, a flat kernel stays flat and a ramp stays a ramp.
func TestResampleKernels(t *testing.T) {
	ramp := []float32{0, 1, 2, 0, 1, 2, 0, 1, 2} // rises left to right
	flat := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1} // weighted mean pooling
	in := append(append([]float32{}, ramp...), flat...)
	if got := ResampleKernels(in, 3, 3); !close32(got, in, 1e-6) {
		t.Errorf("3 -> 3 changed the kernels: %v", got)
	}
	got := ResampleKernels(in, 3, 4)
	if len(got) != 2*16 {
		t.Fatalf("3 -> 4 gave %d values, want 32", len(got))
	}
	for k, src := range [][]float32{ramp, flat} {
		if a, b := sum32(src), sum32(got[k*16:(k+1)*16]); math.Abs(a-b) > 1e-5 {
			t.Errorf("kernel %d: sum %g became %g", k, a, b)
		}
	}
	for i, v := range got[16:] {
		if math.Abs(float64(v)-9.0/16) > 1e-6 {
			t.Fatalf("flat kernel, value %d is %g, want 9/16", i, v)
		}
	}
	// the ramp: each row rises evenly from 0, columns equal
	r := got[:16]
	for y := 0; y < 4; y++ {
		if r[y*4] != 0 || math.Abs(float64(r[y*4+1]-r[y*4])-float64(r[y*4+3]-r[y*4+2])) > 1e-6 || r[y*4+1] != r[1] {
			t.Errorf("ramp row %d: %v", y, r[y*4:y*4+4])
		}
	}
	// 3 -> 7 (a 48x48 LFNSB to 112x112): corner-aligned interpolation
	// weighs the source's middle row and column more, so a kernel whose
	// positive centre and negative corners nearly cancel would be scaled
	// to almost nothing to keep its tiny sum; it keeps its shape at the
	// area scale instead (the centre maps onto the centre exactly)
	cancel := []float32{-0.2499, 0, -0.2499, 0, 1, 0, -0.2499, 0, -0.2499}
	if c := ResampleKernels(cancel, 3, 7)[3*7+3]; math.Abs(float64(c)-9.0/49) > 1e-6 {
		t.Errorf("3 -> 7, cancelling kernel: centre %g, want 9/49 (the area scale)", c)
	}
	if got := ResampleKernels(flat, 3, 1); len(got) != 1 || math.Abs(float64(got[0])-9) > 1e-6 {
		t.Errorf("3 -> 1: %v, want [9]", got)
	}
}

func sum32(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s
}

func close32(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol {
			return false
		}
	}
	return true
}
