package facedetect

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferlive/ferlive/internal/tfjs"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// The anchors of the 256-px model: 16x16 cells of two at stride 16, then
// 8x8 cells of six at stride 32, centred in their cells (896 in all).
func TestBlazeAnchors(t *testing.T) {
	a := blazeAnchors(256, 256)
	if len(a[0]) != 512 || len(a[1]) != 384 {
		t.Fatalf("%d + %d anchors, want 512 + 384", len(a[0]), len(a[1]))
	}
	// A 256x160 input (a 16:9 frame): 16x10 cells of two, 8x5 cells of six.
	if b := blazeAnchors(256, 160); len(b[0]) != 320 || len(b[1]) != 240 || b[0][32] != (blazeAnchor{8, 24}) || b[1][239] != (blazeAnchor{240, 144}) {
		t.Errorf("256x160: %d + %d anchors, [0][32] %v, [1][239] %v; want 320 + 240, {8 24}, {240 144}", len(b[0]), len(b[1]), b[0][32], b[1][239])
	}
	for _, c := range []struct {
		got, want blazeAnchor
	}{
		{a[0][0], blazeAnchor{8, 8}}, {a[0][1], blazeAnchor{8, 8}}, {a[0][2], blazeAnchor{24, 8}},
		{a[0][511], blazeAnchor{248, 248}}, {a[1][0], blazeAnchor{16, 16}}, {a[1][5], blazeAnchor{16, 16}},
		{a[1][6], blazeAnchor{48, 16}}, {a[1][383], blazeAnchor{240, 240}},
	} {
		if c.got != c.want {
			t.Errorf("anchor %v, want %v", c.got, c.want)
		}
	}
}

// Weighted NMS merges overlapping candidates into their score-weighted
// mean with the best score, and keeps a separate face apart.
func TestWeightedNMS(t *testing.T) {
	cs := []cand{
		{x1: 10, y1: 10, x2: 30, y2: 30, score: 0.6, nkps: 1, kps: [12]float32{20, 20}},
		{x1: 100, y1: 100, x2: 120, y2: 120, score: 0.7, nkps: 1},
		{x1: 12, y1: 12, x2: 32, y2: 32, score: 0.9, nkps: 1, kps: [12]float32{22, 22}},
	}
	out := weightedNMS(cs, 0.3)
	if len(out) != 2 {
		t.Fatalf("%d detections, want 2: %+v", len(out), out)
	}
	m := out[0]
	want := (0.6*10 + 0.9*12) / 1.5 // 11.2
	if m.score != 0.9 || abs32(m.x1-float32(want)) > 1e-4 || abs32(m.kps[0]-float32((0.6*20+0.9*22)/1.5)) > 1e-4 {
		t.Errorf("merged %+v, want score 0.9, x1 %.2f", m, want)
	}
	if out[1].x1 != 100 || out[1].score != 0.7 {
		t.Errorf("separate face became %+v", out[1])
	}
}

func abs32(v float32) float32 { return max(v, -v) }

// Non-square frames are letterboxed, not stretched: BlazeFace's boxes are
// square in its input (then made 1.24 times taller, forehead to chin), so
// they keep that shape in a landscape and in a portrait frame, and land on
// the face YuNet finds.
func TestBlazeFaceLetterbox(t *testing.T) {
	img := readPhoto(t, "obama-720p.jpg")
	portrait := img.Region(image.Rect(440, 0, 890, 720))
	defer portrait.Close()
	d := newDetector(t, detectorCase{"blazeface", "blazeface", blazeModel}, Options{})
	for name, frame := range map[string]struct {
		w, h int
		off  image.Point
	}{"landscape": {1280, 720, image.Pt(0, 0)}, "portrait": {450, 720, image.Pt(440, 0)}} {
		m := img
		if name == "portrait" {
			m = portrait
		}
		fs, err := d.Detect(m)
		if err != nil || len(fs) != 1 {
			t.Fatalf("%s: %v, %v", name, boxes(fs), err)
		}
		b := fs[0].Box.Add(frame.off)
		if r := float64(b.Dx()) / float64(b.Dy()) * blazeBoxHeight; r < 0.9 || r > 1.1 {
			t.Errorf("%s: box %v has aspect %.2f, want 1/%.2f", name, b, r/blazeBoxHeight, blazeBoxHeight)
		}
		if iou := IoU(b, image.Rect(581, 59, 747, 271)); iou < 0.8 {
			t.Errorf("%s: box %v overlaps the face (581,59)-(747,271) by IoU %.2f", name, b, iou)
		}
	}
}

// obama_and_biden.jpg holds three faces (Obama, Biden, a girl in the
// lower right) and a raised hand that BlazeFace scores 0.37: the default
// threshold keeps the faces and drops the hand.
func TestBlazeFaceHand(t *testing.T) {
	img := readPhoto(t, "obama_and_biden.jpg")
	fs, err := newDetector(t, detectorCase{"blazeface", "blazeface", blazeModel}, Options{}).Detect(img)
	if err != nil {
		t.Fatal(err)
	}
	hand := image.Rect(110, 120, 310, 340)
	for _, f := range fs {
		if IoU(f.Box, hand) > 0.3 {
			t.Errorf("the raised hand was taken for a face: %v (score %.2f)", f.Box, f.Score)
		}
	}
	if len(fs) != 3 {
		t.Errorf("%d faces %v, want 3", len(fs), boxes(fs))
	}
}

// A model converted with a free input size runs a 16:9 frame at 256x160
// and finds what the fixed 256x256 model finds.
func TestBlazeFaceFreeSize(t *testing.T) {
	dir := t.TempDir()
	src := testenv.Model(t, blazeModel)
	fixed, free := filepath.Join(dir, "fixed.onnx"), filepath.Join(dir, "free.onnx")
	if err := tfjs.ConvertFile(src, fixed, tfjs.ConvertOptions{NCHW: true}); err != nil {
		t.Fatal(err)
	}
	if err := tfjs.ConvertFile(src, free, tfjs.ConvertOptions{NCHW: true, FreeSize: true}); err != nil {
		t.Fatal(err)
	}
	testenv.ORT(t)
	open := func(p string) *BlazeFace {
		d, err := NewBlazeFace(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	df, dv := open(fixed), open(free)
	for _, photo := range []string{"two_people.jpg", "obama-720p.jpg", "obama_and_biden.jpg"} {
		img := readPhoto(t, photo)
		a, err1 := df.Detect(img)
		b, err2 := dv.Detect(img)
		if err1 != nil || err2 != nil || len(a) != len(b) {
			t.Fatalf("%s: fixed %v, free %v (%v, %v)", photo, boxes(a), boxes(b), err1, err2)
		}
		for i := range a {
			best := 0.0
			for j := range b {
				best = max(best, IoU(a[i].Box, b[j].Box))
			}
			if best < 0.9 {
				t.Errorf("%s: fixed-size box %v, free-size boxes %v", photo, a[i].Box, boxes(b))
			}
		}
		if photo == "two_people.jpg" && dv.InputSize() != image.Pt(256, 160) {
			t.Errorf("free-size input for a 1126x661 frame: %v, want 256x160", dv.InputSize())
		}
	}
}

// The command line's detector choice: explicit kinds and models win; by
// default BlazeFace when its model is found, else Haar with a notice that
// names the missing model and `make deps`.
func TestResolve(t *testing.T) {
	model := filepath.Join(t.TempDir(), "bf.onnx")
	if err := os.WriteFile(model, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind, model, fallback string
		wantKind, wantModel   string
	}{
		{"yunet", "y.onnx", model, "yunet", "y.onnx"},
		{"haar", "", model, "haar", ""},
		{"", "cascade.xml", model, "haar", "cascade.xml"},
		{"", "other.onnx", model, "blazeface", "other.onnx"},
		{"", "", model, "blazeface", model},
	} {
		k, m, notice := Resolve(c.kind, c.model, c.fallback)
		if k != c.wantKind || m != c.wantModel || notice != "" {
			t.Errorf("Resolve(%q, %q, %q) = %q, %q, %q; want %q, %q and no notice", c.kind, c.model, c.fallback, k, m, notice, c.wantKind, c.wantModel)
		}
	}
	t.Chdir(t.TempDir()) // away from a checkout's .deps/models
	if p := FindBlazeFace(""); p != "" {
		t.Skipf("an installed BlazeFace model is found from anywhere (%s)", p)
	}
	k, m, notice := Resolve("", "", filepath.Join(t.TempDir(), "absent.onnx"))
	if k != "haar" || m != "" || !strings.Contains(notice, "Haar") || !strings.Contains(notice, "make deps") || !strings.Contains(notice, BlazeFaceRel) {
		t.Errorf("no BlazeFace model: %q, %q, notice %q; want haar and a notice naming the model and make deps", k, m, notice)
	}
}
