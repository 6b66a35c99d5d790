//go:build torch

package train

import (
	"context"
	"encoding/json"
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
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/train/data"
	"github.com/ferlive/ferlive/train/lfnsb"
	"github.com/ferlive/ferlive/train/torch"
)

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// ferPlusData returns the shared FER+ archive when shared is set and it is
// present, else a generated FER+ tree of n faces per split whose class is
// drawn as a bright bar at a class-dependent height (so that training can
// still be checked, and command paths run without loading 35,000 faces).
func ferPlusData(t *testing.T, n int, shared bool) string {
	t.Helper()
	if d := os.Getenv(testenv.EnvData); d != "" && shared {
		if p := filepath.Join(d, "ferplus.tar.gz"); data.IsFERPlus(p) {
			return p
		}
	}
	if shared {
		t.Logf("shared FER+ absent ($%s): training on generated faces", testenv.EnvData)
	}
	root := t.TempDir()
	rng := rand.New(rand.NewSource(1))
	tr, va, te := data.FERPlusFolders()
	for _, folder := range []string{tr, va, te} {
		dir := filepath.Join(root, "ferplus", "data", folder)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var csv strings.Builder
		for i := 0; i < n; i++ {
			c := i % 8
			im := image.NewGray(image.Rect(0, 0, 48, 48))
			for j := range im.Pix {
				im.Pix[j] = uint8(60 + rng.Intn(40))
			}
			for y := 4 + 5*c; y < 8+5*c; y++ {
				for x := 8; x < 40; x++ {
					im.Pix[y*48+x] = 230
				}
			}
			name := fmt.Sprintf("fer%07d.png", i)
			f, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, im); err != nil {
				t.Fatal(err)
			}
			f.Close()
			votes := make([]string, 10)
			for k := range votes {
				votes[k] = "0"
			}
			votes[c] = "8"
			votes[(c+1)%8] = "2"
			fmt.Fprintf(&csv, "%s,\"(0, 0, 48, 48)\",%s\n", name, strings.Join(votes, ","))
		}
		if err := os.WriteFile(filepath.Join(dir, "label.csv"), []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func lfnsbOptions(t *testing.T, src string) Options {
	o := tinyRunOptions(t, src)
	o.Arch = "lfnsb"
	o.Size = 48
	o.LR = 0.05
	return o
}

// TestSmokeLFNSBLossFalls trains LFNSB (cross-entropy + Cosine-Harmony,
// soft FER+ targets) for 20 steps on 64 FER+ faces and checks the loss
// falls.
func TestSmokeLFNSBLossFalls(t *testing.T) {
	o := lfnsbOptions(t, ferPlusData(t, 96, true))
	o.LabelMode = "soft"
	o.Epochs = 1000
	o.Shift, o.Scale, o.Rotate, o.NoFlip = 0, 0, 0, true
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	torch.SetNumThreads(o.Threads)
	tr := setUpTrainer(t, o, testLog{t})
	if tr.st.LFNSB == nil || tr.st.dataset() != "ferplus" || len(tr.st.Labels) != 8 || tr.train.Soft == nil {
		t.Fatalf("run state %+v", tr.st)
	}
	d := tr.train
	tr.train = &data.Dataset{Classes: d.Classes, Size: d.Size, Images: d.Images[:64], Labels: d.Labels[:64], Soft: d.Soft[:64]}
	ld := tr.loader()
	var losses []float64
	for epoch := 0; len(losses) < 20; epoch++ {
		for b := range ld.Epoch(context.Background(), epoch, 0) {
			loss, _, err := tr.step(b, o.LR, 1)
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

// TestLFNSBRunResumeExport runs `ferlive train --arch lfnsb` on a small
// generated FER+ tree for one tiny epoch, resumes to 2, and exports with
// the contract (arch lfnsb, dataset ferplus detected from the layout, 8
// labels, the run's size); the checkpoint holds the Cosine-Harmony
// centres, the graph does not.
func TestLFNSBRunResumeExport(t *testing.T) {
	o := lfnsbOptions(t, ferPlusData(t, 32, false))
	o.Batch = 16
	o.MaxSteps = 1
	o.Epochs = 1
	if err := RunTrain(context.Background(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	if keys, err := torch.Keys(filepath.Join(o.Out, "last.pt")); err != nil || !contains(keys, lfnsb.CentresName) {
		t.Fatalf("checkpoint keys lack %s: %v", lfnsb.CentresName, err)
	}
	o.Resume = true
	o.Epochs = 2
	if err := RunTrain(context.Background(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(o.Out, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Epoch != 2 || st.LFNSB == nil || st.LFNSB.Size != 48 || st.Options.Dataset != "ferplus" || st.Options.CHWeight != 0.1 {
		t.Fatalf("state after resume: epoch %d, %+v, options %+v", st.Epoch, st.LFNSB, st.Options)
	}
	if log, _ := os.ReadFile(filepath.Join(o.Out, "log.txt")); !strings.Contains(string(log), "Valid") || strings.Contains(string(log), "PublicTest") {
		t.Errorf("a FER+ run's log should name Valid/Test, not PublicTest:\n%s", log)
	}
	m, spec := exportBest(t, o.Out)
	if spec.Arch != "lfnsb" || spec.Dataset != "ferplus" || spec.Size != 48 || len(spec.Labels) != 8 || spec.Labels[7] != "contempt" {
		t.Fatalf("exported contract %+v", spec)
	}
	for _, n := range m.Graph.Nodes {
		if n.OpType == "BatchNormalization" {
			t.Fatal("the exported graph holds a batch norm")
		}
	}
	net, _, err := LoadModel(filepath.Join(o.Out, "best.pt"))
	if err != nil {
		t.Fatal(err)
	}
	centres, err := net.(lfnsbNet).Centres.Float32s()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range m.Graph.Initializers {
		if v, err := it.Floats(); err == nil && len(v) == len(centres) && v[0] == centres[0] && v[len(v)-1] == centres[len(v)-1] {
			t.Fatalf("initializer %s holds the Cosine-Harmony centres", it.Name)
		}
	}
	// the model card: measured on the run's held-out splits through ONNX Runtime
	card := filepath.Join(t.TempDir(), "m.md")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(o.Out, "best.pt"),
		"--out", filepath.Join(filepath.Dir(card), "m.onnx"), "--data", o.Data, "--card", card, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(card)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| Test accuracy (reported", "| Valid accuracy", "With `--mirror`", "| contempt |",
		"Confusion matrix", "| Parameters | 2", "FLOPs per 48x48 face", "## Reproduce", "--arch lfnsb", "Time per epoch", "| epoch | lr | train loss |"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("model card lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), "BBN") {
		t.Errorf("the card of a model without BBN's branches speaks of them:\n%s", text)
	}
	for _, png := range []string{"m-confusion.png", "m-curves.png"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(card), png)); err != nil {
			t.Errorf("model card's %s: %v", png, err)
		}
	}
	// the exported 48x48 model starts a 64x64 run: its weights carry over,
	// the global depthwise kernel resampled from 3x3 to 4x4
	big := o
	big.Out, big.InitFrom, big.Size, big.Resume, big.Epochs = filepath.Join(t.TempDir(), "s64"), filepath.Join(filepath.Dir(card), "m.onnx"), 64, false, 1
	if err := RunTrain(context.Background(), big, io.Discard); err != nil {
		t.Fatalf("--init-from a 48x48 model with --size 64: %v", err)
	}
	if bst, err := ReadState(filepath.Join(big.Out, "best.pt")); err != nil || bst.LFNSB == nil || bst.LFNSB.Size != 64 || bst.Init == nil || bst.Init.Size != 48 || !bst.Init.Head {
		t.Errorf("64x64 run from a 48x48 model: state %+v, %v", bst, err)
	}
	if log, _ := os.ReadFile(filepath.Join(big.Out, "log.txt")); !strings.Contains(string(log), "the global depthwise kernel is resampled") {
		t.Errorf("log of a 64x64 run from a 48x48 model:\n%s", log)
	}
	cmd := CommandLine(st.Options)
	for _, want := range []string{"--arch lfnsb", "--dataset ferplus", "--size 48", "--ch-weight 0.1"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("command line %q lacks %q", cmd, want)
		}
	}
	// a run started from a model (BBN's a resolved to 0.5 by older trainers)
	ft := st.Options
	ft.InitFrom, ft.BBNAlpha = "m.onnx", "0.5"
	for _, c := range []string{cmd, CommandLine(ft)} {
		if strings.Contains(c, "--variant") || strings.Contains(c, "--bbn-alpha") {
			t.Errorf("command line %q has an RLR-CNet flag", c)
		}
	}
}

// TestOldRunStateCompat reads a state.json written before LFNSB and FER+
// existed: it is an RLR-CNet FER2013 run at 48x48, exports with the same
// contract, and its command line gains no new flags.
func TestOldRunStateCompat(t *testing.T) {
	old := `{"options":{"arch":"rlrcnet","variant":"sa","data":"fer2013.tar.gz","out":"runs/x","epochs":60,"batch":64,"lr":0.04,
"min_lr":0,"warmup_epochs":1,"schedule":"cosine","step_every":50,"optimizer":"sgd","momentum":0.9,"weight_decay":0.0005,
"label_smoothing":0.1,"threads":2,"workers":2,"seed":1,"mask":"auto","shift":0.08,"scale":0.1,"rotate":10,"no_flip":false,
"act":"auto","clip":"auto","sa":"auto","dual":"auto","infer_weight":0.5,"limit":0,"max_steps":0,"budget":"17m0s"},
"model":{"clip":true,"kernel":5,"sa":true,"sa_groups":29,"dual":false,"act":"relu","widths":[24,116,232,464],"repeats":[4,8,4],
"conv5":1024,"stem_stride":2,"classes":7,"size":48},"mask":true,"mean":0.5,"std":0.25,
"labels":["angry","disgust","fear","happy","neutral","sad","surprise"],"epoch":3,"step":0,"best_epoch":2,"best_public_acc":0.4}`
	var st State
	if err := json.Unmarshal([]byte(old), &st); err != nil {
		t.Fatal(err)
	}
	if st.arch() != "rlrcnet" || st.dataset() != "fer2013" || st.size() != 48 {
		t.Fatalf("old state: arch %s dataset %s size %d", st.arch(), st.dataset(), st.size())
	}
	if v, p := st.Splits(); v != "PublicTest" || p != "PrivateTest" {
		t.Fatalf("splits %s %s", v, p)
	}
	m, err := newNet(&st, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(rlrcnetNet); !ok || m.Size() != 48 {
		t.Fatalf("old state builds %T", m)
	}
	spec := st.Spec(contract.Crop{Scale: 1.2}, "")
	if spec.Arch != "rlrcnet" || spec.Dataset != "fer2013" || spec.Size != 48 {
		t.Fatalf("spec %+v", spec)
	}
	cmd := CommandLine(st.Options)
	for _, no := range []string{"--dataset", "--size", "--labels", "--ch-"} {
		if strings.Contains(cmd, no) {
			t.Errorf("old run's command line %q gained %s", cmd, no)
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, no := range []string{`"lfnsb"`, `"dataset"`, `"ch_weight"`, `"size":0`} {
		if strings.Contains(string(b), no) {
			t.Errorf("rewritten old state gained %s", no)
		}
	}
}
