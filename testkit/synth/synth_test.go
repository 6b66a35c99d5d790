package synth_test

import (
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/testkit/synth"
	"github.com/ferlive/ferlive/testkit/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func TestWritesClipWithTruth(t *testing.T) {
	photos := filepath.Join(testenv.Data(t), "photos")
	p := filepath.Join(t.TempDir(), "e2e.mp4")
	spec := synth.EndToEnd()
	truth, err := synth.Write(p, spec, synth.PhotoFaces(photos))
	if err != nil {
		t.Fatal(err)
	}
	if len(truth) != spec.Frames {
		t.Fatalf("%d truth frames, want %d", len(truth), spec.Frames)
	}
	counts := map[int]int{}
	for _, tr := range truth {
		counts[len(tr)]++
	}
	if counts[0] < 20 || counts[1] < 50 || counts[2] < 40 {
		t.Fatalf("frames by face count %v: want frames with 0, 1 and 2 faces", counts)
	}
	vc, err := gocv.VideoCaptureFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	if n := int(vc.Get(gocv.VideoCaptureFrameCount)); n != spec.Frames {
		t.Fatalf("clip has %d frames, want %d", n, spec.Frames)
	}
	if dir := os.Getenv("SYNTH_SAMPLE"); dir != "" {
		m := gocv.NewMat()
		defer m.Close()
		for i := 0; vc.Read(&m); i++ {
			if i == 60 || i == 100 || i == 140 {
				gocv.IMWrite(filepath.Join(dir, "frame"+string(rune('0'+i/20))+".png"), m)
			}
		}
	}
}

func TestStillCrowd(t *testing.T) {
	photos := filepath.Join(testenv.Data(t), "photos")
	spec := synth.Crowd(1280, 720, 10)
	frame, truth, err := synth.Still(spec, synth.CrowdFaces(photos), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer frame.Close()
	if frame.Cols() != 1280 || frame.Rows() != 720 {
		t.Fatalf("still is %dx%d, want 1280x720", frame.Cols(), frame.Rows())
	}
	if len(truth) != len(spec.Motions) {
		t.Fatalf("%d faces in the still, want %d", len(truth), len(spec.Motions))
	}
	for i, b := range truth {
		if b.Dx() < 40 || b.Dy() < 40 {
			t.Errorf("face %d box %v: too small for a crowd face", i, b)
		}
	}
	if dir := os.Getenv("SYNTH_SAMPLE"); dir != "" {
		gocv.IMWrite(filepath.Join(dir, "crowd.png"), frame)
	}
	if _, _, err := synth.Still(spec, []synth.Face{{Photo: "/nonexistent.jpg"}}, 0); err == nil {
		t.Error("Still with a missing photo succeeded")
	}
}
