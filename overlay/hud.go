package overlay

import (
	"image"
	"strconv"
	"strings"
)

// formatMs formats a stage time compactly: "4.2 ms", "38 ms".
func formatMs(ms float64) string {
	switch {
	case ms != ms || ms < 0:
		return "- ms"
	case ms < 100:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
}

// hudRun is one text run of the HUD at its offset in the panel.
type hudRun struct {
	t    *mask
	x, y int // pen position and baseline, relative to the panel
	c    bgr
}

// hudForm is a laid-out HUD panel before it is placed.
type hudForm struct {
	size image.Point
	runs []hudRun
}

// hudForms lays out the HUD two ways: full (the frame rate in bold with
// "ms" over the time columns; the stages two to a row, name dimmed and time
// in milliseconds right-aligned; the extra lines joined on one dimmed
// line) and compact (the first line alone). Time columns reserve room for
// "888.8" so that the panel does not jitter as the numbers change.
func (r *Renderer) hudForms(fm *frameMetrics, hud *HUD) []hudForm {
	px := fm.hudPx
	capH := r.fonts.capHeight(fontRegular, px)
	baseOf := func(line int) int { return fm.hudPad + line*fm.hudLineH + (fm.hudLineH+capH+1)/2 }
	var header *mask
	if hud.FPS > 0 {
		header = r.textMask(fontBold, px, strconv.FormatFloat(hud.FPS, 'f', 1, 64)+" fps")
	}
	var extra *mask
	if len(hud.Lines) > 0 {
		extra = r.textMask(fontRegular, px, strings.Join(hud.Lines, " · "))
	}
	n := len(hud.Stages)
	rows := (n + 1) / 2
	var names, times [2]int // column widths
	timeW := r.textMask(fontRegular, px, "888.8").advance
	for i, st := range hud.Stages {
		names[i%2] = max(names[i%2], r.textMask(fontRegular, px, st.Name).advance)
		times[i%2] = timeW
	}
	gap := fm.hudColGap / 2
	gridW := 0
	if n > 0 {
		gridW = names[0] + gap + times[0]
		if n > 1 {
			gridW += fm.hudColGap + names[1] + gap + times[1]
		}
	}
	var full hudForm
	line := 0
	if header != nil || n > 0 {
		if header != nil {
			full.runs = append(full.runs, hudRun{header, fm.hudPad, baseOf(0), textLight})
		}
		if n > 0 {
			ms := r.textMask(fontRegular, px, "ms")
			full.runs = append(full.runs, hudRun{ms, -ms.advance, baseOf(0), textDim}) // right-aligned below
		}
		line++
	}
	for i, st := range hud.Stages {
		x := fm.hudPad
		if i%2 == 1 {
			x += names[0] + gap + times[0] + fm.hudColGap
		}
		row := line + i/2
		full.runs = append(full.runs, hudRun{r.textMask(fontRegular, px, st.Name), x, baseOf(row), textDim})
		t := r.textMask(fontRegular, px, formatTime(st.Ms))
		full.runs = append(full.runs, hudRun{t, x + names[i%2] + gap + times[i%2] - t.advance, baseOf(row), textLight})
	}
	line += rows
	w := gridW
	if header != nil {
		w = max(w, header.advance+fm.hudColGap+r.textMask(fontRegular, px, "ms").advance)
	}
	if extra != nil {
		full.runs = append(full.runs, hudRun{extra, fm.hudPad, baseOf(line), textDim})
		w = max(w, extra.advance)
		line++
	}
	if line == 0 {
		return nil
	}
	full.size = image.Pt(2*fm.hudPad+w, 2*fm.hudPad+line*fm.hudLineH)
	for i := range full.runs {
		if full.runs[i].x < 0 { // "ms": right-aligned over the time column
			full.runs[i].x += full.size.X - fm.hudPad
		}
	}
	forms := []hudForm{full}
	if line > 1 {
		first := header
		if first == nil {
			first = extra
		}
		if first != nil {
			forms = append(forms, hudForm{
				size: image.Pt(2*fm.hudPad+first.advance, 2*fm.hudPad+fm.hudLineH),
				runs: []hudRun{{first, fm.hudPad, baseOf(0), textLight}},
			})
		}
	}
	return forms
}

// formatTime formats a stage time in milliseconds for the HUD's time
// columns: "4.2", "38", "-".
func formatTime(ms float64) string {
	return strings.TrimSuffix(formatMs(ms), " ms")
}

// hudCorners returns the HUD's places in order of preference: the corner
// the options ask for, or else the place used last and then the corners
// with the fewest faces (by box centre), top before bottom and left before
// right among equals; then the middles of the edges.
func (r *Renderer) hudCorners(frame image.Rectangle, rings []image.Rectangle, last int) []Corner {
	all := []Corner{TopLeft, TopRight, BottomLeft, BottomRight}
	if r.opts.HUDCorner != AutoCorner {
		out := []Corner{r.opts.HUDCorner}
		for _, c := range all {
			if c != r.opts.HUDCorner {
				out = append(out, c)
			}
		}
		return append(out, edgeMiddles...)
	}
	var count [5]int
	mid := image.Pt((frame.Min.X+frame.Max.X)/2, (frame.Min.Y+frame.Max.Y)/2)
	for _, b := range rings {
		c := image.Pt((b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2)
		k := TopLeft
		switch {
		case c.X >= mid.X && c.Y < mid.Y:
			k = TopRight
		case c.X < mid.X && c.Y >= mid.Y:
			k = BottomLeft
		case c.X >= mid.X && c.Y >= mid.Y:
			k = BottomRight
		}
		count[k]++
	}
	out := make([]Corner, 0, 4)
	if last >= int(TopLeft) {
		out = append(out, Corner(last))
	}
	sorted := append([]Corner(nil), all...)
	for i := 1; i < len(sorted); i++ { // stable insertion sort by count
		for j := i; j > 0 && count[sorted[j]] < count[sorted[j-1]]; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	for _, c := range append(sorted, edgeMiddles...) {
		if len(out) == 0 || c != out[0] {
			out = append(out, c)
		}
	}
	return out
}

// Places of the HUD when every corner is taken: the middle of an edge.
const (
	topMiddle Corner = BottomRight + 1 + iota
	bottomMiddle
	leftMiddle
	rightMiddle
)

// edgeMiddles are the HUD's places after the corners, in order.
var edgeMiddles = []Corner{topMiddle, bottomMiddle, leftMiddle, rightMiddle}

// cornerRect is a size panel in corner (or edge middle) c of frame, margin
// away from its edges.
func cornerRect(c Corner, frame image.Rectangle, size image.Point, margin int) image.Rectangle {
	x, y := frame.Min.X+margin, frame.Min.Y+margin
	switch c {
	case TopRight, BottomRight, rightMiddle:
		x = frame.Max.X - margin - size.X
	case topMiddle, bottomMiddle:
		x = (frame.Min.X + frame.Max.X - size.X) / 2
	}
	switch c {
	case BottomLeft, BottomRight, bottomMiddle:
		y = frame.Max.Y - margin - size.Y
	case leftMiddle, rightMiddle:
		y = (frame.Min.Y + frame.Max.Y - size.Y) / 2
	}
	return image.Rect(x, y, x+size.X, y+size.Y)
}

// layoutHUD places the HUD in the first free place (see hudCorners) in
// its full form, else in its compact form, else nowhere: it never covers a
// face, a label or a panel. It returns the HUD's rectangle and paint items.
func (r *Renderer) layoutHUD(fm *frameMetrics, sp *space, hud *HUD, mem *memory) (image.Rectangle, []item) {
	forms := r.hudForms(fm, hud)
	if len(forms) == 0 {
		return image.Rectangle{}, nil
	}
	corners := r.hudCorners(sp.frame, sp.rings, mem.hud)
	for _, form := range forms {
		for _, c := range corners {
			rect := cornerRect(c, sp.frame, form.size, fm.margin)
			if !sp.free(rect) {
				continue
			}
			sp.place(rect)
			mem.hud = int(c)
			items := make([]item, 0, 1+len(form.runs))
			items = append(items, item{kind: itemMask, m: r.shapeMask(rect.Dx(), rect.Dy(), fm.hudR), x: rect.Min.X, y: rect.Min.Y, c: panelBG, a: hudAlpha})
			for _, run := range form.runs {
				items = append(items, textItem(run.t, rect.Min.X+run.x, rect.Min.Y+run.y, run.c, 255))
			}
			return rect, items
		}
	}
	return image.Rectangle{}, nil
}
