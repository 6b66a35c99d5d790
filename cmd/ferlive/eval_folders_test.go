package main

import (
	"context"
	"encoding/json"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/internal/testenv"
	"github.com/ferlive/ferlive/internal/testmodel"
)

// TestEvalSplitFolder: with a tree of train/ and test/ class folders,
// --split test scores the test/ folder only (ignoring case).
func TestEvalSplitFolder(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	spec := testmodel.DefaultSpec()
	model := filepath.Join(dir, "net.onnx")
	if err := testmodel.Write(model, spec, testmodel.Options{Widths: []int64{4}}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	writeFaces(t, filepath.Join(dir, "mine", "train"), "img", spec.Labels[:2], 5, r)
	writeFaces(t, filepath.Join(dir, "mine", "Test"), "img", spec.Labels[:2], 3, r)
	out := captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"eval", "--model", model, "--data", filepath.Join(dir, "mine"), "--split", "test", "--json"})
	})
	var rep evaluate.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("eval output %q: %v", out, err)
	}
	if rep.N != 6 {
		t.Errorf("scored %d images, want the 6 of test/", rep.N)
	}
}
