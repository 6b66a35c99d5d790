// Package screenshots renders the README's overlay screenshots through the
// real detector (YuNet), the shipped default model and the overlay: a
// crowded frame (a synthetic audience pasted from the shared photos'
// faces, see testkit/synth) and a close-up (a shared photo). `make
// screenshots` rewrites docs/screenshots/*.png, so that a change to the
// overlay can be reviewed as pictures; the package's test compares fresh
// renders with them, with a tolerance.
package screenshots

import (
	"fmt"
	"image"
	"path/filepath"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/facedetect"
	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/overlay"
	"github.com/ferlive/ferlive/testkit/synth"
)

// Env says where the inputs are.
type Env struct {
	Photos   string // the shared photos folder
	Detector string // YuNet ONNX file (yunet_n_dynamic.onnx)
	Model    string // expression model (the shipped default)
}

// Names are the screenshots, in README order.
var Names = []string{"crowd", "closeup"}

// closeUp is the part of obama-720p.jpg the close-up shows.
var closeUp = image.Rect(352, 0, 992, 360)

// Frame returns the input frame of screenshot name; the caller closes it.
func Frame(env Env, name string) (gocv.Mat, error) {
	switch name {
	case "crowd":
		m, _, err := synth.Still(synth.Crowd(960, 540, 1), synth.CrowdFaces(env.Photos), 0)
		return m, err
	case "closeup":
		p := filepath.Join(env.Photos, "obama-720p.jpg")
		photo := gocv.IMRead(p, gocv.IMReadColor)
		defer photo.Close()
		if photo.Empty() || !closeUp.In(image.Rect(0, 0, photo.Cols(), photo.Rows())) {
			return gocv.Mat{}, fmt.Errorf("screenshots: cannot read %s, or it is smaller than %v", p, closeUp.Max)
		}
		roi := photo.Region(closeUp)
		defer roi.Close()
		return roi.Clone(), nil
	}
	return gocv.Mat{}, fmt.Errorf("screenshots: unknown screenshot %q (want one of %v)", name, Names)
}

// Render renders screenshot name: its frame with every face YuNet finds,
// classified by the model in one batch and drawn by the overlay as
// `ferlive annotate` draws it (no HUD). ONNX Runtime must be initialised.
// The caller closes the returned Mat.
func Render(env Env, name string) (gocv.Mat, overlay.Layout, error) {
	frame, err := Frame(env, name)
	if err != nil {
		return gocv.Mat{}, overlay.Layout{}, err
	}
	lay, err := annotate(env, &frame)
	if err != nil {
		frame.Close()
		return gocv.Mat{}, overlay.Layout{}, err
	}
	return frame, lay, nil
}

// annotate detects, classifies and draws the faces of frame in place.
func annotate(env Env, frame *gocv.Mat) (overlay.Layout, error) {
	opts := ort.Options{Threads: 1}
	det, err := facedetect.New("yunet", env.Detector, facedetect.Options{ORT: opts})
	if err != nil {
		return overlay.Layout{}, err
	}
	defer det.Close()
	cls, err := infer.Open(env.Model, opts)
	if err != nil {
		return overlay.Layout{}, err
	}
	defer cls.Close()
	found, err := det.Detect(*frame)
	if err != nil {
		return overlay.Layout{}, fmt.Errorf("screenshots: detect: %w", err)
	}
	tracks := facedetect.NewTracker(facedetect.TrackerOptions{}).Update(found)
	boxes := make([]image.Rectangle, len(tracks))
	for i, t := range tracks {
		boxes[i] = t.Box
	}
	probs, err := cls.Classify(*frame, boxes)
	if err != nil {
		return overlay.Layout{}, fmt.Errorf("screenshots: classify: %w", err)
	}
	faces := make([]overlay.Face, len(tracks))
	for i, t := range tracks {
		faces[i] = overlay.Face{ID: t.ID, Box: t.Box, Labels: cls.Labels(), Probs: probs[i]}
	}
	r, err := overlay.New(overlay.Options{Uncertain: overlay.UncertaintyOf(cls.Spec().UncertainOrDefault())})
	if err != nil {
		return overlay.Layout{}, err
	}
	defer r.Close()
	lay, err := r.Layout(frame.Cols(), frame.Rows(), faces, nil)
	if err != nil {
		return overlay.Layout{}, err
	}
	if err := r.Draw(frame, faces, nil); err != nil {
		return overlay.Layout{}, err
	}
	return lay, nil
}
