package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	latreport "github.com/ferlive/ferlive/internal/latency/report"
)

// runOut runs fn with os.Stdout captured and returns what it printed.
func runOut(t *testing.T, fn func() error) (string, error) {
	t.Helper()
	b, err := captureOutput(t, &os.Stdout, fn)
	return string(b), err
}

// TestLatencyReportFiles runs `ferlive latency --json --md --png` on the
// end-to-end clip, reads the JSON back, and compares a second run with a
// doctored older report: a stage that was much faster then is flagged, and
// --fail-on-regression turns that into exit status 1.
func TestLatencyReportFiles(t *testing.T) {
	model, clip, _ := e2eFixtures(t)
	dir := t.TempDir()
	js, md, png := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md"), filepath.Join(dir, "r.png")
	out, err := runOut(t, func() error {
		return dispatch(context.Background(), []string{"latency", "--input", clip, "--model", model, "--threads", "1",
			"--frames", "20", "--warmup", "3", "--batch-reps", "3", "--json", js, "--md", md, "--png", png})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "batch 8 ") {
		t.Errorf("terminal report lacks the batch scaling:\n%s", out)
	}
	rep, err := latreport.ReadJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Device
	if d.CPU == "" || d.Cores < 1 || !strings.HasPrefix(d.ORT, "1.") || d.Provider != "cpu" || d.Ferlive == "" || d.Threads != 1 {
		t.Errorf("device: %+v", d)
	}
	m := rep.Models[0]
	if m.Name != "model.onnx" || m.FPS <= 0 || m.Frames < 19 || len(m.Batch) != 4 || m.Batch[3].Faces != 8 || m.Batch[3].MsPerCall <= 0 {
		t.Errorf("model: %+v", m)
	}
	stages := map[string]latreport.Stage{}
	for _, s := range m.Stages {
		stages[s.Name] = s
	}
	for _, n := range []string{"decode", "detect", "infer", "total"} {
		if s, ok := stages[n]; !ok || s.N == 0 || s.Mean <= 0 || s.P99 < s.P50 {
			t.Errorf("stage %s: %+v", n, s)
		}
	}
	b, err := os.ReadFile(md)
	if err != nil || !strings.Contains(string(b), "## model.onnx") || !strings.Contains(string(b), "| infer |") {
		t.Errorf("Markdown %s: %v\n%s", md, err, b)
	}
	decodePNG(t, png)

	// An older report in which inference took a tenth of the time.
	old := *rep
	old.Models = []latreport.Model{m}
	old.Models[0].Stages = append([]latreport.Stage(nil), m.Stages...)
	for i := range old.Models[0].Stages {
		if old.Models[0].Stages[i].Name == "infer" {
			old.Models[0].Stages[i].Mean /= 10
		} else {
			old.Models[0].Stages[i].Mean *= 10 // everything else far slower then
		}
	}
	old.Models[0].Batch = nil
	oldPath := filepath.Join(dir, "old.json")
	if err := old.WriteJSON(oldPath); err != nil {
		t.Fatal(err)
	}
	args := []string{"latency", "--input", clip, "--model", model, "--threads", "1", "--frames", "20", "--warmup", "3", "--batch-reps", "0", "--compare", oldPath}
	out, err = runOut(t, func() error { return dispatch(context.Background(), args) })
	if err != nil {
		t.Fatalf("--compare without --fail-on-regression: %v", err)
	}
	if !strings.Contains(out, "SLOWER model.onnx infer") || strings.Contains(out, "SLOWER model.onnx decode") {
		t.Errorf("comparison:\n%s", out)
	}
	_, err = runOut(t, func() error { return dispatch(context.Background(), append(args, "--fail-on-regression")) })
	if err == nil || exitStatus(err) != 1 {
		t.Errorf("--fail-on-regression: %v (status %d), want status 1", err, exitStatus(err))
	}
	if err := dispatch(context.Background(), []string{"latency", "--input", clip, "--fail-on-regression"}); exitStatus(err) != 2 {
		t.Errorf("--fail-on-regression without --compare: %v, want a usage error", err)
	}
	if err := dispatch(context.Background(), []string{"latency", "--input", clip, "--compare", md}); err == nil || !strings.Contains(err.Error(), "want the JSON") {
		t.Errorf("--compare with a Markdown file: %v", err)
	}
}
