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
	if fl.Label.Max.Y > 200 || fl.Label.Min.X != 300 {
		t.Errorf("label %v not above the box's left corner", fl.Label)
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

func TestAutoScaleReadable(t *testing.T) {
	r := newRenderer(t, Options{})
	face := []Face{{ID: 1, Box: image.Rect(100, 100, 160, 160), Labels: fer2013, Probs: probs7(3, 0.8)}}
	height := map[int]int{}
	for _, h := range []int{360, 720, 1080} {
		lay, err := r.Layout(h*16/9, h, face, nil)
		if err != nil {
			t.Fatal(err)
		}
		height[h] = lay.Faces[0].Label.Dy()
	}
	if height[360] < 20 {
		t.Errorf("360p label %d px tall, too small to read", height[360])
	}
	if !(height[360] <= height[720] && height[720] < height[1080]) {
		t.Errorf("label heights %v do not grow with the frame", height)
	}
	if m := newMetrics(autoScale(360)); m.labelPx < 12 || m.smallPx < 11 {
		t.Errorf("360p fonts %d/%d px, want >= 12/11", m.labelPx, m.smallPx)
	}
	fixed := newRenderer(t, Options{Scale: 2})
	lay, err := fixed.Layout(640, 360, face, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lay.Faces[0].Label.Dy() <= height[1080] {
		t.Errorf("Scale 2 label %d px, want taller than 1080p auto (%d)", lay.Faces[0].Label.Dy(), height[1080])
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
