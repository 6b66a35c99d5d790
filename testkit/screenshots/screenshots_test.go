package screenshots

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/testkit/testenv"
)

var update = flag.Bool("update", false, "rewrite docs/screenshots/*.png (make screenshots)")

// goldenDir is where the README's screenshots live.
var goldenDir = filepath.Join("..", "..", "docs", "screenshots")

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// env finds the inputs, or skips saying which is absent.
func env(t *testing.T) Env {
	t.Helper()
	testenv.Photo(t, "obama-720p.jpg")
	model, err := infer.FindModel("", []string{filepath.Join("..", "..", "assets", "models")})
	if err != nil {
		t.Skipf("shipped default model: %v", err)
	}
	testenv.ORT(t)
	return Env{
		Photos:   filepath.Join(testenv.Data(t), "photos"),
		Detector: testenv.Model(t, "yunet/yunet_n_dynamic.onnx"),
		Model:    model,
	}
}

// Pixel tolerance of the golden comparison: a pixel differs when a channel
// is off by more than pixelTol levels; a screenshot matches when at most
// maxDiffer of its pixels differ. ONNX Runtime and the JPEG decoder may move
// a probability by a point or a box by a pixel on another machine, which
// changes a few digits or an edge, not the picture.
const (
	pixelTol  = 40
	maxDiffer = 0.01
)

// TestScreenshots renders each screenshot and compares it with its golden
// copy in docs/screenshots (with -update, rewrites the copy instead).
func TestScreenshots(t *testing.T) {
	e := env(t)
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			got, lay, err := Render(e, name)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			drawn := 0
			for _, f := range lay.Faces {
				if !f.Label.Empty() {
					drawn++
				}
			}
			if drawn == 0 {
				t.Fatalf("%s: no face labelled (%d faces found)", name, len(lay.Faces))
			}
			golden := filepath.Join(goldenDir, name+".png")
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if !gocv.IMWriteWithParams(golden, got, []int{gocv.IMWritePngCompression, 9}) {
					t.Fatalf("cannot write %s", golden)
				}
				t.Logf("wrote %s (%d faces, %d labelled)", golden, len(lay.Faces), drawn)
				return
			}
			want := gocv.IMRead(golden, gocv.IMReadColor)
			defer want.Close()
			if want.Empty() {
				t.Fatalf("golden %s is missing: run make screenshots", golden)
			}
			if want.Cols() != got.Cols() || want.Rows() != got.Rows() {
				t.Fatalf("%s: rendered %dx%d, golden %dx%d", name, got.Cols(), got.Rows(), want.Cols(), want.Rows())
			}
			n, frac := differing(t, got, want)
			if frac > maxDiffer {
				keep := filepath.Join(t.TempDir(), name+".png")
				gocv.IMWrite(keep, got)
				t.Errorf("%s: %d pixels (%.2f%%) differ from %s by more than %d levels (at most %.1f%% may); "+
					"review the picture and run make screenshots if the change is wanted", name, n, 100*frac, golden, pixelTol, 100*maxDiffer)
			}
		})
	}
}

// differing counts the pixels of a and b (same size, BGR) that differ by
// more than pixelTol in any channel.
func differing(t *testing.T, a, b gocv.Mat) (int, float64) {
	t.Helper()
	pa, err := a.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; i+2 < len(pa); i += 3 {
		for c := 0; c < 3; c++ {
			d := int(pa[i+c]) - int(pb[i+c])
			if d > pixelTol || d < -pixelTol {
				n++
				break
			}
		}
	}
	return n, float64(n) / float64(len(pa)/3)
}
