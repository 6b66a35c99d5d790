package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// `ferlive convert` writes an ONNX model with BlazeFace's four outputs and
// an NCHW input; without --out it is a usage error (exit status 2).
func TestConvertCommand(t *testing.T) {
	src := testenv.Model(t, "blazeface/blazeface.json")
	out := filepath.Join(t.TempDir(), "bf.onnx")
	if err := dispatch(context.Background(), []string{"convert", "--tfjs", src, "--out", out, "--nchw", "--free-size"}); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.Graph.Outputs); n != 4 {
		t.Errorf("%d outputs, want 4", n)
	}
	if in := m.Graph.Inputs[0]; len(in.Shape) != 4 || in.Shape[1].Value != 3 || in.Shape[2].Param != "H" {
		t.Errorf("input %+v, want [1,3,H,W]", in.Shape)
	}
	if code := exitStatus(dispatch(context.Background(), []string{"convert", "--tfjs", src})); code != 2 {
		t.Errorf("convert without --out: exit status %d, want 2", code)
	}
}
