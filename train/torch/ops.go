//go:build torch

package torch

/*
#include <stdlib.h>
#include "ctorch.h"
*/
import "C"

// This file holds the ops LFNSB added to the binding: adaptive average
// pooling and bilinear upsampling (Spatial Bias), PReLU (MobileFaceNet
// blocks), sums over dimensions and cross-entropy against class
// probabilities (Cosine-Harmony loss, FER+ vote distributions).

// AdaptiveAvgPool2d averages [N,C,H,W] into [N,C,oh,ow] bins; bin i of an
// axis of length L covers [floor(i*L/o), ceil((i+1)*L/o)) (bins overlap
// when o does not divide L).
func (t *Tensor) AdaptiveAvgPool2d(oh, ow int64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_adaptive_avg_pool2d(ptr(t), C.int64_t(oh), C.int64_t(ow), &c), t)
}

// UpsampleBilinear2d resizes [N,C,H,W] to [N,C,oh,ow] by bilinear
// interpolation; with alignCorners false (PyTorch's default) output pixel
// o samples the input at (o+0.5)*L/oL-0.5, clamped at 0.
func (t *Tensor) UpsampleBilinear2d(oh, ow int64, alignCorners bool) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_upsample_bilinear2d(ptr(t), C.int64_t(oh), C.int64_t(ow), cBool(alignCorners), &c), t)
}

// PRelu is max(x,0) + w*min(x,0) with one slope per channel (w is [C]) or
// one for all (w is [1]).
func (t *Tensor) PRelu(w *Tensor) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_prelu(ptr(t), ptr(w), &c), t, w)
}

// SoftCrossEntropy is the mean over rows of -sum_c q'_c log softmax(z)_c for
// logits z [N,C] and float class probabilities target [N,C], with
// q' = (1-smoothing)*q + smoothing/C.
func (t *Tensor) SoftCrossEntropy(target *Tensor, smoothing float64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_soft_cross_entropy(ptr(t), ptr(target), C.double(smoothing), &c), t, target)
}

// MustAdaptiveAvgPool2d panics on error.
func (t *Tensor) MustAdaptiveAvgPool2d(oh, ow int64) *Tensor {
	return must(t.AdaptiveAvgPool2d(oh, ow))
}

// MustUpsampleBilinear2d panics on error.
func (t *Tensor) MustUpsampleBilinear2d(oh, ow int64, alignCorners bool) *Tensor {
	return must(t.UpsampleBilinear2d(oh, ow, alignCorners))
}

// MustPRelu panics on error.
func (t *Tensor) MustPRelu(w *Tensor) *Tensor { return must(t.PRelu(w)) }

// MustSumDims panics on error.
func (t *Tensor) MustSumDims(dims []int64, keepDim bool) *Tensor {
	return must(t.SumDims(dims, keepDim))
}

// MustSoftCrossEntropy panics on error.
func (t *Tensor) MustSoftCrossEntropy(target *Tensor, smoothing float64) *Tensor {
	return must(t.SoftCrossEntropy(target, smoothing))
}

// MustLogSoftmax panics on error.
func (t *Tensor) MustLogSoftmax(dim int64) *Tensor { return must(t.LogSoftmax(dim)) }

// MustSum panics on error.
func (t *Tensor) MustSum() *Tensor { return must(t.Sum()) }

// MustMean panics on error.
func (t *Tensor) MustMean() *Tensor { return must(t.Mean()) }

// MustRSubScalar panics on error.
func (t *Tensor) MustRSubScalar(s float64) *Tensor { return must(t.RSubScalar(s)) }
