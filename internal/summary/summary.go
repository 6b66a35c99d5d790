// Package summary condenses an annotated video's per-frame results into
// what a reader of a whole video wants: per tracked face, when it was seen,
// the share of its time in each emotion and its dominant emotion (a JSON
// summary), and a timeline picture with one lane per face and emotion as
// colour over the video's time axis (a PNG).
//
// A Writer is a record.Writer: it is fed every frame like the CSV and JSON
// Lines writers and writes its files when closed, so a run that ends on an
// error or a signal still gets a summary and timeline of the frames it
// processed.
package summary

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/ferlive/ferlive/internal/record"
)

// run is a stretch of time over which a face kept one label.
type run struct {
	label      int // index into the model's labels
	start, end time.Duration
}

// track is everything kept about one tracked face.
type track struct {
	id          int
	first, last time.Duration // start of the first and end of the last frame seen
	frames      int
	runs        []run
}

// Writer collects the frames of a run and, on Close, writes the summary
// JSON and/or the timeline PNG.
type Writer struct {
	summaryPath, timelinePath string
	labels                    []string
	input                     string
	tracks                    map[int]*track
	last                      time.Duration // PTS of the previous frame
	dt                        time.Duration // frame interval, estimated from consecutive frames
	frames                    int
	end                       time.Duration // end of the last frame
	closed                    bool
}

// defaultInterval is the frame interval assumed before two frames were seen
// (and for inputs without timestamps): 25 fps.
const defaultInterval = 40 * time.Millisecond

// New returns a Writer for a model's labels that writes the summary to
// summaryPath and the timeline to timelinePath on Close (either may be
// empty). input names the annotated input in both. The paths are checked
// for being writable now, so a bad path fails before the run and not at
// its end.
func New(summaryPath, timelinePath, input string, labels []string) (*Writer, error) {
	if timelinePath != "" && filepath.Ext(timelinePath) != ".png" {
		return nil, fmt.Errorf("summary: timeline %s: want a .png file", timelinePath)
	}
	for _, p := range []string{summaryPath, timelinePath} {
		if p == "" {
			continue
		}
		f, err := os.Create(p)
		if err != nil {
			return nil, fmt.Errorf("summary: cannot create %s: %w", p, err)
		}
		f.Close()
	}
	return &Writer{summaryPath: summaryPath, timelinePath: timelinePath, input: input,
		labels: slices.Clone(labels), tracks: map[int]*track{}, dt: defaultInterval}, nil
}

// Write adds one frame's results. Each face's label holds from the frame's
// time until the next frame's.
func (w *Writer) Write(f *record.Frame) error {
	t := f.PTS
	if w.frames > 0 {
		if t <= w.last { // no timestamps (image folders) or a broken one
			t = w.last + w.dt
		} else {
			w.dt = t - w.last
		}
	}
	w.last = t
	w.frames++
	end := t + w.dt
	w.end = end
	for _, fc := range f.Faces {
		k := slices.Index(w.labels, fc.Label)
		if k < 0 {
			continue
		}
		tr := w.tracks[fc.ID]
		if tr == nil {
			tr = &track{id: fc.ID, first: t}
			w.tracks[fc.ID] = tr
		}
		tr.frames++
		tr.last = end
		// Extend the current run when the label is unchanged and the face
		// was seen in the previous frame (a gap of up to 1.5 frames).
		if n := len(tr.runs); n > 0 && tr.runs[n-1].label == k && t-tr.runs[n-1].end <= w.dt/2 {
			tr.runs[n-1].end = end
		} else {
			tr.runs = append(tr.runs, run{label: k, start: t, end: end})
		}
	}
	return nil
}

// Face is one tracked face in the summary.
type Face struct {
	ID       int                `json:"id"`
	FirstS   float64            `json:"first_s"`  // start of the first frame it was seen in, seconds
	LastS    float64            `json:"last_s"`   // end of the last frame it was seen in
	SeenS    float64            `json:"seen_s"`   // time it was seen (gaps excluded)
	Frames   int                `json:"frames"`   // frames it was seen in
	Share    map[string]float64 `json:"share"`    // share of SeenS in each emotion, summing to 1
	Dominant string             `json:"dominant"` // the emotion with the largest share
}

// Summary is what the summary JSON holds.
type Summary struct {
	Input     string   `json:"input"`
	Frames    int      `json:"frames"`
	DurationS float64  `json:"duration_s"`
	Labels    []string `json:"labels"`
	Faces     []Face   `json:"faces"` // in order of first appearance
}

// Summary returns the summary of the frames written so far.
func (w *Writer) Summary() Summary {
	s := Summary{Input: w.input, Frames: w.frames, DurationS: w.end.Seconds(), Labels: w.labels, Faces: []Face{}}
	for _, tr := range w.sortedTracks() {
		per := make([]time.Duration, len(w.labels))
		var seen time.Duration
		for _, r := range tr.runs {
			per[r.label] += r.end - r.start
			seen += r.end - r.start
		}
		f := Face{ID: tr.id, FirstS: tr.first.Seconds(), LastS: tr.last.Seconds(), SeenS: seen.Seconds(),
			Frames: tr.frames, Share: map[string]float64{}}
		best := -1
		for k, d := range per {
			if seen > 0 {
				f.Share[w.labels[k]] = round4(d.Seconds() / seen.Seconds())
			}
			if best < 0 || d > per[best] {
				best = k
			}
		}
		f.Dominant = w.labels[best]
		s.Faces = append(s.Faces, f)
	}
	return s
}

func round4(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }

// sortedTracks returns the tracks in order of first appearance, then id.
func (w *Writer) sortedTracks() []*track {
	var ts []*track
	for _, t := range w.tracks {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].first != ts[j].first {
			return ts[i].first < ts[j].first
		}
		return ts[i].id < ts[j].id
	})
	return ts
}

// Close writes the summary and the timeline of every frame written. It is
// idempotent.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var first error
	if w.summaryPath != "" {
		if err := writeJSON(w.summaryPath, w.Summary()); err != nil {
			first = err
		}
	}
	if w.timelinePath != "" {
		if err := w.writeTimeline(w.timelinePath); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// writeJSON writes v to path through a temporary file renamed over it, so
// the file is whole or absent.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("summary %s: %w", path, err)
	}
	return writeFile(path, append(b, '\n'))
}

func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
