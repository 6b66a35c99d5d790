package data

import (
	"math/rand"
	"sort"
)

// Sampler draws dataset indices.
type Sampler interface {
	// Epoch returns n indices for one epoch, drawn with rng.
	Epoch(rng *rand.Rand, n int) []int
}

// Uniform visits every image with equal probability (a shuffled pass,
// repeated when n exceeds the dataset).
type Uniform struct{ N int }

// Epoch implements Sampler.
func (u Uniform) Epoch(rng *rand.Rand, n int) []int {
	out := make([]int, 0, n)
	for len(out) < n {
		out = append(out, rng.Perm(u.N)...)
	}
	return out[:n]
}

// Reversed is BBN's reversed sampler: a class is drawn with probability
// proportional to 1/n_c (w_c = n_max/n_c, p_c = w_c / sum w), then an image
// uniformly within it, so rare classes are seen most.
type Reversed struct {
	byClass [][]int
	cum     []float64
}

// NewReversed builds the reversed sampler for labels.
func NewReversed(labels []int, classes int) *Reversed {
	r := &Reversed{byClass: make([][]int, classes)}
	for i, l := range labels {
		r.byClass[l] = append(r.byClass[l], i)
	}
	nmax := 0
	for _, c := range r.byClass {
		if len(c) > nmax {
			nmax = len(c)
		}
	}
	var s float64
	for _, c := range r.byClass {
		if len(c) > 0 {
			s += float64(nmax) / float64(len(c))
		}
		r.cum = append(r.cum, s)
	}
	for i := range r.cum {
		r.cum[i] /= s
	}
	return r
}

// Probs returns the probability of drawing each class.
func (r *Reversed) Probs() []float64 {
	p := make([]float64, len(r.cum))
	prev := 0.0
	for i, c := range r.cum {
		p[i] = c - prev
		prev = c
	}
	return p
}

// Epoch implements Sampler.
func (r *Reversed) Epoch(rng *rand.Rand, n int) []int {
	out := make([]int, n)
	for i := range out {
		c := sort.SearchFloat64s(r.cum, rng.Float64())
		for c < len(r.byClass)-1 && len(r.byClass[c]) == 0 {
			c++
		}
		out[i] = r.byClass[c][rng.Intn(len(r.byClass[c]))]
	}
	return out
}
