package overlay

import (
	"errors"
	"image"
	"math"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

func TestDrawRejectsBadFrames(t *testing.T) {
	r := newRenderer(t, Options{})
	face := []Face{{ID: 1, Box: image.Rect(10, 10, 50, 50), Labels: fer2013, Probs: probs7(3, 0.8)}}

	empty := gocv.NewMat()
	defer empty.Close()
	gray := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8U)
	defer gray.Close()
	bgra := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC4)
	defer bgra.Close()
	float := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV32FC3)
	defer float.Close()
	big := gocv.NewMatWithSize(100, 100, gocv.MatTypeCV8UC3)
	defer big.Close()
	roi := big.Region(image.Rect(10, 10, 60, 60)) // not continuous
	defer roi.Close()

	for _, c := range []struct {
		name string
		m    *gocv.Mat
		want string
	}{
		{"nil", nil, "nil"},
		{"zero Mat", &gocv.Mat{}, "nil"},
		{"empty", &empty, "empty"},
		{"1 channel", &gray, "CV_8UC3"},
		{"4 channels", &bgra, "CV_8UC3"},
		{"float", &float, "CV_8UC3"},
		{"ROI", &roi, "continuous"},
	} {
		err := r.Draw(c.m, face, sampleHUD())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

func TestDrawRejectsMismatchedProbs(t *testing.T) {
	frame := gradientFrame(t, 320, 240)
	defer frame.Close()
	before := snapshot(t, &frame)
	r := newRenderer(t, Options{})
	faces := []Face{
		{ID: 1, Box: image.Rect(10, 10, 50, 50), Labels: fer2013, Probs: probs7(3, 0.8)},
		{ID: 2, Box: image.Rect(100, 10, 150, 50), Labels: fer2013, Probs: []float32{0.5, 0.5}},
	}
	err := r.Draw(&frame, faces, sampleHUD())
	if err == nil || !strings.Contains(err.Error(), "face 1 (id 2)") {
		t.Fatalf("error %v, want one naming face 1 (id 2)", err)
	}
	if n := changed(t, before, &frame, image.Rect(0, 0, 320, 240)); n != 0 {
		t.Errorf("a rejected Draw changed %d pixels", n)
	}
	if _, err := r.Layout(320, 240, faces, nil); err == nil {
		t.Error("Layout accepted mismatched labels and probabilities")
	}
	if _, err := r.Layout(0, 240, nil, nil); err == nil {
		t.Error("Layout accepted an empty frame size")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{Scale: -1}, {Scale: math.NaN()}, {Scale: 100}, {HUDCorner: 9}} {
		if r, err := New(o); err == nil {
			r.Close()
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

func TestClosedRenderer(t *testing.T) {
	frame := gradientFrame(t, 320, 240)
	defer frame.Close()
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := r.Draw(&frame, nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Draw after Close: %v, want ErrClosed", err)
	}
	if _, err := r.Layout(320, 240, nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Layout after Close: %v, want ErrClosed", err)
	}
}

func TestDegenerateFacesDoNotPanic(t *testing.T) {
	nan := float32(math.NaN())
	boxes := []image.Rectangle{
		{},                                 // zero
		image.Rect(50, 50, 50, 50),         // empty
		image.Rect(80, 60, 40, 20),         // inverted (canonicalised)
		image.Rect(30, 30, 31, 31),         // 1x1
		image.Rect(30, 30, 33, 200),        // 3 px wide
		image.Rect(-500, -500, -400, -400), // wholly outside
		image.Rect(1000, 1000, 1200, 1200),
		image.Rect(-10, 100, 5, 140),
		image.Rect(-1e6, -1e6, 1e6, 1e6), // huge
		image.Rect(0, 0, 320, 240),
	}
	probSets := [][]float32{probs7(2, 0.4), {nan, nan, nan, nan, nan, nan, nan}, {-1, 2, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0}}
	for _, size := range []image.Point{{320, 240}, {12, 9}, {1, 1}} {
		for _, scale := range []float64{0, 4, 16} {
			r := newRenderer(t, Options{Scale: scale, Bars: 7})
			frame := gradientFrame(t, size.X, size.Y)
			var faces []Face
			for i, b := range boxes {
				faces = append(faces, Face{ID: i * 1000, Box: b, Labels: fer2013, Probs: probSets[i%len(probSets)]})
			}
			faces = append(faces, Face{ID: 99, Box: image.Rect(5, 5, 50, 50), Labels: []string{}, Probs: []float32{}})
			faces = append(faces, Face{ID: 98, Box: image.Rect(5, 5, 50, 50), Labels: []string{"x"}, Probs: []float32{1}})
			if err := r.Draw(&frame, faces, &HUD{FPS: math.Inf(1), Stages: []Stage{{"x", math.NaN()}, {"", -3}, {"y", 1e9}}, Lines: []string{"", "a very long line that does not fit a tiny frame at all"}}); err != nil {
				t.Errorf("%v scale %v: %v", size, scale, err)
			}
			lay, err := r.Layout(size.X, size.Y, faces, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !lay.Faces[0].Label.Empty() || !lay.Faces[1].Box.Empty() {
				t.Errorf("empty boxes got drawn: %+v", lay.Faces[:2])
			}
			frame.Close()
		}
	}
}
