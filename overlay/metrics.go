package overlay

import "math"

// metrics are the pixel sizes of every element at one text scale.
type metrics struct {
	labelPx, smallPx, hudPx int // font sizes
	stroke, gap             int // box outline width, spacing box-label-panel
	pillH, pillPad, pillR   int // label pill height, side padding, radius
	rowH, panelPad, panelR  int // bar rows
	barW, barH, colGap      int
	hudLineH, hudPad, hudR  int // HUD
	margin                  int // HUD distance from the frame edge
}

// autoScale picks a text scale from the frame height: 1 at 720p, 1.5 at
// 1080p, never smaller than 0.8 so that 360p stays readable.
func autoScale(height int) float64 {
	return math.Min(maxScale, math.Max(0.8, float64(height)/720))
}

func newMetrics(s float64) metrics {
	px := func(v float64, min int) int { return max(min, int(math.Round(v*s))) }
	m := metrics{
		labelPx: px(16, 12),
		smallPx: px(13, 11),
		hudPx:   px(13, 11),
		stroke:  px(2, 2),
	}
	f := func(v float64, base, min int) int { return max(min, int(math.Round(v*float64(base)))) }
	m.gap = m.stroke
	m.pillH = f(1.7, m.labelPx, 4)
	m.pillPad = f(0.6, m.labelPx, 2)
	m.pillR = f(0.32, m.pillH, 1)
	m.rowH = f(1.55, m.smallPx, 4)
	m.panelPad = f(0.6, m.smallPx, 2)
	m.panelR = f(0.45, m.smallPx, 1)
	m.barW = f(5.5, m.smallPx, 16)
	m.barH = f(0.5, m.smallPx, 3)
	m.colGap = f(0.6, m.smallPx, 2)
	m.hudLineH = f(1.5, m.hudPx, 4)
	m.hudPad = f(0.7, m.hudPx, 2)
	m.hudR = f(0.45, m.hudPx, 1)
	m.margin = f(0.7, m.hudPx, 2)
	return m
}
