package overlay

import (
	"image"
	"strconv"
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

// layoutHUD places the HUD in its corner: the frame rate in bold, one line
// per stage with its time right-aligned, then the extra lines. Widths
// reserve room for typical numbers so that the panel does not jitter as the
// numbers change.
func (r *Renderer) layoutHUD(m *metrics, frame image.Rectangle, hud *HUD) (image.Rectangle, []item) {
	type line struct {
		left, right *mask
		leftC       bgr
	}
	lines := make([]line, 0, 1+len(hud.Stages)+len(hud.Lines))
	px := m.hudPx
	if hud.FPS > 0 {
		lines = append(lines, line{left: r.textMask(fontBold, px, strconv.FormatFloat(hud.FPS, 'f', 1, 64)+" fps"), leftC: textLight})
	}
	for _, st := range hud.Stages {
		lines = append(lines, line{left: r.textMask(fontRegular, px, st.Name), right: r.textMask(fontRegular, px, formatMs(st.Ms)), leftC: textDim})
	}
	for _, l := range hud.Lines {
		lines = append(lines, line{left: r.textMask(fontRegular, px, l), leftC: textDim})
	}
	if len(lines) == 0 {
		return image.Rectangle{}, nil
	}
	leftW, rightW, soloW := 0, 0, 0
	for _, l := range lines {
		if l.right == nil {
			soloW = max(soloW, l.left.advance)
			continue
		}
		leftW = max(leftW, l.left.advance)
		rightW = max(rightW, l.right.advance)
	}
	if rightW > 0 {
		rightW = max(rightW, r.textMask(fontRegular, px, "88.8 ms").advance)
		leftW += 2 * m.colGap
	}
	w := 2*m.hudPad + max(soloW, leftW+rightW)
	h := 2*m.hudPad + len(lines)*m.hudLineH
	x, y := frame.Min.X+m.margin, frame.Min.Y+m.margin
	if r.opts.HUDCorner == TopRight || r.opts.HUDCorner == BottomRight {
		x = frame.Max.X - m.margin - w
	}
	if r.opts.HUDCorner == BottomLeft || r.opts.HUDCorner == BottomRight {
		y = frame.Max.Y - m.margin - h
	}
	rect := clampInto(image.Rect(x, y, x+w, y+h), frame)
	items := make([]item, 0, 1+2*len(lines))
	items = append(items, item{kind: itemMask, m: r.shapeMask(w, h, m.hudR), x: rect.Min.X, y: rect.Min.Y, c: panelBG, a: hudAlpha})
	capH := r.fonts.capHeight(fontRegular, px)
	for i, l := range lines {
		base := rect.Min.Y + m.hudPad + i*m.hudLineH + (m.hudLineH+capH+1)/2
		items = append(items, textItem(l.left, rect.Min.X+m.hudPad, base, l.leftC, 255))
		if l.right != nil {
			items = append(items, textItem(l.right, rect.Max.X-m.hudPad-l.right.advance, base, textLight, 255))
		}
	}
	return rect, items
}
