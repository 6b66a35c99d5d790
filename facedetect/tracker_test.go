package facedetect

import (
	"image"
	"testing"
)

func box(x, y, w, h int) image.Rectangle { return image.Rect(x, y, x+w, y+h) }

func faces(rs ...image.Rectangle) []Face {
	fs := make([]Face, len(rs))
	for i, r := range rs {
		fs[i] = Face{Box: r, Score: 0.9}
	}
	return fs
}

func ids(ts []Track) []int {
	out := make([]int, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestTrackerStableIDs(t *testing.T) {
	tr := NewTracker(TrackerOptions{})
	for i := 0; i < 30; i++ {
		// Moves 6 px a frame with a little jitter, and grows slowly.
		ts := tr.Update(faces(box(100+6*i+(i%3)-1, 80+2*i, 90+i/3, 100+i/3)))
		if len(ts) != 1 || ts[0].ID != 1 || ts[0].Hits != i+1 || ts[0].Missed != 0 {
			t.Fatalf("frame %d: %+v", i, ts)
		}
	}
}

func TestTrackerNewFace(t *testing.T) {
	tr := NewTracker(TrackerOptions{})
	a := box(50, 50, 80, 80)
	tr.Update(faces(a))
	tr.Update(faces(a))
	ts := tr.Update(faces(a, box(400, 60, 70, 70)))
	if got := ids(ts); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("ids %v, want [1 2]", got)
	}
	if ts[1].Hits != 1 || ts[0].Hits != 3 {
		t.Errorf("hits %d %d, want 3 1", ts[0].Hits, ts[1].Hits)
	}
	// Detection order does not matter.
	ts = tr.Update(faces(box(402, 61, 70, 70), box(52, 50, 80, 80)))
	if got := ids(ts); len(got) != 2 || got[0] != 1 || got[1] != 2 || ts[0].Box.Min.X != 52 {
		t.Fatalf("swapped order: %+v", ts)
	}
}

func TestTrackerMaxMissed(t *testing.T) {
	tr := NewTracker(TrackerOptions{MaxMissed: 3})
	a := box(100, 100, 80, 80)
	tr.Update(faces(a))
	// Lost for 3 detections: kept (not visible), then found again with the same id.
	for i := 1; i <= 3; i++ {
		if ts := tr.Update(nil); len(ts) != 0 {
			t.Fatalf("miss %d: visible %+v", i, ts)
		}
		if all := tr.Tracks(); len(all) != 1 || all[0].Missed != i {
			t.Fatalf("miss %d: tracks %+v", i, all)
		}
	}
	if ts := tr.Update(faces(a)); len(ts) != 1 || ts[0].ID != 1 || ts[0].Hits != 2 {
		t.Fatalf("found again: %+v", ts)
	}
	// Lost for 4 detections: dropped; the face comes back with a new id.
	for i := 0; i < 4; i++ {
		tr.Update(nil)
	}
	if all := tr.Tracks(); len(all) != 0 {
		t.Fatalf("after 4 misses: %+v", all)
	}
	if ts := tr.Update(faces(a)); len(ts) != 1 || ts[0].ID != 2 {
		t.Fatalf("back after drop: %+v, want id 2", ts)
	}
}

func TestTrackerPredict(t *testing.T) {
	tr := NewTracker(TrackerOptions{})
	tr.Update(faces(box(100, 100, 80, 80)))
	// One detection: no velocity yet, Predict keeps the box.
	if ts := tr.Predict(); len(ts) != 1 || ts[0].Box != box(100, 100, 80, 80) {
		t.Fatalf("predict without velocity: %+v", ts)
	}
	// Two frames later at +20,+10: 10,5 px a frame.
	tr.Update(faces(box(120, 110, 80, 80)))
	for i := 1; i <= 3; i++ {
		ts := tr.Predict()
		if want := box(120+10*i, 110+5*i, 80, 80); len(ts) != 1 || ts[0].ID != 1 || ts[0].Box != want {
			t.Fatalf("predict %d: %+v, want box %v", i, ts, want)
		}
	}
	// The detection after the skipped frames matches the extrapolated track
	// even though it barely overlaps the last detected box.
	if ts := tr.Update(faces(box(160, 130, 80, 80))); len(ts) != 1 || ts[0].ID != 1 {
		t.Fatalf("after predictions: %+v", ts)
	}
	// Bounds clip the predictions.
	tb := NewTracker(TrackerOptions{Bounds: image.Rect(0, 0, 200, 200)})
	tb.Update(faces(box(100, 100, 80, 80)))
	tb.Update(faces(box(110, 100, 80, 80)))
	if ts := tb.Predict(); len(ts) != 1 || ts[0].Box != image.Rect(120, 100, 200, 180) {
		t.Fatalf("clipped prediction: %+v", ts)
	}
	tb.Reset()
	if ts := tb.Predict(); len(ts) != 0 {
		t.Fatalf("after reset: %+v", ts)
	}
	if ts := tb.Update(faces(box(10, 10, 50, 50))); len(ts) != 1 || ts[0].ID != 1 || ts[0].Hits != 1 {
		t.Fatalf("after reset: %+v, want a fresh track with id 1", ts)
	}
}

// TestTrackerCrossing moves two faces of different sizes across each other;
// detection runs every other frame and the tracker predicts in between. Near
// the crossing the boxes overlap more with each other than with their own
// last positions, so matching by plain IoU would swap the ids; velocity keeps
// them.
func TestTrackerCrossing(t *testing.T) {
	tr := NewTracker(TrackerOptions{})
	swapByIoU := false
	var lastA, lastB image.Rectangle
	for f := 0; f <= 36; f++ {
		a := box(100+14*f, 200, 80, 90)     // left to right
		b := box(580-14*f, 210+f/4, 86, 96) // right to left, drifting down
		if f%2 == 1 {
			ts := tr.Predict()
			if len(ts) != 2 || IoU(ts[0].Box, a) < 0.7 || IoU(ts[1].Box, b) < 0.7 {
				t.Fatalf("frame %d predict: %+v, want near %v %v", f, ts, a, b)
			}
			continue
		}
		if f > 0 && IoU(a, lastB) > IoU(a, lastA) {
			swapByIoU = true
		}
		lastA, lastB = a, b
		fs := faces(b, a)
		if f%4 == 0 {
			fs = faces(a, b)
		}
		ts := tr.Update(fs)
		if len(ts) != 2 || ts[0].ID != 1 || ts[1].ID != 2 {
			t.Fatalf("frame %d: %+v", f, ts)
		}
		if ts[0].Box != a || ts[1].Box != b {
			t.Fatalf("frame %d: ids swapped: 1 at %v (want %v), 2 at %v (want %v)", f, ts[0].Box, a, ts[1].Box, b)
		}
	}
	if !swapByIoU {
		t.Fatal("the sequence does not exercise the crossing")
	}
}
