package pipeline_test

import (
	"context"
	"errors"
	"image"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/capture"
	"github.com/ferlive/ferlive/facedetect"
	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/pipeline"
)

// fakeSource yields n frames, failing at frame failAt (if >= 0).
type fakeSource struct {
	n, i, failAt int
	w, h         int // frame size, 160x120 when zero
	live         bool
	read         atomic.Int64 // frames handed out, for concurrent readers
}

func (s *fakeSource) Next(ctx context.Context) (capture.Frame, error) {
	if err := ctx.Err(); err != nil {
		return capture.Frame{}, err
	}
	if s.i == s.failAt {
		return capture.Frame{}, errors.New("clip.mp4: frame 5: decoding failed")
	}
	if s.i >= s.n {
		return capture.Frame{}, io.EOF
	}
	m := gocv.NewMatWithSize(s.size().Y, s.size().X, gocv.MatTypeCV8UC3)
	f := capture.Frame{Mat: m, Index: s.i, PTS: time.Duration(s.i) * 40 * time.Millisecond}
	s.i++
	s.read.Add(1)
	return f, nil
}

func (s *fakeSource) size() image.Point {
	if s.w == 0 {
		return image.Pt(160, 120)
	}
	return image.Pt(s.w, s.h)
}

func (s *fakeSource) Info() capture.Info {
	return capture.Info{Kind: "video", Width: s.size().X, Height: s.size().Y, FPS: 25, Frames: s.n, Live: s.live}
}

// fakeDetector finds one face moving right by 2 px per frame.
type fakeDetector struct{ calls int }

func (d *fakeDetector) Detect(m gocv.Mat) ([]facedetect.Face, error) {
	x := 10 + 2*d.calls
	d.calls++
	return []facedetect.Face{{Box: image.Rect(x, 20, x+40, 60), Score: 1}}, nil
}

type fakeClassifier struct{ faces int }

func (c *fakeClassifier) Preprocess(m gocv.Mat, boxes []image.Rectangle) ([]float32, error) {
	return make([]float32, len(boxes)), nil
}

func (c *fakeClassifier) Run(b []float32, n int) ([][]float32, error) {
	c.faces += n
	out := make([][]float32, n)
	for i := range out {
		out[i] = []float32{0.2, 0.8}
	}
	return out, nil
}

func (c *fakeClassifier) Labels() []string { return []string{"sad", "happy"} }

func TestFramesInOrderWithoutDrops(t *testing.T) {
	src := &fakeSource{n: 50, failAt: -1}
	det, cls := &fakeDetector{}, &fakeClassifier{}
	stats := latency.New()
	var got []int
	err := pipeline.Run(context.Background(), pipeline.Config{Detector: det, Classifier: cls, Stats: stats, DetectEvery: 3, Buffer: 2},
		src, pipeline.SinkFunc(func(r *pipeline.Result) error {
			got = append(got, r.Index)
			if len(r.Faces) != 1 || r.Faces[0].Label != "happy" || r.Faces[0].ID != 1 {
				t.Errorf("frame %d: faces %+v", r.Index, r.Faces)
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Fatalf("%d frames reached the sink, want 50", len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("frame order %v", got)
		}
	}
	if det.calls != 17 {
		t.Fatalf("detector ran %d times, want 17 (every 3rd of 50 frames)", det.calls)
	}
	if cls.faces != 50 {
		t.Fatalf("classifier saw %d faces, want 50", cls.faces)
	}
	if n, _ := stats.Frames(); n != 50 {
		t.Fatalf("stats counted %d frames", n)
	}
}

func TestSourceErrorStopsAndIsReturned(t *testing.T) {
	src := &fakeSource{n: 50, failAt: 5}
	n := 0
	err := pipeline.Run(context.Background(), pipeline.Config{Detector: &fakeDetector{}, Classifier: &fakeClassifier{}, Buffer: 2},
		src, pipeline.SinkFunc(func(r *pipeline.Result) error { n++; return nil }))
	if err == nil || err.Error() != "clip.mp4: frame 5: decoding failed" {
		t.Fatalf("error %v", err)
	}
	if n != 5 {
		t.Fatalf("%d frames reached the sink before the error, want the 5 decoded ones", n)
	}
}

func TestSinkErrorAndCancel(t *testing.T) {
	boom := errors.New("disk full")
	err := pipeline.Run(context.Background(), pipeline.Config{Detector: &fakeDetector{}, Classifier: &fakeClassifier{}, Buffer: 2},
		&fakeSource{n: 50, failAt: -1}, pipeline.SinkFunc(func(r *pipeline.Result) error {
			if r.Index == 10 {
				return boom
			}
			return nil
		}))
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want the sink's", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = pipeline.Run(ctx, pipeline.Config{Detector: &fakeDetector{}, Classifier: &fakeClassifier{}},
		&fakeSource{n: 1 << 30, failAt: -1}, pipeline.SinkFunc(func(r *pipeline.Result) error {
			if r.Index == 20 {
				cancel()
			}
			return nil
		}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestStillImagesGetFreshIDs(t *testing.T) {
	var ids []int
	err := pipeline.Run(context.Background(), pipeline.Config{Detector: &fakeDetector{}, Classifier: &fakeClassifier{}, Still: true, Smooth: 0.9},
		&fakeSource{n: 3, failAt: -1}, pipeline.SinkFunc(func(r *pipeline.Result) error {
			ids = append(ids, r.Faces[0].ID)
			if r.Faces[0].Probs[1] != 0.8 {
				t.Errorf("still image smoothed: %v", r.Faces[0].Probs)
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("ids %v", ids)
	}
}

// TestLiveSourceIsPulledWhenFree runs a live source: the detector stage
// pulls frames itself (no read-ahead), and the run ends with the source.
func TestLiveSourceIsPulledWhenFree(t *testing.T) {
	src := &fakeSource{n: 20, failAt: -1, live: true}
	n := 0
	err := pipeline.Run(context.Background(), pipeline.Config{Detector: &fakeDetector{}, Classifier: &fakeClassifier{}},
		src, pipeline.SinkFunc(func(r *pipeline.Result) error {
			if r.Index != n {
				t.Errorf("frame %d arrived as %d", r.Index, n)
			}
			n++
			// The source cannot be more than one frame ahead of the sink
			// plus the two stages in between.
			if ahead := int(src.read.Load()) - r.Index; ahead > 3 {
				t.Errorf("source read %d frames ahead of the sink", ahead)
			}
			return nil
		}))
	if err != nil || n != 20 {
		t.Fatalf("err %v after %d frames", err, n)
	}
}

// stillDetector finds one face that does not move, and from frame jumpAt on
// one 30 px to the right.
type stillDetector struct{ calls, jumpAt int }

func (d *stillDetector) Detect(m gocv.Mat) ([]facedetect.Face, error) {
	x := 10
	if d.calls >= d.jumpAt {
		x = 40
	}
	d.calls++
	return []facedetect.Face{{Box: image.Rect(x, 20, x+40, 60), Score: 1}}, nil
}

// With ReuseIoU a face that stays put is classified once every Refresh
// frames and every frame still carries its label and probabilities; a face
// that moves is classified again at once.
func TestReuseClassificationOfStillFace(t *testing.T) {
	run := func(cfg pipeline.Config, frames int) (int, []string) {
		t.Helper()
		cls := &fakeClassifier{}
		cfg.Classifier, cfg.Buffer = cls, 2
		var labels []string
		err := pipeline.Run(context.Background(), cfg, &fakeSource{n: frames, failAt: -1},
			pipeline.SinkFunc(func(r *pipeline.Result) error {
				if len(r.Faces) != 1 || r.Faces[0].Probs[1] != 0.8 {
					t.Fatalf("frame %d: faces %+v", r.Index, r.Faces)
				}
				labels = append(labels, r.Faces[0].Label)
				return nil
			}))
		if err != nil {
			t.Fatal(err)
		}
		return cls.faces, labels
	}
	n, labels := run(pipeline.Config{Detector: &stillDetector{jumpAt: 1 << 30}, ReuseIoU: 0.9, Refresh: 5}, 20)
	if n != 4 {
		t.Errorf("still face classified %d times in 20 frames with refresh 5, want 4", n)
	}
	for i, l := range labels {
		if l != "happy" {
			t.Errorf("frame %d labelled %q", i, l)
		}
	}
	// The face jumps at frame 7 (IoU 0.14 with its last box): classified at
	// 0, 5, 7 (moved), 12, 17.
	if n, _ := run(pipeline.Config{Detector: &stillDetector{jumpAt: 7}, ReuseIoU: 0.9, Refresh: 5}, 20); n != 5 {
		t.Errorf("face that moved classified %d times, want 5", n)
	}
	// Off by default, and for stills.
	if n, _ := run(pipeline.Config{Detector: &stillDetector{jumpAt: 1 << 30}}, 20); n != 20 {
		t.Errorf("without ReuseIoU classified %d times, want 20", n)
	}
	if n, _ := run(pipeline.Config{Detector: &stillDetector{jumpAt: 1 << 30}, ReuseIoU: 0.9, Still: true}, 20); n != 20 {
		t.Errorf("stills classified %d times, want 20", n)
	}
}
