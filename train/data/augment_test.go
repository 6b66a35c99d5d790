package data

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand"
	"testing"
)

// testFace draws a size x size face-like image: a lit oval on a darker
// background with dark eyes and mouth and a little texture.
func testFace(size int) []uint8 {
	img := make([]uint8, size*size)
	rng := rand.New(rand.NewSource(11))
	s := float64(size) / 48
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			fx, fy := float64(x)/s, float64(y)/s
			v := 70.0
			if (fx-24)*(fx-24)/(15*15)+(fy-24)*(fy-24)/(20*20) < 1 {
				v = 180
			}
			if math.Hypot(fx-17, fy-19) < 3 || math.Hypot(fx-31, fy-19) < 3 || (fy > 32 && fy < 35 && fx > 17 && fx < 31) {
				v = 35
			}
			img[y*size+x] = uint8(math.Max(0, math.Min(255, v+8*rng.NormFloat64())))
		}
	}
	return img
}

// applyN runs a over n draws of one face and returns the outputs.
func applyN(a Augment, seed int64, src []uint8, size, n int) [][]float32 {
	rng := rand.New(rand.NewSource(seed))
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, size*size)
		a.Apply(rng, src, size, out[i])
	}
	return out
}

func lapVar32(x []float32, size int) float64 {
	var s, s2 float64
	n := 0
	for y := 1; y < size-1; y++ {
		for x0 := 1; x0 < size-1; x0++ {
			i := y*size + x0
			l := float64(x[i-1] + x[i+1] + x[i-size] + x[i+size] - 4*x[i])
			s += l
			s2 += l * l
			n++
		}
	}
	return s2/float64(n) - (s/float64(n))*(s/float64(n))
}

func mean32(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(len(x))
}

// inRange fails if a normalised output leaves the range of pixel 0..255.
func inRange(t *testing.T, name string, a Augment, outs [][]float32) {
	t.Helper()
	lo := (0 - a.Normalize.Mean) / a.Normalize.Std
	hi := (1 - a.Normalize.Mean) / a.Normalize.Std
	for _, o := range outs {
		for _, v := range o {
			if v < lo-1e-5 || v > hi+1e-5 || math.IsNaN(float64(v)) {
				t.Fatalf("%s: value %v outside the normalised pixel range [%v, %v]", name, v, lo, hi)
			}
		}
	}
}

func norm(a Augment) Augment {
	a.Normalize.Mean, a.Normalize.Std = 0.5, 0.25
	return a
}

// TestAugmentOlderRunsUnchanged: with the wild options off, the augmented
// images are bit for bit those of the code before they existed (hash
// measured with that code), so existing runs resume and reproduce.
func TestAugmentOlderRunsUnchanged(t *testing.T) {
	a := norm(Augment{Flip: true, Shift: 0.08, Scale: 0.1, Rotate: 10, Mask: PaperMask()})
	h := fnv.New64a()
	for _, o := range applyN(a, 5, testFace(48), 48, 40) {
		for _, v := range o {
			_ = binary.Write(h, binary.LittleEndian, math.Float32bits(v))
		}
	}
	if got, want := h.Sum64(), uint64(goldenOld); got != want {
		t.Errorf("augmented images hash to %#x, want %#x (the pre-wild augmentation)", got, want)
	}
}

const goldenOld = 0xcf4965368cdbb780 // measured with augment.go of commit 9e15758

func TestAugmentLight(t *testing.T) {
	src := testFace(48)
	a := norm(Augment{Light: 1})
	outs := applyN(a, 1, src, 48, 200)
	inRange(t, "light", a, outs)
	clean := make([]float32, 48*48)
	norm(Augment{}).Apply(nil, src, 48, clean)
	m0 := mean32(clean)
	darker, brighter := 0, 0
	for _, o := range outs {
		m := mean32(o)
		if m < m0-0.2 {
			darker++
		}
		if m > m0+0.2 {
			brighter++
		}
	}
	// a flat grey face stays flat under brightness, gamma and contrast:
	// only sensor noise makes its pixels differ
	flat := make([]uint8, 48*48)
	for i := range flat {
		flat[i] = 128
	}
	noisier := 0
	for _, o := range applyN(a, 1, flat, 48, 200) {
		for _, v := range o {
			if v != o[0] {
				noisier++
				break
			}
		}
	}
	// gain 0.3-1.4 log-uniform with gamma 0.7-1.8: mostly darker, some brighter;
	// noise half of the time
	if darker < 80 || brighter < 5 || noisier < 40 || noisier > 160 {
		t.Errorf("light on 200 draws: %d darker, %d brighter, %d noisier; want most darker, some brighter, about half noisy", darker, brighter, noisier)
	}
	// with p 0.3 about 30% of the images change
	changed := 0
	for _, o := range applyN(norm(Augment{Light: 0.3}), 2, src, 48, 300) {
		for i := range o {
			if o[i] != clean[i] {
				changed++
				break
			}
		}
	}
	if changed < 60 || changed > 120 {
		t.Errorf("--aug-light 0.3 changed %d of 300 images, want about 90", changed)
	}
}

func TestAugmentSmall(t *testing.T) {
	src := testFace(48)
	a := norm(Augment{Small: 1})
	outs := applyN(a, 3, src, 48, 100)
	inRange(t, "small", a, outs)
	clean := make([]float32, 48*48)
	norm(Augment{}).Apply(nil, src, 48, clean)
	l0 := lapVar32(clean, 48)
	var sum float64
	unchanged := 0
	for _, o := range outs {
		sum += lapVar32(o, 48)
		same := true
		for i := range o {
			same = same && o[i] == clean[i]
		}
		if same {
			unchanged++
		}
	}
	if unchanged > 0 {
		t.Errorf("--aug-small 1 left %d of 100 faces unchanged", unchanged)
	}
	if mean := sum / 100; mean > 0.6*l0 {
		t.Errorf("--aug-small 1: mean Laplacian variance %.3f, clean %.3f; want the detail clearly reduced", mean, l0)
	}
	// it also works at a larger training size (blur scaled with the side)
	big := norm(Augment{Small: 1})
	inRange(t, "small at 112", big, applyN(big, 3, testFace(112), 112, 10))
}

// bright returns the width and height of the bounding box of the values
// above thr (the lit oval), and its centre.
func brightBox(o []float32, size int, thr float32) (w, h, cx, cy float64) {
	x0, y0, x1, y1 := size, size, -1, -1
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			if o[y*size+x] > thr {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	return float64(x1 - x0 + 1), float64(y1 - y0 + 1), float64(x0+x1) / 2, float64(y0+y1) / 2
}

func TestAugmentJitterAndShear(t *testing.T) {
	size := 48
	src := make([]uint8, size*size) // a bright 16x16 square in the middle
	for y := 16; y < 32; y++ {
		for x := 16; x < 32; x++ {
			src[y*size+x] = 255
		}
	}
	a := norm(Augment{Jitter: 0.15})
	outs := applyN(a, 4, src, size, 300)
	inRange(t, "jitter", a, outs)
	thr := float32((0.5 - 0.5) / 0.25) // mid-grey: half-way across the edge
	minW, maxW, minAsp, maxAsp, maxShift := 99.0, 0.0, 9.0, 0.0, 0.0
	for _, o := range outs {
		w, h, cx, cy := brightBox(o, size, thr)
		minW, maxW = math.Min(minW, w), math.Max(maxW, w)
		minAsp, maxAsp = math.Min(minAsp, w/h), math.Max(maxAsp, w/h)
		maxShift = math.Max(maxShift, math.Max(math.Abs(cx-23.5), math.Abs(cy-23.5)))
	}
	// a bigger box shows the face smaller: width 16/exp(0.15*1.04) .. 16*exp(0.15*1.04)
	if minW > 15 || maxW < 17 || minW < 12 || maxW > 20 {
		t.Errorf("box jitter 0.15: square width %v..%v px, want both sides of 16 within about 13..19", minW, maxW)
	}
	if minAsp > 0.97 || maxAsp < 1.03 {
		t.Errorf("box jitter 0.15: aspect %v..%v, want both sides of 1", minAsp, maxAsp)
	}
	if maxShift < 2 || maxShift > 0.15/2*48*1.2+1 {
		t.Errorf("box jitter 0.15: centre moved up to %v px, want up to about %v", maxShift, 0.15/2*48)
	}
	// shear slants the square's vertical edges: its top and bottom rows shift
	sh := norm(Augment{Shear: 15})
	outs = applyN(sh, 6, src, size, 100)
	inRange(t, "shear", sh, outs)
	slanted := 0
	for _, o := range outs {
		row := func(y int) float64 {
			var s, n float64
			for x := 0; x < size; x++ {
				if o[y*size+x] > thr {
					s += float64(x)
					n++
				}
			}
			return s / math.Max(1, n)
		}
		if math.Abs(row(18)-row(29)) > 1 {
			slanted++
		}
	}
	if slanted < 30 {
		t.Errorf("shear 15 deg slanted the square in %d of 100 draws, want most", slanted)
	}
}

func TestAugmentDeterministic(t *testing.T) {
	src := testFace(48)
	a := norm(Augment{Flip: true, Rotate: 10, Shear: 10, Jitter: 0.1, Light: 0.5, Small: 0.5})
	x, y := applyN(a, 9, src, 48, 30), applyN(a, 9, src, 48, 30)
	z := applyN(a, 10, src, 48, 30)
	same := func(p, q [][]float32) bool {
		for i := range p {
			for j := range p[i] {
				if p[i][j] != q[i][j] {
					return false
				}
			}
		}
		return true
	}
	if !same(x, y) {
		t.Error("the same seed gave different augmented images")
	}
	if same(x, z) {
		t.Error("different seeds gave the same augmented images")
	}
	if src2 := testFace(48); string(src2) != string(src) {
		t.Error("Apply changed its source image")
	}
}
