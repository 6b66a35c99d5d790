// Package pipeline runs the flow of a frame: capture, face detection and
// tracking, one batched classification per frame, per-track smoothing, and
// the sinks (overlay, window, video file, CSV/JSONL). Stages run
// concurrently: while frame N is classified, frame N+1 is detected and frame
// N+2 decoded. File sources lose no frame; live sources keep only the newest
// frame, so what is shown never lags behind reality.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/capture"
	"github.com/ferlive/ferlive/facedetect"
	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/internal/record"
)

// Source yields frames (see capture.Source).
type Source interface {
	Next(ctx context.Context) (capture.Frame, error)
	Info() capture.Info
}

// Detector finds faces in a BGR frame (see facedetect.Detector).
type Detector interface {
	Detect(frame gocv.Mat) ([]facedetect.Face, error)
}

// Classifier turns face boxes of a frame into class probabilities (see infer.Classifier).
type Classifier interface {
	Preprocess(frame gocv.Mat, boxes []image.Rectangle) ([]float32, error)
	Run(batch []float32, n int) ([][]float32, error)
	Labels() []string
}

// Result is one processed frame. Mat belongs to the pipeline: sinks may draw
// on it but must not keep it after they return.
type Result struct {
	Mat gocv.Mat
	record.Frame
	start    time.Time // when the frame was taken from the source
	captured time.Time // when a live source captured it (zero for files)
}

// Sink consumes processed frames in order, on the goroutine that called Run.
type Sink interface {
	Consume(r *Result) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(r *Result) error

// Consume calls f.
func (f SinkFunc) Consume(r *Result) error { return f(r) }

// Config wires a pipeline.
type Config struct {
	Detector   Detector
	Classifier Classifier
	Stats      *latency.Recorder
	// DetectEvery runs the detector on the whole frame every Nth frame
	// (1 = every frame). In between, tracked faces are either re-detected in
	// a small region around their predicted position (Refine) or moved by
	// their velocity.
	DetectEvery int
	// Refine re-detects tracked faces near their predicted boxes on the
	// frames between full detections; new faces still wait for the next
	// full detection.
	Refine bool
	// Smooth is the EMA history weight per track (0 = off); ignored for stills.
	Smooth float64
	// Still treats every frame as an unrelated image (image folders):
	// detection on every frame, fresh ids, no smoothing.
	Still   bool
	Tracker facedetect.TrackerOptions
	// ReuseIoU, when above 0, reuses a tracked face's last class
	// probabilities instead of classifying it again while its box overlaps
	// the box it was classified at by at least this IoU (it has not moved or
	// changed size); ignored for stills.
	ReuseIoU float64
	// Refresh forces a tracked face to be classified again after this many
	// frames of reuse (0 = DefaultRefresh); only with ReuseIoU.
	Refresh int
	// Buffer is the number of frames queued between stages: a few for
	// files, whose frames a reader goroutine decodes ahead; 0 for live
	// sources (always work on the newest frame) and for latency
	// measurements: each frame is read when the detector is free, so its
	// total is its own latency, not time spent queued behind other frames.
	Buffer int
}

// DefaultRefresh is Config.Refresh when it is 0: a reused classification is
// at most this many frames old.
const DefaultRefresh = 5

// reused is a tracked face's last classification: the box it was made at,
// the raw (unsmoothed) probabilities and the frames since.
type reused struct {
	box   image.Rectangle
	probs []float32
	age   int
}

// reuser decides, per tracked face, whether its last classification still
// holds (see Config.ReuseIoU).
type reuser struct {
	iou     float64
	refresh int
	last    map[int]*reused
}

func newReuser(iou float64, refresh int) *reuser {
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	return &reuser{iou: iou, refresh: refresh, last: map[int]*reused{}}
}

// get returns the probabilities to reuse for face id at box, or nil when
// it must be classified.
func (u *reuser) get(id int, box image.Rectangle) []float32 {
	if u == nil || u.iou <= 0 {
		return nil
	}
	c := u.last[id]
	if c == nil || c.age+1 >= u.refresh || facedetect.IoU(c.box, box) < u.iou {
		return nil
	}
	c.age++
	return append([]float32(nil), c.probs...) // the smoother and the result own their copy
}

// put records a fresh classification of face id at box.
func (u *reuser) put(id int, box image.Rectangle, probs []float32) {
	if u == nil || u.iou <= 0 {
		return
	}
	u.last[id] = &reused{box: box, probs: append([]float32(nil), probs...)}
}

// keep forgets faces that are not in the frame.
func (u *reuser) keep(faces []record.Face) {
	if u == nil || len(u.last) == 0 {
		return
	}
	seen := make(map[int]bool, len(faces))
	for _, f := range faces {
		seen[f.ID] = true
	}
	for id := range u.last {
		if !seen[id] {
			delete(u.last, id)
		}
	}
}

// mergeTracks keeps the re-detected tracks and, for tracks that were not
// found again this frame, their predicted boxes (they stay visible until the
// tracker drops them).
func mergeTracks(found, predicted []facedetect.Track) []facedetect.Track {
	seen := map[int]bool{}
	for _, t := range found {
		seen[t.ID] = true
	}
	for _, t := range predicted {
		if !seen[t.ID] {
			found = append(found, t)
		}
	}
	return found
}

// Run processes src until it ends (io.EOF), ctx is cancelled, or a stage
// fails, feeding every result to sink. Frames in flight when it stops are
// released. It returns nil at the end of the source, ctx.Err() when
// cancelled, or the first error.
func Run(ctx context.Context, cfg Config, src Source, sink Sink) error {
	if cfg.Stats == nil {
		cfg.Stats = latency.New()
	}
	if cfg.DetectEvery < 1 || cfg.Still {
		cfg.DetectEvery = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once     sync.Once
		firstErr error
	)
	// A source error ends the input but lets the frames already decoded
	// finish; a stage or sink error stops everything.
	setErr := func(err error) { once.Do(func() { firstErr = err }) }
	fail := func(err error) {
		setErr(err)
		cancel()
	}
	live := src.Info().Live
	detected := make(chan *Result, cfg.Buffer)
	classified := make(chan *Result, cfg.Buffer)

	// read takes the next frame from the source; false at the end.
	read := func() (*Result, bool) {
		if ctx.Err() != nil {
			return nil, false
		}
		t0 := time.Now()
		f, err := src.Next(ctx)
		if err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				setErr(err)
			}
			return nil, false
		}
		stage := latency.Decode
		if live {
			stage = latency.Capture // waiting for the camera, not decoding
		}
		now := cfg.Stats.Since(stage, t0)
		return &Result{Mat: f.Mat, Frame: record.Frame{Index: f.Index, PTS: f.PTS, Path: f.Path}, start: now, captured: f.Captured}, true
	}
	// Files: a reader goroutine decodes ahead (unless Buffer is 0). Live sources already keep
	// only their newest frame, so the detector pulls when it is free: a frame
	// read ahead would be stale by the time it is detected.
	pull := read
	if !live && cfg.Buffer > 0 {
		frames := make(chan *Result, cfg.Buffer)
		go func() {
			defer close(frames)
			for r, ok := read(); ok; r, ok = read() {
				frames <- r
			}
		}()
		pull = func() (*Result, bool) { r, ok := <-frames; return r, ok }
	}

	go func() { // detector + tracker
		defer close(detected)
		tracker := facedetect.NewTracker(cfg.Tracker)
		ref := newRefiner(cfg.Detector)
		defer ref.Close()
		n := 0
		for r, ok := pull(); ok; r, ok = pull() {
			if ctx.Err() != nil {
				r.Mat.Close()
				continue
			}
			var tracks []facedetect.Track
			if n%cfg.DetectEvery == 0 {
				t0 := time.Now()
				faces, err := cfg.Detector.Detect(r.Mat)
				cfg.Stats.Since(latency.Detect, t0)
				if err != nil {
					fail(fmt.Errorf("frame %d: %w", r.Index, err))
					r.Mat.Close()
					continue
				}
				if cfg.Still {
					tracker.Reset()
				}
				tracks = tracker.Update(faces)
			} else if cfg.Refine {
				// Every frame is a (local) detection: misses count per frame.
				peek := tracker.Peek()
				var faces []facedetect.Face
				if len(peek) > 0 {
					t0 := time.Now()
					var err error
					faces, err = ref.refine(r.Mat, peek)
					cfg.Stats.Since(latency.Refine, t0)
					if err != nil {
						fail(fmt.Errorf("frame %d: %w", r.Index, err))
						r.Mat.Close()
						continue
					}
				}
				tracks = mergeTracks(tracker.Update(faces), peek)
			} else {
				tracks = tracker.Predict()
			}
			n++
			bounds := image.Rect(0, 0, r.Mat.Cols(), r.Mat.Rows())
			for _, t := range tracks {
				b := t.Box.Intersect(bounds)
				if b.Dx() < 4 || b.Dy() < 4 {
					continue
				}
				r.Faces = append(r.Faces, record.Face{ID: t.ID, Box: b})
			}
			detected <- r
		}
	}()

	go func() { // classifier + smoothing
		defer close(classified)
		smooth := infer.NewSmoother(cfg.Smooth)
		if cfg.Still {
			smooth = infer.NewSmoother(0)
		}
		labels := cfg.Classifier.Labels()
		boxes := make([]image.Rectangle, 0, 16)
		todo := make([]int, 0, 16)
		var reuse *reuser
		if !cfg.Still && cfg.ReuseIoU > 0 {
			reuse = newReuser(cfg.ReuseIoU, cfg.Refresh)
		}
		for r := range detected {
			if ctx.Err() != nil {
				r.Mat.Close()
				continue
			}
			if len(r.Faces) > 0 {
				// Faces whose last classification still holds reuse it;
				// the others are classified in one batch.
				raw := make([][]float32, len(r.Faces))
				boxes = boxes[:0]
				todo = todo[:0]
				for i, f := range r.Faces {
					if p := reuse.get(f.ID, f.Box); p != nil {
						raw[i] = p
						continue
					}
					boxes = append(boxes, f.Box)
					todo = append(todo, i)
				}
				if len(boxes) > 0 {
					t0 := time.Now()
					batch, err := cfg.Classifier.Preprocess(r.Mat, boxes)
					t1 := cfg.Stats.Since(latency.Preprocess, t0)
					var probs [][]float32
					if err == nil {
						probs, err = cfg.Classifier.Run(batch, len(boxes))
						cfg.Stats.Since(latency.Infer, t1)
					}
					if err != nil {
						fail(fmt.Errorf("frame %d: %w", r.Index, err))
						r.Mat.Close()
						continue
					}
					for j, i := range todo {
						raw[i] = probs[j]
						reuse.put(r.Faces[i].ID, r.Faces[i].Box, probs[j])
					}
				}
				for i := range r.Faces {
					p := smooth.Apply(r.Faces[i].ID, raw[i])
					k, s := infer.Top(p)
					r.Faces[i].Probs, r.Faces[i].Label, r.Faces[i].Score = p, labels[k], s
				}
			}
			reuse.keep(r.Faces)
			smooth.EndFrame()
			classified <- r
		}
	}()

	for r := range classified { // sinks, on the caller's goroutine
		if ctx.Err() != nil {
			r.Mat.Close()
			continue
		}
		err := sink.Consume(r)
		r.Mat.Close()
		end := cfg.Stats.Since(latency.Total, r.start)
		if !r.captured.IsZero() {
			cfg.Stats.Add(latency.EndToEnd, end.Sub(r.captured))
		}
		cfg.Stats.Frame()
		if err != nil {
			fail(err)
		}
	}
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
