//go:build torch

package train

import (
	"fmt"

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
	n := batches * batch
	if n > d.Len() {
		n = d.Len() - d.Len()%batch // whole batches: each weighs the same in the average
	}
	sub := sample(d, n, seed)
	bns := m.Norms()
	saved := make([]float64, len(bns))
	for i, b := range bns {
		saved[i] = b.Momentum
	}
	defer func() {
		for i, b := range bns {
			b.Momentum = saved[i]
		}
	}()
	err := torch.NoGrad(func() (err error) {
		defer torch.Recover(&err)
		for k, b := range data.EvalBatches(sub, batch, mean, std) {
			for _, b := range bns {
				b.Momentum = 1 / float64(k+1) // cumulative average
			}
			s := torch.NewScope()
			x := images(b, s)
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
