//go:build torch

package train

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
)

// TestRunResumeExport runs the whole command path on a tiny budget: train 2
// epochs (checkpoint, best, metrics, curves), resume to 3, interrupt, then
// export the best checkpoint with the contract's metadata.
func TestRunResumeExport(t *testing.T) {
	o := smokeOptions(t, "full")
	o.Limit = 96
	o.Batch = 16
	o.MaxSteps = 2
	o.Epochs = 2
	if err := RunTrain(context.Background(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"state.json", "last.pt", "best.pt", "metrics.jsonl", "curves.png", "log.txt", "confusion-public.png"} {
		if _, err := os.Stat(filepath.Join(o.Out, f)); err != nil {
			t.Fatalf("run directory lacks %s: %v", f, err)
		}
	}
	if err := RunTrain(context.Background(), o, io.Discard); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("training into an existing run: %v, want a hint to --resume", err)
	}
	o.Resume = true
	o.Epochs = 3
	o.Threads = 1
	data := o.Data
	o.Data = "" // `ferlive train --out R --resume`: the run's own data
	if err := RunTrain(context.Background(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	o.Data = data
	empty := o
	empty.Out, empty.Data = t.TempDir(), ""
	if err := RunTrain(context.Background(), empty, io.Discard); err == nil || !strings.Contains(err.Error(), "state.json") {
		t.Fatalf("--resume without --data in a folder holding no run: %v, want an error naming its state.json", err)
	}
	ms, err := ReadMetrics(filepath.Join(o.Out, "metrics.jsonl"))
	if err != nil || len(ms) != 3 {
		t.Fatalf("metrics: %d epochs, %v; want 3", len(ms), err)
	}
	// the card's Reproduce section gives the start and the resume
	st0, err := ReadState(filepath.Join(o.Out, "best.pt"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := Commands(st0)
	if len(cmds) != 2 || !strings.Contains(cmds[0], "--epochs 2 ") || strings.Contains(cmds[0], "--resume") ||
		!strings.Contains(cmds[1], "--out "+o.Out+" --resume --epochs 3") || !strings.Contains(cmds[1], "after epoch 2") {
		t.Fatalf("commands of a run started for 2 epochs and resumed to 3:\n%s", strings.Join(cmds, "\n"))
	}
	if h := threadHistory(st0); h != "2 threads, then 1" {
		t.Fatalf("threads of a run started on 2 and resumed on 1: %q", h)
	}
	// an interrupted run saves its checkpoint and returns the context's error
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o.Epochs = 4
	if err := RunTrain(ctx, o, io.Discard); err != context.Canceled {
		t.Fatalf("cancelled run: %v, want context.Canceled", err)
	}
	st, err := ReadState(filepath.Join(o.Out, "best.pt"))
	if err != nil || st.Epoch != 3 {
		t.Fatalf("state after interruption: epoch %v, %v", st, err)
	}
	m, spec := exportBest(t, o.Out)
	if spec.Arch != "rlrcnet" || spec.Accuracy != "0.5" || spec.Size != 48 || spec.Crop.Scale != 1.2 || len(spec.Labels) != 7 {
		t.Fatalf("exported contract %+v", spec)
	}
	if m.Opset() != 17 || m.Graph.Inputs[0].Name != "input" || m.Graph.Outputs[0].Name != "probs" {
		t.Fatalf("opset %d, input %s, output %s", m.Opset(), m.Graph.Inputs[0].Name, m.Graph.Outputs[0].Name)
	}
	if d := m.Graph.Inputs[0].Shape[0]; d.Param == "" {
		t.Fatalf("batch axis is not symbolic: %+v", d)
	}
}

// exportBest exports a run's best.pt with `ferlive export --accuracy 0.5`
// and returns the ONNX model and its parsed contract.
func exportBest(t *testing.T, runDir string) (*onnx.Model, contract.Spec) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "m.onnx")
	if err := ExportCommand(Installation{})(context.Background(), []string{"--checkpoint", filepath.Join(runDir, "best.pt"), "--out", out, "--accuracy", "0.5"}); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := contract.Parse(m.MetaMap())
	if err != nil {
		t.Fatalf("contract of %s: %v", out, err)
	}
	return m, spec
}
