//go:build torch

package lfnsb

import "github.com/ferlive/ferlive/train/torch"

// DefaultCHAlpha is the Cosine-Harmony weight of the intra-class term.
const DefaultCHAlpha = 0.1

// chEps keeps the normalisations and the division finite.
const chEps = 1e-6

// CosineHarmony is the Cosine-Harmony loss of embeddings f [N,D] with
// target distributions q [N,K] (one-hot for hard labels, FER+ vote
// distributions for soft ones) and learned class centres c [K,D]:
//
//	mu        = mean_i f_i                        (batch mean)
//	a_ik      = cos(f_i - mu, c_k - mu)           (mean-centred cosine)
//	intra     = mean_i sum_k q_ik (1 - a_ik)      (cosine distance to the own centre)
//	inter     = mean_i sum_k (1 - q_ik)/(K-1) (1 + a_ik)/2
//	                                              (closeness to the other centres, 0..1)
//	variance  = 1 - |mean_k u_k|^2, u_k = (c_k - mu)/|c_k - mu|
//	                                              (spread of the centred centres on the unit sphere, 0..1)
//	L         = alpha * intra / (variance + eps) + (1 - alpha) * inter
//
// The intra-class distance is measured relative to how widely the centres
// spread around the features' mean (a Fisher-like within/between ratio),
// and the inter-class term pushes each feature away from the other
// classes' centres. The paper's own equations were not available to us:
// this is our reading of its description ("adjusted", mean-centred cosine
// distance to learned class centres; alpha*intra/variance +
// (1-alpha)*inter with alpha = 0.1).
func CosineHarmony(f, c, q *torch.Tensor, alpha float64) *torch.Tensor {
	n := float64(f.Shape()[0])
	k := float64(c.Shape()[0])
	mu := f.MustMeanDims([]int64{0}, true)
	fn := unit(f.MustSub(mu))
	cn := unit(c.MustSub(mu))
	a := fn.MustLinear(cn, nil) // [N,K] cosines
	intra := q.MustMul(a).MustSum().MustMulScalar(-1 / n).MustAddScalar(1)
	inter := q.MustRSubScalar(1).MustMul(a.MustAddScalar(1)).MustSum().MustMulScalar(0.5 / (n * (k - 1)))
	mc := cn.MustMeanDims([]int64{0}, false)
	variance := mc.MustMul(mc).MustSum().MustRSubScalar(1)
	return intra.MustDiv(variance.MustAddScalar(chEps)).MustMulScalar(alpha).MustAdd(inter.MustMulScalar(1 - alpha))
}

// unit scales the rows of x [R,D] to unit length.
func unit(x *torch.Tensor) *torch.Tensor {
	return x.MustDiv(x.MustMul(x).MustSumDims([]int64{1}, true).MustAddScalar(chEps).MustSqrt())
}
