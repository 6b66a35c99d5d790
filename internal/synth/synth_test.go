package synth_test

import (
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/synth"
	"github.com/ferlive/ferlive/internal/testenv"
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
