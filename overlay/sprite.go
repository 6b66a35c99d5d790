package overlay

import (
	"image"
	"image/draw"
	"math"

	"github.com/fogleman/gg"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// mask is an 8-bit coverage image (0 transparent, 255 opaque), the form in
// which every cached sprite is kept: it is tinted when it is composited, so
// one mask serves every colour.
type mask struct {
	w, h int
	pix  []uint8
	// For text runs: the distance from the mask's top to the baseline, the
	// left bearing (pen start x inside the mask) and the pen advance, in px.
	ascent, left, advance int
	// rows holds, per row, the extent of non-zero coverage and the fully
	// covered run inside it, so that compositing skips empty margins and
	// fills solid runs fast.
	rows []rowSpan
}

// rowSpan is the covered extent [lo, hi) of one mask row and its longest
// fully covered run [flo, fhi) (empty when flo >= fhi).
type rowSpan struct{ lo, hi, flo, fhi int32 }

// indexRows computes m.rows from m.pix.
func (m *mask) indexRows() *mask {
	m.rows = make([]rowSpan, m.h)
	for y := 0; y < m.h; y++ {
		row := m.pix[y*m.w : (y+1)*m.w]
		sp := rowSpan{lo: int32(m.w)}
		runStart := -1
		for x, c := range row {
			if c != 0 {
				sp.lo = min(sp.lo, int32(x))
				sp.hi = int32(x + 1)
			}
			if c == 255 {
				if runStart < 0 {
					runStart = x
				}
				if int32(x+1-runStart) > sp.fhi-sp.flo {
					sp.flo, sp.fhi = int32(runStart), int32(x+1)
				}
			} else {
				runStart = -1
			}
		}
		if sp.lo >= sp.hi {
			sp = rowSpan{}
		}
		m.rows[y] = sp
	}
	return m
}

// textKey identifies a rendered text run.
type textKey struct {
	font fontID
	px   int
	text string
}

// shapeKey identifies a rendered rounded rectangle.
type shapeKey struct{ w, h, r int }

// renderText rasterises s with face into a coverage mask, anti-aliased,
// with the pen starting at a whole pixel so that runs line up with the
// layout. It lays the glyphs out like font.Drawer (kerning, fractional
// advances) but takes the bounds from the face's glyph cache rather than
// re-loading every outline, which font.BoundString would do.
func renderText(face font.Face, s string) *mask {
	met := face.Metrics()
	bounds := image.Rect(0, -met.Ascent.Ceil(), 0, met.Descent.Ceil())
	var dot fixed.Point26_6
	prev := rune(-1)
	for _, c := range s {
		if prev >= 0 {
			dot.X += face.Kern(prev, c)
		}
		dr, _, _, adv, ok := face.Glyph(dot, c)
		if ok {
			bounds = bounds.Union(dr)
		}
		dot.X += adv
		prev = c
	}
	adv := dot.X
	bounds.Max.X = max(bounds.Max.X, adv.Ceil())
	t := &mask{ascent: -bounds.Min.Y, left: -bounds.Min.X, advance: adv.Round()}
	t.w, t.h = bounds.Dx(), bounds.Dy()
	if s == "" || t.w <= 0 || t.h <= 0 {
		t.w, t.h = 0, 0
		return t.indexRows()
	}
	img := image.NewAlpha(image.Rect(0, 0, t.w, t.h))
	off := image.Pt(t.left, t.ascent)
	dot, prev = fixed.Point26_6{}, -1
	for _, c := range s {
		if prev >= 0 {
			dot.X += face.Kern(prev, c)
		}
		dr, gm, mp, adv, ok := face.Glyph(dot, c)
		if ok {
			draw.DrawMask(img, dr.Add(off), image.Opaque, image.Point{}, gm, mp, draw.Over)
		}
		dot.X += adv
		prev = c
	}
	t.pix = img.Pix
	return t.indexRows()
}

// renderRoundedRect rasterises a w x h rounded rectangle of corner radius r
// with gg, anti-aliased, into a coverage mask.
func renderRoundedRect(w, h, r int) *mask {
	if w <= 0 || h <= 0 {
		return &mask{}
	}
	dc := gg.NewContext(w, h)
	dc.DrawRoundedRectangle(0, 0, float64(w), float64(h), math.Min(float64(r), math.Min(float64(w), float64(h))/2))
	dc.SetRGB(1, 1, 1)
	dc.Fill()
	rgba := dc.Image().(*image.RGBA)
	out := &mask{w: w, h: h, pix: make([]uint8, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out.pix[y*w+x] = rgba.Pix[y*rgba.Stride+x*4+3]
		}
	}
	return out.indexRows()
}
