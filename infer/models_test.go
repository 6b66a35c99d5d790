package infer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/infer"
)

// TestFindModel resolves --model: the shipped names (any case) in the
// first folder that holds the file, a path as is, and clear errors.
func TestFindModel(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(a, "lfnsb-ferplus.onnx"), filepath.Join(b, "lfnsb-ferplus.onnx"), filepath.Join(b, "rlrcnet-fer2013.onnx"), filepath.Join(b, "faceres-ferplus.onnx")} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dirs := []string{a, b}
	for _, c := range []struct{ in, want string }{
		{"lfnsb", filepath.Join(a, "lfnsb-ferplus.onnx")},
		{"LFNSB", filepath.Join(a, "lfnsb-ferplus.onnx")},
		{"rlrcnet", filepath.Join(b, "rlrcnet-fer2013.onnx")},
		{"", filepath.Join(b, "faceres-ferplus.onnx")}, // the default is the first shipped model
		{"FaceRes", filepath.Join(b, "faceres-ferplus.onnx")},
		{filepath.Join(b, "lfnsb-ferplus.onnx"), filepath.Join(b, "lfnsb-ferplus.onnx")},
	} {
		got, err := infer.FindModel(c.in, dirs)
		if err != nil || got != c.want {
			t.Errorf("FindModel(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := infer.FindModel("lfnsb", []string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "lfnsb-ferplus.onnx") {
		t.Errorf("missing shipped model: %v", err)
	}
	if _, err := infer.FindModel("mobilenet", dirs); err == nil || !strings.Contains(err.Error(), "faceres, rlrcnet, lfnsb") {
		t.Errorf("unknown name: %v, want the shipped names listed", err)
	}
	t.Setenv("FERLIVE_MODEL_DIR", a)
	if d := infer.ModelDirs(""); len(d) == 0 || d[0] != a {
		t.Errorf("ModelDirs with $FERLIVE_MODEL_DIR: %v", d)
	}
}
