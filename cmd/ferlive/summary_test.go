package main

import (
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/summary"
)

// TestAnnotateSummaryAndTimeline annotates the end-to-end clip with
// --summary and --timeline only: the summary's faces are the JSON Lines'
// tracks, with their first and last times, shares summing to one and the
// dominant emotion their most frequent label; the timeline is a PNG.
func TestAnnotateSummaryAndTimeline(t *testing.T) {
	model, clip, _ := e2eFixtures(t)
	dir := t.TempDir()
	jl, sum, tl := filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "s.json"), filepath.Join(dir, "t.png")
	err := dispatch(context.Background(), []string{"annotate", "--input", clip, "--model", model, "--threads", "1",
		"--no-progress", "--max-frames", "60", "--jsonl", jl, "--summary", sum, "--timeline", tl})
	if err != nil {
		t.Fatal(err)
	}
	frames := readJSONL(t, jl)
	s := readSummary(t, sum)
	if s.Frames != len(frames) || s.Input != filepath.Base(clip) {
		t.Fatalf("summary: %d frames of %q, want %d of %q", s.Frames, s.Input, len(frames), filepath.Base(clip))
	}
	type seen struct {
		first, last float64
		n           int
		labels      map[string]int
	}
	want := map[int]*seen{}
	for _, f := range frames {
		for _, fc := range f.Faces {
			w := want[fc.ID]
			if w == nil {
				w = &seen{first: f.TimeMs / 1000, labels: map[string]int{}}
				want[fc.ID] = w
			}
			w.last, w.n = f.TimeMs/1000, w.n+1
			w.labels[fc.Label]++
		}
	}
	if len(want) == 0 || len(s.Faces) != len(want) {
		t.Fatalf("summary has %d faces, the JSON Lines %d tracks", len(s.Faces), len(want))
	}
	for _, f := range s.Faces {
		w := want[f.ID]
		if w == nil {
			t.Fatalf("summary face #%d is not in the JSON Lines", f.ID)
		}
		if f.Frames != w.n || math.Abs(f.FirstS-w.first) > 1e-3 || f.LastS <= w.last || f.LastS > w.last+0.1 {
			t.Errorf("face #%d: %d frames %.3f-%.3f s, JSON Lines %d frames %.3f-%.3f s", f.ID, f.Frames, f.FirstS, f.LastS, w.n, w.first, w.last)
		}
		total := 0.0
		for _, v := range f.Share {
			total += v
		}
		if math.Abs(total-1) > 1e-3 {
			t.Errorf("face #%d: shares sum to %g", f.ID, total)
		}
		if w.labels[f.Dominant] == 0 || f.Share[f.Dominant] < 1.0/float64(len(s.Labels)) {
			t.Errorf("face #%d: dominant %q (share %g), labels %v", f.ID, f.Dominant, f.Share[f.Dominant], w.labels)
		}
	}
	if b := decodePNG(t, tl).Bounds(); b.Dx() < 900 {
		t.Errorf("timeline is %v", b)
	}
}

// readSummary parses a --summary file.
func readSummary(t testing.TB, path string) summary.Summary {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s summary.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// decodePNG decodes a PNG file.
func decodePNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
