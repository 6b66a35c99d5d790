package evaluate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// MakeDataset writes dir/<class>/<prefix>_<n>.png images of uniform gray.
func makeImage(t *testing.T, path string, gray float64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(gray, gray, gray, 0), 48, 48, gocv.MatTypeCV8UC3)
	defer m.Close()
	if !gocv.IMWrite(path, m) {
		t.Fatalf("cannot write %s", path)
	}
}

// TestKnownAnswer evaluates a brightness classifier on generated images:
// class a is dark, b mid, c bright; two images are in the wrong folder, one
// folder matches no label, and a split prefix filters files.
func TestKnownAnswer(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	spec := testmodel.DefaultSpec()
	spec.Labels = []string{"a", "b", "c"}
	model := filepath.Join(dir, "m.onnx")
	if err := onnx.WriteFile(model, testmodel.Brightness(spec, []float64{30, 128, 220})); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	for i := 0; i < 4; i++ {
		makeImage(t, filepath.Join(data, "a", "Test_a"+string(rune('0'+i))+".png"), 30)
		makeImage(t, filepath.Join(data, "B", "Test_b"+string(rune('0'+i))+".png"), 128) // folder case differs
		makeImage(t, filepath.Join(data, "c", "Test_c"+string(rune('0'+i))+".png"), 220)
		makeImage(t, filepath.Join(data, "c", "Other_c"+string(rune('0'+i))+".png"), 30) // filtered out by the split
	}
	makeImage(t, filepath.Join(data, "a", "Test_wrong1.png"), 220) // truth a, predicted c
	makeImage(t, filepath.Join(data, "c", "Test_wrong2.png"), 128) // truth c, predicted b
	makeImage(t, filepath.Join(data, "contempt", "Test_x.png"), 128)

	c, err := infer.Open(model, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := evaluate.List(data, "Test", c.Labels())
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Skipped) != 1 || list.Skipped[0] != "contempt" {
		t.Fatalf("skipped %v, want [contempt]", list.Skipped)
	}
	if len(list.Samples) != 14 {
		t.Fatalf("%d samples, want 14", len(list.Samples))
	}
	conf, err := evaluate.Run(context.Background(), c, list.Samples, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := conf.Accuracy(); got != 12.0/14 {
		t.Fatalf("accuracy %v, want 12/14", got)
	}
	if conf.M[0][2] != 1 || conf.M[2][1] != 1 || conf.M[1][1] != 4 {
		t.Fatalf("confusion %v", conf.M)
	}
	r := evaluate.NewReport(model, data, "Test", conf, list.Skipped)
	if r.PerClass["b"] != 1 || r.PerClass["a"] != 0.8 || r.N != 14 {
		t.Fatalf("report %+v", r)
	}
}

func TestListErrors(t *testing.T) {
	labels := contract.FER2013Labels
	dir := t.TempDir()
	if _, err := evaluate.List(filepath.Join(dir, "nope"), "", labels); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing dir: %v", err)
	}
	if _, err := evaluate.List(dir, "", labels); err == nil || !strings.Contains(err.Error(), "no class folders") {
		t.Fatalf("empty dir: %v", err)
	}
	makeImage(t, filepath.Join(dir, "cats", "x.png"), 10)
	if _, err := evaluate.List(dir, "", labels); err == nil || !strings.Contains(err.Error(), "match none of the model's labels") {
		t.Fatalf("unmatched: %v", err)
	}
}

// TestListOtherSpellings evaluates a FER+-labelled model on FER2013-named
// folders (angry, happy, sad), as `ferlive eval --model lfnsb --data
// fer2013.tar.gz` does: each folder is read as the label naming the same
// emotion and reported as renamed; an unknown folder is still skipped.
func TestListOtherSpellings(t *testing.T) {
	labels := contract.FERPlusLabels
	dir := t.TempDir()
	root := filepath.Join(dir, "fer2013", "test")
	for _, f := range []string{"angry", "happy", "Neutral", "calm"} {
		makeImage(t, filepath.Join(root, f, "PrivateTest_1.png"), 10)
	}
	if got, ok := evaluate.ClassRoot(dir, labels); !ok || got != root {
		t.Fatalf("class root %q %v, want %s", got, ok, root)
	}
	list, err := evaluate.List(root, "PrivateTest", labels)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"angry": "anger", "happy": "happiness", "Neutral": "neutral"}
	if len(list.Samples) != 3 {
		t.Fatalf("%d samples, want 3", len(list.Samples))
	}
	for _, s := range list.Samples {
		folder := filepath.Base(filepath.Dir(s.Path))
		if labels[s.Class] != want[folder] {
			t.Errorf("%s read as %s, want %s", s.Path, labels[s.Class], want[folder])
		}
	}
	if len(list.Renamed) != 2 || list.Renamed["angry"] != "anger" || list.Renamed["happy"] != "happiness" {
		t.Errorf("renamed %v, want angry: anger, happy: happiness (Neutral matches by name)", list.Renamed)
	}
	if len(list.Skipped) != 1 || list.Skipped[0] != "calm" {
		t.Errorf("skipped %v, want [calm]", list.Skipped)
	}
}
