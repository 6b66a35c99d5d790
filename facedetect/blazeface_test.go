package facedetect

import (
	"image"
	"testing"
)

// The anchors of the 256-px model: 16x16 cells of two at stride 16, then
// 8x8 cells of six at stride 32, centred in their cells (896 in all).
func TestBlazeAnchors(t *testing.T) {
	a := blazeAnchors(256)
	if len(a[0]) != 512 || len(a[1]) != 384 {
		t.Fatalf("%d + %d anchors, want 512 + 384", len(a[0]), len(a[1]))
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
// square in its input, so they stay square in a landscape and in a
// portrait frame, and land on the face YuNet finds.
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
		if r := float64(b.Dx()) / float64(b.Dy()); r < 0.9 || r > 1.1 {
			t.Errorf("%s: box %v has aspect %.2f, want square", name, b, r)
		}
		if iou := IoU(b, image.Rect(581, 59, 747, 271)); iou < 0.5 {
			t.Errorf("%s: box %v overlaps the face (581,59)-(747,271) by IoU %.2f", name, b, iou)
		}
	}
}
