package overlay

import (
	"image"
	"testing"
)

func TestBarsOrderedByProbability(t *testing.T) {
	probs := []float32{0.05, 0.02, 0.30, 0.08, 0.45, 0.06, 0.04} // sad, fear, neutral(0.08)...
	face := Face{ID: 1, Box: image.Rect(100, 100, 200, 220), Labels: fer2013, Probs: probs}
	r := newRenderer(t, Options{})
	lay, err := r.Layout(640, 480, []Face{face}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fl := lay.Faces[0]
	if fl.Top != 4 || fl.LabelText != "#1 sad 45%" {
		t.Errorf("top %d %q, want 4 \"#1 sad 45%%\"", fl.Top, fl.LabelText)
	}
	want := []struct {
		idx int
		pct int
	}{{4, 45}, {2, 30}, {3, 8}}
	if len(fl.Bars) != len(want) {
		t.Fatalf("%d bars, want %d", len(fl.Bars), len(want))
	}
	for i, b := range fl.Bars {
		if b.Index != want[i].idx || b.Label != fer2013[want[i].idx] || b.Percent != want[i].pct {
			t.Errorf("bar %d = %s (index %d) %d%%, want %s %d%%", i, b.Label, b.Index, b.Percent, fer2013[want[i].idx], want[i].pct)
		}
		if i > 0 {
			prev := fl.Bars[i-1]
			if b.Fill.Dx() > prev.Fill.Dx() || b.Track.Min.Y <= prev.Track.Min.Y {
				t.Errorf("bar %d (%v) not below and shorter than bar %d (%v)", i, b.Fill, i-1, prev.Fill)
			}
		}
		if !b.Track.In(fl.Panel) || !b.Fill.In(b.Track) {
			t.Errorf("bar %d track %v / fill %v outside panel %v", i, b.Track, b.Fill, fl.Panel)
		}
	}

	// The bars are painted in their class colours, in that order.
	frame := gradientFrame(t, 640, 480)
	defer frame.Close()
	if err := r.Draw(&frame, []Face{face}, nil); err != nil {
		t.Fatal(err)
	}
	for i, b := range fl.Bars {
		p := image.Pt(b.Fill.Min.X+1, (b.Fill.Min.Y+b.Fill.Max.Y)/2)
		if got, want := at(t, &frame, p.X, p.Y), toBGR(Color(b.Label)); got != want {
			t.Errorf("bar %d (%s) pixel %v = %v, want %v", i, b.Label, p, got, want)
		}
	}
}

func TestBarsOption(t *testing.T) {
	face := Face{ID: 1, Box: image.Rect(100, 100, 200, 220), Labels: fer2013, Probs: probs7(1, 0.5)}
	for _, c := range []struct{ opt, want int }{{0, 3}, {1, 1}, {5, 5}, {20, 7}, {-1, 0}} {
		r := newRenderer(t, Options{Bars: c.opt})
		lay, err := r.Layout(640, 480, []Face{face}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(lay.Faces[0].Bars); got != c.want {
			t.Errorf("Bars %d: %d bars, want %d", c.opt, got, c.want)
		}
		if c.want == 0 && !lay.Faces[0].Panel.Empty() {
			t.Errorf("Bars %d: panel %v, want none", c.opt, lay.Faces[0].Panel)
		}
	}
}

func TestPanelBesideBoxNotOverLabel(t *testing.T) {
	r := newRenderer(t, Options{})
	for name, box := range edgeBoxes(1280, 720) {
		face := Face{ID: 12, Box: box, Labels: fer2013, Probs: probs7(5, 0.7)}
		lay, err := r.Layout(1280, 720, []Face{face}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fl := lay.Faces[0]
		if fl.Panel.Overlaps(fl.Label) {
			t.Errorf("%s: panel %v overlaps label %v", name, fl.Panel, fl.Label)
		}
	}
	// With room on the right, the panel sits right of the box, top-aligned
	// with the label above it.
	lay, err := r.Layout(1280, 720, []Face{{ID: 1, Box: image.Rect(300, 200, 420, 340), Labels: fer2013, Probs: probs7(3, 0.8)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fl := lay.Faces[0]
	if fl.Label.Max.Y > 200 || fl.Label.Min.X != fl.Ring.Min.X || fl.Ring.Min.X > 300 {
		t.Errorf("label %v not above the left corner of the box and its outline %v", fl.Label, fl.Ring)
	}
	if fl.Panel.Min.X < 420 || fl.Panel.Min.Y != fl.Label.Min.Y {
		t.Errorf("panel %v not right of the box, level with the label %v", fl.Panel, fl.Label)
	}
}

func TestLabelBelowWhenNoRoomAbove(t *testing.T) {
	r := newRenderer(t, Options{})
	lay, err := r.Layout(640, 360, []Face{{ID: 1, Box: image.Rect(100, 5, 200, 120), Labels: fer2013, Probs: probs7(3, 0.8)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := lay.Faces[0].Label; l.Min.Y < 120 {
		t.Errorf("label %v should be below the box (no room above)", l)
	}
}

func TestTextScalesWithFrameAndFace(t *testing.T) {
	r := newRenderer(t, Options{})
	labelH := func(w, h int, box image.Rectangle) int {
		t.Helper()
		lay, err := r.Layout(w, h, []Face{{ID: 1, Box: box, Labels: fer2013, Probs: probs7(3, 0.8)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if lay.Faces[0].Label.Empty() {
			t.Fatalf("%dx%d, face %v: no label", w, h, box)
		}
		return lay.Faces[0].Label.Dy()
	}
	// An 11 px font (the smallest the overlay uses) makes a 17 px chip.
	readable := newMetrics(minReadablePx).pillH
	prev := 0
	for _, size := range [][2]int{{320, 240}, {640, 360}, {1280, 720}, {1920, 1080}, {3840, 2160}} {
		w, h := size[0], size[1]
		box := image.Rect(w/3, h/3, w/3+h/4, h/3+h/4)
		got := labelH(w, h, box)
		if got < readable {
			t.Errorf("%dx%d: label %d px tall, want >= %d (11 px text)", w, h, got, readable)
		}
		if got < prev {
			t.Errorf("%dx%d: label %d px tall, shorter than at the smaller frame (%d)", w, h, got, prev)
		}
		prev = got
		// Seen scaled to a 1080p screen, a 4K frame's label is still readable.
		if h > 1080 && got*1080/h < readable {
			t.Errorf("%dx%d: label %d px tall, %d px on a 1080p screen, want >= %d", w, h, got, got*1080/h, readable)
		}
	}
	// Faces of 60 to 110 px at 640x360: the label stays small beside them.
	for _, side := range []int{60, 80, 110} {
		if got := labelH(640, 360, image.Rect(200, 150, 200+side*3/4, 150+side)); float64(got) > 0.3*float64(side) {
			t.Errorf("640x360, %d px face: label %d px tall, more than 30%% of the face", side, got)
		}
	}
	// In one frame a far face gets smaller text than a close one.
	small, large := labelH(1920, 1080, image.Rect(900, 500, 950, 560)), labelH(1920, 1080, image.Rect(700, 300, 1100, 800))
	if small >= large {
		t.Errorf("1080p: label of a 60 px face %d px, of a 500 px face %d px; want the far face's smaller", small, large)
	}
	fixed := newRenderer(t, Options{Scale: 2})
	lay, err := fixed.Layout(1920, 1080, []Face{{ID: 1, Box: image.Rect(900, 500, 950, 560), Labels: fer2013, Probs: probs7(3, 0.8)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := lay.Faces[0].Label.Dy(); got <= large {
		t.Errorf("Scale 2: label %d px, want taller than the largest automatic one (%d)", got, large)
	}
}

func TestLabelWithoutIDOrClasses(t *testing.T) {
	r := newRenderer(t, Options{})
	lay, err := r.Layout(640, 360, []Face{
		{ID: -1, Box: image.Rect(100, 100, 160, 160), Labels: fer2013, Probs: probs7(3, 0.8)},
		{ID: 4, Box: image.Rect(300, 100, 360, 160)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := lay.Faces[0].LabelText; got != "happy 80%" {
		t.Errorf("no-id label %q", got)
	}
	if got := lay.Faces[1].LabelText; got != "#4" || lay.Faces[1].Top != -1 || len(lay.Faces[1].Bars) != 0 {
		t.Errorf("unclassified face: label %q top %d bars %d", got, lay.Faces[1].Top, len(lay.Faces[1].Bars))
	}
}
