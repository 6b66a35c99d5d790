package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/fogleman/gg"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"

	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/internal/plot"
)

// palette colours stages and models: Okabe and Ito's colour-blind-safe
// colours, then greys.
var palette = []color.RGBA{
	{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {213, 94, 0, 255},
	{86, 180, 233, 255}, {204, 121, 167, 255}, {240, 228, 66, 255}, {0, 0, 0, 255},
	{120, 120, 120, 255}, {180, 180, 180, 255},
}

// stacked reports whether a stage is part of a frame's cost: the stages
// that add up to a frame (not total, not waiting for a camera).
func stacked(name string) bool { return name != latency.Total && name != latency.Capture }

// WritePNG draws the chart: on the left, per model, a bar of its stages'
// mean milliseconds stacked (total marked by a tick, as the stages overlap
// when they run concurrently); on the right, the classifier's milliseconds
// per face against the batch size, one line per model.
func (r *Report) WritePNG(path string) error {
	const lw, rw = 620, 480
	rowH := 34
	h := max(380, 90+rowH*len(r.Models)+80)
	dc := gg.NewContext(lw+rw, h)
	dc.SetRGB(1, 1, 1)
	dc.Clear()
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return fmt.Errorf("latency chart %s: %w", path, err)
	}
	ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 12, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return fmt.Errorf("latency chart %s: %w", path, err)
	}
	dc.SetFontFace(ff)
	r.drawStages(dc, lw)
	var series []plot.Series
	var ticks []string
	for i, m := range r.Models {
		s := plot.Series{Name: strings.TrimSuffix(m.Name, ".onnx"), Color: palette[i%len(palette)]}
		for _, b := range m.Batch {
			s.Y = append(s.Y, b.MsPerFace)
		}
		if len(m.Batch) > len(ticks) {
			ticks = ticks[:0]
			for _, b := range m.Batch {
				ticks = append(ticks, fmt.Sprint(b.Faces))
			}
		}
		series = append(series, s)
	}
	plot.DrawPanel(dc, lw, rw, float64(h), plot.Panel{Title: "classifier: ms per face by batch size", YLabel: "ms per face",
		XLabel: "faces per call", XTicks: ticks, Series: series})
	var buf bytes.Buffer
	if err := dc.EncodePNG(&buf); err != nil {
		return fmt.Errorf("latency chart %s: %w", path, err)
	}
	return writeFile(path, buf.Bytes())
}

// drawStages draws the stacked stage bars into the left w pixels of dc.
func (r *Report) drawStages(dc *gg.Context, w int) {
	const ml, mr, mt = 150, 20, 40
	var names []string // stages in pipeline order, over every model
	for _, n := range append(append([]string{}, latency.Order...), extraStages(r)...) {
		for _, m := range r.Models {
			if hasStage(m, n) && stacked(n) && !contains(names, n) {
				names = append(names, n)
			}
		}
	}
	hi := 0.0
	for _, m := range r.Models {
		sum, tot := 0.0, 0.0
		for _, s := range m.Stages {
			if stacked(s.Name) {
				sum += s.Mean
			}
			if s.Name == latency.Total {
				tot = s.Mean
			}
		}
		hi = math.Max(hi, math.Max(sum, tot))
	}
	if hi <= 0 {
		hi = 1
	}
	pw := float64(w - ml - mr)
	px := func(ms float64) float64 { return ml + ms/hi*pw }
	dc.SetRGB(0, 0, 0)
	dc.DrawStringAnchored("mean ms per frame, by stage", float64(w)/2, 18, 0.5, 0.5)
	bottom := float64(mt + 34*len(r.Models) + 6)
	// grid
	step := niceStep(hi / 5)
	for v := 0.0; v <= hi+1e-9; v += step {
		dc.SetRGB(0.88, 0.88, 0.88)
		dc.DrawLine(px(v), mt-4, px(v), bottom)
		dc.Stroke()
		dc.SetRGB(0.2, 0.2, 0.2)
		dc.DrawStringAnchored(fmt.Sprintf("%g", v), px(v), bottom+12, 0.5, 0.5)
	}
	for i, m := range r.Models {
		y := float64(mt + 34*i)
		dc.SetRGB(0, 0, 0)
		dc.DrawStringAnchored(trim(strings.TrimSuffix(m.Name, ".onnx"), 22), ml-8, y+12, 1, 0.5)
		x := 0.0
		for k, n := range names {
			for _, s := range m.Stages {
				if s.Name == n {
					dc.SetColor(palette[k%len(palette)])
					dc.DrawRectangle(px(x), y, px(x+s.Mean)-px(x), 24)
					dc.Fill()
					x += s.Mean
				}
			}
		}
		for _, s := range m.Stages {
			if s.Name == latency.Total {
				dc.SetRGB(0, 0, 0)
				dc.SetLineWidth(2)
				dc.DrawLine(px(s.Mean), y-3, px(s.Mean), y+27)
				dc.Stroke()
				dc.SetLineWidth(1)
			}
		}
		dc.SetRGB(0.2, 0.2, 0.2)
		dc.DrawStringAnchored(fmt.Sprintf("%.1f fps", m.FPS), ml-8, y+26, 1, 0.5)
	}
	// legend
	ly := bottom + 34
	for k, n := range names {
		x := float64(ml + (k%4)*110)
		y := ly + float64(k/4)*18
		dc.SetColor(palette[k%len(palette)])
		dc.DrawRectangle(x, y-6, 14, 12)
		dc.Fill()
		dc.SetRGB(0, 0, 0)
		dc.DrawStringAnchored(n, x+20, y, 0, 0.5)
	}
	if len(names) > 0 {
		y := ly + float64((len(names)-1)/4+1)*18
		dc.DrawLine(float64(ml), y-6, float64(ml), y+6)
		dc.Stroke()
		dc.DrawStringAnchored("total per frame (stages overlap when they run concurrently)", float64(ml+8), y, 0, 0.5)
	}
}

func extraStages(r *Report) []string {
	var out []string
	for _, m := range r.Models {
		for _, s := range m.Stages {
			if !contains(latency.Order, s.Name) && !contains(out, s.Name) {
				out = append(out, s.Name)
			}
		}
	}
	return out
}

func hasStage(m Model, name string) bool {
	for _, s := range m.Stages {
		if s.Name == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// niceStep rounds a grid step up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
