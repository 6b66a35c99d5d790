//go:build torch

package train

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
)

// TestInitFrom fine-tunes an exported model, as a user would start from a
// shipped one: trained on own folders and exported, the model is the
// starting point of a new run (its accuracy before training equals the
// exported run's, and it is the run's first best), of a run on a tree with
// one class more (only that class's classifier row starts fresh), and is
// refused for another architecture.
func TestInitFrom(t *testing.T) {
	root, o := trainOwnFaces(t, 2)
	first, err := ReadState(filepath.Join(o.Out, "best.pt"))
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(t.TempDir(), "mine.onnx")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(o.Out, "best.pt"), "--out", model, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}

	ft := o
	ft.Out = filepath.Join(t.TempDir(), "finetune")
	ft.InitFrom, ft.Epochs, ft.MaxSteps, ft.LR, ft.Seed = model, 1, 2, 1e-4, 2
	if err := RunTrain(context.Background(), ft, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := ReadState(filepath.Join(ft.Out, "best.pt"))
	if err != nil {
		t.Fatal(err)
	}
	firstFT := st
	if first.Options.BBNAlpha != "schedule" || st.Options.BBNAlpha != "0.5" {
		t.Errorf("BBN's a: %q from scratch, %q from a model; want schedule and 0.5", first.Options.BBNAlpha, st.Options.BBNAlpha)
	}
	if st.Init == nil || !st.Init.Head || st.Init.Recentred == 0 {
		t.Fatalf("run state's init %+v: want the classifier kept and batch norms re-centred", st.Init)
	}
	// re-centring keeps what the model computes: it scores what it scored
	if math.Abs(st.Init.PublicAcc-first.BestAcc) > 1e-9 {
		t.Errorf("imported model scores %.4f on the held-out split, the run it was exported from %.4f", st.Init.PublicAcc, first.BestAcc)
	}
	if st.BestEpoch < 0 || st.BestAcc < st.Init.PublicAcc || st.Mean != first.Mean || st.Std != first.Std {
		t.Errorf("best epoch %d at %.4f, init %.4f, mean/std %g/%g (model's %g/%g)", st.BestEpoch, st.BestAcc, st.Init.PublicAcc, st.Mean, st.Std, first.Mean, first.Std)
	}
	if _, err := os.Stat(filepath.Join(ft.Out, "best.pt")); err != nil {
		t.Errorf("no best.pt: %v", err)
	}
	card := filepath.Join(t.TempDir(), "ft.md")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(ft.Out, "best.pt"), "--out", strings.TrimSuffix(card, ".md") + ".onnx",
		"--data", root, "--card", card, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(card)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"trained further from the weights of `mine.onnx`", "Initialised from `" + model + "`", "--init-from " + model, "--bbn-alpha 0.5", "BBN's weight a was fixed at 0.5", "after 1 epoch more than `mine.onnx` had", "; one graph for both BBN branches"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("card of a run started from a model lacks %q", want)
		}
	}

	// a 48x48 model starts a 64x64 run (no RLR-CNet weight depends on the
	// size); the card and command line say so
	big := ft
	big.Out, big.Size = filepath.Join(t.TempDir(), "s64"), 64
	if err := RunTrain(context.Background(), big, io.Discard); err != nil {
		t.Fatalf("--init-from a 48x48 model with --size 64: %v", err)
	}
	bst, err := ReadState(filepath.Join(big.Out, "best.pt"))
	if err != nil {
		t.Fatal(err)
	}
	if bst.Model.Size != 64 || bst.Init == nil || bst.Init.Size != 48 || !bst.Init.Head {
		t.Errorf("64x64 run from a 48x48 model: model %+v, init %+v", bst.Model, bst.Init)
	}
	bigCard := filepath.Join(t.TempDir(), "big.md")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(big.Out, "best.pt"), "--out", strings.TrimSuffix(bigCard, ".md") + ".onnx",
		"--data", root, "--card", bigCard, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	if text, err = os.ReadFile(bigCard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a 48x48 model whose weights carried over to 64x64 faces", "--size 64", "FLOPs per 64x64 face"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("card of a 64x64 run from a 48x48 model lacks %q", want)
		}
	}

	// exported with the re-balancing branch weighted 0 (as the shipped
	// model is), the graph holds one branch: the card says so and a run
	// starts both branches from it
	one := filepath.Join(t.TempDir(), "one.md")
	oneModel := strings.TrimSuffix(one, ".md") + ".onnx"
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(o.Out, "best.pt"), "--out", oneModel,
		"--data", root, "--card", one, "--infer-weight", "1", "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	if text, err = os.ReadFile(one); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"in the graph, which leaves out the branch weighted 0", "the graph holds the one BBN branch weighted 1", "--infer-weight 1"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("card of a model exported with --infer-weight 1 lacks %q", want)
		}
	}
	ft.Out, ft.InitFrom = filepath.Join(t.TempDir(), "onebranch"), oneModel
	if err := RunTrain(context.Background(), ft, io.Discard); err != nil {
		t.Fatalf("--init-from a one-branch graph: %v", err)
	}
	if st, err = ReadState(filepath.Join(ft.Out, "best.pt")); err != nil {
		t.Fatal(err)
	}
	if st.Init == nil || !st.Init.Head || st.BestEpoch < 0 {
		t.Errorf("run from a one-branch graph: init %+v, best epoch %d", st.Init, st.BestEpoch)
	}
	// without --infer-weight, a run selects and exports as its model infers:
	// BBN's 0.5 from scratch or from a two-branch graph, the one branch's
	// weight from a one-branch graph, so the exported model keeps one branch
	if first.Options.InferWeight != 0.5 || firstFT.Options.InferWeight != 0.5 || st.Options.InferWeight != 1 {
		t.Errorf("--infer-weight auto: %g from scratch, %g from a two-branch model, %g from a one-branch one; want 0.5, 0.5, 1",
			first.Options.InferWeight, firstFT.Options.InferWeight, st.Options.InferWeight)
	}
	if cmd := CommandLine(st.Options); !strings.Contains(cmd, " --infer-weight 1 ") {
		t.Errorf("command line of a run that selects at weight 1: %q", cmd)
	}
	again := filepath.Join(t.TempDir(), "again.md")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(ft.Out, "best.pt"), "--out", strings.TrimSuffix(again, ".md") + ".onnx",
		"--data", root, "--card", again, "--threads", "1"}); err != nil {
		t.Fatal(err)
	}
	if text, err = os.ReadFile(again); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "the graph holds the one BBN branch weighted 1") {
		t.Errorf("a run from a one-branch model, exported without --infer-weight, is not one-branch:\n%s", text)
	}
	ft.InitFrom = model

	// a class more: its classifier row starts fresh, the rest is imported
	addAngryClass(t, root)
	ft.Out = filepath.Join(t.TempDir(), "newclass")
	if err := RunTrain(context.Background(), ft, io.Discard); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(ft.Out, "log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "their classifier rows kept (calm, smile, tense), rows for angry start fresh") {
		t.Errorf("log of a run with a class more:\n%s", log)
	}

	// an int8 model is refused
	ft.Out, ft.InitFrom = filepath.Join(t.TempDir(), "int8"), filepath.Join("..", "assets", "models", "rlrcnet-fer2013-int8.onnx")
	err = RunTrain(context.Background(), ft, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "quantised") {
		t.Errorf("an int8 model given to --init-from: %v", err)
	}
	ft.InitFrom = model

	// another architecture is refused, naming the model's
	ft.Out, ft.Arch = filepath.Join(t.TempDir(), "lfnsb"), "lfnsb"
	err = RunTrain(context.Background(), ft, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--arch rlrcnet") {
		t.Errorf("an rlrcnet model given to --arch lfnsb: %v", err)
	}
}

// TestBBNAlphaOption checks --bbn-alpha: a fixed weight holds every epoch,
// the schedule goes 1-(T/Ts)^2, and bad values are refused by name.
func TestBBNAlphaOption(t *testing.T) {
	for _, bad := range []string{"1.5", "-0.1", "half"} {
		o := DefaultOptions()
		o.Data, o.BBNAlpha = "faces", bad
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "--bbn-alpha") {
			t.Errorf("--bbn-alpha %s: %v", bad, err)
		}
	}
	o := DefaultOptions()
	o.Epochs = 10
	tr := &Trainer{opt: o}
	tr.st.Model.Dual = true
	for _, c := range []struct {
		a    string
		want float64
	}{{"0.3", 0.3}, {"schedule", 0.75}, {"", 0.75}} {
		tr.opt.BBNAlpha = c.a
		if got := tr.alpha(5); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("--bbn-alpha %q: a = %g at epoch 5 of 10, want %g", c.a, got, c.want)
		}
	}
}

// TestSelectClasses restricts the shipped models to some of their classes,
// in another order, with or without a new class, as --init-from does for a
// user's classes: through ONNX Runtime, the restricted model's
// probabilities of the kept classes, renormalised over them, are the full
// model's, and the full model is left as it was.
func TestSelectClasses(t *testing.T) {
	if err := ort.InitDefault("", ""); err != nil {
		t.Skipf("ONNX Runtime: %v", err)
	}
	r := rand.New(rand.NewSource(3))
	for _, c := range []struct {
		file string
		rows []int
	}{{"rlrcnet-fer2013.onnx", []int{5, 3, 4}}, {"lfnsb-ferplus.onnx", []int{7, 0}}, {"rlrcnet-fer2013.onnx", []int{6, -1, 0}}} {
		path := filepath.Join("..", "assets", "models", c.file)
		g, err := onnx.ReadFile(path)
		if err != nil {
			t.Skipf("shipped model: %v", err)
		}
		spec, err := contract.Parse(g.MetaMap())
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"mine0", "mine1", "mine2"}
		sel, err := selectClasses(g, spec.Labels, c.rows, names, 1)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := onnx.ReadFile(path); err != nil || !modelsEqual(g, again) {
			t.Fatalf("%s: selectClasses changed the original model (%v)", c.file, err)
		}
		var want []string
		for k, i := range c.rows {
			if i < 0 {
				want = append(want, names[k])
			} else {
				want = append(want, spec.Labels[i])
			}
		}
		if got := sel.MetaMap()[contract.KeyLabels]; got != strings.Join(want, ",") {
			t.Fatalf("%s: labels %q, want %q", c.file, got, strings.Join(want, ","))
		}
		selPath := filepath.Join(t.TempDir(), "sel.onnx")
		if err := onnx.WriteFile(selPath, sel); err != nil {
			t.Fatal(err)
		}
		full, err := infer.Open(path, ort.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		part, err := infer.Open(selPath, ort.Options{Threads: 1})
		if err != nil {
			full.Close()
			t.Fatal(err)
		}
		const n = 4
		batch := make([]float32, n*spec.Size*spec.Size)
		for i := range batch {
			batch[i] = float32(r.NormFloat64())
		}
		pf, err := full.Run(batch, n)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := part.Run(batch, n)
		if err != nil {
			t.Fatal(err)
		}
		full.Close()
		part.Close()
		for f := range pf {
			full, part := 0.0, 0.0
			for k, i := range c.rows {
				if i >= 0 {
					full += float64(pf[f][i])
					part += float64(ps[f][k])
				}
			}
			for k, i := range c.rows {
				if i < 0 {
					continue
				}
				if d := math.Abs(float64(ps[f][k])/part - float64(pf[f][i])/full); d > 1e-5 {
					t.Fatalf("%s face %d: restricted model says %s %.6f, the full model %.6f (renormalised over the kept classes)",
						c.file, f, want[k], float64(ps[f][k])/part, float64(pf[f][i])/full)
				}
			}
		}
	}
}

// TestInitFromFewerClasses fine-tunes the shipped RLR-CNet on folders of
// three of its seven emotions, one spelt as FER+ spells it: the classifier
// keeps those three rows (the model starts as the shipped one restricted to
// them, checked by the import's round trip) instead of starting fresh; with
// a fourth class it lacks, only that class's row starts fresh.
func TestInitFromFewerClasses(t *testing.T) {
	shipped := filepath.Join("..", "assets", "models", "rlrcnet-fer2013.onnx")
	if _, err := os.Stat(shipped); err != nil {
		t.Skipf("shipped model: %v", err)
	}
	root := filepath.Join(t.TempDir(), "myfaces")
	writeFaces(t, root, []string{"Happiness", "neutral", "sad"})
	o := tinyRunOptions(t, root)
	o.Limit, o.Batch, o.Threads, o.InitFrom = 0, 16, 1, shipped
	var log strings.Builder
	tr := setUpTrainer(t, o, &log)
	if tr.st.Init == nil || !tr.st.Init.Head {
		t.Fatalf("init %+v: the classifier was not kept", tr.st.Init)
	}
	if want := "their classifier rows kept (happy as happiness, neutral, sad)"; !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log.String())
	}

	// a class the model lacks: the others keep their rows, its row starts fresh
	root = filepath.Join(t.TempDir(), "more")
	writeFaces(t, root, []string{"confused", "Happiness", "neutral", "sad"})
	o.Data, o.Out = root, filepath.Join(t.TempDir(), "more-run")
	log.Reset()
	tr = setUpTrainer(t, o, &log)
	if in := tr.st.Init; in == nil || !in.Head || strings.Join(in.New, ",") != "confused" {
		t.Fatalf("init %+v: want the classifier kept but for the new class confused", in)
	}
	if want := "include 3 of the data's: their classifier rows kept (happy as happiness, neutral, sad), rows for confused start fresh"; !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log.String())
	}
}

// modelsEqual reports whether two models hold the same labels, output
// shapes and initializers.
func modelsEqual(a, b *onnx.Model) bool {
	if a.MetaMap()[contract.KeyLabels] != b.MetaMap()[contract.KeyLabels] || len(a.Graph.Outputs) != len(b.Graph.Outputs) ||
		len(a.Graph.Initializers) != len(b.Graph.Initializers) {
		return false
	}
	for i, o := range a.Graph.Outputs {
		if fmt.Sprint(o.Shape) != fmt.Sprint(b.Graph.Outputs[i].Shape) {
			return false
		}
	}
	for i, t := range a.Graph.Initializers {
		u := b.Graph.Initializers[i]
		if t.Name != u.Name || fmt.Sprint(t.Dims) != fmt.Sprint(u.Dims) || !bytes.Equal(t.Raw, u.Raw) {
			return false
		}
	}
	return true
}
