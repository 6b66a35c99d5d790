package overlay

import (
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/testkit/testenv"
	"gocv.io/x/gocv"
)

// TestSamplePNG writes an annotated sample frame as a PNG for a person to
// look at: over two_people.jpg when $FERLIVE_DATA holds it, else over a gray
// gradient. Set $OVERLAY_SAMPLE to a path to keep a copy.
func TestSamplePNG(t *testing.T) {
	var frame gocv.Mat
	var faces []Face
	photo := ""
	if d := os.Getenv(testenv.EnvData); d != "" {
		photo = filepath.Join(d, "photos", "two_people.jpg")
	}
	if _, err := os.Stat(photo); photo != "" && err == nil {
		frame = gocv.IMRead(photo, gocv.IMReadColor)
		if frame.Empty() {
			frame.Close()
			t.Fatalf("cannot read %s", photo)
		}
		faces = []Face{
			{ID: 1, Box: image.Rect(212, 30, 392, 240), Labels: fer2013, Probs: probs7(3, 0.91)},
			{ID: 2, Box: image.Rect(762, 40, 952, 260), Labels: fer2013, Probs: probs7(6, 0.64)},
		}
	} else {
		frame = gradientFrame(t, 1280, 720)
		faces = []Face{
			{ID: 1, Box: image.Rect(200, 200, 360, 380), Labels: fer2013, Probs: probs7(3, 0.91)},
			{ID: 2, Box: image.Rect(640, 120, 780, 280), Labels: fer2013, Probs: probs7(4, 0.55)},
			{ID: 3, Box: image.Rect(1180, 300, 1300, 460), Labels: fer2013, Probs: probs7(5, 0.78)},
			{ID: 14, Box: image.Rect(420, 600, 540, 740), Labels: fer2013, Probs: probs7(0, 0.47)},
		}
	}
	defer frame.Close()
	r := newRenderer(t, Options{})
	if err := r.Draw(&frame, faces, sampleHUD()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "overlay_sample.png")
	if !gocv.IMWrite(out, frame) {
		t.Fatalf("cannot write %s", out)
	}
	if keep := os.Getenv("OVERLAY_SAMPLE"); keep != "" {
		if !gocv.IMWrite(keep, frame) {
			t.Fatalf("cannot write %s", keep)
		}
		t.Logf("sample written to %s", keep)
	}
}
