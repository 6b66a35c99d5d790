package overlay

import "image"

// placeLabel puts a label of width w above box; below it when there is no
// room above (the frame's edge or the HUD, hud, is in the way); inside its
// top when there is no room either. The label is kept inside frame.
func placeLabel(frame, box, hud image.Rectangle, m *metrics, w int) image.Rectangle {
	h := m.pillH
	above := clampInto(image.Rect(box.Min.X, box.Min.Y-m.gap-h, box.Min.X+w, box.Min.Y-m.gap), frame)
	below := clampInto(image.Rect(box.Min.X, box.Max.Y+m.gap, box.Min.X+w, box.Max.Y+m.gap+h), frame)
	inside := clampInto(image.Rect(box.Min.X, box.Min.Y+m.stroke+m.gap, box.Min.X+w, box.Min.Y+m.stroke+m.gap+h), frame)
	fitsAbove := box.Min.Y-m.gap-h >= frame.Min.Y
	fitsBelow := box.Max.Y+m.gap+h <= frame.Max.Y
	switch {
	case fitsAbove && !above.Overlaps(hud):
		return above
	case fitsBelow && !below.Overlaps(hud):
		return below
	case fitsAbove:
		return above
	case fitsBelow:
		return below
	}
	return inside
}

// placePanel chooses the place of a bar panel of the given size. Its
// candidates, in order of preference: right of the box and its label, top
// aligned with the label when the label is above the box; left of them;
// under the label or the box; above the label. A candidate must not cover
// its own label; the first one inside the frame that covers none of
// obstacles (boxes, labels, panels, the HUD) wins; failing that, the one,
// moved inside the frame, that covers the least obstacle area.
func placePanel(frame, box, label image.Rectangle, m *metrics, size image.Point, obstacles []image.Rectangle) image.Rectangle {
	w, h := size.X, size.Y
	top := box.Min.Y
	if label.Max.Y <= box.Min.Y {
		top = label.Min.Y
	}
	right, left := box.Max.X+m.gap, box.Min.X-m.gap
	if label.Min.Y < top+h && label.Max.Y > top { // the label is level with the panel
		right, left = max(right, label.Max.X+m.gap), min(left, label.Min.X-m.gap)
	}
	below := max(box.Max.Y, label.Max.Y) + m.gap
	if label.Min.Y < box.Max.Y && label.Max.Y > box.Min.Y {
		below = label.Max.Y + m.gap // label inside the box: stack under it
	}
	var cands [8]image.Rectangle
	raw := [4]image.Rectangle{
		image.Rect(right, top, right+w, top+h),
		image.Rect(left-w, top, left, top+h),
		image.Rect(label.Min.X, below, label.Min.X+w, below+h),
		image.Rect(label.Min.X, label.Min.Y-m.gap-h, label.Min.X+w, label.Min.Y-m.gap),
	}
	for i, c := range raw {
		cands[i], cands[4+i] = c, clampInto(c, frame)
	}
	best, bestCost := clampInto(raw[2], frame), -1
	for i, c := range cands {
		if (i < 4 && !c.In(frame)) || c.Overlaps(label) {
			continue
		}
		cost := 0
		for _, o := range obstacles {
			cost += area(c.Intersect(o))
		}
		if cost == 0 {
			return c
		}
		if bestCost < 0 || cost < bestCost {
			best, bestCost = c, cost
		}
	}
	return best
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }

// clampInto moves r (not resizing it) so that it lies inside frame; when r
// is larger than frame it is aligned with frame's top-left corner.
func clampInto(r, frame image.Rectangle) image.Rectangle {
	dx, dy := 0, 0
	if r.Max.X > frame.Max.X {
		dx = frame.Max.X - r.Max.X
	}
	if r.Min.X+dx < frame.Min.X {
		dx = frame.Min.X - r.Min.X
	}
	if r.Max.Y > frame.Max.Y {
		dy = frame.Max.Y - r.Max.Y
	}
	if r.Min.Y+dy < frame.Min.Y {
		dy = frame.Min.Y - r.Min.Y
	}
	return r.Add(image.Pt(dx, dy))
}
