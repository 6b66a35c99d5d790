package pipeline_test

import (
	"context"
	"image"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/overlay"
	"github.com/ferlive/ferlive/pipeline"
)

// TestHUDLayerOnlyInTheWindow runs the live arrangement of sinks: the
// drawer, the video file, the HUD layer, the window. The frames the video
// gets carry no HUD; the window's frames carry it, and differ from the
// video's only inside the HUD, clear of the face; the overlay stage is
// recorded once per frame.
func TestHUDLayerOnlyInTheWindow(t *testing.T) {
	const frames = 12
	r, err := overlay.New(overlay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stats := latency.New()
	d := &pipeline.Drawer{Renderer: r, Labels: []string{"sad", "happy"}, Stats: stats, Lines: []string{"test"}}
	var video, window [][]uint8
	grab := func(dst *[][]uint8) pipeline.Sink {
		return pipeline.SinkFunc(func(res *pipeline.Result) error {
			pix, err := res.Mat.DataPtrUint8()
			if err != nil {
				return err
			}
			*dst = append(*dst, append([]uint8(nil), pix...))
			return nil
		})
	}
	const w, h = 640, 360
	src := &fakeSource{n: frames, failAt: -1, w: w, h: h}
	sinks := pipeline.Sinks{d, grab(&video), d.HUDLayer(), grab(&window)}
	if err := pipeline.Run(context.Background(), pipeline.Config{Detector: &fakeDetector{}, Classifier: &fakeClassifier{}, Stats: stats}, src, sinks); err != nil {
		t.Fatal(err)
	}
	if len(video) != frames || len(window) != frames {
		t.Fatalf("%d video and %d window frames, want %d", len(video), len(window), frames)
	}
	for i := range video {
		changed := image.Rectangle{}
		for p := 0; p < len(video[i]); p += 3 {
			if video[i][p] != window[i][p] || video[i][p+1] != window[i][p+1] || video[i][p+2] != window[i][p+2] {
				x, y := (p/3)%w, (p/3)/w
				changed = changed.Union(image.Rect(x, y, x+1, y+1))
			}
		}
		if i > 0 && changed.Empty() {
			t.Errorf("frame %d: the window shows no HUD", i)
		}
		x := 10 + 2*i // the fake detector's face
		if face := image.Rect(x-1, 19, x+41, 61); changed.Overlaps(face) {
			t.Errorf("frame %d: the HUD (%v) covers the face %v", i, changed, face)
		}
	}
	// The video frames carry no HUD: they match frames drawn without one.
	plain, err := overlay.New(overlay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	defer m.Close()
	if err := plain.Draw(&m, []overlay.Face{{ID: 1, Box: image.Rect(10, 20, 50, 60), Labels: []string{"sad", "happy"}, Probs: []float32{0.2, 0.8}}}, nil); err != nil {
		t.Fatal(err)
	}
	want, err := m.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(video[0]) {
		t.Error("the video's first frame differs from the faces drawn without a HUD")
	}
	for _, s := range stats.Stats() {
		if s.Name == latency.Overlay && s.N != frames {
			t.Errorf("overlay stage recorded %d times for %d frames", s.N, frames)
		}
	}
}
