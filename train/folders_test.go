//go:build torch

package train

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
)

// writeOwnFaces writes a user's own dataset: train/ and test/ folders of
// three classes that are not FER2013's (stripes, columns, checks, with
// noise), 48x48 gray PNG.
func writeOwnFaces(t *testing.T, root string) {
	t.Helper()
	writeFaces(t, root, []string{"Tense", "calm", "smile"})
}

// writeFaces writes train/ and test/ folders of generated classes (stripes,
// columns, checks, diagonals, with noise) under the given folder names.
func writeFaces(t *testing.T, root string, classes []string) {
	t.Helper()
	r := rand.New(rand.NewSource(4))
	for split, n := range map[string]int{"train": 40, "test": 8} {
		for ci, class := range classes {
			dir := filepath.Join(root, split, class)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				im := image.NewGray(image.Rect(0, 0, 48, 48))
				for y := 0; y < 48; y++ {
					for x := 0; x < 48; x++ {
						on := [4]bool{y/6%2 == 0, x/6%2 == 0, (x/6+y/6)%2 == 0, (x+y)/6%2 == 0}[ci%4]
						v := 70 + r.Intn(40)
						if on {
							v += 100
						}
						im.Pix[y*48+x] = uint8(v)
					}
				}
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s_%02d.png", class, i)))
				if err != nil {
					t.Fatal(err)
				}
				if err := png.Encode(f, im); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
		}
	}
}

// addAngryClass adds a class folder train/angry to the faces of
// writeOwnFaces (two calm faces, linked).
func addAngryClass(t *testing.T, root string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, "train", "angry"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"calm_00.png", "calm_01.png"} {
		if err := os.Link(filepath.Join(root, "train", "calm", f), filepath.Join(root, "train", "angry", f)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTrainOwnFolders trains on a user's own image folders (no FER2013
// file names, own classes, no validation folder), then exports with a
// model card: the model's labels are the user's classes, validation is
// held out of train/, and the card reports test/.
func TestTrainOwnFolders(t *testing.T) {
	root := filepath.Join(t.TempDir(), "myfaces")
	writeOwnFaces(t, root)
	o := tinyRunOptions(t, root)
	o.Limit = 0
	o.Batch = 16
	o.Epochs = 2
	o.MaxSteps = 3
	o.LR = 0.01
	if err := RunTrain(context.Background(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := ReadState(filepath.Join(o.Out, "best.pt"))
	if err != nil {
		t.Fatal(err)
	}
	if st.dataset() != "folders" || strings.Join(st.Labels, ",") != "calm,smile,tense" {
		t.Fatalf("run dataset %q labels %v, want folders with calm,smile,tense", st.dataset(), st.Labels)
	}
	log, err := os.ReadFile(filepath.Join(o.Out, "log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "train 108, Valid 12, Test 24 images") || !strings.Contains(string(log), "every 10th training image of each class held out") {
		t.Errorf("log does not report the held-out split:\n%s", log)
	}

	out := filepath.Join(t.TempDir(), "mine.onnx")
	card := strings.TrimSuffix(out, ".onnx") + ".md"
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(o.Out, "best.pt"), "--out", out,
		"--data", root, "--card", card, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := contract.Parse(m.MetaMap())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(spec.Labels, ",") != "calm,smile,tense" || spec.Dataset != "folders" || spec.Accuracy == "" {
		t.Fatalf("exported contract %+v", spec)
	}
	text, err := os.ReadFile(card)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Image folders `" + root + "`", "held out and never trained on", "(24 images)", "(12 images)", "| tense |"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("card lacks %q", want)
		}
	}
	// resuming on a tree whose classes changed is refused
	if err := os.MkdirAll(filepath.Join(root, "train", "angry"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "train", "calm", "calm_00.png"), filepath.Join(root, "train", "angry", "a.png")); err != nil {
		t.Fatal(err)
	}
	o.Resume, o.Epochs = true, 3
	if err := RunTrain(context.Background(), o, io.Discard); err == nil || !strings.Contains(err.Error(), "angry") {
		t.Errorf("resume with a new class folder: %v", err)
	}
}
