//go:build torch

package lfnsb

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/ferlive/ferlive/train/torch"
)

// BenchmarkStep times one training step (forward, cross-entropy +
// Cosine-Harmony, backward) and one inference pass of 64 images at the
// candidate input sizes, on 2 libtorch threads.
func BenchmarkStep(b *testing.B) {
	torch.SetNumThreads(2)
	for _, size := range []int{48, 64, 112} {
		m, err := New(Default(size, 8), 1)
		if err != nil {
			b.Fatal(err)
		}
		const n = 64
		s := int64(size)
		x := make([]float32, n*s*s)
		rng := rand.New(rand.NewSource(1))
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		q := make([]float32, n*8)
		y := make([]int64, n)
		for i := range y {
			y[i] = int64(i % 8)
			q[i*8+i%8] = 1
		}
		b.Run(fmt.Sprintf("train%d", size), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sc := torch.NewScope()
				xt := torch.MustFromFloat32(x, []int64{n, 1, s, s}, false).In(sc)
				emb, z := m.Forward(xt, true)
				l := z.MustCrossEntropy(torch.MustFromInt64(y, []int64{n}).In(sc), 0.1).
					MustAdd(CosineHarmony(emb, m.Centres, torch.MustFromFloat32(q, []int64{n, 8}, false).In(sc), 0.1).MustMulScalar(0.1))
				if err := l.Backward(); err != nil {
					b.Fatal(err)
				}
				sc.Drop()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
		b.Run(fmt.Sprintf("infer%d", size), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				err := torch.NoGrad(func() error {
					sc := torch.NewScope()
					defer sc.Drop()
					m.Logits(torch.MustFromFloat32(x, []int64{n, 1, s, s}, false).In(sc))
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
