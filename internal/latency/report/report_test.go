package report

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample(scale float64) *Report {
	st := func(name string, ms float64) Stage {
		ms *= scale
		return Stage{Name: name, N: 60, Mean: ms, P50: ms, P90: ms * 1.2, P99: ms * 1.5, Max: ms * 2}
	}
	return &Report{
		Time: time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC), Input: "clip.mp4", Frames: 60,
		Device: Device{CPU: "Test CPU", Cores: 2, OS: "linux/amd64", ORT: "1.24.3", Provider: "cpu", Ferlive: "dev", Detector: "yunet"},
		Models: []Model{
			{Name: "a.onnx", FPS: 40, Stages: []Stage{st("decode", 2), st("detect", 5), st("preprocess", 1), st("infer", 6), st("total", 15)},
				Batch: []Batch{{1, 3 * scale, 3 * scale}, {2, 5, 2.5}, {4, 9, 2.25}, {8, 16, 2}}},
			{Name: "b-int8.onnx", FPS: 50, Stages: []Stage{st("decode", 2), st("detect", 5), st("preprocess", 1), st("infer", 3), st("total", 12)},
				Batch: []Batch{{1, 2, 2}, {2, 3, 1.5}, {4, 5, 1.25}, {8, 9, 1.125}}},
		},
	}
}

func TestJSONRoundTripAndCompare(t *testing.T) {
	dir := t.TempDir()
	old := sample(1)
	p := filepath.Join(dir, "old.json")
	if err := old.WriteJSON(p); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	b, _ := os.ReadFile(p)
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	dev := raw["device"].(map[string]any)
	for _, k := range []string{"cpu", "cores", "ort", "provider", "ferlive"} {
		if _, ok := dev[k]; !ok {
			t.Errorf("device lacks %q: %s", k, b)
		}
	}
	st := raw["models"].([]any)[0].(map[string]any)["stages"].([]any)[0].(map[string]any)
	for _, k := range []string{"mean_ms", "p50_ms", "p90_ms", "p99_ms"} {
		if _, ok := st[k]; !ok {
			t.Errorf("stage lacks %q", k)
		}
	}
	back, err := ReadJSON(p)
	if err != nil {
		t.Fatal(err)
	}
	if regs := sample(1).Compare(back, 0.10); len(regs) != 0 {
		t.Errorf("same figures flagged: %v", regs)
	}
	if regs := sample(1.09).Compare(back, 0.10); len(regs) != 0 {
		t.Errorf("9%% slower flagged: %v", regs)
	}
	regs := sample(1.2).Compare(back, 0.10)
	// a.onnx: every stage and batch 1; b-int8.onnx: every stage.
	if len(regs) != 5+1+5 {
		t.Fatalf("20%% slower: %d regressions, want 11: %v", len(regs), regs)
	}
	if s := regs[0].String(); !strings.Contains(s, "a.onnx decode") || !strings.Contains(s, "+20%") {
		t.Errorf("regression reads %q", s)
	}
	if _, err := ReadJSON(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing report was read")
	}
	os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"models":[]}`), 0o644)
	if _, err := ReadJSON(filepath.Join(dir, "x.json")); err == nil || !strings.Contains(err.Error(), "no models") {
		t.Errorf("an empty report: %v", err)
	}
}

func TestMarkdownAndPNG(t *testing.T) {
	r := sample(1)
	md := r.Markdown()
	for _, want := range []string{"Test CPU (2 cores", "1.24.3, cpu provider", "## a.onnx", "| infer | 60 | 6.00 |", "| 8 | 9.00 | 1.12 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	p := filepath.Join(t.TempDir(), "c.png")
	if err := r.WritePNG(p); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1100 || b.Dy() < 300 {
		t.Errorf("chart is %v", b)
	}
	// The first model's bar starts with the decode stage's colour.
	c := img.At(152, 40+12)
	if rr, g, bb, _ := c.RGBA(); uint8(rr>>8) != palette[0].R || uint8(g>>8) != palette[0].G || uint8(bb>>8) != palette[0].B {
		t.Errorf("bar start is %v, want %v", c, palette[0])
	}
}

func TestBatchScaling(t *testing.T) {
	var sizes []int
	b, err := BatchScaling(func(batch []float32, n int) error {
		if len(batch) != 3*n {
			t.Fatalf("batch of %d holds %d values", n, len(batch))
		}
		sizes = append(sizes, n)
		time.Sleep(time.Duration(n) * time.Millisecond)
		return nil
	}, []float32{1, 2, 3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 4 || b[3].Faces != 8 || b[3].MsPerCall < 8 || b[3].MsPerFace < 1 || b[3].MsPerFace > b[3].MsPerCall {
		t.Errorf("%+v", b)
	}
	if len(sizes) != 4*3 {
		t.Errorf("calls %v", sizes)
	}
}
