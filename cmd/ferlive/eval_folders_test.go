package main

import (
	"context"
	"encoding/json"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
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

// TestEvalOtherSpellings: a model labelled in FER+'s spelling (anger,
// happiness) scores folders named in FER2013's (angry, happy), and the JSON
// report says which folder was read as which label.
func TestEvalOtherSpellings(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	spec := testmodel.DefaultSpec()
	spec.Labels = []string{"neutral", "happiness", "anger"}
	model := filepath.Join(dir, "net.onnx")
	if err := testmodel.Write(model, spec, testmodel.Options{Widths: []int64{4}}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	writeFaces(t, filepath.Join(dir, "faces"), "img", []string{"neutral", "happy", "angry", "calm"}, 2, r)
	out := captureStdout(t, func() error {
		return dispatch(context.Background(), []string{"eval", "--model", model, "--data", filepath.Join(dir, "faces"), "--json"})
	})
	var rep evaluate.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("eval output %q: %v", out, err)
	}
	if rep.N != 6 || rep.Support["happiness"] != 2 || rep.Support["anger"] != 2 {
		t.Errorf("scored %d images, support %v; want 6, two of each label", rep.N, rep.Support)
	}
	if len(rep.Renamed) != 2 || rep.Renamed["happy"] != "happiness" || rep.Renamed["angry"] != "anger" {
		t.Errorf("renamed_folders %v", rep.Renamed)
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0] != "calm" {
		t.Errorf("skipped_folders %v, want [calm]", rep.Skipped)
	}
}
