package overlay

import (
	"image"
	"testing"

	"gocv.io/x/gocv"
)

func TestDrawBoxesCarryEmotionColour(t *testing.T) {
	frame := gradientFrame(t, 800, 600)
	defer frame.Close()
	before := snapshot(t, &frame)
	faces := []Face{
		{ID: 1, Box: image.Rect(100, 150, 220, 300), Labels: fer2013, Probs: probs7(3, 0.9)}, // happy
		{ID: 2, Box: image.Rect(400, 200, 500, 320), Labels: fer2013, Probs: probs7(4, 0.6)}, // sad
		{ID: 3, Box: image.Rect(620, 380, 700, 480), Labels: fer2013, Probs: probs7(0, 0.5)}, // angry
	}
	r := newRenderer(t, Options{})
	if err := r.Draw(&frame, faces, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range faces {
		name := f.Labels[ranked(f.Probs)[0]]
		c := Color(name)
		want := bgr{c.B, c.G, c.R} // OpenCV frames are BGR
		b := f.Box
		midX, midY := (b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2
		// The outline runs just outside the box (1 px at this size).
		for _, p := range []image.Point{
			{b.Min.X - 1, midY}, // left edge
			{b.Max.X, midY},     // right edge
			{midX, b.Max.Y},     // bottom edge
			{midX, b.Min.Y - 1}, // top edge
		} {
			if got := at(t, &frame, p.X, p.Y); got != want {
				t.Errorf("face %d (%s): outline pixel %v = BGR %v, want %v", f.ID, name, p, got, want)
			}
		}
		if n := changed(t, before, &frame, b); n != 0 {
			t.Errorf("face %d: %d pixels changed inside the box; the face itself must stay visible", f.ID, n)
		}
		around := image.Rect(b.Min.X-40, b.Min.Y-40, b.Max.X+40, b.Max.Y+40)
		if n := changed(t, before, &frame, around); n < 2*(b.Dx()+b.Dy()) {
			t.Errorf("face %d: only %d pixels changed in and around the box", f.ID, n)
		}
	}
	// Nothing is drawn far away from every face.
	if n := changed(t, before, &frame, image.Rect(0, 520, 300, 600)); n != 0 {
		t.Errorf("%d pixels changed far from every face", n)
	}
}

// edgeBoxes are boxes at every edge and corner of a w x h frame, partly
// outside it, and covering it.
func edgeBoxes(w, h int) map[string]image.Rectangle {
	return map[string]image.Rectangle{
		"top-left":         image.Rect(0, 0, 90, 90),
		"top":              image.Rect(w/2-40, 0, w/2+40, 90),
		"top-right":        image.Rect(w-90, 0, w, 90),
		"right":            image.Rect(w-90, h/2-45, w, h/2+45),
		"bottom-right":     image.Rect(w-90, h-90, w, h),
		"bottom":           image.Rect(w/2-40, h-90, w/2+40, h),
		"bottom-left":      image.Rect(0, h-90, 90, h),
		"left":             image.Rect(0, h/2-45, 90, h/2+45),
		"beyond-top-left":  image.Rect(-60, -60, 50, 50),
		"beyond-bot-right": image.Rect(w-40, h-40, w+70, h+70),
		"beyond-right":     image.Rect(w-20, 100, w+200, 300),
		"whole-frame":      image.Rect(0, 0, w, h),
		"bigger-frame":     image.Rect(-100, -100, w+100, h+100),
		"middle":           image.Rect(w/2-50, h/2-50, w/2+50, h/2+50),
	}
}

// fillsFrame names the edgeBoxes that leave no room for a label.
var fillsFrame = map[string]bool{"whole-frame": true, "bigger-frame": true}

func TestLabelDrawnInsideFrameAtEveryEdge(t *testing.T) {
	const w, h = 640, 360
	for name, box := range edgeBoxes(w, h) {
		for _, top := range []int{3, 6, 0} { // happy (light pill), neutral, angry (dark pill)
			face := Face{ID: 7, Box: box, Labels: fer2013, Probs: probs7(top, 0.83)}
			frame := gradientFrame(t, w, h)
			r := newRenderer(t, Options{})
			lay, err := r.Layout(w, h, []Face{face}, nil)
			if err != nil {
				frame.Close()
				t.Fatal(err)
			}
			fl := lay.Faces[0]
			frameRect := image.Rect(0, 0, w, h)
			if want := "#7 " + fer2013[top] + " 83%"; fl.LabelText != want {
				t.Errorf("%s: label text %q, want %q", name, fl.LabelText, want)
			}
			if fillsFrame[name] {
				// No room beside the face: only its coloured outline.
				if !fl.Label.Empty() || !fl.Panel.Empty() || fl.Level != LevelEdge {
					t.Errorf("%s: label %v panel %v level %d, want the outline alone", name, fl.Label, fl.Panel, fl.Level)
				}
				frame.Close()
				continue
			}
			if fl.Label.Empty() || !fl.Label.In(frameRect) {
				t.Errorf("%s: label %v not inside the frame %v", name, fl.Label, frameRect)
			}
			if fl.Label.Overlaps(fl.Box) || fl.Panel.Overlaps(fl.Box) {
				t.Errorf("%s: label %v or panel %v covers the face %v", name, fl.Label, fl.Panel, fl.Box)
			}
			if !fl.Panel.Empty() && !fl.Panel.In(frameRect) {
				t.Errorf("%s: panel %v not inside the frame", name, fl.Panel)
			}
			if err := r.Draw(&frame, []Face{face}, nil); err != nil {
				frame.Close()
				t.Fatal(err)
			}
			checkLabelPixels(t, name, &frame, fl)
			frame.Close()
		}
	}
}

// checkLabelPixels checks that the label pill carries the label colour and
// contrasting text pixels.
func checkLabelPixels(t *testing.T, name string, frame *gocv.Mat, fl FaceLayout) {
	t.Helper()
	pill := toBGR(fl.Color)
	text := toBGR(textOn(fl.Color))
	// The pill's background: a point in its left padding, mid-height.
	if got := at(t, frame, fl.Label.Min.X+2, fl.Label.Min.Y+fl.Label.Dy()/2); got != pill {
		t.Errorf("%s: label background %v, want the label colour %v", name, got, pill)
	}
	bg, ink := 0, 0
	for y := fl.Label.Min.Y; y < fl.Label.Max.Y; y++ {
		for x := fl.Label.Min.X; x < fl.Label.Max.X; x++ {
			switch p := at(t, frame, x, y); {
			case p == pill:
				bg++
			case dist(p, text) < 40:
				ink++
			}
		}
	}
	area := fl.Label.Dx() * fl.Label.Dy()
	if bg < area/2 {
		t.Errorf("%s: only %d of %d label pixels have the label colour", name, bg, area)
	}
	if ink < 40 {
		t.Errorf("%s: only %d text pixels in the label", name, ink)
	}
	if lum := luminance(fl.Color) - luminance(textOn(fl.Color)); lum < 90 && lum > -90 {
		t.Errorf("%s: label text contrast too low (%.0f)", name, lum)
	}
}

func dist(a, b bgr) int {
	d := 0
	for i := range a {
		v := int(a[i]) - int(b[i])
		d += max(v, -v)
	}
	return d
}

func TestDrawZeroAndManyFaces(t *testing.T) {
	frame := gradientFrame(t, 640, 360)
	defer frame.Close()
	before := snapshot(t, &frame)
	r := newRenderer(t, Options{})
	if err := r.Draw(&frame, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := changed(t, before, &frame, image.Rect(0, 0, 640, 360)); n != 0 {
		t.Errorf("no faces and no HUD changed %d pixels", n)
	}
	var many []Face
	for i := 0; i < 60; i++ {
		x, y := (i%10)*64, (i/10)*60
		many = append(many, Face{ID: i, Box: image.Rect(x, y, x+30, y+30), Labels: fer2013, Probs: probs7(i%7, 0.7)})
	}
	if err := r.Draw(&frame, many, sampleHUD()); err != nil {
		t.Fatal(err)
	}
}
