package summary

import (
	"bytes"
	"fmt"
	"image/color"
	"sort"
	"time"

	"github.com/fogleman/gg"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"

	"github.com/ferlive/ferlive/internal/emotion"
)

// Timeline layout. A lane is one face; the plot is PlotWidth pixels wide
// whatever the video's length, so a column covers duration/PlotWidth (3.6 s
// of a 1-hour video) and shows the emotion that face spent most of that
// column's time in.
const (
	// MaxLanes is the most faces given a lane of their own.
	MaxLanes = 24
	// PlotWidth is the width of the time axis, in pixels.
	PlotWidth = 900
	// MinShare is the least share of the video a face must be seen for to
	// get its own lane (besides MinSeen); shorter tracks are merged.
	MinShare = 0.01
	// MinSeen is the least time a face must be seen for to get its own lane.
	MinSeen = time.Second
)

// lane is one row of the timeline: one face, or the merged short tracks.
type lane struct {
	name string
	runs []run
}

// lanes picks the timeline's rows: faces seen for at least MinSeen and
// MinShare of the video, the MaxLanes seen longest of them, in order of
// first appearance; every other face goes into one last lane, "+N others",
// which shows at each moment the emotion most of them were in.
func (w *Writer) lanes() []lane {
	ts := w.sortedTracks()
	seen := func(t *track) time.Duration {
		var d time.Duration
		for _, r := range t.runs {
			d += r.end - r.start
		}
		return d
	}
	minSeen := max(MinSeen, time.Duration(MinShare*float64(w.end)))
	var long []*track
	for _, t := range ts {
		if seen(t) >= minSeen {
			long = append(long, t)
		}
	}
	if len(long) > MaxLanes {
		byTime := append([]*track(nil), long...)
		sort.SliceStable(byTime, func(i, j int) bool { return seen(byTime[i]) > seen(byTime[j]) })
		keep := map[*track]bool{}
		for _, t := range byTime[:MaxLanes] {
			keep[t] = true
		}
		long = long[:0]
		for _, t := range ts {
			if keep[t] {
				long = append(long, t)
			}
		}
	}
	isLong := map[*track]bool{}
	var out []lane
	for _, t := range long {
		isLong[t] = true
		out = append(out, lane{name: fmt.Sprintf("#%d", t.id), runs: t.runs})
	}
	var rest lane
	n := 0
	for _, t := range ts {
		if !isLong[t] {
			n++
			rest.runs = append(rest.runs, t.runs...)
		}
	}
	if n > 0 {
		rest.name = fmt.Sprintf("+%d others", n)
		if n == 1 {
			rest.name = "+1 other"
		}
		out = append(out, rest)
	}
	return out
}

// columns returns, for each of cols equal slices of [0, total), the label
// the lane spent most time in (-1: none).
func columns(runs []run, total time.Duration, cols, labels int) []int {
	acc := make([][]time.Duration, cols)
	per := float64(total) / float64(cols)
	for _, r := range runs {
		c0 := int(float64(r.start) / per)
		c1 := int(float64(r.end) / per)
		for c := max(c0, 0); c <= min(c1, cols-1); c++ {
			lo := max(r.start, time.Duration(float64(c)*per))
			hi := min(r.end, time.Duration(float64(c+1)*per))
			if hi <= lo {
				continue
			}
			if acc[c] == nil {
				acc[c] = make([]time.Duration, labels)
			}
			acc[c][r.label] += hi - lo
		}
	}
	out := make([]int, cols)
	for c, a := range acc {
		out[c] = -1
		var best time.Duration
		for k, d := range a {
			if d > best {
				best, out[c] = d, k
			}
		}
	}
	return out
}

// tickStep picks a time-axis step giving at most about ten ticks.
func tickStep(total time.Duration) time.Duration {
	for _, s := range []int{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200} {
		if total/(time.Duration(s)*time.Second) <= 10 {
			return time.Duration(s) * time.Second
		}
	}
	return 4 * time.Hour
}

// clock formats a time as m:ss, or h:mm:ss from an hour on.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// writeTimeline draws the timeline PNG.
func (w *Writer) writeTimeline(path string) error {
	lanes := w.lanes()
	const left, right, top, laneH, gap = 90, 20, 44, 18, 4
	total := w.end
	if total <= 0 {
		total = time.Second
	}
	used := w.usedLabels()
	legendRows := (len(used) + 5) / 6
	plotH := max(len(lanes), 1) * (laneH + gap)
	width, height := left+PlotWidth+right, top+plotH+34+legendRows*20+10
	dc := gg.NewContext(width, height)
	dc.SetRGB(1, 1, 1)
	dc.Clear()
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return fmt.Errorf("timeline %s: %w", path, err)
	}
	setFace := func(size float64) {
		if ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull}); err == nil {
			dc.SetFontFace(ff)
		}
	}
	setFace(15)
	dc.SetRGB(0, 0, 0)
	title := "Emotions over time"
	if w.input != "" {
		title += ": " + w.input
	}
	dc.DrawStringAnchored(title, float64(left), 18, 0, 0.5)
	setFace(12)
	dc.SetRGB(0.3, 0.3, 0.3)
	col := fmt.Sprintf("%.1f s", total.Seconds()/PlotWidth)
	if total < 100*time.Second {
		col = fmt.Sprintf("%.0f ms", total.Seconds()/PlotWidth*1000)
	}
	sub := fmt.Sprintf("%d faces, %s; one column = %s", len(w.tracks), clock(total), col)
	dc.DrawStringAnchored(sub, float64(width-right), 18, 1, 0.5)
	// grid and time axis
	step := tickStep(total)
	axisY := float64(top + plotH + 4)
	for t := time.Duration(0); t <= total; t += step {
		x := float64(left) + float64(t)/float64(total)*PlotWidth
		dc.SetRGB(0.85, 0.85, 0.85)
		dc.DrawLine(x, top-4, x, axisY)
		dc.Stroke()
		dc.SetRGB(0.2, 0.2, 0.2)
		dc.DrawStringAnchored(clock(t), x, axisY+12, 0.5, 0.5)
	}
	// lanes
	for i, ln := range lanes {
		y := float64(top + i*(laneH+gap))
		dc.SetRGB(0.96, 0.96, 0.96)
		dc.DrawRectangle(left, y, PlotWidth, laneH)
		dc.Fill()
		cols := columns(ln.runs, total, PlotWidth, len(w.labels))
		for c := 0; c < len(cols); {
			k := cols[c]
			e := c + 1
			for e < len(cols) && cols[e] == k {
				e++
			}
			if k >= 0 {
				dc.SetColor(emotion.Color(w.labels[k]))
				dc.DrawRectangle(float64(left+c), y, float64(e-c), laneH)
				dc.Fill()
			}
			c = e
		}
		dc.SetRGB(0, 0, 0)
		dc.DrawStringAnchored(ln.name, left-8, y+laneH/2, 1, 0.5)
	}
	if len(lanes) == 0 {
		dc.SetRGB(0.4, 0.4, 0.4)
		dc.DrawStringAnchored("no faces", left+PlotWidth/2, float64(top)+laneH/2, 0.5, 0.5)
	}
	// legend: the emotions that occur
	ly := axisY + 32
	for i, k := range used {
		x := float64(left + (i%6)*150)
		y := ly + float64(i/6)*20
		dc.SetColor(emotion.Color(w.labels[k]))
		dc.DrawRectangle(x, y-6, 14, 12)
		dc.Fill()
		dc.SetColor(color.Gray{Y: 80})
		dc.DrawRectangle(x, y-6, 14, 12)
		dc.SetLineWidth(0.5)
		dc.Stroke()
		dc.SetRGB(0, 0, 0)
		dc.DrawStringAnchored(w.labels[k], x+20, y, 0, 0.5)
	}
	var buf bytes.Buffer
	if err := dc.EncodePNG(&buf); err != nil {
		return fmt.Errorf("timeline %s: %w", path, err)
	}
	return writeFile(path, buf.Bytes())
}

// usedLabels returns the indices of the labels some face was seen with.
func (w *Writer) usedLabels() []int {
	used := make([]bool, len(w.labels))
	for _, t := range w.tracks {
		for _, r := range t.runs {
			used[r.label] = true
		}
	}
	var out []int
	for k, u := range used {
		if u {
			out = append(out, k)
		}
	}
	return out
}
