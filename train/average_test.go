//go:build torch

package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAverageWeights: `ferlive export --average` exports the mean of a
// run's checkpoints (stochastic weight averaging), with its batch norms
// re-estimated, and says so in the card.
func TestAverageWeights(t *testing.T) {
	root, o := trainOwnFaces(t, 1)
	// resumed to 4 epochs keeping the last 2: epoch-3.pt and epoch-4.pt
	o.Epochs, o.Resume, o.KeepEpochs = 4, true, 2
	if err := RunTrain(context.Background(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	for e, want := range map[int]bool{1: false, 2: false, 3: true, 4: true} {
		if _, err := os.Stat(filepath.Join(o.Out, fmt.Sprintf("epoch-%d.pt", e))); (err == nil) != want {
			t.Errorf("--keep-epochs 2 after 4 epochs: epoch-%d.pt exists = %v, want %v", e, err == nil, want)
		}
	}
	last, prev := filepath.Join(o.Out, "last.pt"), filepath.Join(o.Out, "epoch-3.pt")
	same, _, err := LoadModel(filepath.Join(o.Out, "epoch-4.pt"))
	if err != nil {
		t.Fatal(err)
	}
	lastM, _, err := LoadModel(last)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := same.Vars()[0].T.Float32s()
	y, _ := lastM.Vars()[0].T.Float32s()
	if x[0] != y[0] {
		t.Errorf("epoch-4.pt is not the last epoch's weights")
	}

	a, _, err := LoadModel(last)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := LoadModel(prev)
	if err != nil {
		t.Fatal(err)
	}
	avg, _, err := LoadModel(last)
	if err != nil {
		t.Fatal(err)
	}
	if err := AverageWeights(avg, []string{prev}); err != nil {
		t.Fatal(err)
	}
	va, vc, vm := a.Vars(), c.Vars(), avg.Vars()
	moved := 0
	for i := range vm {
		x, _ := va[i].T.Float32s()
		y, _ := vc[i].T.Float32s()
		m, _ := vm[i].T.Float32s()
		for k := range m {
			want := (x[k] + y[k]) / 2
			if vm[i].Buffer {
				want = x[k] // running statistics stay as loaded
			} else if x[k] != y[k] {
				moved++
			}
			if math.Abs(float64(m[k]-want)) > 1e-6 {
				t.Fatalf("%s[%d] = %g, want %g (%g, %g)", vm[i].Name, k, m[k], want, x[k], y[k])
			}
		}
	}
	if moved == 0 {
		t.Fatal("the two checkpoints have the same weights: the test would not see an average")
	}

	card := filepath.Join(t.TempDir(), "avg.md")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", last, "--average", prev, "--out", strings.TrimSuffix(card, ".md") + ".onnx",
		"--data", root, "--card", card, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(card)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"the mean of 2 checkpoints", "not one epoch's but the mean of 2 checkpoints' weights", "--checkpoint " + last + " ", "--average " + prev, "--recalibrate-bn 100"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("card of an averaged model lacks %q", want)
		}
	}
	err = ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", last, "--average", card, "--out", filepath.Join(t.TempDir(), "x.onnx"), "--threads", "1"})
	if err == nil || !strings.Contains(err.Error(), card) {
		t.Errorf("--average with a file that is no checkpoint: %v", err)
	}
}
