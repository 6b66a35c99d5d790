package overlay

import (
	"image"
	"testing"

	"gocv.io/x/gocv"
)

// fer2013 is the label order of a FER2013 model.
var fer2013 = []string{"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}

// probs7 returns FER2013 probabilities with top class top at p and the rest
// spread decreasingly over the others.
func probs7(top int, p float32) []float32 {
	out := make([]float32, 7)
	out[top] = p
	rest := 1 - p
	w := []float32{0.5, 0.25, 0.12, 0.07, 0.04, 0.02}
	j := 0
	for i := range out {
		if i == top {
			continue
		}
		out[i] = rest * w[j]
		j++
	}
	return out
}

// gradientFrame returns a w x h BGR frame with a soft gray gradient; the
// caller closes it.
func gradientFrame(t testing.TB, w, h int) gocv.Mat {
	t.Helper()
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	pix, err := m.DataPtrUint8()
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(60 + 120*x/max(1, w-1))
			o := (y*w + x) * 3
			pix[o], pix[o+1], pix[o+2] = v, v, uint8(int(v)*(h+y)/(2*h)+20)
		}
	}
	return m
}

// at returns the BGR pixel at (x, y) of a continuous 8UC3 Mat.
func at(t testing.TB, m *gocv.Mat, x, y int) bgr {
	t.Helper()
	pix, err := m.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	o := (y*m.Cols() + x) * 3
	return bgr{pix[o], pix[o+1], pix[o+2]}
}

// snapshot copies the pixels of m.
func snapshot(t testing.TB, m *gocv.Mat) []uint8 {
	t.Helper()
	pix, err := m.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	return append([]uint8(nil), pix...)
}

// changed counts the pixels of r that differ between before and m.
func changed(t testing.TB, before []uint8, m *gocv.Mat, r image.Rectangle) int {
	t.Helper()
	pix, err := m.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	r = r.Intersect(image.Rect(0, 0, m.Cols(), m.Rows()))
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			o := (y*m.Cols() + x) * 3
			if pix[o] != before[o] || pix[o+1] != before[o+1] || pix[o+2] != before[o+2] {
				n++
			}
		}
	}
	return n
}

// newRenderer returns a Renderer closed at the end of the test.
func newRenderer(t testing.TB, o Options) *Renderer {
	t.Helper()
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// sampleHUD is a typical HUD.
func sampleHUD() *HUD {
	return &HUD{
		FPS: 29.7,
		Stages: []Stage{
			{"decode", 3.1}, {"detect", 11.4}, {"preprocess", 0.6},
			{"infer", 7.9}, {"overlay", 0.4}, {"encode", 5.2},
		},
		Lines: []string{"faces 2", "model rlrcnet-fer2013"},
	}
}
