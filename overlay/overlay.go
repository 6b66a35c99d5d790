package overlay

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sync"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/contract"
)

// Face is one detected face and its classification, as drawn by Draw.
type Face struct {
	// ID is the face's track id, shown as "#ID" in its label; a negative ID
	// is not shown.
	ID int
	// Box is the face's box in frame pixels. It may reach beyond the frame.
	Box image.Rectangle
	// Labels are the class names, in the model's output order.
	Labels []string
	// Probs are the class probabilities, in the same order as Labels
	// (summing to about 1). Values outside [0, 1] or NaN are clamped.
	Probs []float32
}

// Stage is the latency of one pipeline stage for the HUD.
type Stage struct {
	// Name is the stage's name, e.g. "detect".
	Name string
	// Ms is the stage's time in milliseconds.
	Ms float64
}

// HUD is the heads-up display drawn in a corner of the frame.
type HUD struct {
	// FPS is the current frame rate; 0 hides the fps line.
	FPS float64
	// Stages are per-stage latencies (e.g. decode, detect, preprocess,
	// infer, overlay, encode), one line each.
	Stages []Stage
	// Lines are extra free-text lines (e.g. "faces 2").
	Lines []string
}

// Corner selects the frame corner of the HUD.
type Corner int

// The corners for Options.HUDCorner. AutoCorner, the default, puts the HUD
// in the free corner with the fewest faces, staying there while it is free.
const (
	AutoCorner Corner = iota
	TopLeft
	TopRight
	BottomLeft
	BottomRight
)

// Uncertainty says when a classification is too weak to be shown as a
// finding: when the top probability is below MinProb, or its margin over
// the runner-up below MinMargin. Such a face is labelled "uncertain" in
// UncertainColor; its probability panel, when shown, still has the bars.
type Uncertainty struct {
	MinProb, MinMargin float32
}

// DefaultUncertainty is the threshold for a model whose contract sets none
// (contract.DefaultUncertain).
var DefaultUncertainty = Uncertainty{
	MinProb:   float32(contract.DefaultUncertain.P),
	MinMargin: float32(contract.DefaultUncertain.Margin),
}

// UncertaintyOf is the overlay threshold of a model contract's
// (contract.Spec.UncertainOrDefault).
func UncertaintyOf(u contract.Uncertain) *Uncertainty {
	return &Uncertainty{MinProb: float32(u.P), MinMargin: float32(u.Margin)}
}

// weak reports whether a top probability top with runner-up second is
// uncertain.
func (u Uncertainty) weak(top, second float32) bool {
	return top < u.MinProb || top-second < u.MinMargin
}

// Options configures a Renderer. The zero value is a good default.
type Options struct {
	// Scale fixes the text scale of every label, 1 meaning 16 px label
	// text. 0 sizes each label by its face's height, within bounds set by
	// the frame size (11 to 16 px at 720p, 29 to 48 px at 4K, never below
	// 11 px), so that text is readable from 320x240 to 4K.
	Scale float64
	// Bars is the number of probability bars per face: 0 means the default
	// of 3, a negative number means none.
	Bars int
	// NoHUD disables the HUD even when Draw is given one.
	NoHUD bool
	// HUDCorner is the preferred corner of the HUD; by default
	// (AutoCorner) the free corner with the fewest faces. The HUD never
	// covers a face, label or panel: when its corner is taken it goes to
	// another, shrinks to its first line, or is left out.
	HUDCorner Corner
	// Uncertain is the threshold below which a classification is drawn as
	// uncertain; nil means DefaultUncertainty.
	Uncertain *Uncertainty
}

// Cache bounds: enough entries for every label, percentage and HUD string
// of a busy scene, and a byte budget that bounds memory at any scale.
const (
	textCacheSize   = 2048
	textCacheBytes  = 16 << 20
	shapeCacheSize  = 128
	shapeCacheBytes = 16 << 20
	defaultBars     = 3
	maxScale        = 16
)

// Renderer draws annotations onto frames. It caches rendered text and shapes
// between frames; create one per output stream and reuse it. It is safe for
// concurrent use.
type Renderer struct {
	mu     sync.Mutex
	opts   Options
	fonts  *fontSet
	text   *lru[textKey]
	shapes *lru[shapeKey]
	luts   map[lutKey]*blendLUT
	mem    *memory
	closed bool
}

// ErrClosed is returned by a Renderer's methods after Close.
var ErrClosed = errors.New("overlay: renderer is closed")

// New returns a Renderer with options o.
func New(o Options) (*Renderer, error) {
	if math.IsNaN(o.Scale) || o.Scale < 0 || o.Scale > maxScale {
		return nil, fmt.Errorf("overlay: scale %v out of range [0, %d]", o.Scale, maxScale)
	}
	if o.HUDCorner < AutoCorner || o.HUDCorner > BottomRight {
		return nil, fmt.Errorf("overlay: unknown HUD corner %d", o.HUDCorner)
	}
	if u := o.Uncertain; u != nil && (!(u.MinProb >= 0 && u.MinProb <= 1) || !(u.MinMargin >= 0 && u.MinMargin <= 1)) {
		return nil, fmt.Errorf("overlay: uncertainty p=%v margin=%v: want values in [0, 1]", u.MinProb, u.MinMargin)
	}
	fs, err := newFontSet()
	if err != nil {
		return nil, err
	}
	return &Renderer{
		opts:   o,
		fonts:  fs,
		text:   newLRU[textKey](textCacheSize, textCacheBytes),
		shapes: newLRU[shapeKey](shapeCacheSize, shapeCacheBytes),
		luts:   make(map[lutKey]*blendLUT),
	}, nil
}

// Close releases the Renderer's caches and fonts. Draw fails after Close.
// Closing twice is harmless.
func (r *Renderer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.fonts.close()
	r.text = nil
	r.shapes = nil
	r.luts = nil
	return nil
}

// Draw draws the boxes, labels and probability bars of faces, and hud unless
// it is nil or the HUD is disabled, onto frame in place (see the Renderer's
// layout rules in Layout). frame must be a non-empty, continuous 8-bit BGR
// Mat (CV_8UC3). Faces are checked before anything is drawn: on error the
// frame is left untouched. Boxes partly or wholly outside the frame are
// clipped; labels and bars are kept inside it and never cover a face box.
//
// A Renderer remembers where each face id's labels went, so that they stay
// put from frame to frame: use one Renderer per stream.
func (r *Renderer) Draw(frame *gocv.Mat, faces []Face, hud *HUD) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	f, err := frameOf(frame)
	if err != nil {
		return err
	}
	lay, err := r.layout(f.w, f.h, faces, hud)
	if err != nil {
		return err
	}
	r.paint(&f, &lay)
	return nil
}

// DrawHUD draws hud alone onto frame, clear of the faces, labels and panels
// that the last Draw or Layout of a frame of the same size placed: for a
// window that shows the HUD over a frame that was written to a file without
// it. It returns the HUD's rectangle, empty when there was no room.
func (r *Renderer) DrawHUD(frame *gocv.Mat, hud *HUD) (image.Rectangle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return image.Rectangle{}, ErrClosed
	}
	f, err := frameOf(frame)
	if err != nil {
		return image.Rectangle{}, err
	}
	if hud == nil || r.opts.NoHUD {
		return image.Rectangle{}, nil
	}
	mem := r.memory(f.w, f.h)
	fm := newFrameMetrics(f.w, f.h, r.opts.Scale)
	sp := &space{frame: f.bounds(), sep: fm.sep, rings: mem.lastRings, placed: append([]image.Rectangle(nil), mem.lastPlaced...)}
	rect, items := r.layoutHUD(&fm, sp, hud, mem)
	r.paint(&f, &Layout{items: items})
	return rect, nil
}

// uncertainty is the Renderer's threshold.
func (r *Renderer) uncertainty() Uncertainty {
	if r.opts.Uncertain != nil {
		return *r.opts.Uncertain
	}
	return DefaultUncertainty
}
