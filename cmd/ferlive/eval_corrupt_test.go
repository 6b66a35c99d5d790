package main

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// TestEvalCorrupt: eval --corrupt scores the clean split and each named
// corruption at three severities, reporting the data, split and mean in
// --json and the tables in text; an unknown corruption is a usage error
// naming the known ones.
func TestEvalCorrupt(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	spec := testmodel.DefaultSpec()
	model := filepath.Join(dir, "net.onnx")
	if err := testmodel.Write(model, spec, testmodel.Options{Widths: []int64{4}}); err != nil {
		t.Fatal(err)
	}
	writeFaces(t, filepath.Join(dir, "mine", "test"), "img", spec.Labels[:3], 4, rand.New(rand.NewSource(2)))
	data := filepath.Join(dir, "mine")
	out := captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"eval", "--model", model, "--data", data, "--split", "test", "--corrupt", "noise,small", "--json"})
	})
	var r evaluate.Robustness
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("eval --corrupt --json output %q: %v", out, err)
	}
	if r.Clean.N != 12 || r.Clean.Model != model || r.Clean.Split != "test" || len(r.Corruptions) != 2 || r.Corruptions[1].Name != "small" || len(r.Corruptions[1].Severities) != 3 {
		t.Fatalf("report %+v: want 12 clean images of split test and noise, small at 3 severities each", r)
	}
	var sum float64
	for _, c := range r.Corruptions {
		for _, s := range c.Severities {
			sum += s.Accuracy
		}
	}
	if d := r.MeanCorrupted - sum/6; d > 1e-9 || d < -1e-9 {
		t.Errorf("mean corrupted %v, want the mean of the six accuracies %v", r.MeanCorrupted, sum/6)
	}
	text := captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"eval", "--model", model, "--data", data, "--split", "test", "--corrupt", "jpeg"})
	})
	for _, s := range []string{"| clean |", "| jpeg |", "quality 6", "mean corrupted"} {
		if !strings.Contains(string(text), s) {
			t.Errorf("eval --corrupt output lacks %q:\n%s", s, text)
		}
	}
	// --card writes the section before ## Model, and replaces it when run again
	card := filepath.Join(dir, "card.md")
	if err := os.WriteFile(card, []byte("# net\n\ntext\n\n## Model\n\nlayers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		captureStdout(t, func() error {
			return dispatch(context.Background(), []string{"eval", "--model", model, "--data", data, "--split", "test", "--corrupt", "blur", "--card", card})
		})
	}
	b, err := os.ReadFile(card)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	want := "ferlive eval --model " + model + " --data " + data + " --split test --corrupt blur\n"
	if strings.Count(got, "## Robustness") != 1 || strings.Index(got, "## Robustness") > strings.Index(got, "## Model") ||
		!strings.Contains(got, "| blur |") || !strings.Contains(got, want) || !strings.HasPrefix(got, "# net\n\ntext\n\n## Robustness") {
		t.Errorf("card after two runs with --card:\n%s\nwant one robustness section before ## Model with the command %q", got, want)
	}
	if err := dispatch(context.Background(), []string{"eval", "--model", model, "--data", data, "--card", card}); err == nil {
		t.Error("--card without --corrupt accepted")
	}

	err = dispatch(context.Background(), []string{"eval", "--model", model, "--data", data, "--corrupt", "fog"})
	var u usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "dark, contrast, blur") {
		t.Errorf("--corrupt fog: %v; want a usage error listing the corruptions", err)
	}
}
