// Package plot draws line charts (training curves, latency by batch size)
// as PNG with gg.
package plot

import (
	"fmt"
	"image/color"
	"math"

	"github.com/fogleman/gg"
)

// Series is one named curve.
type Series struct {
	Name  string
	Color color.Color
	Y     []float64 // one value per epoch (NaN: missing)
}

// Panel is one chart: a title, a y-axis label and curves over epochs 1..N.
type Panel struct {
	Title  string
	YLabel string
	Series []Series
	// XLabel names the x axis ("epoch" when empty); XTicks, when set, are
	// the labels of the points 0..N-1 in place of 1..N.
	XLabel string
	XTicks []string
}

// Curves draws the panels side by side into a PNG at path.
func Curves(path string, panels []Panel) error {
	const pw, ph = 560, 380
	dc := gg.NewContext(pw*len(panels), ph)
	dc.SetRGB(1, 1, 1)
	dc.Clear()
	for i, p := range panels {
		DrawPanel(dc, float64(i*pw), pw, ph, p)
	}
	if err := dc.SavePNG(path); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

// DrawPanel draws one panel into dc, in the w x h box whose left edge is
// at x0 (and top at 0), with the context's current font.
func DrawPanel(dc *gg.Context, x0, w, h float64, p Panel) {
	const ml, mr, mt, mb = 60, 20, 36, 44
	n := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		if len(s.Y) > n {
			n = len(s.Y)
		}
		for _, v := range s.Y {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	dc.SetRGB(0, 0, 0)
	dc.DrawStringAnchored(p.Title, x0+w/2, 18, 0.5, 0.5)
	if n == 0 || math.IsInf(lo, 0) {
		return
	}
	if hi-lo < 1e-9 {
		hi, lo = hi+0.5, lo-0.5
	}
	pad := (hi - lo) * 0.05
	lo, hi = lo-pad, hi+pad
	px := func(i int) float64 {
		if n == 1 {
			return x0 + ml + (w-ml-mr)/2
		}
		return x0 + ml + float64(i)*(w-ml-mr)/float64(n-1)
	}
	py := func(v float64) float64 { return mt + (hi-v)/(hi-lo)*(h-mt-mb) }
	// axes and grid
	dc.SetLineWidth(1)
	for k := 0; k <= 4; k++ {
		v := lo + float64(k)*(hi-lo)/4
		y := py(v)
		dc.SetRGB(0.88, 0.88, 0.88)
		dc.DrawLine(x0+ml, y, x0+w-mr, y)
		dc.Stroke()
		dc.SetRGB(0.2, 0.2, 0.2)
		dc.DrawStringAnchored(fmt.Sprintf("%.3g", v), x0+ml-6, y, 1, 0.5)
	}
	dc.SetRGB(0, 0, 0)
	dc.DrawLine(x0+ml, h-mb, x0+w-mr, h-mb)
	dc.DrawLine(x0+ml, mt, x0+ml, h-mb)
	dc.Stroke()
	step := (n + 9) / 10
	for i := 0; i < n; i += step {
		tick := fmt.Sprint(i + 1)
		if i < len(p.XTicks) {
			tick = p.XTicks[i]
		}
		dc.DrawStringAnchored(tick, px(i), h-mb+12, 0.5, 0.5)
	}
	xl := p.XLabel
	if xl == "" {
		xl = "epoch"
	}
	dc.DrawStringAnchored(xl, x0+(w+ml-mr)/2, h-12, 0.5, 0.5)
	dc.Push()
	dc.RotateAbout(-math.Pi/2, x0+14, (h+mt-mb)/2)
	dc.DrawStringAnchored(p.YLabel, x0+14, (h+mt-mb)/2, 0.5, 0.5)
	dc.Pop()
	// curves and legend
	for k, s := range p.Series {
		dc.SetColor(s.Color)
		dc.SetLineWidth(2)
		started := false
		for i, v := range s.Y {
			if math.IsNaN(v) {
				continue
			}
			if !started {
				dc.MoveTo(px(i), py(v))
				started = true
			} else {
				dc.LineTo(px(i), py(v))
			}
		}
		dc.Stroke()
		for i, v := range s.Y {
			if !math.IsNaN(v) {
				dc.DrawCircle(px(i), py(v), 2.5)
				dc.Fill()
			}
		}
		ly := mt + 8 + float64(k)*16
		dc.DrawRectangle(x0+w-mr-150, ly-5, 14, 10)
		dc.Fill()
		dc.SetRGB(0, 0, 0)
		dc.DrawStringAnchored(s.Name, x0+w-mr-130, ly, 0, 0.5)
	}
}
