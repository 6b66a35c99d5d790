package facedetect

import (
	"image"
	"math"
	"sort"
)

// Track is one followed face.
type Track struct {
	ID     int             // stable while the face is followed; ids start at 1 and are not reused until Reset
	Box    image.Rectangle // last detected box, or the predicted one (Predict)
	Score  float32         // score of the last matched detection
	Hits   int             // detections matched to this track so far
	Missed int             // consecutive Update calls in which it was not matched
}

// TrackerOptions tunes a Tracker; the zero value selects the defaults.
type TrackerOptions struct {
	IoU       float64 // smallest IoU between a detection and a track's predicted box to match them (default 0.3)
	MaxMissed int     // Update calls a lost track is kept before its id is dropped (default 5)
	// Bounds, when not empty, clips the boxes returned by Predict (the frame
	// rectangle, typically).
	Bounds image.Rectangle
}

// Default tracker settings.
const (
	DefaultTrackIoU       = 0.3
	DefaultTrackMaxMissed = 5
)

// velocitySmoothing weighs a new velocity measurement against the previous
// estimate (1 = only the last two detections).
const velocitySmoothing = 0.7

type track struct {
	id, hits, missed int
	score            float32
	box              [4]float64 // x1, y1, x2, y2 at lastFrame
	vel              [4]float64 // per frame
	hasVel           bool
	lastFrame        int
}

// at returns the box extrapolated to frame f with the constant-velocity model.
func (t *track) at(f int) [4]float64 {
	b := t.box
	if t.hasVel {
		dt := float64(f - t.lastFrame)
		for i := range b {
			b[i] += t.vel[i] * dt
		}
	}
	return b
}

// Tracker gives each face an id that stays stable while it is visible. It
// matches detections to tracks greedily by IoU against each track's
// constant-velocity prediction, so faces that move or cross keep their ids as
// long as their predicted and detected boxes overlap. Not safe for concurrent
// use.
type Tracker struct {
	o      TrackerOptions
	tracks []*track
	frame  int
	nextID int
}

// NewTracker returns an empty tracker.
func NewTracker(o TrackerOptions) *Tracker {
	if o.IoU <= 0 {
		o.IoU = DefaultTrackIoU
	}
	if o.MaxMissed <= 0 {
		o.MaxMissed = DefaultTrackMaxMissed
	}
	return &Tracker{o: o, nextID: 1}
}

// Reset forgets every track and starts the ids again from 1, as for a new,
// unrelated video or image.
func (t *Tracker) Reset() {
	t.tracks = t.tracks[:0]
	t.frame = 0
	t.nextID = 1
}

func toBox(r image.Rectangle) [4]float64 {
	return [4]float64{float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)}
}

func toRect(b [4]float64) image.Rectangle {
	return image.Rect(int(math.Round(b[0])), int(math.Round(b[1])), int(math.Round(b[2])), int(math.Round(b[3])))
}

func boxIoU(a, b [4]float64) float64 {
	w := math.Min(a[2], b[2]) - math.Max(a[0], b[0])
	h := math.Min(a[3], b[3]) - math.Max(a[1], b[1])
	if w <= 0 || h <= 0 {
		return 0
	}
	in := w * h
	return in / ((a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - in)
}

// Update advances one frame with the faces detected in it and returns the
// visible tracks (those matched this frame, new ones included), sorted by ID.
func (t *Tracker) Update(faces []Face) []Track {
	t.frame++
	type pair struct {
		ti, fi int
		iou    float64
	}
	var pairs []pair
	pred := make([][4]float64, len(t.tracks))
	for ti, tr := range t.tracks {
		pred[ti] = tr.at(t.frame)
		for fi, f := range faces {
			if v := boxIoU(pred[ti], toBox(f.Box)); v >= t.o.IoU {
				pairs = append(pairs, pair{ti, fi, v})
			}
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].iou > pairs[j].iou })
	trackUsed := make([]bool, len(t.tracks))
	faceUsed := make([]bool, len(faces))
	for _, p := range pairs {
		if trackUsed[p.ti] || faceUsed[p.fi] {
			continue
		}
		trackUsed[p.ti], faceUsed[p.fi] = true, true
		t.tracks[p.ti].observe(faces[p.fi], t.frame)
	}
	kept := t.tracks[:0]
	for ti, tr := range t.tracks {
		if !trackUsed[ti] {
			tr.missed++
			if tr.missed > t.o.MaxMissed {
				continue
			}
		}
		kept = append(kept, tr)
	}
	t.tracks = kept
	for fi, f := range faces {
		if faceUsed[fi] {
			continue
		}
		t.tracks = append(t.tracks, &track{id: t.nextID, hits: 1, score: f.Score, box: toBox(f.Box), lastFrame: t.frame})
		t.nextID++
	}
	return t.visible(false)
}

// observe folds a matched detection into the track.
func (tr *track) observe(f Face, frame int) {
	nb := toBox(f.Box)
	dt := float64(frame - tr.lastFrame)
	var v [4]float64
	for i := range v {
		v[i] = (nb[i] - tr.box[i]) / dt
	}
	if tr.hasVel {
		for i := range v {
			v[i] = velocitySmoothing*v[i] + (1-velocitySmoothing)*tr.vel[i]
		}
	}
	tr.vel, tr.hasVel = v, true
	tr.box, tr.lastFrame = nb, frame
	tr.hits++
	tr.missed = 0
	tr.score = f.Score
}

// Predict advances one frame without a detection and returns the visible
// tracks with their boxes moved by their estimated velocity, sorted by ID.
// It does not count as a miss.
func (t *Tracker) Predict() []Track {
	t.frame++
	return t.visible(true)
}

// Peek returns the visible tracks with their boxes predicted for the next
// frame, without advancing: call Update (with faces re-detected near these
// boxes) or Predict afterwards.
func (t *Tracker) Peek() []Track {
	t.frame++
	defer func() { t.frame-- }()
	return t.visible(true)
}

func (t *Tracker) visible(predicted bool) []Track {
	out := make([]Track, 0, len(t.tracks))
	for _, tr := range t.tracks {
		if tr.missed > 0 {
			continue
		}
		b := tr.box
		if predicted {
			b = tr.at(t.frame)
		}
		r := toRect(b)
		if !t.o.Bounds.Empty() {
			r = r.Intersect(t.o.Bounds)
			if r.Empty() {
				continue
			}
		}
		out = append(out, Track{ID: tr.id, Box: r, Score: tr.score, Hits: tr.hits, Missed: tr.missed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Tracks returns every track still kept, lost ones (Missed > 0) included,
// at their last detected boxes, sorted by ID.
func (t *Tracker) Tracks() []Track {
	out := make([]Track, 0, len(t.tracks))
	for _, tr := range t.tracks {
		out = append(out, Track{ID: tr.id, Box: toRect(tr.box), Score: tr.score, Hits: tr.hits, Missed: tr.missed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
