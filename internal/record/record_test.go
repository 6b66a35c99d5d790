package record

import (
	"encoding/csv"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var labels = []string{"angry", "happy", "sad"}

func frames() []*Frame {
	return []*Frame{
		{Index: 0, PTS: 0},
		{Index: 1, PTS: 40 * time.Millisecond, Path: `odd, "name".jpg`, Faces: []Face{
			{ID: 1, Box: image.Rect(10, 20, 110, 140), Label: "happy", Score: 0.9, Probs: []float32{0.05, 0.9, 0.05}},
			{ID: 2, Box: image.Rect(200, 20, 260, 90), Label: "sad", Score: 0.6, Probs: []float32{0.3, 0.1, 0.6}},
		}},
	}
}

func TestJSONLIsValidAndOrdered(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.jsonl")
	w, err := NewJSONL(p, labels)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames() {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	// Flushed per frame: readable before Close.
	b, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines before close, want 2", len(lines))
	}
	if err := w.Close(); err != nil || w.Close() != nil {
		t.Fatal("close failed or is not idempotent")
	}
	type face struct {
		ID    int                `json:"id"`
		Box   []int              `json:"box"`
		Label string             `json:"label"`
		Score float64            `json:"score"`
		Probs map[string]float64 `json:"probs"`
	}
	type frame struct {
		Frame  int     `json:"frame"`
		TimeMs float64 `json:"time_ms"`
		Path   string  `json:"path"`
		Faces  []face  `json:"faces"`
	}
	var rec []frame
	for _, l := range lines {
		var one frame
		if err := json.Unmarshal([]byte(l), &one); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		rec = append(rec, one)
	}
	if rec[0].Faces == nil || len(rec[0].Faces) != 0 || !strings.Contains(lines[0], `"faces":[]`) {
		t.Fatalf("frame without faces: %q", lines[0])
	}
	f := rec[1].Faces[0]
	if rec[1].TimeMs != 40 || rec[1].Path != `odd, "name".jpg` || f.ID != 1 || f.Label != "happy" ||
		f.Box[0] != 10 || f.Box[1] != 20 || f.Box[2] != 100 || f.Box[3] != 120 || f.Probs["happy"] != 0.9 {
		t.Fatalf("frame 1 decoded as %+v", rec[1])
	}
	if i, j := strings.Index(lines[1], `"angry"`), strings.Index(lines[1], `"sad"`); i < 0 || i > j {
		t.Fatal("probs are not in label order")
	}
}

func TestCSVRows(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.csv")
	w, err := NewCSV(p, labels)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames() {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	fh, _ := os.Open(p)
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"frame", "time_ms", "path", "id", "x", "y", "w", "h", "label", "score", "angry", "happy", "sad"}
	if strings.Join(rows[0], "|") != strings.Join(want, "|") {
		t.Fatalf("header %v", rows[0])
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want header + 2 faces", len(rows))
	}
	if r := rows[2]; r[0] != "1" || r[2] != `odd, "name".jpg` || r[3] != "2" || r[6] != "60" || r[8] != "sad" || r[12] != "0.6000" {
		t.Fatalf("row %v", r)
	}
}

func TestUnwritablePathIsNamed(t *testing.T) {
	_, err := NewJSONL("/nonexistent-dir/x.jsonl", labels)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent-dir/x.jsonl") {
		t.Fatalf("error %v", err)
	}
}
