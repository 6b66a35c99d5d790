package mqttevents

import (
	"math"
	"time"

	"github.com/ferlive/ferlive/internal/record"
)

// Box is a face's box in frame pixels.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// FaceEvent is the payload of ferlive/<device>/faces.
type FaceEvent struct {
	// Event is "new" (first seen), "update" (still seen; at most one per
	// face per UpdateEvery) or "end" (not seen for EndAfter).
	Event  string `json:"event"`
	Device string `json:"device"`
	ID     int    `json:"id"` // the tracker's id, stable while the face is tracked
	// Time is when the event was made (wall clock, UTC).
	Time time.Time `json:"time"`
	Box  Box       `json:"box"` // last box
	// Label and Score are the last classification; Probs all of it.
	Label string             `json:"label"`
	Score float64            `json:"score"`
	Probs map[string]float64 `json:"probs"`
	// Dominant is the label the face had in most of its frames so far.
	Dominant string `json:"dominant"`
	// The time span: StartS and EndS in the source's time (seconds since
	// a camera was opened, or into a video), FirstSeen and LastSeen on the
	// wall clock.
	StartS    float64   `json:"start_s"`
	EndS      float64   `json:"end_s"`
	DurationS float64   `json:"duration_s"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Frames    int       `json:"frames"` // frames the face was seen in
}

// track is what is kept about one tracked face.
type track struct {
	id                  int
	first, last         time.Duration // source time
	firstWall, lastWall time.Time
	lastFrame           int // p.frames when last seen
	frames              int
	face                record.Face
	counts              map[string]int
	lastSent            time.Time
}

// Frame turns one processed frame into face events and queues them. It
// never blocks; call it from the frame loop.
func (p *Publisher) Frame(f *record.Frame) {
	if p.closed {
		return
	}
	now := time.Now()
	p.frames++
	seen := make(map[int]bool, len(f.Faces))
	for i := range f.Faces {
		face := f.Faces[i]
		seen[face.ID] = true
		t := p.tracks[face.ID]
		event := "update"
		if t == nil {
			t = &track{id: face.ID, first: f.PTS, firstWall: now, counts: map[string]int{}}
			p.tracks[face.ID] = t
			event = "new"
		}
		t.last, t.lastWall, t.lastFrame = f.PTS, now, p.frames
		t.frames++
		t.face = face
		t.face.Probs = append([]float32(nil), face.Probs...) // the frame's slice is reused
		t.counts[face.Label]++
		if event == "new" || now.Sub(t.lastSent) >= p.o.UpdateEvery {
			t.lastSent = now
			p.send(t, event, now)
		}
	}
	for id, t := range p.tracks {
		if seen[id] {
			continue
		}
		if f.PTS-t.last >= p.o.EndAfter || p.frames-t.lastFrame >= p.o.EndFrames {
			p.send(t, "end", now)
			delete(p.tracks, id)
		}
	}
}

// endAll ends every face still tracked (at Close).
func (p *Publisher) endAll() {
	now := time.Now()
	for id, t := range p.tracks {
		p.send(t, "end", now)
		delete(p.tracks, id)
	}
}

// send queues one event about t.
func (p *Publisher) send(t *track, event string, now time.Time) {
	b := t.face.Box
	e := &FaceEvent{
		Event: event, Device: p.o.Device, ID: t.id, Time: now.UTC(),
		Box:   Box{X: b.Min.X, Y: b.Min.Y, W: b.Dx(), H: b.Dy()},
		Label: t.face.Label, Score: round4(float64(t.face.Score)), Probs: map[string]float64{},
		StartS: round4(t.first.Seconds()), EndS: round4(t.last.Seconds()), DurationS: round4((t.last - t.first).Seconds()),
		FirstSeen: t.firstWall.UTC(), LastSeen: t.lastWall.UTC(), Frames: t.frames,
	}
	for i, v := range t.face.Probs {
		if i < len(p.o.Labels) {
			e.Probs[p.o.Labels[i]] = round4(float64(v))
		}
	}
	best := -1
	for l, n := range t.counts {
		if n > best || (n == best && l < e.Dominant) {
			e.Dominant, best = l, n
		}
	}
	p.enqueue(message{topic: Topic(p.o.Device, "faces"), payload: e, qos: p.o.QoS})
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
