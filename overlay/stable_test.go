package overlay

import (
	"image"
	"math/rand"
	"strings"
	"testing"
)

// TestLabelsStayPutForTrackedFaces moves four tracked faces a few pixels
// per frame for 120 frames, as a detector's boxes jitter: each face's chip
// and panel keep their side of the face (their offset from the outline
// changes by no more than the jitter) and their text size.
func TestLabelsStayPutForTrackedFaces(t *testing.T) {
	const w, h = 1280, 720
	base := []image.Rectangle{
		image.Rect(150, 150, 260, 290), image.Rect(650, 150, 750, 280),
		image.Rect(150, 430, 270, 580), image.Rect(650, 430, 740, 550),
	}
	rng := rand.New(rand.NewSource(3))
	r := newRenderer(t, Options{})
	type placed struct{ label, panel image.Point }
	var first []placed
	var firstH []int
	for n := 0; n < 120; n++ {
		var faces []Face
		for i, b := range base {
			d := image.Pt(rng.Intn(7)-3, rng.Intn(7)-3)
			grow := rng.Intn(5) - 2
			box := image.Rectangle{b.Min.Add(d), b.Max.Add(d).Add(image.Pt(grow, grow))}
			faces = append(faces, Face{ID: i + 1, Box: box, Labels: fer2013, Probs: probs7(i, 0.6+0.3*rng.Float32())})
		}
		lay, err := r.Layout(w, h, faces, sampleHUD())
		if err != nil {
			t.Fatal(err)
		}
		for i, fl := range lay.Faces {
			if fl.Label.Empty() || fl.Panel.Empty() {
				t.Fatalf("frame %d: face %d has no label or panel (%v, %v) in a roomy frame", n, i, fl.Label, fl.Panel)
			}
			p := placed{fl.Label.Min.Sub(fl.Ring.Min), fl.Panel.Min.Sub(fl.Ring.Min)}
			if n == 0 {
				first = append(first, p)
				firstH = append(firstH, fl.Label.Dy())
				continue
			}
			// The offsets follow the box's size jitter (right or bottom
			// places move with the box's far edge), nothing more.
			if dl, dp := p.label.Sub(first[i].label), p.panel.Sub(first[i].panel); abs(dl.X) > 4 || abs(dl.Y) > 4 || abs(dp.X) > 8 || abs(dp.Y) > 8 {
				t.Errorf("frame %d: face %d's label moved by %v and panel by %v relative to its box", n, i, dl, dp)
			}
			if fl.Label.Dy() != firstH[i] {
				t.Errorf("frame %d: face %d's label is %d px tall, was %d", n, i, fl.Label.Dy(), firstH[i])
			}
		}
	}
}

// TestLabelMovesOnlyWhenForced walks a second face into the place of the
// first face's chip: the chip moves (it may not cover the newcomer), and
// after the newcomer has left it stays where it went instead of jumping
// back.
func TestLabelMovesOnlyWhenForced(t *testing.T) {
	const w, h = 1280, 720
	a := Face{ID: 1, Box: image.Rect(500, 300, 620, 450), Labels: fer2013, Probs: probs7(3, 0.9)}
	r := newRenderer(t, Options{})
	layout := func(faces ...Face) Layout {
		t.Helper()
		lay, err := r.Layout(w, h, faces, nil)
		if err != nil {
			t.Fatal(err)
		}
		return lay
	}
	above := layout(a).Faces[0].Label
	if above.Max.Y > a.Box.Min.Y {
		t.Fatalf("label %v not above the face %v in an empty frame", above, a.Box)
	}
	// The newcomer stands right above face 1.
	b := Face{ID: 2, Box: image.Rect(480, 130, 640, 295), Labels: fer2013, Probs: probs7(5, 0.9)}
	lay := layout(a, b)
	moved := lay.Faces[0].Label
	if moved == above || moved.Overlaps(b.Box) {
		t.Fatalf("with face 2 at %v, face 1's label %v (was %v): want it moved off face 2", b.Box, moved, above)
	}
	for n := 0; n < 5; n++ {
		if got := layout(a, b).Faces[0].Label; got != moved {
			t.Fatalf("frame %d: label %v, was %v with nothing changed", n, got, moved)
		}
	}
	// Face 2 leaves: face 1's label stays where it was pushed.
	for n := 0; n < 5; n++ {
		if got := layout(a).Faces[0].Label; got != moved {
			t.Errorf("after face 2 left, frame %d: label %v, want it to stay at %v", n, got, moved)
		}
	}
	// A Renderer that never saw face 1 puts it back in the first place.
	if got := newRenderer(t, Options{}).mustLayout(t, w, h, a).Faces[0].Label; got != above {
		t.Errorf("fresh renderer: label %v, want %v", got, above)
	}
}

func (r *Renderer) mustLayout(t *testing.T, w, h int, faces ...Face) Layout {
	t.Helper()
	lay, err := r.Layout(w, h, faces, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lay
}

// TestPanelThenChipThenEdge squeezes faces together until there is no room:
// first the panels go, then the chips, and the outline always stays.
func TestPanelThenChipThenEdge(t *testing.T) {
	const w, h = 640, 360
	r := newRenderer(t, Options{})
	one := Face{ID: 1, Box: image.Rect(260, 120, 340, 220), Labels: fer2013, Probs: probs7(3, 0.9)}
	if fl := r.mustLayout(t, w, h, one).Faces[0]; fl.Level != LevelPanel {
		t.Fatalf("a lone face: level %d, want a panel", fl.Level)
	}
	// Neighbours on every side, close enough to leave room for a chip only.
	r = newRenderer(t, Options{})
	crowd := []Face{one,
		{ID: 2, Box: image.Rect(170, 100, 250, 240), Labels: fer2013, Probs: probs7(0, 0.9)},
		{ID: 3, Box: image.Rect(350, 100, 430, 240), Labels: fer2013, Probs: probs7(4, 0.9)},
		{ID: 4, Box: image.Rect(240, 245, 360, 360), Labels: fer2013, Probs: probs7(5, 0.9)},
		{ID: 5, Box: image.Rect(240, 0, 360, 70), Labels: fer2013, Probs: probs7(6, 0.9)},
	}
	fl := r.mustLayout(t, w, h, crowd...).Faces[0]
	if fl.Level != LevelChip || fl.Label.Empty() || !fl.Panel.Empty() {
		t.Errorf("face 1 boxed in: level %d, label %v, panel %v; want the chip alone", fl.Level, fl.Label, fl.Panel)
	}
	// A face filling the frame leaves no room at all: the outline only,
	// in the emotion's colour.
	r = newRenderer(t, Options{})
	full := Face{ID: 1, Box: image.Rect(0, 0, w, h), Labels: fer2013, Probs: probs7(3, 0.9)}
	fl = r.mustLayout(t, w, h, full).Faces[0]
	if fl.Level != LevelEdge || !fl.Label.Empty() || fl.Color != Color("happy") {
		t.Errorf("face filling the frame: level %d, label %v, colour %v; want the happy outline alone", fl.Level, fl.Label, fl.Color)
	}
}

func TestUncertainClassificationsSayUncertain(t *testing.T) {
	// The dark, out-of-focus faces: sad 26% against angry 25%.
	weak := []float32{0.25, 0.08, 0.12, 0.06, 0.26, 0.13, 0.10}
	// A clear top class, but barely ahead of the runner-up.
	close := []float32{0.02, 0.01, 0.01, 0.48, 0.01, 0.43, 0.04}
	sure := probs7(3, 0.9)
	faces := []Face{
		{ID: 1, Box: image.Rect(100, 100, 200, 220), Labels: fer2013, Probs: weak},
		{ID: 2, Box: image.Rect(400, 100, 500, 220), Labels: fer2013, Probs: close},
		{ID: 3, Box: image.Rect(700, 100, 800, 220), Labels: fer2013, Probs: sure},
	}
	r := newRenderer(t, Options{})
	lay := r.mustLayout(t, 1280, 720, faces...)
	for i, want := range []bool{true, true, false} {
		fl := lay.Faces[i]
		if fl.Uncertain != want {
			t.Errorf("face %d: uncertain %v, want %v", i+1, fl.Uncertain, want)
		}
		if want {
			if fl.LabelText != "#"+string(rune('1'+i))+" uncertain" || fl.Color != UncertainColor {
				t.Errorf("face %d: label %q colour %v, want \"uncertain\" in grey", i+1, fl.LabelText, fl.Color)
			}
			// The panel still shows the probabilities, most probable first.
			if len(fl.Bars) == 0 || fl.Bars[0].Index != fl.Top {
				t.Errorf("face %d: bars %+v, want the top class first", i+1, fl.Bars)
			}
		} else if fl.LabelText != "#3 happy 90%" || fl.Color != Color("happy") {
			t.Errorf("face 3: label %q colour %v, want happy 90%% in the happy colour", fl.LabelText, fl.Color)
		}
	}
	// The pill is grey on the frame too.
	frame := gradientFrame(t, 1280, 720)
	defer frame.Close()
	if err := r.Draw(&frame, faces, nil); err != nil {
		t.Fatal(err)
	}
	checkLabelPixels(t, "uncertain", &frame, lay.Faces[0])

	// A model's own threshold: with p=0.2, margin 0, face 1 is a finding.
	lax := newRenderer(t, Options{Uncertain: &Uncertainty{MinProb: 0.2}})
	if fl := lax.mustLayout(t, 1280, 720, faces...).Faces[0]; fl.Uncertain || !strings.Contains(fl.LabelText, "sad 26%") {
		t.Errorf("threshold 0.2: face 1 %q uncertain=%v, want sad 26%%", fl.LabelText, fl.Uncertain)
	}
	if _, err := New(Options{Uncertain: &Uncertainty{MinProb: 2}}); err == nil {
		t.Error("New accepted an uncertainty threshold of 2")
	}
}
