package overlay

import (
	"image"
	"testing"
)

func TestHUDInCorner(t *testing.T) {
	const w, h = 1280, 720
	frameRect := image.Rect(0, 0, w, h)
	for _, corner := range []Corner{TopLeft, TopRight, BottomLeft, BottomRight} {
		r := newRenderer(t, Options{HUDCorner: corner})
		lay, err := r.Layout(w, h, nil, sampleHUD())
		if err != nil {
			t.Fatal(err)
		}
		hr := lay.HUD
		if hr.Empty() || !hr.In(frameRect) {
			t.Fatalf("corner %d: HUD %v not inside the frame", corner, hr)
		}
		nearLeft, nearTop := hr.Min.X < 40, hr.Min.Y < 40
		nearRight, nearBottom := hr.Max.X > w-40, hr.Max.Y > h-40
		ok := map[Corner]bool{
			TopLeft: nearLeft && nearTop, TopRight: nearRight && nearTop,
			BottomLeft: nearLeft && nearBottom, BottomRight: nearRight && nearBottom,
		}[corner]
		if !ok {
			t.Errorf("corner %d: HUD at %v", corner, hr)
		}
		// Compact: the fps line, 6 stages two to a row, the 2 extra lines
		// on one: 5 lines, each at least a font's height.
		if hr.Dy() < 5*minReadablePx || hr.Dy() > 5*2*minReadablePx {
			t.Errorf("HUD %v: want 5 lines of about %d px", hr, minReadablePx)
		}

		frame := gradientFrame(t, w, h)
		before := snapshot(t, &frame)
		if err := r.Draw(&frame, nil, sampleHUD()); err != nil {
			t.Fatal(err)
		}
		if n := changed(t, before, &frame, hr); n < hr.Dx()*hr.Dy()/2 {
			t.Errorf("corner %d: only %d HUD pixels changed", corner, n)
		}
		if n := changed(t, before, &frame, frameRect); n > hr.Dx()*hr.Dy() {
			t.Errorf("corner %d: %d pixels changed, more than the HUD's area", corner, n)
		}
		frame.Close()
	}
}

func TestHUDDisabled(t *testing.T) {
	frame := gradientFrame(t, 640, 360)
	defer frame.Close()
	before := snapshot(t, &frame)
	r := newRenderer(t, Options{NoHUD: true})
	if err := r.Draw(&frame, nil, sampleHUD()); err != nil {
		t.Fatal(err)
	}
	r2 := newRenderer(t, Options{})
	if err := r2.Draw(&frame, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := r2.Draw(&frame, nil, &HUD{}); err != nil {
		t.Fatal(err)
	}
	if n := changed(t, before, &frame, image.Rect(0, 0, 640, 360)); n != 0 {
		t.Errorf("disabled, nil or empty HUD changed %d pixels", n)
	}
}

func TestHUDWidthStable(t *testing.T) {
	r := newRenderer(t, Options{})
	var widths []int
	for _, ms := range []float64{0.4, 3.3, 12.5, 88.8} {
		hud := &HUD{FPS: 30, Stages: []Stage{{"detect", ms}, {"infer", ms / 2}}}
		lay, err := r.Layout(1280, 720, nil, hud)
		if err != nil {
			t.Fatal(err)
		}
		widths = append(widths, lay.HUD.Dx())
	}
	for _, w := range widths[1:] {
		if w != widths[0] {
			t.Errorf("HUD width jitters with the numbers: %v", widths)
			break
		}
	}
}

func TestFormatMs(t *testing.T) {
	for ms, want := range map[float64]string{0.44: "0.4 ms", 12.25: "12.2 ms", 99.94: "99.9 ms", 123.4: "123 ms", -1: "- ms"} {
		if got := formatMs(ms); got != want {
			t.Errorf("formatMs(%v) = %q, want %q", ms, got, want)
		}
	}
}

func TestLabelsAndPanelsAvoidHUDAndEachOther(t *testing.T) {
	const w, h = 640, 360
	r := newRenderer(t, Options{HUDCorner: TopRight})
	faces := []Face{
		{ID: 1, Box: image.Rect(0, 0, 64, 60), Labels: fer2013, Probs: probs7(3, 0.91)},
		{ID: 2, Box: image.Rect(320, 120, 373, 180), Labels: fer2013, Probs: probs7(4, 0.55)},
		{ID: 3, Box: image.Rect(595, 180, 660, 252), Labels: fer2013, Probs: probs7(5, 0.78)},
		{ID: 14, Box: image.Rect(160, 315, 213, 390), Labels: fer2013, Probs: probs7(0, 0.47)},
		{ID: 15, Box: image.Rect(128, 180, 140, 192), Labels: fer2013, Probs: probs7(1, 0.5)},
	}
	lay, err := r.Layout(w, h, faces, sampleHUD())
	if err != nil {
		t.Fatal(err)
	}
	var placed []image.Rectangle
	for i, fl := range lay.Faces {
		if fl.Label.Overlaps(lay.HUD) || fl.Panel.Overlaps(lay.HUD) {
			t.Errorf("face %d: label %v or panel %v under the HUD %v", i, fl.Label, fl.Panel, lay.HUD)
		}
		for _, p := range placed {
			if fl.Panel.Overlaps(p) {
				t.Errorf("face %d: panel %v overlaps %v", i, fl.Panel, p)
			}
		}
		placed = append(placed, fl.Panel, fl.Label)
	}
}

func TestHUDGoesToTheCornerWithFewestFaces(t *testing.T) {
	const w, h = 1280, 720
	face := func(id, x, y int) Face {
		return Face{ID: id, Box: image.Rect(x, y, x+110, y+140), Labels: fer2013, Probs: probs7(id%7, 0.8)}
	}
	// Faces in the top-left, top-right and bottom-left quarters: the HUD
	// goes bottom right.
	r := newRenderer(t, Options{})
	faces := []Face{face(1, 20, 20), face(2, 300, 150), face(3, 1100, 30), face(4, 40, 560), face(5, 800, 60)}
	lay, err := r.Layout(w, h, faces, sampleHUD())
	if err != nil {
		t.Fatal(err)
	}
	if lay.HUD.Empty() || lay.HUD.Max.X < w-40 || lay.HUD.Max.Y < h-40 {
		t.Errorf("HUD at %v, want the bottom-right corner", lay.HUD)
	}
	// A face walks into that corner: the HUD leaves it for another free
	// place, and never covers a face, label or panel.
	faces = append(faces, face(6, 1150, 560))
	lay, err = r.Layout(w, h, faces, sampleHUD())
	if err != nil {
		t.Fatal(err)
	}
	if lay.HUD.Empty() {
		t.Fatalf("no room found for the HUD")
	}
	for i, fl := range lay.Faces {
		for _, o := range []image.Rectangle{fl.Ring, fl.Label, fl.Panel} {
			if lay.HUD.Overlaps(o) {
				t.Errorf("HUD %v covers face %d's %v", lay.HUD, i, o)
			}
		}
	}
	// No room anywhere: the HUD shrinks to its fps line, then is left out.
	r = newRenderer(t, Options{})
	var wall []Face
	for x := 0; x < w; x += 120 {
		wall = append(wall, Face{ID: -1, Box: image.Rect(x, 0, x+118, h)})
	}
	lay, err = r.Layout(w, h, wall, sampleHUD())
	if err != nil {
		t.Fatal(err)
	}
	if !lay.HUD.Empty() {
		t.Errorf("frame full of faces: HUD at %v, want none", lay.HUD)
	}
	tight := []Face{{ID: -1, Box: image.Rect(80, 40, w, h)}}
	lay, err = r.Layout(w, h, tight, sampleHUD())
	if err != nil {
		t.Fatal(err)
	}
	if lay.HUD.Empty() || lay.HUD.Dy() > 2*minReadablePx*2 || lay.HUD.Overlaps(lay.Faces[0].Ring) {
		t.Errorf("room for one line only: HUD %v, want the compact fps line clear of the face %v", lay.HUD, lay.Faces[0].Ring)
	}
}

// TestDrawHUDAfterTheFaces draws the faces, then the HUD alone (as the live
// window does after the video frame was written): the HUD changes no pixel
// of the faces' annotations.
func TestDrawHUDAfterTheFaces(t *testing.T) {
	const w, h = 1280, 720
	faces := []Face{
		{ID: 1, Box: image.Rect(40, 40, 160, 190), Labels: fer2013, Probs: probs7(3, 0.9)},
		{ID: 2, Box: image.Rect(1000, 500, 1120, 650), Labels: fer2013, Probs: probs7(4, 0.8)},
	}
	frame := gradientFrame(t, w, h)
	defer frame.Close()
	r := newRenderer(t, Options{})
	if err := r.Draw(&frame, faces, nil); err != nil {
		t.Fatal(err)
	}
	lay, err := r.Layout(w, h, faces, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, &frame)
	hr, err := r.DrawHUD(&frame, sampleHUD())
	if err != nil {
		t.Fatal(err)
	}
	if hr.Empty() {
		t.Fatal("no HUD drawn on a roomy frame")
	}
	if n := changed(t, before, &frame, image.Rect(0, 0, w, h)); n == 0 || n > area(hr) {
		t.Errorf("DrawHUD changed %d pixels, want some, all inside the HUD %v", n, hr)
	}
	for i, fl := range lay.Faces {
		for _, o := range []image.Rectangle{fl.Ring, fl.Label, fl.Panel} {
			if hr.Overlaps(o) {
				t.Errorf("HUD %v covers face %d's %v", hr, i, o)
			}
		}
	}
	// The HUD went to a corner without faces (top right or bottom left).
	if (hr.Min.X < 40 && hr.Min.Y < 40) || (hr.Max.X > w-40 && hr.Max.Y > h-40) {
		t.Errorf("HUD at %v, in a corner with a face", hr)
	}
}
