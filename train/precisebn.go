//go:build torch

package train

import (
	"fmt"
	"math/rand"

	"github.com/ferlive/ferlive/train/data"
	"github.com/ferlive/ferlive/train/torch"
)

// RecalibrateBN re-estimates every batch-norm layer's running mean and
// variance as the plain average over batches of unaugmented training
// images ("precise BN"), with both branches seeing the same images as at
// inference. During training the running statistics are an exponential
// average that lags the weights and, in the dual model, the re-balancing
// branch only ever saw reversed-sampler batches; the re-estimate matches
// what inference sees. Only training images are used.
func RecalibrateBN(m Net, d *data.Dataset, mean, std float32, batches, batch int, seed int64) error {
	if batches <= 0 {
		return nil
	}
	sub := &data.Dataset{Classes: d.Classes, Size: d.Size}
	rng := rand.New(rand.NewSource(seed))
	perm := rng.Perm(d.Len())
	n := batches * batch
	if n > d.Len() {
		n = d.Len() - d.Len()%batch
	}
	for _, i := range perm[:n] {
		sub.Images = append(sub.Images, d.Images[i])
		sub.Labels = append(sub.Labels, d.Labels[i])
	}
	bns := m.BNMomenta()
	saved := make([]float64, len(bns))
	for i, c := range bns {
		saved[i] = *c
	}
	defer func() {
		for i, c := range bns {
			*c = saved[i]
		}
	}()
	err := torch.NoGrad(func() (err error) {
		defer torch.Recover(&err)
		for k, b := range data.EvalBatches(sub, batch, mean, std) {
			for _, c := range bns {
				*c = 1 / float64(k+1) // cumulative average
			}
			s := torch.NewScope()
			x := torch.MustFromFloat32(b.X, []int64{int64(b.N()), 1, int64(b.Size), int64(b.Size)}, false).In(s)
			m.CalibrationLogits(x)
			s.Drop()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recalibrating batch norm: %w", err)
	}
	return nil
}
