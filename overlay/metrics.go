package overlay

import "math"

// Text sizes, in pixels of the font's em. A label's size follows its face
// (labelFaceRatio of the face height) between a floor and a ceiling set by
// the frame: the ceiling is refLabelPx scaled with the frame's size (16 px
// at 1280x720, 48 px at 4K), the floor is minFraction of it but never below
// minReadablePx, so that text stays readable at 320x240 and, shown scaled
// down on a monitor, at 4K.
const (
	refLabelPx     = 16
	refHUDPx       = 12
	minReadablePx  = 11
	minFraction    = 0.6
	labelFaceRatio = 0.2
)

// frameScale is the size of a w x h frame relative to 1280x720, by area, so
// that portrait and landscape frames of the same resolution get the same
// text.
func frameScale(w, h int) float64 {
	return math.Sqrt(float64(w) * float64(h) / (1280 * 720))
}

// frameMetrics are the sizes that depend on the frame only.
type frameMetrics struct {
	minPx, maxPx int // label font size range
	stroke       int // box outline width
	hudPx        int
	hudLineH     int
	hudPad, hudR int
	hudColGap    int
	margin       int // HUD distance from the frame edge
	sep          int // least space between two labels or panels
}

// newFrameMetrics returns the sizes for a w x h frame; a fixed scale > 0
// (Options.Scale) replaces the frame's own and pins every label to one size.
func newFrameMetrics(w, h int, fixed float64) frameMetrics {
	s := frameScale(w, h)
	var fm frameMetrics
	if fixed > 0 {
		s = fixed
		fm.maxPx = max(6, int(math.Round(refLabelPx*s)))
		fm.minPx = fm.maxPx
	} else {
		fm.maxPx = max(minReadablePx, int(math.Round(refLabelPx*s)))
		fm.minPx = min(fm.maxPx, max(minReadablePx, int(math.Round(minFraction*refLabelPx*s))))
	}
	fm.stroke = max(1, int(math.Round(s)))
	fm.hudPx = max(minReadablePx, int(math.Round(refHUDPx*s)))
	r := func(v float64, base, least int) int { return max(least, int(math.Round(v*float64(base)))) }
	fm.hudLineH = r(1.35, fm.hudPx, 4)
	fm.hudPad = r(0.55, fm.hudPx, 2)
	fm.hudR = r(0.4, fm.hudPx, 1)
	fm.hudColGap = r(0.9, fm.hudPx, 3)
	fm.margin = r(0.6, fm.hudPx, 2)
	fm.sep = max(2, fm.stroke+1)
	return fm
}

// labelPx is the label font size for a face of height faceH.
func (fm *frameMetrics) labelPx(faceH int) int {
	px := int(math.Round(labelFaceRatio * float64(faceH)))
	return min(fm.maxPx, max(fm.minPx, px))
}

// metrics are the pixel sizes of one face's label and panel at one label
// font size.
type metrics struct {
	labelPx, smallPx       int // font sizes
	pillH, pillPad, pillR  int // label chip height, side padding, radius
	rowH, panelPad, panelR int // bar rows
	barW, barH, colGap     int
	gap                    int // between a face's label and its panel
}

func newMetrics(labelPx int) metrics {
	f := func(v float64, base, least int) int { return max(least, int(math.Round(v*float64(base)))) }
	m := metrics{labelPx: labelPx, smallPx: max(min(labelPx, minReadablePx), int(math.Round(0.85*float64(labelPx))))}
	m.pillH = f(1.55, m.labelPx, 4)
	m.pillPad = f(0.45, m.labelPx, 2)
	m.pillR = f(0.3, m.pillH, 1)
	m.rowH = f(1.4, m.smallPx, 4)
	m.panelPad = f(0.45, m.smallPx, 2)
	m.panelR = f(0.4, m.smallPx, 1)
	m.barW = f(4, m.smallPx, 12)
	m.barH = f(0.45, m.smallPx, 2)
	m.colGap = f(0.5, m.smallPx, 2)
	m.gap = f(0.2, m.labelPx, 2)
	return m
}
