package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// TestEvalFERPlusShippedName runs `ferlive eval --model lfnsb` (the shipped
// name, resolved through $FERLIVE_MODEL_DIR) on a FER+ layout (label.csv
// beside the images, majority-vote labels) with a known-answer model.
func TestEvalFERPlusShippedName(t *testing.T) {
	testenv.ORT(t)
	models := t.TempDir()
	spec := testmodel.DefaultSpec()
	spec.Labels = append([]string(nil), contract.FERPlusLabels...)
	grays := []float64{10, 40, 70, 100, 130, 160, 190, 220}
	if err := onnx.WriteFile(filepath.Join(models, "lfnsb-ferplus.onnx"), testmodel.Brightness(spec, grays)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FERLIVE_MODEL_DIR", models)
	root := t.TempDir()
	dir := filepath.Join(root, "data", "FER2013Test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// six faces: majorities happiness, happiness (drawn as fear: wrong), contempt,
	// anger; one unknown and one tie are left out
	rows := []struct {
		name  string
		gray  float64
		votes string
	}{
		{"fer1.png", 40, "0,9,0,0,0,0,0,1,0,0"},
		{"fer2.png", 190, "1,8,0,0,0,0,1,0,0,0"},
		{"fer3.png", 220, "0,0,0,0,0,0,0,7,3,0"},
		{"fer4.png", 130, "0,0,0,0,10,0,0,0,0,0"},
		{"fer5.png", 10, "0,0,0,0,0,0,0,0,10,0"},
		{"fer6.png", 10, "5,5,0,0,0,0,0,0,0,0"},
	}
	var csv string
	for _, r := range rows {
		m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(r.gray, r.gray, r.gray, 0), 48, 48, gocv.MatTypeCV8UC3)
		ok := gocv.IMWrite(filepath.Join(dir, r.name), m)
		m.Close()
		if !ok {
			t.Fatalf("cannot write %s", r.name)
		}
		csv += r.name + `,"(0, 0, 48, 48)",` + r.votes + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "label.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	out := captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"eval", "--model", "lfnsb", "--data", root, "--split", "FER2013Test", "--json", "--threads", "1"})
	})
	var rep evaluate.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("eval output %q: %v", out, err)
	}
	if rep.N != 4 || rep.Accuracy != 0.75 || rep.Model != filepath.Join(models, "lfnsb-ferplus.onnx") || rep.Data != dir || rep.Mirror {
		t.Fatalf("report %+v", rep)
	}
	// --mirror: uniform faces are their own mirror images, so the answer stays
	out = captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"eval", "--model", "lfnsb", "--data", root, "--split", "FER2013Test", "--json", "--threads", "1", "--mirror"})
	})
	rep = evaluate.Report{}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("eval --mirror output %q: %v", out, err)
	}
	if rep.N != 4 || rep.Accuracy != 0.75 || !rep.Mirror {
		t.Fatalf("report with --mirror %+v", rep)
	}
}

// captureStdout returns what f writes to os.Stdout and fails the test if f fails.
func captureStdout(t *testing.T, f func() error) []byte {
	t.Helper()
	b, err := captureOutput(t, &os.Stdout, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// captureOutput returns what f writes to *file (os.Stdout or os.Stderr)
// and f's error.
func captureOutput(t *testing.T, file **os.File, f func() error) ([]byte, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := *file
	*file = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	err = f()
	*file = old
	w.Close()
	return <-done, err
}
