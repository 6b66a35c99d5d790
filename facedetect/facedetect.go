// Package facedetect finds faces in BGR frames and follows them from frame to
// frame with stable ids.
//
// Four detectors implement Detector: a Haar cascade (OpenCV, needing
// nothing but Debian's opencv-data: New's default and the fallback when no
// model is installed), and BlazeFace, YuNet and UltraFace, ONNX models run
// through ONNX Runtime (internal/ort). BlazeFace, converted from
// TensorFlow.js by `make models`, is what the command line uses when it is
// installed. All of them run on a
// downscaled (or letterboxed) copy of the frame and return boxes in the
// frame's own coordinates, clipped to it.
//
// Detectors keep their working buffers between calls and are therefore not
// safe for concurrent use: use each one from a single goroutine at a time (or
// one detector per goroutine). A Tracker has the same rule.
package facedetect

import (
	"errors"
	"fmt"
	"image"
	"strings"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/ort"
)

// Face is one detected face in frame coordinates.
type Face struct {
	Box   image.Rectangle
	Score float32 // detector confidence (1 for Haar)
	// Landmarks: 5 points for YuNet (right eye, left eye, nose tip, right
	// and left mouth corners), 6 for BlazeFace (right eye, left eye, nose
	// tip, mouth centre, right and left ear tragion), nil otherwise.
	Landmarks []image.Point
}

// Detector finds faces in a BGR 8UC3 frame. Boxes are in the frame's own
// coordinates. A Detector is not safe for concurrent use.
type Detector interface {
	// Detect returns the faces of frame, best score first for the ONNX
	// detectors. The returned slice is the caller's.
	Detect(frame gocv.Mat) ([]Face, error)
	// Close releases the detector's native resources; it is idempotent.
	Close() error
}

// Options tunes a detector; the zero value selects each detector's defaults.
type Options struct {
	// MaxSide: detection runs on a downscaled copy whose longest side is at
	// most MaxSide (0 = the detector's default); boxes are mapped back. It
	// applies to Haar and to ONNX models with a dynamic input size; a model
	// with a fixed input size is always fed a copy letterboxed to that size.
	MaxSide int
	// MinSize is the smallest face side in frame pixels (0 = default).
	MinSize int
	// Threshold is the score threshold (0 = default). For Haar it is the
	// cascade's minimum number of neighbours, rounded.
	Threshold float32
	// NMS is the non-maximum-suppression IoU (0 = default; unused by Haar).
	NMS float32
	// ORT selects device and threads of the ONNX detectors.
	ORT ort.Options
}

// Kinds lists the detector kinds New accepts; the first is New's default.
var Kinds = []string{"haar", "blazeface", "yunet", "ultraface"}

// ModelFlag is the command-line flag that names a detector's model file; the
// errors about a missing model mention it.
const ModelFlag = "--detector-model"

// New creates a detector of the given kind ("haar" when kind is ""). For haar,
// modelPath is the cascade XML ("" = DefaultCascade); for yunet and ultraface
// it is the ONNX file and is required; for blazeface it defaults to
// FindBlazeFace("").
func New(kind, modelPath string, o Options) (Detector, error) {
	switch strings.ToLower(kind) {
	case "", "haar":
		return NewHaar(modelPath, o)
	case "blazeface":
		if modelPath == "" {
			modelPath = FindBlazeFace("")
		}
		if modelPath == "" {
			return nil, fmt.Errorf("detector blazeface: no model found (%s); run `make deps` or pass it with %s", BlazeFaceRel, ModelFlag)
		}
		return NewBlazeFace(modelPath, o)
	case "yunet", "ultraface":
		if modelPath == "" {
			return nil, fmt.Errorf("detector %s needs an ONNX model file: pass it with %s", kind, ModelFlag)
		}
		if strings.ToLower(kind) == "yunet" {
			return NewYuNet(modelPath, o)
		}
		return NewUltraFace(modelPath, o)
	default:
		return nil, fmt.Errorf("unknown face detector %q: want one of %s", kind, strings.Join(Kinds, ", "))
	}
}

// checkFrame verifies that frame is a non-empty BGR 8UC3 image.
func checkFrame(frame gocv.Mat) error {
	if frame.Empty() {
		return errors.New("empty frame")
	}
	if t := frame.Type(); t != gocv.MatTypeCV8UC3 {
		return fmt.Errorf("frame of type %v: want a BGR 8UC3 image", t)
	}
	return nil
}

// fitScale returns the factor that makes the longest side of a w x h image at
// most maxSide (never enlarging).
func fitScale(w, h, maxSide int) float64 {
	long := max(w, h)
	if maxSide <= 0 || long <= maxSide {
		return 1
	}
	return float64(maxSide) / float64(long)
}

// scaled returns the size of a w x h image scaled by s, at least 1x1.
func scaled(w, h int, s float64) image.Point {
	return image.Pt(max(1, int(float64(w)*s+0.5)), max(1, int(float64(h)*s+0.5)))
}
