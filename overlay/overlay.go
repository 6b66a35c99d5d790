package overlay

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sync"

	"gocv.io/x/gocv"
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

// The corners for Options.HUDCorner.
const (
	TopLeft Corner = iota
	TopRight
	BottomLeft
	BottomRight
)

// Options configures a Renderer. The zero value is a good default.
type Options struct {
	// Scale is the text scale, 1 meaning 16 px label text. 0 picks it from
	// the frame height so that text is readable from 360p to 1080p and up.
	Scale float64
	// Bars is the number of probability bars per face: 0 means the default
	// of 3, a negative number means none.
	Bars int
	// NoHUD disables the HUD even when Draw is given one.
	NoHUD bool
	// HUDCorner is the corner of the HUD (default TopLeft).
	HUDCorner Corner
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
	closed bool
}

// ErrClosed is returned by a Renderer's methods after Close.
var ErrClosed = errors.New("overlay: renderer is closed")

// New returns a Renderer with options o.
func New(o Options) (*Renderer, error) {
	if math.IsNaN(o.Scale) || o.Scale < 0 || o.Scale > maxScale {
		return nil, fmt.Errorf("overlay: scale %v out of range [0, %d]", o.Scale, maxScale)
	}
	if o.HUDCorner < TopLeft || o.HUDCorner > BottomRight {
		return nil, fmt.Errorf("overlay: unknown HUD corner %d", o.HUDCorner)
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
// it is nil or the HUD is disabled, onto frame in place. frame must be a
// non-empty, continuous 8-bit BGR Mat (CV_8UC3). Faces are checked before
// anything is drawn: on error the frame is left untouched. Boxes partly or
// wholly outside the frame are clipped; labels and bars are kept inside it.
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
