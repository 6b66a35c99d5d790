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

// Level says how much of a face's annotation found room on the frame.
type Level uint8

// The levels, from least to most: a face always gets its coloured outline;
// a label chip when one fits beside the face without covering any face,
// label or panel; a probability panel as well when that fits too.
const (
	LevelNone  Level = iota // the face is not drawn (empty or outside the frame)
	LevelEdge               // coloured outline only
	LevelChip               // outline and label chip
	LevelPanel              // outline, label chip and probability panel
)

// FaceLayout is the placement of one face's annotations. A face whose box
// is empty or lies wholly outside the frame is not drawn: its rectangles are
// empty.
type FaceLayout struct {
	// Box is the face box clipped to the frame.
	Box image.Rectangle
	// Ring is the outer bounds of the box outline, clipped to the frame: the
	// outline is drawn just outside the box, and inside it only where the
	// box reaches the frame's edge.
	Ring image.Rectangle
	// Color is the colour of the outline and label: the top emotion's, or
	// UncertainColor when the classification is uncertain or absent.
	Color color.RGBA
	// Top is the index in Labels of the most probable class, -1 if none.
	Top int
	// Uncertain is true when the top probability or its margin over the
	// runner-up is below the Renderer's Uncertainty: the label then says
	// "uncertain" in UncertainColor.
	Uncertain bool
	// Level is how much of the annotation was drawn.
	Level Level
	// Label is the label chip, empty when there was no room for it. It
	// never covers a face box or another label, panel or the HUD.
	Label image.Rectangle
	// LabelText is the label's text, e.g. "#3 happy 91%" or "#3 uncertain";
	// it is set even when the chip found no room.
	LabelText string
	// Panel is the probability-bar panel, empty when there are no bars or no
	// room for them.
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
	hudAlpha   = 190 // HUD background opacity
	trackAlpha = 48  // empty part of a bar
	idAlpha    = 190 // the "#id" part of a label
	// panelFaceRatio: a face gets a probability panel only when the panel
	// is at most this many times its height, so that small faces in a
	// crowd are not buried under panels.
	panelFaceRatio = 1.0
)

// Layout computes where Draw would put faces and hud on a width x height
// frame, with the same checks on faces as Draw. Like Draw, it updates the
// Renderer's memory of where each tracked face's labels went, so that a
// Layout followed by a Draw of the same faces places them alike.
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

// faceWork is one face while its layout is built.
type faceWork struct {
	idx   int // index in the faces passed
	f     *Face
	fl    *FaceLayout
	order []int
	m     metrics
	mem   *trackMem // nil for faces without an id
	runs  [3]*mask  // label text runs: "#id", the name, the percentage
	nruns int
	hasID bool
	chipW [2]int // chip width with and without the "#id"
	nameW int    // width of the panel's name column, 0 until needed
}

// layout builds the layout and display list of one frame.
//
// Every face gets a thin outline just outside its box in its colour. Label
// chips are placed next, then probability panels, each at the first of
// its places (see chipPlace, panelPlace) that lies inside the frame and
// covers no face box or outline, no label or panel placed before it and
// keeps a small gap to them. A face that finds no room for a panel keeps
// its chip; one that finds no room for its chip (even without the "#id")
// keeps only its coloured outline. Larger faces are served first. Places
// are remembered per track id: a face keeps its places from frame to frame
// as long as they stay free, and the places remembered are served before
// faces new to the frame look for room. The HUD goes last, to the free
// corner with the fewest faces.
func (r *Renderer) layout(w, h int, faces []Face, hud *HUD) (Layout, error) {
	if err := checkFaces(faces); err != nil {
		return Layout{}, err
	}
	fm := newFrameMetrics(w, h, r.opts.Scale)
	frame := image.Rect(0, 0, w, h)
	mem := r.memory(w, h)
	lay := Layout{Faces: make([]FaceLayout, len(faces))}
	sp := &space{frame: frame, sep: fm.sep}
	work := make([]faceWork, 0, len(faces))
	var boxes, panels, labels []item
	unc := r.uncertainty()
	for i := range faces {
		f, fl := &faces[i], &lay.Faces[i]
		fl.Top = -1
		full := f.Box.Canon()
		fl.Box = full.Intersect(frame)
		if fl.Box.Empty() {
			fl.Box = image.Rectangle{}
			continue
		}
		fl.Level = LevelEdge
		fl.Ring = full.Inset(-fm.stroke).Intersect(frame)
		order := ranked(f.Probs)
		fl.Color = UncertainColor
		if len(order) > 0 {
			fl.Top = order[0]
			second := float32(0)
			if len(order) > 1 {
				second = clampProb(f.Probs[order[1]])
			}
			fl.Uncertain = unc.weak(clampProb(f.Probs[fl.Top]), second)
			if !fl.Uncertain {
				fl.Color = Color(f.Labels[fl.Top])
			}
		}
		boxes = appendOutline(boxes, fl.Ring, fm.stroke, toBGR(fl.Color))
		sp.rings = append(sp.rings, fl.Ring)
		fw := faceWork{idx: i, f: f, fl: fl, order: order}
		px := fm.labelPx(fl.Box.Dy())
		if f.ID >= 0 {
			fw.mem = mem.track(f.ID)
			if p := fw.mem.px; p > 0 && abs(p-px) <= max(1, p/8) && p >= fm.minPx && p <= fm.maxPx {
				px = p // hysteresis: a face's text does not flicker between sizes
			}
			fw.mem.px = px
		}
		fw.m = newMetrics(px)
		r.labelRuns(&fw)
		fw.chipW = [2]int{r.chipWidth(&fw, 0), r.chipWidth(&fw, 1)}
		work = append(work, fw)
	}
	sort.SliceStable(work, func(a, b int) bool { return work[a].fl.Ring.Dy() > work[b].fl.Ring.Dy() })

	// Chips: first the places remembered, then the rest.
	for i := range work {
		fw := &work[i]
		if fw.mem != nil && fw.mem.chip >= 0 && fw.nruns > 0 {
			if c := r.chipRect(fw, int(fw.mem.chip), int(fw.mem.chipShort), sp); sp.free(c) {
				r.takeChip(fw, c, int(fw.mem.chip), int(fw.mem.chipShort), sp)
			}
		}
	}
	for i := range work {
		fw := &work[i]
		if fw.nruns == 0 || !fw.fl.Label.Empty() {
			continue
		}
		found := false
		for short := 0; short < 2 && !found; short++ {
			if short == 1 && !fw.hasID {
				break
			}
			for k := 0; k < numChipPlaces; k++ {
				if c := r.chipRect(fw, k, short, sp); sp.free(c) {
					r.takeChip(fw, c, k, short, sp)
					found = true
					break
				}
			}
		}
		if !found && fw.mem != nil {
			fw.mem.chip = -1
		}
	}
	for i := range work {
		if fw := &work[i]; !fw.fl.Label.Empty() {
			labels = r.chipItems(fw, labels)
		}
	}

	// Panels, for faces with a chip: remembered places, then the rest.
	sizes := make([]image.Point, len(work))
	for i := range work {
		fw := &work[i]
		if fw.fl.Label.Empty() {
			continue
		}
		sz := r.panelSize(fw)
		if sz == (image.Point{}) || float64(sz.Y) > panelFaceRatio*float64(fw.fl.Box.Dy()) {
			continue
		}
		sizes[i] = sz
		if fw.mem != nil && fw.mem.panel >= 0 {
			if p := panelRect(fw, int(fw.mem.panel), sz, frame); sp.free(p) {
				fw.fl.Panel = p
				sp.place(p)
			}
		}
	}
	for i := range work {
		fw := &work[i]
		if sizes[i] == (image.Point{}) || !fw.fl.Panel.Empty() {
			continue
		}
		place := -1
		for _, k := range panelOrder[chipSide(fw.fl.Label, fw.fl.Ring)] {
			if p := panelRect(fw, k, sizes[i], frame); sp.free(p) {
				fw.fl.Panel = p
				sp.place(p)
				place = k
				break
			}
		}
		if fw.mem != nil {
			fw.mem.panel = int8(place)
		}
	}
	for i := range work {
		if fw := &work[i]; !fw.fl.Panel.Empty() {
			fw.fl.Level = LevelPanel
			panels = r.layoutBars(fw, panels)
		}
	}
	mem.endFrame()

	// Paint order: outlines, panels, labels, then the HUD. Nothing placed
	// overlaps, so the order only matters where outlines of overlapping
	// faces cross.
	lay.items = append(boxes, panels...)
	lay.items = append(lay.items, labels...)
	mem.lastRings = append(mem.lastRings[:0], sp.rings...)
	mem.lastPlaced = append(mem.lastPlaced[:0], sp.placed...)
	if hud != nil && !r.opts.NoHUD {
		var hudItems []item
		lay.HUD, hudItems = r.layoutHUD(&fm, sp, hud, mem)
		lay.items = append(lay.items, hudItems...)
	}
	return lay, nil
}

// appendOutline appends the outline of thickness t drawn inside ring.
func appendOutline(items []item, ring image.Rectangle, t int, c bgr) []item {
	t = min(t, (ring.Dx()+1)/2, (ring.Dy()+1)/2)
	for _, e := range [4]image.Rectangle{
		image.Rect(ring.Min.X, ring.Min.Y, ring.Max.X, ring.Min.Y+t),
		image.Rect(ring.Min.X, ring.Max.Y-t, ring.Max.X, ring.Max.Y),
		image.Rect(ring.Min.X, ring.Min.Y+t, ring.Min.X+t, ring.Max.Y-t),
		image.Rect(ring.Max.X-t, ring.Min.Y+t, ring.Max.X, ring.Max.Y-t),
	} {
		if !e.Empty() {
			items = append(items, item{kind: itemFill, r: e, c: c})
		}
	}
	return items
}

func abs(v int) int { return max(v, -v) }

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

// uncertainText is what the label says for an uncertain classification.
const uncertainText = "uncertain"

// labelRuns prepares fw's label text: "#id" (dimmed), the emotion in bold
// (or "uncertain") and its percentage.
func (r *Renderer) labelRuns(fw *faceWork) {
	var text []string
	px := fw.m.labelPx
	if fw.f.ID >= 0 {
		id := "#" + strconv.Itoa(fw.f.ID)
		fw.runs[fw.nruns], fw.nruns, fw.hasID = r.textMask(fontRegular, px, id), fw.nruns+1, true
		text = append(text, id)
	}
	switch {
	case fw.fl.Top >= 0 && fw.fl.Uncertain:
		fw.runs[fw.nruns], fw.nruns = r.textMask(fontRegular, px, uncertainText), fw.nruns+1
		text = append(text, uncertainText)
	case fw.fl.Top >= 0:
		name, pct := fw.f.Labels[fw.fl.Top], strconv.Itoa(percent(fw.f.Probs[fw.fl.Top]))+"%"
		fw.runs[fw.nruns], fw.runs[fw.nruns+1], fw.nruns = r.textMask(fontBold, px, name), r.textMask(fontRegular, px, pct), fw.nruns+2
		text = append(text, name, pct)
	}
	fw.fl.LabelText = strings.Join(text, " ")
}

// chipWidth is the width of fw's chip, without its "#id" when short is 1.
func (r *Renderer) chipWidth(fw *faceWork, short int) int {
	runs := fw.runs[:fw.nruns]
	if short == 1 && fw.hasID {
		runs = runs[1:]
	}
	if len(runs) == 0 {
		return 0
	}
	space := r.textMask(fontRegular, fw.m.labelPx, " ").advance
	w := 2*fw.m.pillPad + (len(runs)-1)*space
	for _, run := range runs {
		w += run.advance
	}
	return w
}

// chipRect is fw's chip at place k (short: without the "#id").
func (r *Renderer) chipRect(fw *faceWork, k, short int, sp *space) image.Rectangle {
	if short == 1 && (!fw.hasID || fw.nruns < 2) {
		return image.Rectangle{}
	}
	return chipPlace(k, fw.fl.Ring, sp.frame, fw.chipW[short], fw.m.pillH)
}

// takeChip places fw's chip at c and remembers where.
func (r *Renderer) takeChip(fw *faceWork, c image.Rectangle, k, short int, sp *space) {
	fw.fl.Label = c
	fw.fl.Level = LevelChip
	sp.place(c)
	if short == 1 {
		fw.runs[0], fw.runs[1], fw.runs[2] = fw.runs[1], fw.runs[2], nil
		fw.nruns--
		fw.hasID = false
	}
	if fw.mem != nil {
		fw.mem.chip, fw.mem.chipShort = int8(k), int8(short)
	}
}

// chipItems appends the paint items of fw's placed chip: the pill in the
// face's colour and its text runs.
func (r *Renderer) chipItems(fw *faceWork, labels []item) []item {
	m, fl := &fw.m, fw.fl
	labels = append(labels, item{kind: itemMask, m: r.shapeMask(fl.Label.Dx(), m.pillH, m.pillR), x: fl.Label.Min.X, y: fl.Label.Min.Y, c: toBGR(fl.Color), a: 255})
	fg := toBGR(textOn(fl.Color))
	base := fl.Label.Min.Y + (m.pillH+r.fonts.capHeight(fontRegular, m.labelPx)+1)/2
	x := fl.Label.Min.X + m.pillPad
	space := r.textMask(fontRegular, m.labelPx, " ").advance
	for i, run := range fw.runs[:fw.nruns] {
		a := uint8(255)
		if fw.hasID && i == 0 {
			a = idAlpha
		}
		labels = append(labels, textItem(run, x, base, fg, a))
		x += run.advance + space
	}
	return labels
}

// panelRect is fw's panel of the given size at place k.
func panelRect(fw *faceWork, k int, size image.Point, frame image.Rectangle) image.Rectangle {
	return panelPlace(k, fw.fl.Ring.Union(fw.fl.Label), fw.fl.Label, frame, fw.m.gap, size)
}

// bars is the number of probability bars for a face with n classes.
func (r *Renderer) bars(n int) int {
	b := r.opts.Bars
	if b == 0 {
		b = defaultBars
	}
	return max(0, min(b, n))
}

// panelSize is the size of fw's bar panel, zero when it has no bars. The
// name column fits every class name of the model, so the panel keeps its
// size as the ranking changes.
func (r *Renderer) panelSize(fw *faceWork) image.Point {
	m := &fw.m
	n := r.bars(len(fw.order))
	if n == 0 {
		return image.Point{}
	}
	fw.nameW = r.nameWidth(m, fw.f.Labels)
	w := 2*m.panelPad + fw.nameW + m.colGap + m.barW + m.colGap + r.textMask(fontRegular, m.smallPx, "100%").advance
	return image.Pt(w, 2*m.panelPad+n*m.rowH)
}

func (r *Renderer) nameWidth(m *metrics, labels []string) int {
	w := 0
	for _, l := range labels {
		w = max(w, r.textMask(fontRegular, m.smallPx, l).advance)
	}
	return w
}

// layoutBars fills fw's bars inside its placed panel and appends the
// panel's paint items to items.
func (r *Renderer) layoutBars(fw *faceWork, items []item) []item {
	m, f, order, fl := &fw.m, fw.f, fw.order, fw.fl
	n := r.bars(len(order))
	items = append(items, item{kind: itemMask, m: r.shapeMask(fl.Panel.Dx(), fl.Panel.Dy(), m.panelR), x: fl.Panel.Min.X, y: fl.Panel.Min.Y, c: panelBG, a: panelAlpha})
	capH := r.fonts.capHeight(fontRegular, m.smallPx)
	nameW := fw.nameW
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
