package summary

import (
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferlive/ferlive/internal/record"
	"github.com/ferlive/ferlive/overlay"
)

var labels = []string{"angry", "happy", "neutral", "sad"}

// feed writes n frames at 25 fps; faces(i) gives frame i's faces.
func feed(t *testing.T, w *Writer, n int, faces func(i int) []record.Face) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := w.Write(&record.Frame{Index: i, PTS: time.Duration(i) * 40 * time.Millisecond, Faces: faces(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSummaryAndTimeline(t *testing.T) {
	dir := t.TempDir()
	sp, tp := filepath.Join(dir, "s.json"), filepath.Join(dir, "t.png")
	w, err := New(sp, tp, "clip.mp4", labels)
	if err != nil {
		t.Fatal(err)
	}
	// 10 s: face 1 happy for 7.5 s then sad; face 2 appears at 5 s, neutral.
	feed(t, w, 250, func(i int) []record.Face {
		f := []record.Face{{ID: 1, Label: "happy"}}
		if i >= 187 {
			f[0].Label = "sad"
		}
		if i >= 125 {
			f = append(f, record.Face{ID: 2, Label: "neutral"})
		}
		return f
	})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(sp)
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, b)
	}
	if len(s.Faces) != 2 || s.Frames != 250 || math.Abs(s.DurationS-10) > 1e-9 {
		t.Fatalf("summary: %+v", s)
	}
	f1, f2 := s.Faces[0], s.Faces[1]
	if f1.ID != 1 || f1.Dominant != "happy" || f1.FirstS != 0 || math.Abs(f1.LastS-10) > 1e-9 || math.Abs(f1.Share["happy"]-0.748) > 1e-3 || math.Abs(f1.Share["sad"]-0.252) > 1e-3 {
		t.Errorf("face 1: %+v", f1)
	}
	if f2.ID != 2 || f2.Dominant != "neutral" || math.Abs(f2.FirstS-5) > 1e-9 || f2.Share["neutral"] != 1 || f2.Frames != 125 {
		t.Errorf("face 2: %+v", f2)
	}
	img := decode(t, tp)
	// Lane 0 (face 1): happy at 1/4 of the way, sad at 9/10; lane 1 empty before 5 s.
	const left, top, laneH, gap = 90, 44, 18, 4
	at := func(lane int, frac float64) [3]uint8 {
		r, g, b, _ := img.At(left+int(frac*PlotWidth), top+lane*(laneH+gap)+laneH/2).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
	}
	want := func(label string) [3]uint8 { c := overlay.Color(label); return [3]uint8{c.R, c.G, c.B} }
	if got := at(0, 0.25); got != want("happy") {
		t.Errorf("face 1 at 2.5 s: %v, want happy %v", got, want("happy"))
	}
	if got := at(0, 0.9); got != want("sad") {
		t.Errorf("face 1 at 9 s: %v, want sad %v", got, want("sad"))
	}
	if got := at(1, 0.25); got == want("neutral") {
		t.Errorf("face 2 coloured before it appeared")
	}
	if got := at(1, 0.75); got != want("neutral") {
		t.Errorf("face 2 at 7.5 s: %v, want neutral %v", got, want("neutral"))
	}
}

// An hour with 200 tracks: a few long ones get lanes, the many short ones
// are merged into one, and the picture stays a readable size.
func TestHourLongTimelineMergesShortTracks(t *testing.T) {
	dir := t.TempDir()
	tp := filepath.Join(dir, "t.png")
	w, err := New("", tp, "", labels)
	if err != nil {
		t.Fatal(err)
	}
	const n = 25 * 3600
	feed(t, w, n, func(i int) []record.Face {
		var f []record.Face
		for k := 0; k < 30; k++ { // 30 long tracks, each a tenth of the hour or more
			if i%(n/10) < n/10-(k*n/400) {
				f = append(f, record.Face{ID: 1000 + k*10 + i/(n/10), Label: labels[(k+i/9000)%4]})
			}
		}
		f = append(f, record.Face{ID: 100000 + i/12, Label: "angry"}) // passers-by, half a second each
		return f
	})
	lanes := w.lanes()
	if len(lanes) != MaxLanes+1 || lanes[len(lanes)-1].name[0] != '+' {
		t.Fatalf("%d lanes, last %q; want %d face lanes and one merged lane", len(lanes), lanes[len(lanes)-1].name, MaxLanes)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	img := decode(t, tp)
	if b := img.Bounds(); b.Dx() > 1100 || b.Dy() > 800 {
		t.Errorf("timeline is %v; want a readable size", b)
	}
}

func TestNoFacesStillWritesBoth(t *testing.T) {
	dir := t.TempDir()
	sp, tp := filepath.Join(dir, "s.json"), filepath.Join(dir, "t.png")
	w, err := New(sp, tp, "empty.mp4", labels)
	if err != nil {
		t.Fatal(err)
	}
	feed(t, w, 3, func(int) []record.Face { return nil })
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var s Summary
	b, _ := os.ReadFile(sp)
	if err := json.Unmarshal(b, &s); err != nil || s.Faces == nil || len(s.Faces) != 0 {
		t.Fatalf("summary %s: %v", b, err)
	}
	decode(t, tp)
}

func TestBadPaths(t *testing.T) {
	if _, err := New("", filepath.Join(t.TempDir(), "t.jpg"), "", labels); err == nil {
		t.Error("a .jpg timeline was accepted")
	}
	if _, err := New(filepath.Join(t.TempDir(), "no", "s.json"), "", "", labels); err == nil {
		t.Error("a summary in a missing folder was accepted")
	}
}

func decode(t *testing.T, path string) image.Image {
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
