package overlay

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Layout is where Draw puts everything on a frame of a given size. It is
// what Draw paints, exposed for tests and for callers that want to avoid
// covering something.
type Layout struct {
	// Faces holds one entry per face passed, in the same order.
	Faces []FaceLayout
	// HUD is the HUD panel, empty when no HUD is drawn.
	HUD image.Rectangle

	items []item // the display list, in paint order
}

// FaceLayout is the placement of one face's annotations. A face whose box
// is empty or lies wholly outside the frame is not drawn: its rectangles are
// empty.
type FaceLayout struct {
	// Box is the face box clipped to the frame.
	Box image.Rectangle
	// Color is the colour of the top emotion (box, label, its bar).
	Color color.RGBA
	// Top is the index in Labels of the most probable class, -1 if none.
	Top int
	// Label is the rounded label, always inside the frame when the frame is
	// large enough to hold it.
	Label image.Rectangle
	// LabelText is the label's text, e.g. "#3 happy 91%".
	LabelText string
	// Panel is the probability-bar panel, empty when there are no bars.
	Panel image.Rectangle
	// Bars are the probability bars, most probable first.
	Bars []BarLayout
}

// BarLayout is one probability bar.
type BarLayout struct {
	// Index is the class's index in Labels.
	Index int
	// Label is the class name.
	Label string
	// Prob is the class probability (clamped to [0, 1]).
	Prob float32
	// Percent is Prob in whole percent, as shown.
	Percent int
	// Track is the bar's full extent (100 %); Fill its filled part.
	Track, Fill image.Rectangle
}

// itemKind is the kind of one display-list entry.
type itemKind uint8

const (
	itemFill  itemKind = iota // opaque rectangle
	itemBlend                 // translucent rectangle
	itemMask                  // tinted coverage mask
)

// item is one paint operation.
type item struct {
	kind itemKind
	r    image.Rectangle
	m    *mask
	x, y int
	c    bgr
	a    uint8
}

// Palette of the neutral elements.
var (
	panelBG   = bgr{24, 20, 18}
	textLight = bgr{245, 245, 245}
	textDim   = bgr{200, 196, 192}
	trackBG   = bgr{255, 255, 255}
)

const (
	panelAlpha = 200 // bar panel background opacity
	hudAlpha   = 180 // HUD background opacity
	trackAlpha = 48  // empty part of a bar
	idAlpha    = 200 // the "#id" part of a label
)

// Layout computes where Draw would put faces and hud on a width x height
// frame, with the same checks on faces as Draw.
func (r *Renderer) Layout(width, height int, faces []Face, hud *HUD) (Layout, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return Layout{}, ErrClosed
	}
	if width <= 0 || height <= 0 {
		return Layout{}, fmt.Errorf("overlay: layout of an empty %dx%d frame", width, height)
	}
	lay, err := r.layout(width, height, faces, hud)
	lay.items = nil
	return lay, err
}

// checkFaces validates faces before anything is laid out or drawn.
func checkFaces(faces []Face) error {
	for i, f := range faces {
		if len(f.Labels) != len(f.Probs) {
			return fmt.Errorf("overlay: face %d (id %d): %d labels but %d probabilities", i, f.ID, len(f.Labels), len(f.Probs))
		}
	}
	return nil
}

// layout builds the layout and display list of one frame. Labels are
// placed first, by a fixed rule (above the box, else below); then each
// face's bar panel goes to the first of its candidate places that covers
// no box, label, earlier panel or the HUD, or else the one covering least.
func (r *Renderer) layout(w, h int, faces []Face, hud *HUD) (Layout, error) {
	if err := checkFaces(faces); err != nil {
		return Layout{}, err
	}
	s := r.opts.Scale
	if s == 0 {
		s = autoScale(h)
	}
	m := newMetrics(s)
	frame := image.Rect(0, 0, w, h)
	lay := Layout{Faces: make([]FaceLayout, len(faces))}
	var hudItems []item
	if hud != nil && !r.opts.NoHUD {
		lay.HUD, hudItems = r.layoutHUD(&m, frame, hud)
	}
	var labels []item
	orders := make([][]int, len(faces))
	obstacles := make([]image.Rectangle, 0, 3*len(faces)+1)
	if !lay.HUD.Empty() {
		obstacles = append(obstacles, lay.HUD)
	}
	for i := range faces {
		fl := &lay.Faces[i]
		orders[i] = ranked(faces[i].Probs)
		lay.items, labels = r.layoutBoxLabel(&m, frame, lay.HUD, &faces[i], orders[i], fl, lay.items, labels)
		if !fl.Box.Empty() {
			obstacles = append(obstacles, fl.Box, fl.Label)
		}
	}
	// Paint order: all boxes, then all panels, then all labels, so that no
	// box line crosses a label and labels stay on top, then the HUD.
	for i := range faces {
		fl := &lay.Faces[i]
		if size := r.panelSize(&m, &faces[i], orders[i]); !fl.Box.Empty() && size != (image.Point{}) {
			fl.Panel = placePanel(frame, fl.Box, fl.Label, &m, size, obstacles)
			obstacles = append(obstacles, fl.Panel)
			lay.items = r.layoutBars(&m, &faces[i], orders[i], fl, lay.items)
		}
	}
	lay.items = append(lay.items, labels...)
	lay.items = append(lay.items, hudItems...)
	return lay, nil
}

// clampProb maps p into [0, 1], NaN to 0.
func clampProb(p float32) float32 {
	switch {
	case p != p || p < 0:
		return 0
	case p > 1:
		return 1
	}
	return p
}

func percent(p float32) int { return int(math.Round(float64(clampProb(p)) * 100)) }

// ranked returns the indices of probs, most probable first (ties keep the
// model's order).
func ranked(probs []float32) []int {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return clampProb(probs[idx[a]]) > clampProb(probs[idx[b]]) })
	return idx
}

// neutralBox is the colour of a face that has no classification.
var neutralBox = color.RGBA{R: 235, G: 235, B: 235, A: 255}

// layoutBoxLabel sets fl's box, colour, top class and label, appending the
// box outline to boxes and the label pill and text to labels.
func (r *Renderer) layoutBoxLabel(m *metrics, frame, hud image.Rectangle, f *Face, order []int, fl *FaceLayout, boxes, labels []item) ([]item, []item) {
	fl.Top = -1
	full := f.Box.Canon()
	fl.Box = full.Intersect(frame)
	if fl.Box.Empty() {
		fl.Box = image.Rectangle{}
		return boxes, labels
	}
	fl.Color = neutralBox
	if len(order) > 0 {
		fl.Top = order[0]
		fl.Color = Color(f.Labels[fl.Top])
	}
	col := toBGR(fl.Color)

	// Box outline, drawn inside the (unclipped) box; clipped when painted.
	t := min(m.stroke, (full.Dx()+1)/2, (full.Dy()+1)/2)
	for _, e := range [4]image.Rectangle{
		image.Rect(full.Min.X, full.Min.Y, full.Max.X, full.Min.Y+t),
		image.Rect(full.Min.X, full.Max.Y-t, full.Max.X, full.Max.Y),
		image.Rect(full.Min.X, full.Min.Y+t, full.Min.X+t, full.Max.Y-t),
		image.Rect(full.Max.X-t, full.Min.Y+t, full.Max.X, full.Max.Y-t),
	} {
		if e = e.Intersect(frame); !e.Empty() {
			boxes = append(boxes, item{kind: itemFill, r: e, c: col})
		}
	}

	// Label pill: "#id" dimmed, the emotion in bold, its percentage.
	var runs [3]*mask
	n := 0
	var text []string
	if f.ID >= 0 {
		id := "#" + strconv.Itoa(f.ID)
		runs[n], n = r.textMask(fontRegular, m.labelPx, id), n+1
		text = append(text, id)
	}
	if fl.Top >= 0 {
		name, pct := f.Labels[fl.Top], strconv.Itoa(percent(f.Probs[fl.Top]))+"%"
		runs[n], runs[n+1], n = r.textMask(fontBold, m.labelPx, name), r.textMask(fontRegular, m.labelPx, pct), n+2
		text = append(text, name, pct)
	}
	if n == 0 {
		return boxes, labels
	}
	fl.LabelText = strings.Join(text, " ")
	space := r.textMask(fontRegular, m.labelPx, " ").advance
	pw := 2*m.pillPad + (n-1)*space
	for _, run := range runs[:n] {
		pw += run.advance
	}
	fl.Label = placeLabel(frame, fl.Box, hud, m, pw)
	labels = append(labels, item{kind: itemMask, m: r.shapeMask(pw, m.pillH, m.pillR), x: fl.Label.Min.X, y: fl.Label.Min.Y, c: col, a: 255})
	fg := toBGR(textOn(fl.Color))
	base := fl.Label.Min.Y + (m.pillH+r.fonts.capHeight(fontRegular, m.labelPx)+1)/2
	x := fl.Label.Min.X + m.pillPad
	for i, run := range runs[:n] {
		a := uint8(255)
		if f.ID >= 0 && i == 0 {
			a = idAlpha
		}
		labels = append(labels, textItem(run, x, base, fg, a))
		x += run.advance + space
	}
	return boxes, labels
}

// bars is the number of probability bars for a face with n classes.
func (r *Renderer) bars(n int) int {
	b := r.opts.Bars
	if b == 0 {
		b = defaultBars
	}
	return max(0, min(b, n))
}

// panelSize is the size of f's bar panel, zero when it has no bars. The name
// column fits every class name of the model, so the panel keeps its size as
// the ranking changes.
func (r *Renderer) panelSize(m *metrics, f *Face, order []int) image.Point {
	n := r.bars(len(order))
	if n == 0 {
		return image.Point{}
	}
	w := 2*m.panelPad + r.nameWidth(m, f.Labels) + m.colGap + m.barW + m.colGap + r.textMask(fontRegular, m.smallPx, "100%").advance
	return image.Pt(w, 2*m.panelPad+n*m.rowH)
}

func (r *Renderer) nameWidth(m *metrics, labels []string) int {
	w := 0
	for _, l := range labels {
		w = max(w, r.textMask(fontRegular, m.smallPx, l).advance)
	}
	return w
}

// layoutBars fills fl.Bars inside the placed fl.Panel and appends the
// panel's paint items to items.
func (r *Renderer) layoutBars(m *metrics, f *Face, order []int, fl *FaceLayout, items []item) []item {
	n := r.bars(len(order))
	items = append(items, item{kind: itemMask, m: r.shapeMask(fl.Panel.Dx(), fl.Panel.Dy(), m.panelR), x: fl.Panel.Min.X, y: fl.Panel.Min.Y, c: panelBG, a: panelAlpha})
	capH := r.fonts.capHeight(fontRegular, m.smallPx)
	nameW := r.nameWidth(m, f.Labels)
	fl.Bars = make([]BarLayout, n)
	for i := 0; i < n; i++ {
		k := order[i]
		p := clampProb(f.Probs[k])
		b := BarLayout{Index: k, Label: f.Labels[k], Prob: p, Percent: percent(p)}
		top := fl.Panel.Min.Y + m.panelPad + i*m.rowH
		base := top + (m.rowH+capH+1)/2
		x0 := fl.Panel.Min.X + m.panelPad
		items = append(items, textItem(r.textMask(fontRegular, m.smallPx, b.Label), x0, base, textDim, 255))
		tx := x0 + nameW + m.colGap
		ty := top + (m.rowH-m.barH+1)/2
		b.Track = image.Rect(tx, ty, tx+m.barW, ty+m.barH)
		b.Fill = image.Rect(tx, ty, tx+int(math.Round(float64(p)*float64(m.barW))), ty+m.barH)
		items = append(items, item{kind: itemBlend, r: b.Track, c: trackBG, a: trackAlpha})
		if !b.Fill.Empty() {
			items = append(items, item{kind: itemFill, r: b.Fill, c: toBGR(Color(b.Label))})
		}
		pm := r.textMask(fontRegular, m.smallPx, strconv.Itoa(b.Percent)+"%")
		items = append(items, textItem(pm, fl.Panel.Max.X-m.panelPad-pm.advance, base, textLight, 255))
		fl.Bars[i] = b
	}
	return items
}

// textItem places text run t with its pen at x and its baseline at base.
func textItem(t *mask, x, base int, c bgr, a uint8) item {
	return item{kind: itemMask, m: t, x: x - t.left, y: base - t.ascent, c: c, a: a}
}

// textMask returns the cached mask of s in font id at px, rendering it on a
// miss.
func (r *Renderer) textMask(id fontID, px int, s string) *mask {
	k := textKey{id, px, s}
	if t, ok := r.text.get(k); ok {
		return t
	}
	t := renderText(r.fonts.face(id, px), s)
	r.text.put(k, t)
	return t
}

// shapeMask returns the cached mask of a w x h rounded rectangle of radius
// rad, rendering it with gg on a miss.
func (r *Renderer) shapeMask(w, h, rad int) *mask {
	k := shapeKey{w, h, rad}
	if s, ok := r.shapes.get(k); ok {
		return s
	}
	s := renderRoundedRect(w, h, rad)
	r.shapes.put(k, s)
	return s
}
