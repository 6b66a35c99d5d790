package facedetect

import (
	"image"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/testkit/testenv"
)

// Shared detector models, relative to the models folder.
const (
	yunetFixedModel = "yunet/face_detection_yunet_2023mar.onnx"
	yunetDynModel   = "yunet/yunet_n_dynamic.onnx"
	ultraModel      = "ultraface/version-RFB-320.onnx"
	ultraRawModel   = "ultraface/version-RFB-320_without_postprocessing.onnx"
	// blazeModel stands for the converted BlazeFace (see blazefaceModel).
	blazeModel = "blazeface/blazeface.json"
)

// blazefaceModel returns the converted BlazeFace model (see testenv.BlazeFace).
func blazefaceModel(t testing.TB) string { return testenv.BlazeFace(t) }

// detectorCase names a detector configuration under test.
type detectorCase struct {
	name, kind, model string // model relative to the models folder; "" for haar
}

var detectorCases = []detectorCase{
	{"haar", "haar", ""},
	{"blazeface", "blazeface", blazeModel},
	{"yunet", "yunet", yunetDynModel},
	{"yunet640", "yunet", yunetFixedModel},
	{"ultraface", "ultraface", ultraModel},
}

// newDetector opens a detector case with options o, skipping when the
// shared models are absent.
func newDetector(t testing.TB, c detectorCase, o Options) Detector {
	t.Helper()
	path := ""
	switch {
	case c.kind == "blazeface":
		testenv.ORT(t)
		path = blazefaceModel(t)
	case c.model != "":
		testenv.ORT(t)
		path = testenv.Model(t, c.model)
	}
	d, err := New(c.kind, path, o)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("%s: close: %v", c.name, err)
		}
	})
	return d
}

// readPhoto loads a shared photo, closed at the end of the test.
func readPhoto(t testing.TB, name string) gocv.Mat {
	t.Helper()
	m := gocv.IMRead(testenv.Photo(t, name), gocv.IMReadColor)
	if m.Empty() {
		m.Close()
		t.Fatalf("cannot decode %s", name)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// resized returns src resized to w x h, closed at the end of the test.
func resized(t testing.TB, src gocv.Mat, w, h int) gocv.Mat {
	t.Helper()
	m := gocv.NewMat()
	gocv.Resize(src, &m, image.Pt(w, h), 0, 0, gocv.InterpolationArea)
	t.Cleanup(func() { m.Close() })
	return m
}
