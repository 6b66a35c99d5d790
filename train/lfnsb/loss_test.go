//go:build torch

package lfnsb

import (
	"math"
	"math/rand"
	"testing"

	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

// chDirect computes the Cosine-Harmony loss in float64 straight from its
// definition, element by element.
func chDirect(f, c, q [][]float64, alpha float64) float64 {
	n, k, d := len(f), len(c), len(f[0])
	mu := make([]float64, d)
	for _, r := range f {
		for j, v := range r {
			mu[j] += v / float64(n)
		}
	}
	unitRow := func(r []float64) []float64 {
		out := make([]float64, d)
		var ss float64
		for j := range r {
			out[j] = r[j] - mu[j]
			ss += out[j] * out[j]
		}
		norm := math.Sqrt(ss + chEps)
		for j := range out {
			out[j] /= norm
		}
		return out
	}
	us := make([][]float64, k)
	for kk := range c {
		us[kk] = unitRow(c[kk])
	}
	var intra, inter float64
	for i := range f {
		fi := unitRow(f[i])
		for kk := 0; kk < k; kk++ {
			var a float64
			for j := range fi {
				a += fi[j] * us[kk][j]
			}
			intra += q[i][kk] * (1 - a) / float64(n)
			inter += (1 - q[i][kk]) / float64(k-1) * (1 + a) / 2 / float64(n)
		}
	}
	mean := make([]float64, d)
	for _, u := range us {
		for j, v := range u {
			mean[j] += v / float64(k)
		}
	}
	var m2 float64
	for _, v := range mean {
		m2 += v * v
	}
	variance := 1 - m2
	return alpha*intra/(variance+chEps) + (1-alpha)*inter
}

func flat(m [][]float64) []float32 {
	var out []float32
	for _, r := range m {
		for _, v := range r {
			out = append(out, float32(v))
		}
	}
	return out
}

func randMat(rng *rand.Rand, r, c int, shift float64) [][]float64 {
	m := make([][]float64, r)
	for i := range m {
		m[i] = make([]float64, c)
		for j := range m[i] {
			m[i][j] = rng.NormFloat64() + shift
		}
	}
	return m
}

// TestCosineHarmony checks the libtorch loss and its gradients against the
// direct float64 computation (central differences) on a small batch, with
// hard (one-hot) and soft (vote distribution) targets.
func TestCosineHarmony(t *testing.T) {
	const n, k, d = 6, 4, 5
	rng := rand.New(rand.NewSource(3))
	f := randMat(rng, n, d, 0.7) // features off the origin: mean-centring matters
	c := randMat(rng, k, d, 0)
	hard := make([][]float64, n)
	soft := make([][]float64, n)
	for i := range hard {
		hard[i] = make([]float64, k)
		hard[i][i%k] = 1
		soft[i] = make([]float64, k)
		var s float64
		for j := range soft[i] {
			soft[i][j] = rng.Float64()
			s += soft[i][j]
		}
		for j := range soft[i] {
			soft[i][j] /= s
		}
	}
	for name, q := range map[string][][]float64{"hard": hard, "soft": soft} {
		for _, alpha := range []float64{DefaultCHAlpha, 0.6} {
			s := torch.NewScope()
			ft := torch.MustFromFloat32(flat(f), []int64{n, d}, true).In(s)
			ct := torch.MustFromFloat32(flat(c), []int64{k, d}, true).In(s)
			qt := torch.MustFromFloat32(flat(q), []int64{n, k}, false).In(s)
			l := CosineHarmony(ft, ct, qt, alpha)
			got, err := l.Item()
			if err != nil {
				t.Fatal(err)
			}
			want := chDirect(f, c, q, alpha)
			t.Logf("%s alpha %.1f: libtorch %.6f, direct %.6f", name, alpha, got, want)
			if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Fatalf("%s alpha %g: loss %g, direct computation %g", name, alpha, got, want)
			}
			if err := l.Backward(); err != nil {
				t.Fatal(err)
			}
			for _, p := range []struct {
				what string
				m    [][]float64
				t    *torch.Tensor
			}{{"features", f, ft}, {"centres", c, ct}} {
				g, err := p.t.Grad()
				if err != nil || g == nil {
					t.Fatalf("no gradient for %s: %v", p.what, err)
				}
				gv := nn.Values(g.In(s))
				const h = 1e-5
				for i := range p.m {
					for j := range p.m[i] {
						old := p.m[i][j]
						p.m[i][j] = old + h
						up := chDirect(f, c, q, alpha)
						p.m[i][j] = old - h
						down := chDirect(f, c, q, alpha)
						p.m[i][j] = old
						num := (up - down) / (2 * h)
						if an := float64(gv[i*len(p.m[i])+j]); math.Abs(an-num) > 1e-4+1e-3*math.Abs(num) {
							t.Fatalf("%s alpha %g: d/d%s[%d][%d] = %g, numerical %g", name, alpha, p.what, i, j, an, num)
						}
					}
				}
			}
			s.Drop()
		}
	}
	// the terms move the right way: features at their own centres score
	// lower than features at another class's centre
	s := torch.NewScope()
	defer s.Drop()
	ct := torch.MustFromFloat32(flat(c), []int64{k, d}, false).In(s)
	qt := torch.MustFromFloat32(flat(hard), []int64{n, k}, false).In(s)
	at := func(shift int) float64 {
		fs := make([][]float64, n)
		for i := range fs {
			fs[i] = append([]float64(nil), c[(i+shift)%k]...)
		}
		v, _ := CosineHarmony(torch.MustFromFloat32(flat(fs), []int64{n, d}, false).In(s), ct, qt, DefaultCHAlpha).Item()
		return v
	}
	if own, other := at(0), at(1); !(own < other) {
		t.Fatalf("features on their own centres: loss %g, on another class's: %g", own, other)
	}
}
