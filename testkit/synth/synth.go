// Package synth makes test videos with known face positions by pasting face
// patches cut from real photos onto a background: faces move, scale and
// change brightness, appear together and leave the frame empty for a while.
// It returns the true face box of every frame.
package synth

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/capture"
)

// Face is a face to paste: a region of a photo and the face box in it.
type Face struct {
	Photo string          // image file
	Box   image.Rectangle // the face in the photo's coordinates
}

// Motion is where one face is during a range of frames. Position and scale
// are interpolated linearly from From to To.
type Motion struct {
	Face                 int // index into the faces
	Start, End           int // frames [Start, End)
	From, To             Pose
	BrightFrom, BrightTo float64 // brightness multiplier (1 = unchanged)
}

// Pose places a face: its centre as a fraction of the frame and its box
// width in pixels.
type Pose struct {
	X, Y  float64
	Width float64
}

// Spec describes a clip.
type Spec struct {
	Width, Height, Frames int
	FPS                   float64
	Motions               []Motion
}

// Truth is the true face boxes of one frame, indexed like Spec faces
// (a face absent from the frame has no entry).
type Truth map[int]image.Rectangle

// patch is a face with context cut from its photo.
type patch struct {
	img gocv.Mat
	box image.Rectangle // face box inside img
}

// Write renders the clip to path (any extension capture.NewVideoWriter takes)
// and returns the truth per frame.
func Write(path string, spec Spec, faces []Face) ([]Truth, error) {
	r, err := newRenderer(spec, faces)
	if err != nil {
		return nil, err
	}
	defer r.close()
	w, err := capture.NewVideoWriter(path, spec.FPS, spec.Width, spec.Height)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	frame := gocv.NewMat()
	defer frame.Close()
	truth := make([]Truth, spec.Frames)
	for n := 0; n < spec.Frames; n++ {
		truth[n] = r.render(n, &frame)
		if err := w.Write(frame); err != nil {
			return nil, err
		}
	}
	return truth, w.Close()
}

// Still renders frame n of the clip as an image (a BGR Mat the caller
// closes) with its true face boxes, without writing a video.
func Still(spec Spec, faces []Face, n int) (gocv.Mat, Truth, error) {
	r, err := newRenderer(spec, faces)
	if err != nil {
		return gocv.Mat{}, nil, err
	}
	defer r.close()
	frame := gocv.NewMat()
	return frame, r.render(n, &frame), nil
}

// renderer pastes the face patches of a spec onto its background.
type renderer struct {
	spec    Spec
	patches []patch
	bg      gocv.Mat
	scaled  gocv.Mat
}

// newRenderer cuts the face patches out of their photos.
func newRenderer(spec Spec, faces []Face) (*renderer, error) {
	r := &renderer{spec: spec, patches: make([]patch, len(faces))}
	for i, f := range faces {
		photo := gocv.IMRead(f.Photo, gocv.IMReadColor)
		if photo.Empty() {
			photo.Close()
			r.close()
			return nil, fmt.Errorf("synth: cannot read photo %s", f.Photo)
		}
		// Cut the face with generous context (hair, ears, neck), as detectors expect.
		c := f.Box
		ctx := image.Rect(c.Min.X-c.Dx()*3/4, c.Min.Y-c.Dy()*3/4, c.Max.X+c.Dx()*3/4, c.Max.Y+c.Dy()*3/4).
			Intersect(image.Rect(0, 0, photo.Cols(), photo.Rows()))
		roi := photo.Region(ctx)
		r.patches[i] = patch{img: roi.Clone(), box: c.Sub(ctx.Min)}
		roi.Close()
		photo.Close()
	}
	r.bg = background(spec.Width, spec.Height)
	r.scaled = gocv.NewMat()
	return r, nil
}

func (r *renderer) close() {
	for _, p := range r.patches {
		p.img.Close()
	}
	r.bg.Close()
	r.scaled.Close()
}

// render draws frame n into frame and returns its true face boxes. Motions
// are pasted in order, so a later one covers an earlier one.
func (r *renderer) render(n int, frame *gocv.Mat) Truth {
	spec := r.spec
	r.bg.CopyTo(frame)
	truth := Truth{}
	for _, m := range spec.Motions {
		if n < m.Start || n >= m.End {
			continue
		}
		t := 0.0
		if m.End-m.Start > 1 {
			t = float64(n-m.Start) / float64(m.End-m.Start-1)
		}
		p := r.patches[m.Face]
		width := lerp(m.From.Width, m.To.Width, t)
		s := width / float64(p.box.Dx())
		pw, ph := int(math.Round(float64(p.img.Cols())*s)), int(math.Round(float64(p.img.Rows())*s))
		gocv.Resize(p.img, &r.scaled, image.Pt(pw, ph), 0, 0, gocv.InterpolationArea)
		if b := lerp(m.BrightFrom, m.BrightTo, t); b != 0 && b != 1 {
			r.scaled.ConvertToWithParams(&r.scaled, gocv.MatTypeCV8UC3, float32(b), 0)
		}
		fb := image.Rect(int(float64(p.box.Min.X)*s), int(float64(p.box.Min.Y)*s), int(float64(p.box.Max.X)*s), int(float64(p.box.Max.Y)*s))
		cx := lerp(m.From.X, m.To.X, t) * float64(spec.Width)
		cy := lerp(m.From.Y, m.To.Y, t) * float64(spec.Height)
		off := image.Pt(int(cx)-(fb.Min.X+fb.Max.X)/2, int(cy)-(fb.Min.Y+fb.Max.Y)/2)
		dst := image.Rect(0, 0, pw, ph).Add(off)
		vis := dst.Intersect(image.Rect(0, 0, spec.Width, spec.Height))
		if vis.Empty() {
			continue
		}
		src := r.scaled.Region(vis.Sub(off))
		dr := frame.Region(vis)
		src.CopyTo(&dr)
		src.Close()
		dr.Close()
		truth[m.Face] = fb.Add(off).Intersect(image.Rect(0, 0, spec.Width, spec.Height))
	}
	return truth
}

func lerp(a, b, t float64) float64 { return a + (b-a)*t }

// background is a smooth, dim, face-free scene: a vertical gradient with a
// few soft shapes, so detectors have edges to reject.
func background(w, h int) gocv.Mat {
	bg := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	for y := 0; y < h; y++ {
		v := 60 + 80*float64(y)/float64(h)
		row := bg.Region(image.Rect(0, y, w, y+1))
		row.SetTo(gocv.NewScalar(v*0.9, v, v*1.1, 0))
		row.Close()
	}
	gocv.Rectangle(&bg, image.Rect(w/20, h/10, w/5, h*9/10), colorRGBA(90, 110, 130), -1)
	gocv.Rectangle(&bg, image.Rect(w*4/5, h/2, w*19/20, h*19/20), colorRGBA(150, 140, 120), -1)
	gocv.GaussianBlur(bg, &bg, image.Pt(0, 0), float64(w)/200, 0, gocv.BorderReflect)
	return bg
}

func colorRGBA(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 255} }
