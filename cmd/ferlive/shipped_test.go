package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/evaluate"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// TestShippedModelsMatchTheirCards runs each shipped model through
// `ferlive eval` on its dataset's real test split, read straight from the
// shared archive, and checks the accuracy against the one its card and
// metadata state (same images, same preprocessing: it must agree to one
// image).
func TestShippedModelsMatchTheirCards(t *testing.T) {
	testenv.ORT(t)
	data := testenv.Data(t)
	models, err := filepath.Abs(filepath.Join("..", "..", "assets", "models"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FERLIVE_MODEL_DIR", models)
	for _, c := range []struct {
		name, file, archive, split string
		n                          int
	}{
		{"rlrcnet", "rlrcnet-fer2013.onnx", "fer2013.tar.gz", "PrivateTest", 3589},
		{"lfnsb", "lfnsb-ferplus.onnx", "ferplus.tar.gz", "FER2013Test", 3371},
		{"rlrcnet-int8", "rlrcnet-fer2013-int8.onnx", "fer2013.tar.gz", "PrivateTest", 3589},
		{"lfnsb-int8", "lfnsb-ferplus-int8.onnx", "ferplus.tar.gz", "FER2013Test", 3371},
		{"faceres", "faceres-ferplus.onnx", "ferplus.tar.gz", "FER2013Test", 3371},
		{"faceres-int8", "faceres-ferplus-int8.onnx", "ferplus.tar.gz", "FER2013Test", 3371},
	} {
		t.Run(c.name, func(t *testing.T) {
			model := filepath.Join(models, c.file)
			if _, err := os.Stat(model); err != nil {
				t.Skipf("shipped model %s is absent: %v", model, err)
			}
			archive := filepath.Join(data, c.archive)
			if _, err := os.Stat(archive); err != nil {
				t.Skipf("shared dataset %s is absent: %v", archive, err)
			}
			m, err := onnx.ReadFile(model)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := contract.Parse(m.MetaMap())
			if err != nil {
				t.Fatal(err)
			}
			stated, err := strconv.ParseFloat(spec.Accuracy, 64)
			if err != nil {
				t.Fatalf("%s states no accuracy (%q): %v", model, spec.Accuracy, err)
			}
			out := captureStdout(t, func() error {
				return dispatch(context.Background(), []string{"eval", "--model", c.name, "--data", archive, "--split", c.split, "--json"})
			})
			var rep evaluate.Report
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatalf("eval output %q: %v", out, err)
			}
			if rep.Data != archive || rep.Split != c.split {
				t.Errorf("report names data %q split %q, want the archive %s and %s", rep.Data, rep.Split, archive, c.split)
			}
			if rep.N != c.n {
				t.Fatalf("eval scored %d images of %s %s, want %d", rep.N, c.archive, c.split, c.n)
			}
			if math.Abs(rep.Accuracy-stated) > 1.0/float64(rep.N) {
				t.Fatalf("%s: %.4f on %s %s, but its card states %.4f", c.file, rep.Accuracy, c.archive, c.split, stated)
			}
			t.Logf("%s: %.2f%% on %d images of %s %s (card: %.2f%%)", c.file, 100*rep.Accuracy, rep.N, c.archive, c.split, 100*stated)
		})
	}
}
