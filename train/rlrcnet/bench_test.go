//go:build torch

package rlrcnet

import (
	"math/rand"
	"testing"

	"github.com/ferlive/ferlive/train/torch"
)

// BenchmarkStep times one forward+backward step of 64 images per branch
// for each ablation row, on 2 libtorch threads.
func BenchmarkStep(b *testing.B) {
	torch.SetNumThreads(2)
	for _, v := range Variants {
		b.Run(v, func(b *testing.B) {
			c, _, err := Variant(v, 7, 48)
			if err != nil {
				b.Fatal(err)
			}
			m, err := New(c, 1)
			if err != nil {
				b.Fatal(err)
			}
			n := int64(64 * len(m.Branches))
			x := make([]float32, n*48*48)
			rng := rand.New(rand.NewSource(1))
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			y := make([]int64, 64)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := torch.NewScope()
				xt := torch.MustFromFloat32(x, []int64{n, 1, 48, 48}, false).In(s)
				yt := torch.MustFromInt64(y, []int64{64}).In(s)
				l := m.TrainLogits(xt, 0.5).MustCrossEntropy(yt, 0)
				if err := l.Backward(); err != nil {
					b.Fatal(err)
				}
				s.Drop()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
