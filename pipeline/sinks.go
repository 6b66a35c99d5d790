package pipeline

import (
	"errors"
	"fmt"
	"time"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/internal/record"
	"github.com/ferlive/ferlive/overlay"
)

// ErrQuit is returned by the window sink when the user closes the window or
// presses q or Esc.
var ErrQuit = errors.New("quit by the user")

// Sinks runs several sinks in order; the first error stops the frame.
type Sinks []Sink

// Consume feeds r to every sink.
func (s Sinks) Consume(r *Result) error {
	for _, k := range s {
		if err := k.Consume(r); err != nil {
			return err
		}
	}
	return nil
}

// Drawer draws boxes, labels, probability bars and, when HUD is set, the
// HUD onto the frame.
type Drawer struct {
	Renderer *overlay.Renderer
	Labels   []string
	Stats    *latency.Recorder
	HUD      bool
	Lines    []string // extra HUD lines, e.g. the model name
	faces    []overlay.Face
	fps      float64
	last     time.Time
	layered  bool          // a HUDLayer sink draws the HUD and records the stage
	pending  time.Duration // time drawing the faces, for the HUD layer to record
}

// Consume draws onto r.Mat.
func (d *Drawer) Consume(r *Result) error {
	t0 := time.Now()
	d.faces = d.faces[:0]
	for _, f := range r.Faces {
		d.faces = append(d.faces, overlay.Face{ID: f.ID, Box: f.Box, Labels: d.Labels, Probs: f.Probs})
	}
	var hud *overlay.HUD
	if d.HUD && !d.layered {
		hud = d.hud(t0)
	}
	err := d.Renderer.Draw(&r.Mat, d.faces, hud)
	if d.layered {
		d.pending = time.Since(t0)
	} else {
		d.Stats.Since(latency.Overlay, t0)
	}
	if err != nil {
		return fmt.Errorf("frame %d: drawing: %w", r.Index, err)
	}
	return nil
}

// hud returns the HUD of a frame drawn at t0.
func (d *Drawer) hud(t0 time.Time) *overlay.HUD {
	if !d.last.IsZero() {
		if dt := t0.Sub(d.last).Seconds(); dt > 0 {
			if d.fps == 0 {
				d.fps = 1 / dt
			}
			d.fps = 0.9*d.fps + 0.1/dt
		}
	}
	d.last = t0
	hud := &overlay.HUD{FPS: d.fps, Lines: d.Lines}
	for _, s := range d.Stats.Recent() {
		if s.Name != latency.Total {
			hud.Stages = append(hud.Stages, overlay.Stage{Name: s.Name, Ms: s.Recent})
		}
	}
	return hud
}

// HUDLayer returns a sink that draws the HUD alone, clear of what the
// Drawer drew on the same frame, and makes the Drawer leave the HUD to it:
// put it after the video sink and before the window, and the window shows
// the HUD while the video file does not. The overlay stage is recorded
// once per frame, for both drawings together.
func (d *Drawer) HUDLayer() Sink {
	d.layered = true
	return SinkFunc(func(r *Result) error {
		t0 := time.Now()
		_, err := d.Renderer.DrawHUD(&r.Mat, d.hud(t0))
		d.Stats.Add(latency.Overlay, d.pending+time.Since(t0))
		d.pending = 0
		if err != nil {
			return fmt.Errorf("frame %d: drawing the HUD: %w", r.Index, err)
		}
		return nil
	})
}

// VideoWriter is the part of capture.VideoWriter the video sink needs.
type VideoWriter interface {
	Write(m gocv.Mat) error
}

// Video writes every frame to a video file.
type Video struct {
	W     VideoWriter
	Stats *latency.Recorder
}

// Consume encodes r.Mat.
func (v *Video) Consume(r *Result) error {
	t0 := time.Now()
	err := v.W.Write(r.Mat)
	v.Stats.Since(latency.Encode, t0)
	if err != nil {
		return fmt.Errorf("frame %d: %w", r.Index, err)
	}
	return nil
}

// Records writes each frame's results to CSV / JSON Lines writers.
type Records struct {
	W     []record.Writer
	Stats *latency.Recorder
}

// Consume writes r's results.
func (s *Records) Consume(r *Result) error {
	t0 := time.Now()
	defer s.Stats.Since(latency.Record, t0)
	for _, w := range s.W {
		if err := w.Write(&r.Frame); err != nil {
			return err
		}
	}
	return nil
}

// Window shows frames in a desktop window (OpenCV highgui). It must be used
// from the goroutine (OS thread) that created it.
type Window struct {
	W     *gocv.Window
	Stats *latency.Recorder
}

// Consume shows r.Mat and polls the keyboard: q or Esc quits.
func (w *Window) Consume(r *Result) error {
	t0 := time.Now()
	w.W.IMShow(r.Mat)
	key := w.W.WaitKey(1)
	w.Stats.Since(latency.Display, t0)
	if key == 'q' || key == 27 || !w.W.IsOpen() {
		return ErrQuit
	}
	return nil
}
