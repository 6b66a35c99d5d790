package overlay

import "image"

// forgetAfter is the number of frames after which the places of a track
// that has not been seen are forgotten.
const forgetAfter = 50

// trackMem is what a Renderer remembers of one track between frames.
type trackMem struct {
	px        int  // label font size
	chip      int8 // chip place (chipAboveLeft...), -1 for none
	chipShort int8 // 1 when the chip had no room for its "#id"
	panel     int8 // panel place, -1 for none
	seen      uint64
}

// memory is the state a Renderer keeps between the frames of one stream,
// so that labels stay where they are while they have room.
type memory struct {
	w, h   int
	n      uint64 // frames laid out
	tracks map[int]*trackMem
	hud    int // HUD corner last used, -1 for none yet
	// What the last layout placed: face outlines, and labels and panels.
	lastRings, lastPlaced []image.Rectangle
}

// memory returns the Renderer's memory for a w x h stream, starting afresh
// when the frame size changes.
func (r *Renderer) memory(w, h int) *memory {
	if r.mem == nil || r.mem.w != w || r.mem.h != h {
		r.mem = &memory{w: w, h: h, tracks: map[int]*trackMem{}, hud: -1}
	}
	return r.mem
}

// track returns the memory of track id, marking it seen this frame.
func (m *memory) track(id int) *trackMem {
	t := m.tracks[id]
	if t == nil {
		t = &trackMem{chip: -1, panel: -1}
		m.tracks[id] = t
	}
	t.seen = m.n
	return t
}

// endFrame ends a frame, forgetting tracks not seen for a while.
func (m *memory) endFrame() {
	for id, t := range m.tracks {
		if m.n-t.seen > forgetAfter {
			delete(m.tracks, id)
		}
	}
	m.n++
}
