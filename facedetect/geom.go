package facedetect

import (
	"image"
	"math"
	"sort"
)

// cand is a candidate detection in detector-input coordinates.
type cand struct {
	x1, y1, x2, y2 float32
	score          float32
	kps            [10]float32
	hasKps         bool
}

func (c *cand) area() float32 { return max(0, c.x2-c.x1) * max(0, c.y2-c.y1) }

func candIoU(a, b *cand) float32 {
	w := min(a.x2, b.x2) - max(a.x1, b.x1)
	h := min(a.y2, b.y2) - max(a.y1, b.y1)
	if w <= 0 || h <= 0 {
		return 0
	}
	inter := w * h
	return inter / (a.area() + b.area() - inter)
}

// nms sorts cs by score (highest first) and keeps those whose IoU with every
// better kept candidate is at most thr. It works in place and returns the
// kept prefix.
func nms(cs []cand, thr float32) []cand {
	sort.Slice(cs, func(i, j int) bool { return cs[i].score > cs[j].score })
	kept := cs[:0]
	for i := range cs {
		c := cs[i]
		ok := true
		for k := range kept {
			if candIoU(&kept[k], &c) > thr {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, c)
		}
	}
	return kept
}

// mapping turns detector-input coordinates into frame coordinates:
// frame = (input - off) / scale, then clipped to bounds.
type mapping struct {
	sx, sy float64 // input pixels per frame pixel
	ox, oy float64 // offset of the frame's content in the input
	bounds image.Rectangle
}

func (m mapping) pt(x, y float32) image.Point {
	p := image.Pt(int(math.Round((float64(x)-m.ox)/m.sx)), int(math.Round((float64(y)-m.oy)/m.sy)))
	p.X = min(max(p.X, m.bounds.Min.X), m.bounds.Max.X-1)
	p.Y = min(max(p.Y, m.bounds.Min.Y), m.bounds.Max.Y-1)
	return p
}

// face maps c to a Face, or reports false when the clipped box is empty or
// its shorter side is below minSize frame pixels.
func (m mapping) face(c *cand, minSize int) (Face, bool) {
	r := image.Rect(
		int(math.Round((float64(c.x1)-m.ox)/m.sx)), int(math.Round((float64(c.y1)-m.oy)/m.sy)),
		int(math.Round((float64(c.x2)-m.ox)/m.sx)), int(math.Round((float64(c.y2)-m.oy)/m.sy)),
	).Intersect(m.bounds)
	if r.Empty() || min(r.Dx(), r.Dy()) < max(1, minSize) {
		return Face{}, false
	}
	f := Face{Box: r, Score: c.score}
	if c.hasKps {
		f.Landmarks = make([]image.Point, 5)
		for i := range f.Landmarks {
			f.Landmarks[i] = m.pt(c.kps[2*i], c.kps[2*i+1])
		}
	}
	return f, true
}

// IoU returns the intersection over union of two rectangles (0 when either
// is empty).
func IoU(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	i := float64(in.Dx() * in.Dy())
	return i / (float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i)
}
