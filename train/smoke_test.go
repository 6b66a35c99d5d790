//go:build torch

package train

import (
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/train/data"
)

// tinyRunOptions are the options of a short test run on data: 320 images,
// batch 32, no warm-up, 2 threads, a fresh run directory, no progress bar.
func tinyRunOptions(t *testing.T, data string) Options {
	o := DefaultOptions()
	o.Data = data
	o.Out = filepath.Join(t.TempDir(), "run")
	o.Batch = 32
	o.Limit = 320
	o.Warmup = 0
	o.Threads = 2
	o.Quiet = true
	return o
}

// setUpTrainer makes the run folder and sets up a trainer for o as a run
// does before its first step (data, model, optimizer), logging to log; its
// optimizer is closed when the test ends.
func setUpTrainer(t *testing.T, o Options, log io.Writer) *Trainer {
	t.Helper()
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	tr := &Trainer{opt: o, log: log}
	if err := tr.setup(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.optim.Close)
	return tr
}

// trainOwnFaces trains a tiny run of the given epochs (4 steps each) on
// generated faces in image folders and returns the folder and the options.
func trainOwnFaces(t *testing.T, epochs int) (string, Options) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "myfaces")
	writeOwnFaces(t, root)
	o := tinyRunOptions(t, root)
	o.Limit, o.Batch, o.Epochs, o.MaxSteps, o.LR = 0, 16, epochs, 4, 0.01
	if err := RunTrain(context.Background(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	return root, o
}

func smokeOptions(t *testing.T, variant string) Options {
	o := tinyRunOptions(t, testenv.Data(t))
	o.Variant = variant
	o.LR = 0.01
	return o
}

// TestSmokeLossFalls trains the full RLR-CNet (dual branch, beta-Mish, SA)
// for 20 steps on a few hundred FER2013 images and checks the loss falls.
func TestSmokeLossFalls(t *testing.T) {
	o := smokeOptions(t, "full")
	// many nominal epochs keep BBN's a = 1-(T/Ts)^2 near 1 over the 20 steps: the
	// mixed loss of two different images has a high floor once a drops
	o.Epochs = 1000
	o.Mask, o.Shift, o.Scale, o.Rotate, o.NoFlip = "off", 0, 0, 0, true
	tr := setUpTrainer(t, o, testLog{t})
	// 64 images (2 steps an epoch): 20 steps must fit them better
	tr.train = &data.Dataset{Classes: tr.train.Classes, Size: 48, Images: tr.train.Images[:64], Labels: tr.train.Labels[:64]}
	ld := tr.loader()
	var losses []float64
	for epoch := 0; len(losses) < 20; epoch++ {
		for b := range ld.Epoch(context.Background(), epoch, 0) {
			loss, _, err := tr.step(b, o.LR, tr.alpha(epoch))
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, loss)
		}
	}
	first := (losses[0] + losses[1] + losses[2] + losses[3]) / 4
	last := (losses[16] + losses[17] + losses[18] + losses[19]) / 4
	t.Logf("losses %.3f", losses)
	if !(last < first-0.2) {
		t.Fatalf("loss did not fall: first 4 steps %.3f, last 4 %.3f", first, last)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(p))
	return len(p), nil
}

// TestScoreCorrect checks the training accuracy's counting: plain labels
// score 1 each; BBN's mixed predictions score alpha for the uniform
// sample's label and 1-alpha for the reversed sample's.
func TestScoreCorrect(t *testing.T) {
	if got := scoreCorrect([]int64{0, 1, 2}, []int64{0, 1, 1}, 0.3); got != 2 {
		t.Errorf("single branch: %v correct, want 2", got)
	}
	// predictions 0 and 1; uniform labels 0, 2; reversed labels 0, 1
	got := scoreCorrect([]int64{0, 1}, []int64{0, 2, 0, 1}, 0.25)
	if want := (0.25 + 0.75) + 0.75; math.Abs(got-want) > 1e-12 {
		t.Errorf("two branches: %v correct, want %v", got, want)
	}
}
