package pipeline

import (
	"image"
	"image/color"
	"sort"
	"time"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/emotion"
)

// Strip draws a small live timeline along the bottom of each frame: one
// row per face in the frame (the lowest ids first, at most MaxRows), its
// emotion as colour over the last Window of the video's time, now at the
// right edge. Put it after the Drawer and before the Video sink.
type Strip struct {
	// Window is the span of video time the strip shows (default 10s).
	Window time.Duration
	// MaxRows bounds the rows (default 4).
	MaxRows int
	hist    map[int][]stripSample
}

// stripSample is a face's label at one frame time.
type stripSample struct {
	pts   time.Duration
	label string
}

// stripBackground is the strip's background (dark grey).
var stripBackground = color.RGBA{32, 32, 32, 255}

// Consume records r's faces and draws the strip onto r.Mat.
func (s *Strip) Consume(r *Result) error {
	if s.Window <= 0 {
		s.Window = 10 * time.Second
	}
	if s.MaxRows <= 0 {
		s.MaxRows = 4
	}
	if s.hist == nil {
		s.hist = map[int][]stripSample{}
	}
	now := r.PTS
	var ids []int
	for _, f := range r.Faces {
		s.hist[f.ID] = append(s.hist[f.ID], stripSample{now, f.Label})
		ids = append(ids, f.ID)
	}
	for id, h := range s.hist { // forget what left the window
		i := 0
		for i < len(h)-1 && now-h[i+1].pts >= s.Window {
			i++
		}
		if now-h[len(h)-1].pts >= s.Window {
			delete(s.hist, id)
			continue
		}
		s.hist[id] = h[i:]
	}
	sort.Ints(ids)
	if len(ids) > s.MaxRows {
		ids = ids[:s.MaxRows]
	}
	if len(ids) == 0 || r.Mat.Empty() {
		return nil
	}
	w, h := r.Mat.Cols(), r.Mat.Rows()
	rowH := max(4, h/60)
	top := h - rowH*len(ids) - 2
	gocv.Rectangle(&r.Mat, image.Rect(0, top, w, h), stripBackground, -1)
	x := func(pts time.Duration) int {
		return int(float64(w) * (1 - float64(now-pts)/float64(s.Window)))
	}
	for row, id := range ids {
		y0 := top + 1 + row*rowH
		samples := s.hist[id]
		for i, sm := range samples {
			end := now
			if i+1 < len(samples) {
				end = samples[i+1].pts
			}
			x0, x1 := max(0, x(sm.pts)), x(end)
			if i+1 == len(samples) {
				x1 = w // the current label reaches now
			}
			if x1 <= x0 {
				x1 = x0 + 1
			}
			gocv.Rectangle(&r.Mat, image.Rect(x0, y0, x1, y0+rowH-1), emotion.Color(sm.label), -1)
		}
	}
	return nil
}
