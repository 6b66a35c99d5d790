package quantize

import (
	"fmt"
	"sort"
	"time"
)

// Runner classifies a preprocessed batch of n faces (infer.Classifier).
type Runner interface {
	Run(batch []float32, n int) ([][]float32, error)
}

// SpeedRow is the median time per face of two models at one batch size.
type SpeedRow struct {
	Batch       int
	Float, Int8 time.Duration // median per face
}

// Ratio is the int8 time as a fraction of the float time.
func (r SpeedRow) Ratio() float64 { return float64(r.Int8) / float64(r.Float) }

// CompareSpeed times fp and q on the first faces of in (per values a face)
// at each batch size, alternating the two models call by call so that both
// see the same machine load, and returns the median time per face over
// rounds calls of each, after one warm-up call.
func CompareSpeed(fp, q Runner, in []float32, per int, batches []int, rounds int) ([]SpeedRow, error) {
	var rows []SpeedRow
	for _, n := range batches {
		if n*per > len(in) {
			return nil, fmt.Errorf("speed: batch %d needs %d faces, have %d", n, n, len(in)/per)
		}
		x := in[:n*per]
		times := [2][]time.Duration{}
		for r := -1; r < rounds; r++ {
			for i, m := range []Runner{fp, q} {
				t0 := time.Now()
				if _, err := m.Run(x, n); err != nil {
					return nil, fmt.Errorf("speed: %w", err)
				}
				if r >= 0 {
					times[i] = append(times[i], time.Since(t0)/time.Duration(n))
				}
			}
		}
		rows = append(rows, SpeedRow{Batch: n, Float: median(times[0]), Int8: median(times[1])})
	}
	return rows, nil
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
