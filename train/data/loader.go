package data

import (
	"context"
	"math/rand"
	"runtime"
)

// Batch is one step's input: X holds len(Y) images of Size*Size floats
// (N,1,Size,Size order), Y their labels, Q their class probabilities
// (N*classes, only when the dataset has soft labels). A dual-branch batch
// holds the uniform half first and the reversed half second.
type Batch struct {
	X    []float32
	Y    []int64
	Q    []float32
	Size int
	Step int
}

// N returns the number of images.
func (b Batch) N() int { return len(b.Y) }

// Loader prepares training batches in worker goroutines, deterministically
// from (seed, epoch, step) whatever the scheduling.
type Loader struct {
	Data     *Dataset
	Batch    int       // images per branch and step
	Samplers []Sampler // one per branch: uniform, then reversed
	Aug      Augment
	Seed     int64
	Workers  int // 0: GOMAXPROCS
	Prefetch int // batches prepared ahead (0: 4)
}

// Steps returns the number of steps in an epoch (the uniform branch sees
// the dataset once; the last partial batch is dropped).
func (l *Loader) Steps() int { return l.Data.Len() / l.Batch }

func mix(a, b, c int64) int64 {
	x := uint64(a)*0x9E3779B97F4A7C15 ^ uint64(b)*0xBF58476D1CE4E5B9 ^ uint64(c)*0x94D049BB133111EB
	x ^= x >> 31
	x *= 0xD6E8FEB86659FD93
	x ^= x >> 32
	return int64(x & (1<<63 - 1))
}

// Epoch streams the batches of one epoch in order, starting at step from
// (to resume). The channel closes at the end or when ctx is done.
func (l *Loader) Epoch(ctx context.Context, epoch, from int) <-chan Batch {
	steps := l.Steps()
	idx := make([][]int, len(l.Samplers))
	for i, s := range l.Samplers {
		idx[i] = s.Epoch(rand.New(rand.NewSource(mix(l.Seed, int64(epoch), int64(i)+1000))), steps*l.Batch)
	}
	workers := l.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	pre := l.Prefetch
	if pre <= 0 {
		pre = 4
	}
	out := make(chan Batch)
	slots := make(chan chan Batch, pre)
	go func() {
		defer close(slots)
		sem := make(chan struct{}, workers)
		for s := from; s < steps; s++ {
			ch := make(chan Batch, 1)
			select {
			case slots <- ch:
			case <-ctx.Done():
				return
			}
			sem <- struct{}{}
			go func(s int) {
				defer func() { <-sem }()
				ch <- l.make(epoch, s, idx)
			}(s)
		}
	}()
	go func() {
		defer close(out)
		for ch := range slots {
			var b Batch
			select {
			case b = <-ch:
			case <-ctx.Done():
				return
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func (l *Loader) make(epoch, step int, idx [][]int) Batch {
	size := l.Data.Size
	n := l.Batch * len(idx)
	b := Batch{X: make([]float32, n*size*size), Y: make([]int64, n), Size: size, Step: step}
	nc := len(l.Data.Classes)
	if l.Data.Soft != nil {
		b.Q = make([]float32, n*nc)
	}
	rng := rand.New(rand.NewSource(mix(l.Seed, int64(epoch), int64(step))))
	k := 0
	for _, ix := range idx {
		for j := 0; j < l.Batch; j++ {
			i := ix[step*l.Batch+j]
			l.Aug.Apply(rng, l.Data.Images[i], size, b.X[k*size*size:(k+1)*size*size])
			b.Y[k] = int64(l.Data.Labels[i])
			if b.Q != nil {
				copy(b.Q[k*nc:(k+1)*nc], l.Data.Soft[i])
			}
			k++
		}
	}
	return b
}

// EvalBatches splits a dataset into normalised, unaugmented batches.
func EvalBatches(d *Dataset, batch int, mean, std float32) []Batch {
	var aug Augment
	aug.Normalize.Mean, aug.Normalize.Std = mean, std
	size := d.Size
	var out []Batch
	for s := 0; s*batch < d.Len(); s++ {
		lo, hi := s*batch, (s+1)*batch
		if hi > d.Len() {
			hi = d.Len()
		}
		b := Batch{X: make([]float32, (hi-lo)*size*size), Y: make([]int64, hi-lo), Size: size, Step: s}
		for i := lo; i < hi; i++ {
			aug.Apply(nil, d.Images[i], size, b.X[(i-lo)*size*size:(i-lo+1)*size*size])
			b.Y[i-lo] = int64(d.Labels[i])
		}
		out = append(out, b)
	}
	return out
}
