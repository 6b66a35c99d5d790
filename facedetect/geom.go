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
	kps            [12]float32 // x, y of up to six landmarks
	nkps           int         // landmarks set in kps
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

// weightedNMS is MediaPipe's weighted non-maximum suppression: taking
// candidates best first, every remaining candidate whose IoU with the best
// one exceeds thr joins its cluster, and the cluster becomes one detection
// whose box and landmarks are the score-weighted mean of its members' and
// whose score is the best one's. It reorders cs and returns new storage.
func weightedNMS(cs []cand, thr float32) []cand {
	sort.Slice(cs, func(i, j int) bool { return cs[i].score > cs[j].score })
	used := make([]bool, len(cs))
	var out []cand
	for i := range cs {
		if used[i] {
			continue
		}
		best := cs[i]
		var sum float32
		var acc cand
		for j := i; j < len(cs); j++ {
			if used[j] || (j != i && candIoU(&best, &cs[j]) <= thr) {
				continue
			}
			used[j] = true
			w := cs[j].score
			sum += w
			acc.x1 += w * cs[j].x1
			acc.y1 += w * cs[j].y1
			acc.x2 += w * cs[j].x2
			acc.y2 += w * cs[j].y2
			for k := 0; k < 2*best.nkps; k++ {
				acc.kps[k] += w * cs[j].kps[k]
			}
		}
		acc.x1, acc.y1, acc.x2, acc.y2 = acc.x1/sum, acc.y1/sum, acc.x2/sum, acc.y2/sum
		for k := 0; k < 2*best.nkps; k++ {
			acc.kps[k] /= sum
		}
		acc.score, acc.nkps = best.score, best.nkps
		out = append(out, acc)
	}
	return out
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
	if c.nkps > 0 {
		f.Landmarks = make([]image.Point, c.nkps)
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
