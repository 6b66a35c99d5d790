package overlay

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	"gocv.io/x/gocv"
)

// bgr is a colour in the byte order of an OpenCV 8UC3 frame.
type bgr [3]uint8

func toBGR(c color.RGBA) bgr { return bgr{c.B, c.G, c.R} }

// frame is a view of the pixels of a continuous 8UC3 Mat.
type frame struct {
	pix    []uint8
	w, h   int
	stride int
}

// frameOf checks that m is a drawable BGR frame and returns a view of its
// pixel buffer. The view is valid only while m is open and not reallocated.
func frameOf(m *gocv.Mat) (frame, error) {
	if m == nil || m.Ptr() == nil {
		return frame{}, errors.New("overlay: frame is nil")
	}
	if m.Empty() {
		return frame{}, errors.New("overlay: frame is empty")
	}
	if t := m.Type(); t != gocv.MatTypeCV8UC3 {
		return frame{}, fmt.Errorf("overlay: frame must be 8-bit BGR (CV_8UC3), got %v with %d channel(s)", t, m.Channels())
	}
	if !m.IsContinuous() {
		return frame{}, errors.New("overlay: frame is not continuous (a Region/ROI view?); clone it first")
	}
	pix, err := m.DataPtrUint8()
	if err != nil {
		return frame{}, fmt.Errorf("overlay: frame pixels: %w", err)
	}
	f := frame{pix: pix, w: m.Cols(), h: m.Rows(), stride: m.Cols() * 3}
	if len(pix) < f.stride*f.h {
		return frame{}, fmt.Errorf("overlay: frame buffer holds %d bytes, want %d for %dx%d", len(pix), f.stride*f.h, f.w, f.h)
	}
	return f, nil
}

func (f *frame) bounds() image.Rectangle { return image.Rect(0, 0, f.w, f.h) }

// fillRect paints r (clipped to the frame) with the opaque colour c.
func (f *frame) fillRect(r image.Rectangle, c bgr) {
	r = r.Intersect(f.bounds())
	if r.Empty() {
		return
	}
	row := f.pix[r.Min.Y*f.stride+r.Min.X*3 : r.Min.Y*f.stride+r.Max.X*3]
	for i := 0; i < len(row); i += 3 {
		row[i], row[i+1], row[i+2] = c[0], c[1], c[2]
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		o := y*f.stride + r.Min.X*3
		copy(f.pix[o:o+len(row)], row)
	}
}

// blendRect blends c over r (clipped to the frame) with the opacity of
// lut, the blend table of c.
func (f *frame) blendRect(r image.Rectangle, lut *blendLUT) {
	r = r.Intersect(f.bounds())
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		lut.apply(f.pix[y*f.stride+r.Min.X*3 : y*f.stride+r.Max.X*3])
	}
}

// blendMask tints the coverage mask m with c at opacity alpha and blends it
// onto the frame with its top-left corner at (x, y), clipping to the frame.
// lut must be the blend table of c at alpha (nil when alpha is 255). Each
// mask row is split into its fully covered run, the bulk of a panel, which
// goes through the table or a plain copy, and its partly covered pixels
// (anti-aliased edges and text), blended exactly; empty margins are skipped.
func (f *frame) blendMask(m *mask, x, y int, c bgr, alpha uint8, lut *blendLUT) {
	if m == nil || alpha == 0 || m.w == 0 {
		return
	}
	dst := image.Rect(x, y, x+m.w, y+m.h).Intersect(f.bounds())
	if dst.Empty() {
		return
	}
	cx0, cx1 := dst.Min.X-x, dst.Max.X-x // visible mask columns
	for py := dst.Min.Y; py < dst.Max.Y; py++ {
		my := py - y
		sp := m.rows[my]
		lo, hi := max(int(sp.lo), cx0), min(int(sp.hi), cx1)
		if lo >= hi {
			continue
		}
		flo, fhi := min(max(int(sp.flo), lo), hi), max(min(int(sp.fhi), hi), lo)
		if flo >= fhi {
			flo, fhi = hi, hi
		}
		// Shift to the first visible column, which may be right of x.
		src := m.pix[my*m.w+cx0 : (my+1)*m.w]
		row := f.pix[py*f.stride+dst.Min.X*3 : py*f.stride+dst.Max.X*3]
		lo, hi, flo, fhi = lo-cx0, hi-cx0, flo-cx0, fhi-cx0
		blendPartial(row, src, lo, flo, c, alpha)
		if flo < fhi {
			run := row[flo*3 : fhi*3]
			if lut == nil {
				for i := 0; i+2 < len(run); i += 3 {
					run[i], run[i+1], run[i+2] = c[0], c[1], c[2]
				}
			} else {
				lut.apply(run)
			}
		}
		blendPartial(row, src, fhi, hi, c, alpha)
	}
}

// blendPartial blends columns [from, to) of the coverage row src, tinted c
// at opacity alpha, onto the pixels of row (column 0 at row[0]).
func blendPartial(row, src []uint8, from, to int, c bgr, alpha uint8) {
	op := uint32(alpha)
	c0, c1, c2 := uint32(c[0]), uint32(c[1]), uint32(c[2])
	for i := from; i < to; i++ {
		cov := src[i]
		if cov == 0 {
			continue
		}
		px := row[i*3 : i*3+3 : i*3+3]
		a := uint32(cov)
		if op != 255 {
			a = uint32(div255(a*op + 127))
		}
		if a == 255 {
			px[0], px[1], px[2] = c[0], c[1], c[2]
			continue
		}
		ia := 255 - a
		px[0] = div255(uint32(px[0])*ia + c0*a + 127)
		px[1] = div255(uint32(px[1])*ia + c1*a + 127)
		px[2] = div255(uint32(px[2])*ia + c2*a + 127)
	}
}

// blendLUT maps, per channel, a destination value to its blend with a fixed
// colour at a fixed opacity.
type blendLUT [3][256]uint8

// lutKey identifies a blend table.
type lutKey struct {
	c bgr
	a uint8
}

func newBlendLUT(c bgr, alpha uint8) *blendLUT {
	var t blendLUT
	a := uint32(alpha)
	ia := 255 - a
	for ch := 0; ch < 3; ch++ {
		base := uint32(c[ch])*a + 127
		for d := 0; d < 256; d++ {
			t[ch][d] = div255(uint32(d)*ia + base)
		}
	}
	return &t
}

// apply blends the BGR pixels of row through the table.
func (t *blendLUT) apply(row []uint8) {
	b, g, r := &t[0], &t[1], &t[2]
	for i := 0; i+2 < len(row); i += 3 {
		px := row[i : i+3 : i+3]
		px[0], px[1], px[2] = b[px[0]], g[px[1]], r[px[2]]
	}
}

// div255 divides v (at most 255*255+254) by 255, rounding down, exactly.
func div255(v uint32) uint8 { return uint8((v + 1 + (v >> 8)) >> 8) }
