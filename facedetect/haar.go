package facedetect

import (
	"fmt"
	"image"
	"math"
	"os"

	"gocv.io/x/gocv"
)

// DefaultCascade is Debian's (opencv-data) frontal face cascade, used when no
// cascade file is given.
const DefaultCascade = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

// Defaults of the Haar detector, chosen by measurement (see bench_test.go):
// on the shared photos every MaxSide from 320 to 640 and scale factor from
// 1.1 to 1.2 finds the same faces (1.1 adds false positives), so the choice
// is speed against the smallest face found. At 480 the cascade finds faces
// from about 60 px in a 1280x720 frame (30 px in 640x360) for about 40 ms a
// frame here, two thirds of the cost at 640; 320 takes 17 ms but misses
// faces below about 90 px at 720p.
const (
	// HaarMaxSide is the default longest side of the detection copy.
	HaarMaxSide = 480
	// HaarMinSize is the default smallest face side in frame pixels: 0
	// leaves it to the cascade's window (24 px in the detection copy).
	HaarMinSize = 0
	// HaarNeighbours is the default minimum number of neighbours
	// (Options.Threshold).
	HaarNeighbours = 4
	// HaarScaleFactor is the cascade's pyramid step.
	HaarScaleFactor = 1.2
)

// Haar detects frontal faces with an OpenCV Haar cascade on an equalised
// gray, downscaled copy of the frame. Its boxes are the cascade's own (tight
// around eyes, nose and mouth). Score is always 1. Not safe for concurrent use.
type Haar struct {
	cc          gocv.CascadeClassifier
	path        string
	maxSide     int
	minSize     int
	neighbours  int
	scaleFactor float64
	small, gray gocv.Mat
	closed      bool
}

// NewHaar loads the cascade at cascadePath ("" = DefaultCascade).
func NewHaar(cascadePath string, o Options) (*Haar, error) {
	if cascadePath == "" {
		cascadePath = DefaultCascade
	}
	if _, err := os.Stat(cascadePath); err != nil {
		return nil, fmt.Errorf("haar cascade: %w (install Debian's opencv-data or pass a cascade XML with %s)", err, ModelFlag)
	}
	if err := checkCascade(cascadePath); err != nil {
		return nil, fmt.Errorf("haar cascade: %w", err)
	}
	h := &Haar{
		path:        cascadePath,
		maxSide:     HaarMaxSide,
		minSize:     HaarMinSize,
		neighbours:  HaarNeighbours,
		scaleFactor: HaarScaleFactor,
	}
	if o.MaxSide > 0 {
		h.maxSide = o.MaxSide
	}
	if o.MinSize > 0 {
		h.minSize = o.MinSize
	}
	if o.Threshold > 0 {
		h.neighbours = max(1, int(math.Round(float64(o.Threshold))))
	}
	h.cc = gocv.NewCascadeClassifier()
	if !h.cc.Load(cascadePath) {
		h.cc.Close()
		return nil, fmt.Errorf("haar cascade %s: OpenCV cannot load it as a cascade classifier", cascadePath)
	}
	h.small = gocv.NewMat()
	h.gray = gocv.NewMat()
	return h, nil
}

// Detect finds the faces of a BGR 8UC3 frame.
func (h *Haar) Detect(frame gocv.Mat) ([]Face, error) {
	if h.closed {
		return nil, fmt.Errorf("haar detector %s: closed", h.path)
	}
	if err := checkFrame(frame); err != nil {
		return nil, fmt.Errorf("haar detect: %w", err)
	}
	w, ht := frame.Cols(), frame.Rows()
	src := frame
	m := mapping{sx: 1, sy: 1, bounds: image.Rect(0, 0, w, ht)}
	if s := fitScale(w, ht, h.maxSide); s < 1 {
		sz := scaled(w, ht, s)
		gocv.Resize(frame, &h.small, sz, 0, 0, gocv.InterpolationArea)
		src = h.small
		m.sx, m.sy = float64(sz.X)/float64(w), float64(sz.Y)/float64(ht)
	}
	gocv.CvtColor(src, &h.gray, gocv.ColorBGRToGray)
	gocv.EqualizeHist(h.gray, &h.gray)
	minSide := int(math.Ceil(float64(h.minSize) * min(m.sx, m.sy)))
	rects := h.cc.DetectMultiScaleWithParams(h.gray, h.scaleFactor, h.neighbours, 0,
		image.Pt(minSide, minSide), image.Point{})
	faces := make([]Face, 0, len(rects))
	for _, r := range rects {
		c := cand{x1: float32(r.Min.X), y1: float32(r.Min.Y), x2: float32(r.Max.X), y2: float32(r.Max.Y), score: 1}
		if f, ok := m.face(&c, 0); ok { // the cascade already enforced minSide
			faces = append(faces, f)
		}
	}
	return faces, nil
}

// Close releases the cascade and the working images.
func (h *Haar) Close() error {
	if h.closed {
		return nil
	}
	h.closed = true
	h.small.Close()
	h.gray.Close()
	return h.cc.Close()
}
