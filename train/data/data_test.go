package data

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// TestMaskStatistics checks the improved random masking: probability,
// area fraction, aspect ratio and position (top edge in the upper half,
// rectangle inside the image).
func TestMaskStatistics(t *testing.T) {
	m := PaperMask()
	rng := rand.New(rand.NewSource(1))
	const n, size = 20000, 48
	applied := 0
	var minA, maxA, minR, maxR = 1.0, 0.0, 100.0, 0.0
	var sumLogR float64
	for i := 0; i < n; i++ {
		x0, y0, w, h, ok := m.Sample(rng, size)
		if !ok {
			continue
		}
		applied++
		if x0 < 0 || y0 < 0 || x0+w > size || y0+h > size {
			t.Fatalf("mask %d,%d %dx%d leaves the image", x0, y0, w, h)
		}
		if y0 >= size/2 {
			t.Fatalf("mask top edge %d is not in the upper half", y0)
		}
		a := float64(w*h) / float64(size*size)
		r := float64(h) / float64(w)
		minA, maxA = math.Min(minA, a), math.Max(maxA, a)
		minR, maxR = math.Min(minR, r), math.Max(maxR, r)
		sumLogR += math.Log(r)
	}
	p := float64(applied) / n
	if math.Abs(p-0.5) > 0.02 {
		t.Fatalf("masking probability %.3f, want 0.5", p)
	}
	// rounding to whole pixels moves the bounds slightly
	if minA < 0.035 || maxA > 0.32 || minA > 0.05 || maxA < 0.27 {
		t.Fatalf("area fraction in [%.3f, %.3f], want about [0.04, 0.3]", minA, maxA)
	}
	if minR < 0.27 || maxR > 1/0.27 || minR > 0.4 || maxR < 2.5 {
		t.Fatalf("aspect in [%.2f, %.2f], want about [0.3, 3.33]", minR, maxR)
	}
	if mean := sumLogR / float64(applied); math.Abs(mean) > 0.05 {
		t.Fatalf("log-aspect mean %.3f: tall and wide masks should be equally likely", mean)
	}
	t.Logf("p %.3f, area [%.3f, %.3f], aspect [%.2f, %.2f]", p, minA, maxA, minR, maxR)
}

// TestEvaluationNeverMasks: the zero Augment (evaluation) only normalises.
func TestEvaluationNeverMasks(t *testing.T) {
	d := &Dataset{Classes: []string{"a", "b"}, Size: 8}
	for i := 0; i < 4; i++ {
		im := make([]uint8, 64)
		for j := range im {
			im[j] = uint8(50 + i*10 + j)
		}
		d.Images = append(d.Images, im)
		d.Labels = append(d.Labels, i%2)
	}
	for _, b := range EvalBatches(d, 3, 0.5, 0.25) {
		for k := 0; k < b.N(); k++ {
			src := d.Images[b.Step*3+k]
			for j, v := range b.X[k*64 : (k+1)*64] {
				want := (float32(src[j])/255 - 0.5) / 0.25
				if math.Abs(float64(v-want)) > 1e-6 {
					t.Fatalf("eval pixel %d = %g, want %g (no augmentation, no mask)", j, v, want)
				}
			}
		}
	}
}

// TestSamplers checks the class distribution of the uniform sampler
// (follows the data) and of the reversed one (p_c proportional to 1/n_c).
func TestSamplers(t *testing.T) {
	counts := []int{4000, 400, 4000, 7200, 5000, 4800, 3200}
	var labels []int
	for c, n := range counts {
		for i := 0; i < n; i++ {
			labels = append(labels, c)
		}
	}
	total := len(labels)
	rng := rand.New(rand.NewSource(2))
	const draws = 200000
	hist := func(idx []int) []float64 {
		h := make([]float64, len(counts))
		for _, i := range idx {
			h[labels[i]]++
		}
		for c := range h {
			h[c] /= float64(len(idx))
		}
		return h
	}
	u := hist(Uniform{N: total}.Epoch(rng, draws))
	r := NewReversed(labels, len(counts))
	rv := hist(r.Epoch(rng, draws))
	var z float64
	for _, n := range counts {
		z += 7200 / float64(n)
	}
	for c, n := range counts {
		wantU := float64(n) / float64(total)
		wantR := 7200 / float64(n) / z
		if math.Abs(u[c]-wantU) > 0.01 {
			t.Errorf("uniform: class %d drawn %.3f, want %.3f", c, u[c], wantU)
		}
		if math.Abs(rv[c]-wantR) > 0.01 {
			t.Errorf("reversed: class %d drawn %.3f, want %.3f", c, rv[c], wantR)
		}
		if math.Abs(r.Probs()[c]-wantR) > 1e-9 {
			t.Errorf("reversed: Probs()[%d] = %.4f, want %.4f", c, r.Probs()[c], wantR)
		}
	}
	if rv[1] < 5*u[1] {
		t.Errorf("reversed sampler should favour the rare class: %.3f vs uniform %.3f", rv[1], u[1])
	}
	// one uniform epoch is a permutation
	seen := map[int]bool{}
	for _, i := range (Uniform{N: total}).Epoch(rng, total) {
		seen[i] = true
	}
	if len(seen) != total {
		t.Errorf("uniform epoch visits %d of %d images", len(seen), total)
	}
}

// TestLoaderDeterministic: batches depend only on (seed, epoch, step).
func TestLoaderDeterministic(t *testing.T) {
	d := &Dataset{Classes: []string{"a", "b"}, Size: 48}
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 100; i++ {
		im := make([]uint8, 48*48)
		rng.Read(im)
		d.Images = append(d.Images, im)
		d.Labels = append(d.Labels, i%2)
	}
	mk := func(workers int) []Batch {
		l := &Loader{Data: d, Batch: 8, Samplers: []Sampler{Uniform{N: 100}, NewReversed(d.Labels, 2)},
			Aug: Augment{Flip: true, Shift: 0.1, Rotate: 10, Mask: PaperMask()}, Seed: 7, Workers: workers}
		var out []Batch
		for b := range l.Epoch(context.Background(), 2, 0) {
			out = append(out, b)
		}
		return out
	}
	a, b := mk(1), mk(4)
	if len(a) != 12 || len(b) != 12 {
		t.Fatalf("%d and %d batches, want 12", len(a), len(b))
	}
	for i := range a {
		if a[i].Step != i || b[i].Step != i {
			t.Fatalf("batches out of order")
		}
		for j := range a[i].X {
			if a[i].X[j] != b[i].X[j] {
				t.Fatalf("batch %d differs between 1 and 4 workers", i)
			}
		}
		if len(a[i].Y) != 16 {
			t.Fatalf("dual batch holds %d labels, want 16", len(a[i].Y))
		}
	}
}

// TestLoadFER2013 reads the shared FER2013 archive with the protocol's splits.
func TestLoadFER2013(t *testing.T) {
	dir := testenv.Data(t)
	p := filepath.Join(dir, "fer2013.tar.gz")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s absent", p)
	}
	tr, pub, priv := FER2013()
	ds, err := Load(dir, contract.FER2013Labels, 48, tr, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{28709, 3589, 3589}
	for i, d := range ds {
		if d.Len() != want[i] {
			t.Errorf("split %d: %d images, want %d", i, d.Len(), want[i])
		}
	}
	if c := ds[0].Counts(); c[1] != 436 || c[3] != 7215 {
		t.Errorf("train counts %v: want disgust 436, happy 7215", c)
	}
}

// TestResize checks area averaging on an exact 2x reduction.
func TestResize(t *testing.T) {
	src := []uint8{0, 100, 200, 50, 10, 30, 60, 80, 0, 0, 0, 0, 4, 4, 4, 4}
	got := Resize(src, 4, 4, 2)
	want := []uint8{35, 98, 2, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Resize = %v, want %v", got, want)
		}
	}
}

// TestLoadFERPlus reads the FER+ training folder with majority labels.
func TestLoadFERPlus(t *testing.T) {
	p := filepath.Join(testenv.Data(t), "ferplus.tar.gz")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s absent", p)
	}
	d, err := LoadFERPlus(p, "FER2013Train", contract.FER2013Labels, 48)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Counts()
	t.Logf("%d images, counts %v", d.Len(), c)
	if d.Len() < 24000 || d.Len() > 28558 || c[3] < 5000 || c[1] == 0 {
		t.Fatalf("FER+ train: %d images, counts %v", d.Len(), c)
	}
}

// TestRestoreMatchesDegradedCopies degrades faces the way the shared
// training split is degraded (8x8 block means, enlarged, contrast halved)
// and checks Restore finds every original among distractors.
func TestRestoreMatchesDegradedCopies(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	const n = 200
	clean := make([][]uint8, n)
	for i := range clean {
		im := make([]uint8, 48*48)
		// smooth random faces: a few random blobs
		for b := 0; b < 6; b++ {
			cx, cy, r, v := rng.Float64()*48, rng.Float64()*48, 4+rng.Float64()*12, rng.Float64()*120
			for y := 0; y < 48; y++ {
				for x := 0; x < 48; x++ {
					if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < r*r {
						im[y*48+x] = uint8(math.Min(255, float64(im[y*48+x])+v))
					}
				}
			}
		}
		clean[i] = im
	}
	d := &Dataset{Classes: []string{"a"}, Size: 48}
	for i := 0; i < n; i += 2 {
		small := Resize(clean[i], 48, 48, 8)
		big := Resize(small, 8, 8, 48)
		for j := range big {
			big[j] = uint8(64 + int(big[j])/2)
		}
		d.Images = append(d.Images, big)
		d.Labels = append(d.Labels, 0)
		d.Names = append(d.Names, fmt.Sprint(i))
	}
	if d.Sharpness() >= Sharpness(clean) {
		t.Fatalf("degraded copies are not blurrier")
	}
	idx, corr := MatchFaces(d.Images, clean, 48)
	for k, j := range idx {
		if j != 2*k {
			t.Fatalf("degraded face %d matched %d (corr %.3f), want %d", k, j, corr[k], 2*k)
		}
	}
	r, st := Restore(d, clean, 0.9)
	if st.Restored != n/2 || r.Len() != n/2 || &r.Images[3][0] != &clean[6][0] {
		t.Fatalf("restore: %+v", st)
	}
}

// Sharpness of raw images (test helper).
func Sharpness(imgs [][]uint8) float64 {
	return (&Dataset{Size: 48, Images: imgs}).Sharpness()
}
