package overlay

import "image"

// space tracks what is already on a frame while a layout is built: the
// face boxes with their outlines (rings), which nothing may cover, and the
// labels, panels and HUD placed so far, which nothing may cover or touch
// closer than sep.
type space struct {
	frame  image.Rectangle
	rings  []image.Rectangle
	placed []image.Rectangle
	sep    int
}

// free reports whether r lies inside the frame and clear of every ring and
// everything placed.
func (s *space) free(r image.Rectangle) bool {
	if r.Empty() || !r.In(s.frame) {
		return false
	}
	for _, o := range s.rings {
		if r.Overlaps(o) {
			return false
		}
	}
	grown := r.Inset(-s.sep)
	for _, o := range s.placed {
		if grown.Overlaps(o) {
			return false
		}
	}
	return true
}

// place records r as taken.
func (s *space) place(r image.Rectangle) { s.placed = append(s.placed, r) }

// Places of a label chip around its face's ring, in order of preference:
// above the face, then below, aligned with its left edge, its right edge
// or centred; then beside it, level with its top or bottom.
const (
	chipAboveLeft = iota
	chipBelowLeft
	chipAboveRight
	chipBelowRight
	chipAboveCentre
	chipBelowCentre
	chipRightTop
	chipLeftTop
	chipRightBottom
	chipLeftBottom
	numChipPlaces
)

// chipPlace returns the rectangle of a w x h chip at place k around ring,
// moved along the ring's side to stay inside frame.
func chipPlace(k int, ring, frame image.Rectangle, w, h int) image.Rectangle {
	var x, y int
	switch k {
	case chipAboveLeft, chipBelowLeft:
		x = ring.Min.X
	case chipAboveRight, chipBelowRight:
		x = ring.Max.X - w
	case chipAboveCentre, chipBelowCentre:
		x = (ring.Min.X + ring.Max.X - w) / 2
	case chipRightTop, chipRightBottom:
		x = ring.Max.X
	case chipLeftTop, chipLeftBottom:
		x = ring.Min.X - w
	}
	switch k {
	case chipAboveLeft, chipAboveRight, chipAboveCentre:
		y = ring.Min.Y - h
	case chipBelowLeft, chipBelowRight, chipBelowCentre:
		y = ring.Max.Y
	case chipRightTop, chipLeftTop:
		y = ring.Min.Y
	case chipRightBottom, chipLeftBottom:
		y = ring.Max.Y - h
	}
	r := image.Rect(x, y, x+w, y+h)
	if k < chipRightTop {
		return slideX(r, frame)
	}
	return slideY(r, frame)
}

// Places of a probability panel around its face's ring and chip (the
// group): beside the group level with its top or bottom, or stacked on the
// chip, away from the face.
const (
	panelRightTop = iota
	panelLeftTop
	panelRightBottom
	panelLeftBottom
	panelBelowChip
	panelAboveChip
	panelBelowGroup
	panelAboveGroup
	numPanelPlaces
)

// panelOrder lists the panel places in order of preference for a chip
// above, below or beside its face: level with the chip first, so that the
// panel reads as the chip's continuation.
var panelOrder = [3][]int{
	{panelRightTop, panelLeftTop, panelAboveChip, panelRightBottom, panelLeftBottom, panelBelowGroup}, // chip above
	{panelRightBottom, panelLeftBottom, panelBelowChip, panelRightTop, panelLeftTop, panelAboveGroup}, // chip below
	{panelBelowChip, panelAboveChip, panelRightTop, panelLeftTop, panelRightBottom, panelLeftBottom},  // chip beside
}

// chipSide is 0, 1 or 2 for a chip above, below or beside ring.
func chipSide(chip, ring image.Rectangle) int {
	switch {
	case chip.Max.Y <= ring.Min.Y:
		return 0
	case chip.Min.Y >= ring.Max.Y:
		return 1
	}
	return 2
}

// panelPlace returns the rectangle of a size panel at place k beside
// group (a face's ring and chip) or stacked on chip, gap away from them,
// moved along their side to stay inside frame.
func panelPlace(k int, group, chip, frame image.Rectangle, gap int, size image.Point) image.Rectangle {
	w, h := size.X, size.Y
	var r image.Rectangle
	switch k {
	case panelRightTop:
		r = image.Rect(group.Max.X+gap, group.Min.Y, group.Max.X+gap+w, group.Min.Y+h)
	case panelLeftTop:
		r = image.Rect(group.Min.X-gap-w, group.Min.Y, group.Min.X-gap, group.Min.Y+h)
	case panelRightBottom:
		r = image.Rect(group.Max.X+gap, group.Max.Y-h, group.Max.X+gap+w, group.Max.Y)
	case panelLeftBottom:
		r = image.Rect(group.Min.X-gap-w, group.Max.Y-h, group.Min.X-gap, group.Max.Y)
	case panelBelowChip:
		return slideX(image.Rect(chip.Min.X, chip.Max.Y+gap, chip.Min.X+w, chip.Max.Y+gap+h), frame)
	case panelAboveChip:
		return slideX(image.Rect(chip.Min.X, chip.Min.Y-gap-h, chip.Min.X+w, chip.Min.Y-gap), frame)
	case panelBelowGroup:
		return slideX(image.Rect(chip.Min.X, group.Max.Y+gap, chip.Min.X+w, group.Max.Y+gap+h), frame)
	case panelAboveGroup:
		return slideX(image.Rect(chip.Min.X, group.Min.Y-gap-h, chip.Min.X+w, group.Min.Y-gap), frame)
	}
	return slideY(r, frame)
}

// slideX moves r horizontally into frame when it fits in its width.
func slideX(r, frame image.Rectangle) image.Rectangle {
	if r.Dx() > frame.Dx() {
		return r
	}
	if r.Max.X > frame.Max.X {
		r = r.Add(image.Pt(frame.Max.X-r.Max.X, 0))
	}
	if r.Min.X < frame.Min.X {
		r = r.Add(image.Pt(frame.Min.X-r.Min.X, 0))
	}
	return r
}

// slideY moves r vertically into frame when it fits in its height.
func slideY(r, frame image.Rectangle) image.Rectangle {
	if r.Dy() > frame.Dy() {
		return r
	}
	if r.Max.Y > frame.Max.Y {
		r = r.Add(image.Pt(0, frame.Max.Y-r.Max.Y))
	}
	if r.Min.Y < frame.Min.Y {
		r = r.Add(image.Pt(0, frame.Min.Y-r.Min.Y))
	}
	return r
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }
