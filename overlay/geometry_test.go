package overlay

import (
	"fmt"
	"image"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// scene is a synthetic frame of faces for the geometry tests.
type scene struct {
	name  string
	kind  string
	w, h  int
	faces []Face
}

// sceneSizes are the frame sizes of the geometry tests, 320x240 to 4K.
var sceneSizes = [][2]int{{320, 240}, {640, 360}, {1280, 720}, {1920, 1080}, {3840, 2160}}

// crowdScenes returns scenes of 2 to 12 faces at every size in four
// arrangements: spread (random, not overlapping), edges (boxes on and
// across the frame's edges and corners), overlap (clusters of overlapping
// boxes) and rows (an audience packed side by side, as in a lecture hall).
func crowdScenes() []scene {
	var out []scene
	for _, size := range sceneSizes {
		w, h := size[0], size[1]
		for n := 2; n <= 12; n++ {
			for _, kind := range []string{"spread", "edges", "overlap", "rows"} {
				rng := rand.New(rand.NewSource(int64(w*1000 + n*10 + len(kind))))
				var boxes []image.Rectangle
				switch kind {
				case "spread":
					boxes = spreadBoxes(rng, w, h, n)
				case "edges":
					boxes = edgeSceneBoxes(rng, w, h, n)
				case "overlap":
					boxes = overlapBoxes(rng, w, h, n)
				case "rows":
					boxes = rowBoxes(w, h, n)
				}
				s := scene{name: fmt.Sprintf("%dx%d/%d-%s", w, h, n, kind), kind: kind, w: w, h: h}
				for i, b := range boxes {
					top := rng.Intn(7)
					p := 0.25 + 0.7*rng.Float32() // some uncertain, most not
					s.faces = append(s.faces, Face{ID: i + 1, Box: b, Labels: fer2013, Probs: probs7(top, p)})
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// faceBox is a face-shaped box (4:5) of height fh with its top-left at x, y.
func faceBox(x, y, fh int) image.Rectangle { return image.Rect(x, y, x+fh*4/5, y+fh) }

func spreadBoxes(rng *rand.Rand, w, h, n int) []image.Rectangle {
	var out []image.Rectangle
	for tries := 0; len(out) < n && tries < 2000; tries++ {
		fh := h/10 + rng.Intn(h/6)
		b := faceBox(rng.Intn(w-fh), rng.Intn(h-fh), fh)
		ok := true
		for _, o := range out {
			if b.Overlaps(o) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, b)
		}
	}
	return out
}

func edgeSceneBoxes(rng *rand.Rand, w, h, n int) []image.Rectangle {
	out := make([]image.Rectangle, n)
	for i := range out {
		fh := h/8 + rng.Intn(h/5)
		fw := fh * 4 / 5
		var x, y int
		switch i % 4 {
		case 0: // left edge, partly outside
			x, y = -rng.Intn(fw/2+1), rng.Intn(h-fh/2)
		case 1: // right edge
			x, y = w-fw+rng.Intn(fw/2+1), rng.Intn(h-fh/2)
		case 2: // top edge
			x, y = rng.Intn(w-fw/2), -rng.Intn(fh/2+1)
		case 3: // bottom edge
			x, y = rng.Intn(w-fw/2), h-fh+rng.Intn(fh/2+1)
		}
		out[i] = faceBox(x, y, fh)
	}
	return out
}

func overlapBoxes(rng *rand.Rand, w, h, n int) []image.Rectangle {
	var out []image.Rectangle
	for len(out) < n {
		fh := h/8 + rng.Intn(h/6)
		if len(out) == 0 || rng.Intn(3) == 0 { // a new cluster
			out = append(out, faceBox(rng.Intn(w-fh), rng.Intn(h-fh), fh))
			continue
		}
		p := out[len(out)-1]
		x := p.Min.X + p.Dx()/3 + rng.Intn(p.Dx()/2+1) - p.Dx()/4
		y := p.Min.Y + rng.Intn(p.Dy()/2+1) - p.Dy()/4
		out = append(out, faceBox(min(max(x, 0), w-fh*4/5), min(max(y, 0), h-fh), fh))
	}
	return out
}

func rowBoxes(w, h, n int) []image.Rectangle {
	perRow := (n + 1) / 2
	fh := min(h/4, w/(perRow+1)*5/4)
	fw := fh * 4 / 5
	step := w / perRow
	var out []image.Rectangle
	for i := 0; i < n; i++ {
		row, col := i/perRow, i%perRow
		x := col*step + (step-fw)/2 + (row%2)*step/4
		y := h/5 + row*(fh+fh/3)
		out = append(out, faceBox(x, y, fh))
	}
	return out
}

// TestNothingCoversAFace renders the crowded scenes and checks, by geometry
// and by pixels, that no label, panel or HUD covers any face box or its
// outline, and that none of them covers another.
func TestNothingCoversAFace(t *testing.T) {
	scenes := crowdScenes()
	levels := map[string]*[4]int{}
	for _, sc := range scenes {
		r := newRenderer(t, Options{})
		lay, err := r.Layout(sc.w, sc.h, sc.faces, sampleHUD())
		if err != nil {
			t.Fatal(err)
		}
		checkLayout(t, sc, lay)
		if levels[sc.kind] == nil {
			levels[sc.kind] = &[4]int{}
		}
		for _, fl := range lay.Faces {
			levels[sc.kind][fl.Level]++
		}
	}
	// The pixels: every pixel Draw changes inside a face box belongs to a
	// face outline (where boxes overlap, or a box is cut by the frame's edge).
	// A third of the scenes (4, 8 and 12 faces); at 4K, the 12 overlapping
	// faces only.
	for _, sc := range scenes {
		if n := len(sc.faces); n%4 != 0 || (sc.w > 1920 && (n != 12 || sc.kind != "overlap")) {
			continue
		}
		checkPixels(t, sc)
	}
	total := [4]int{}
	for kind, l := range levels {
		n := l[0] + l[1] + l[2] + l[3]
		t.Logf("%-8s %4d faces: panel %3.0f%%, chip only %3.0f%%, outline only %3.0f%%, not drawn %d",
			kind, n, pct(l[LevelPanel], n), pct(l[LevelChip], n), pct(l[LevelEdge], n), l[LevelNone])
		for i := range total {
			total[i] += l[i]
		}
	}
	n := total[0] + total[1] + total[2] + total[3]
	t.Logf("%d scenes, %d faces: panel %.0f%%, chip only %.0f%%, outline only %.0f%%", len(scenes), n,
		pct(total[LevelPanel], n), pct(total[LevelChip], n), pct(total[LevelEdge], n))
	// Room is found for most labels: the layout does not pass by leaving
	// everything out.
	for kind, least := range map[string]float64{"spread": 90, "edges": 75, "overlap": 50, "rows": 90} {
		l := levels[kind]
		n := l[0] + l[1] + l[2] + l[3]
		if got := pct(l[LevelChip]+l[LevelPanel], n); got < least {
			t.Errorf("%s scenes: %.0f%% of faces have a label, want >= %.0f%%", kind, got, least)
		}
	}
}

func pct(a, n int) float64 { return 100 * float64(a) / float64(max(n, 1)) }

// checkLayout checks the geometry of one scene's layout.
func checkLayout(t *testing.T, sc scene, lay Layout) {
	t.Helper()
	frame := image.Rect(0, 0, sc.w, sc.h)
	type drawn struct {
		what string
		r    image.Rectangle
	}
	var all []drawn
	for i, fl := range lay.Faces {
		if fl.Box.Empty() {
			t.Errorf("%s: face %d %v not drawn", sc.name, i, sc.faces[i].Box)
			continue
		}
		if fl.Level < LevelEdge || fl.Ring.Empty() || !fl.Box.In(fl.Ring) {
			t.Errorf("%s: face %d: level %d, outline %v around box %v", sc.name, i, fl.Level, fl.Ring, fl.Box)
		}
		if (fl.Level >= LevelChip) != !fl.Label.Empty() || (fl.Level == LevelPanel) != !fl.Panel.Empty() {
			t.Errorf("%s: face %d: level %d but label %v panel %v", sc.name, i, fl.Level, fl.Label, fl.Panel)
		}
		for _, d := range []drawn{{fmt.Sprintf("face %d label", i), fl.Label}, {fmt.Sprintf("face %d panel", i), fl.Panel}} {
			if !d.r.Empty() {
				all = append(all, d)
			}
		}
	}
	if !lay.HUD.Empty() {
		all = append(all, drawn{"HUD", lay.HUD})
	}
	for k, d := range all {
		if !d.r.In(frame) {
			t.Errorf("%s: %s %v outside the frame", sc.name, d.what, d.r)
		}
		for j, fl := range lay.Faces {
			if d.r.Overlaps(fl.Box) || d.r.Overlaps(fl.Ring) {
				t.Errorf("%s: %s %v covers face %d (box %v, outline %v)", sc.name, d.what, d.r, j, fl.Box, fl.Ring)
			}
		}
		for _, e := range all[k+1:] {
			if d.r.Overlaps(e.r) {
				t.Errorf("%s: %s %v overlaps %s %v", sc.name, d.what, d.r, e.what, e.r)
			}
		}
	}
}

// checkPixels draws one scene and checks that the only pixels changed
// inside face boxes are those of face outlines.
func checkPixels(t *testing.T, sc scene) {
	t.Helper()
	frame := gradientFrame(t, sc.w, sc.h)
	defer frame.Close()
	before := snapshot(t, &frame)
	r := newRenderer(t, Options{})
	lay, err := r.Layout(sc.w, sc.h, sc.faces, sampleHUD())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Draw(&frame, sc.faces, sampleHUD()); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("OVERLAY_SCENES"); dir != "" { // for a person to look at
		gocv.IMWrite(filepath.Join(dir, strings.NewReplacer("/", "_").Replace(sc.name)+".png"), frame)
	}
	pix, err := frame.DataPtrUint8()
	if err != nil {
		t.Fatal(err)
	}
	stroke := newFrameMetrics(sc.w, sc.h, 0).stroke
	onOutline := func(x, y int) bool {
		p := image.Pt(x, y)
		for _, fl := range lay.Faces {
			if p.In(fl.Ring) && !p.In(fl.Ring.Inset(stroke)) {
				return true
			}
		}
		return false
	}
	for i, fl := range lay.Faces {
		bad := 0
		for y := fl.Box.Min.Y; y < fl.Box.Max.Y; y++ {
			for x := fl.Box.Min.X; x < fl.Box.Max.X; x++ {
				o := (y*sc.w + x) * 3
				if (pix[o] != before[o] || pix[o+1] != before[o+1] || pix[o+2] != before[o+2]) && !onOutline(x, y) {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d pixels of face %d's box %v changed by something other than an outline", sc.name, bad, i, fl.Box)
		}
	}
}
