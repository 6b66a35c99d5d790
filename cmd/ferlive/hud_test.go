package main

import (
	"context"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// TestAnnotateHUDOnlyWithFlag annotates the same frames three ways: by
// default the output video carries no HUD (it equals --no-hud's), and
// --hud adds one.
func TestAnnotateHUDOnlyWithFlag(t *testing.T) {
	model, clip, _ := e2eFixtures(t)
	dir := t.TempDir()
	const frames = 30
	run := func(name string, extra ...string) gocv.Mat {
		t.Helper()
		out := filepath.Join(dir, name+".mp4")
		args := append([]string{"annotate", "--input", clip, "--output", out, "--model", model,
			"--max-frames", "30", "--detect-every", "3", "--no-progress", "--threads", "1"}, extra...)
		if err := dispatch(context.Background(), args); err != nil {
			t.Fatal(err)
		}
		vc, err := gocv.VideoCaptureFile(out)
		if err != nil {
			t.Fatal(err)
		}
		defer vc.Close()
		m := gocv.NewMat()
		for i := 0; i < frames-5 && vc.Read(&m); i++ { // a frame with a face and a settled fps
		}
		if m.Empty() {
			m.Close()
			t.Fatalf("%s: cannot read the output", out)
		}
		return m
	}
	plain, none, hud := run("default"), run("nohud", "--no-hud"), run("hud", "--hud")
	defer plain.Close()
	defer none.Close()
	defer hud.Close()
	if n := differ(t, plain, none); n != 0 {
		t.Errorf("default output differs from --no-hud in %d pixels: it carries a HUD", n)
	}
	if n := differ(t, plain, hud); n < 500 {
		t.Errorf("--hud output differs from the default in only %d pixels: no HUD drawn", n)
	}
	if err := dispatch(context.Background(), []string{"annotate", "--input", clip, "--hud", "--no-hud", "--model", model, "--jsonl", filepath.Join(dir, "x.jsonl")}); err == nil {
		t.Error("--hud with --no-hud accepted")
	}
}

// differ counts the pixels of two same-size BGR frames that differ by more
// than the encoder's noise.
func differ(t *testing.T, a, b gocv.Mat) int {
	t.Helper()
	pa, err := a.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	if len(pa) != len(pb) {
		t.Fatalf("frames of %d and %d bytes", len(pa), len(pb))
	}
	n := 0
	for i := 0; i+2 < len(pa); i += 3 {
		for c := 0; c < 3; c++ {
			if d := int(pa[i+c]) - int(pb[i+c]); d > 24 || d < -24 {
				n++
				break
			}
		}
	}
	return n
}
