package synth

import (
	"image"
	"path/filepath"
)

// Photo faces of the shared photos (../shared/data/photos): the consensus
// of the Haar, YuNet and UltraFace boxes on each still photo, rounded.
var photoFaces = []struct {
	file string
	box  image.Rectangle
}{
	{"two_people.jpg", image.Rect(239, 27, 395, 220)},
	{"two_people.jpg", image.Rect(789, 52, 945, 250)},
	{"obama-720p.jpg", image.Rect(578, 56, 754, 269)},
	{"biden.jpg", image.Rect(432, 186, 721, 555)},
}

// PhotoFaces returns the four faces of the shared photos, given the photos folder.
func PhotoFaces(photos string) []Face {
	out := make([]Face, len(photoFaces))
	for i, p := range photoFaces {
		out[i] = Face{Photo: filepath.Join(photos, p.file), Box: p.box}
	}
	return out
}

// EndToEnd is the end-to-end test scene at 640x360, 25 fps, 150 frames:
// frames with no face, one face moving, scaling and darkening, two faces at
// once (one brightening), a face leaving and, ten frames later, another
// entering near where it left, and a zoom.
func EndToEnd() Spec {
	return Spec{
		Width: 640, Height: 360, Frames: 150, FPS: 25,
		Motions: []Motion{
			{Face: 2, Start: 15, End: 65, From: Pose{0.25, 0.5, 110}, To: Pose{0.7, 0.45, 150}, BrightFrom: 1, BrightTo: 0.7},
			{Face: 1, Start: 50, End: 110, From: Pose{0.22, 0.45, 90}, To: Pose{0.3, 0.55, 70}, BrightFrom: 0.8, BrightTo: 1.3},
			{Face: 0, Start: 75, End: 110, From: Pose{0.78, 0.5, 100}, To: Pose{0.62, 0.45, 120}, BrightFrom: 1, BrightTo: 1},
			{Face: 3, Start: 125, End: 150, From: Pose{0.5, 0.5, 80}, To: Pose{0.5, 0.5, 160}, BrightFrom: 1, BrightTo: 1},
		},
	}
}

// Bench is a benchmark scene of the given size with 1 or 4 faces moving
// slowly for the whole clip; face widths scale with the frame height.
func Bench(width, height, faces, frames int) Spec {
	s := Spec{Width: width, Height: height, Frames: frames, FPS: 25}
	w := float64(height) / 3.2
	if faces == 1 {
		s.Motions = []Motion{{Face: 2, Start: 0, End: frames, From: Pose{0.4, 0.5, w}, To: Pose{0.6, 0.5, w * 1.2}, BrightFrom: 1, BrightTo: 1}}
		return s
	}
	pos := [][2]float64{{0.2, 0.28}, {0.45, 0.3}, {0.7, 0.3}, {0.85, 0.72}}
	for i := 0; i < faces && i < 4; i++ {
		p := pos[i]
		s.Motions = append(s.Motions, Motion{Face: i, Start: 0, End: frames,
			From: Pose{p[0], p[1], w * 0.8}, To: Pose{p[0] - 0.05, p[1] + 0.1, w * 0.8}, BrightFrom: 1, BrightTo: 1})
	}
	return s
}

// Zigzag is one face darting left and right across a 640x360 frame,
// changing direction every 9 frames (up to 19 px per frame): motion that
// constant-velocity extrapolation cannot follow.
func Zigzag() Spec {
	spec := Spec{Width: 640, Height: 360, Frames: 108, FPS: 25}
	xs := []float64{0.2, 0.5, 0.25, 0.7, 0.4, 0.8, 0.3, 0.6, 0.2, 0.5, 0.75, 0.3, 0.6}
	for i := 0; i < 12; i++ {
		spec.Motions = append(spec.Motions, Motion{Face: 2, Start: i * 9, End: (i + 1) * 9,
			From: Pose{xs[i], 0.5, 100}, To: Pose{xs[i+1], 0.5, 100}, BrightFrom: 1, BrightTo: 1})
	}
	return spec
}

// crowdSeats are the faces of the crowd scene: which photo face sits where
// (centre as a fraction of the frame, face width as a fraction of the frame
// height) and how bright it is. The back row is pasted first, so the front
// row covers the back row's shoulders, as in an audience.
var crowdSeats = []struct {
	face       int
	x, y, w, b float64
}{
	{2, 0.10, 0.27, 0.10, 0.9}, {0, 0.29, 0.25, 0.095, 1}, {3, 0.49, 0.27, 0.10, 0.2},
	{1, 0.69, 0.25, 0.095, 1}, {2, 0.885, 0.28, 0.10, 1.1},
	{0, 0.02, 0.64, 0.16, 1}, {3, 0.30, 0.66, 0.17, 1}, {1, 0.57, 0.63, 0.16, 0.8}, {2, 0.84, 0.66, 0.18, 1},
}

// CrowdFaces returns the faces of the Crowd scene, one per seat (the four
// photo faces repeated), given the photos folder.
func CrowdFaces(photos string) []Face {
	pf := PhotoFaces(photos)
	out := make([]Face, len(crowdSeats))
	for i, s := range crowdSeats {
		out[i] = pf[s.face]
	}
	return out
}

// Crowd is an audience of nine faces in two rows of a width x height frame
// (use CrowdFaces): a back row of small faces, one of them in deep shadow
// (a fifth of its brightness, too dark to classify with confidence), and a front
// row of larger ones, one cut by the frame's left edge. Faces sway slightly
// over the frames.
func Crowd(width, height, frames int) Spec {
	s := Spec{Width: width, Height: height, Frames: frames, FPS: 25}
	for i, c := range crowdSeats {
		w := c.w * float64(height)
		s.Motions = append(s.Motions, Motion{Face: i, Start: 0, End: frames,
			From: Pose{c.x, c.y, w}, To: Pose{c.x + 0.01, c.y - 0.005, w * 1.03}, BrightFrom: c.b, BrightTo: c.b})
	}
	return s
}
