package synth

import (
	"image"
	"path/filepath"
)

// laughingFaces are the broadly laughing faces of the shared photos
// (mouth open, teeth showing), boxed as YuNet boxes them on the stills.
// Obama in obama_and_biden.jpg smiles with his mouth closed, which FER+
// annotators would split between happiness and neutral, so he is left out.
var laughingFaces = []struct {
	file string
	box  image.Rectangle
}{
	{"obama-720p.jpg", image.Rect(578, 56, 754, 269)},
	{"obama_and_biden.jpg", image.Rect(762, 397, 931, 636)},
}

// LaughingFaces returns the faces of the Laughing scene, one per seat,
// given the photos folder.
func LaughingFaces(photos string) []Face {
	out := make([]Face, len(laughingSeats))
	for i, s := range laughingSeats {
		f := laughingFaces[s.face]
		out[i] = Face{Photo: filepath.Join(photos, f.file), Box: f.box}
	}
	return out
}

// laughingSeats place five laughing faces as an audience seen from a
// stage: faces 60 to 95 px wide in a 640x360 frame, under dim light
// (35% to 70% of their brightness), swaying. The rows are far enough
// apart that no pasted patch covers another face.
var laughingSeats = []struct {
	face          int
	x, y, w, b, d float64 // centre, width (px at 360 rows), brightness, sway
}{
	{0, 0.14, 0.20, 64, 0.55, 0.01}, {1, 0.50, 0.20, 60, 0.4, -0.01}, {0, 0.86, 0.21, 68, 0.7, 0.01},
	{1, 0.30, 0.80, 95, 0.35, -0.01}, {0, 0.72, 0.80, 95, 0.5, 0.01},
}

// Laughing is a 640x360 clip of an audience of five laughing people in
// dim light (use LaughingFaces): what a kiosk or a stage camera sees when
// a crowd laughs. Every face in it is happy.
func Laughing(frames int) Spec {
	s := Spec{Width: 640, Height: 360, Frames: frames, FPS: 25}
	for i, c := range laughingSeats {
		s.Motions = append(s.Motions, Motion{Face: i, Start: 0, End: frames,
			From: Pose{c.x, c.y, c.w}, To: Pose{c.x + c.d, c.y + c.d/2, c.w * 1.05}, BrightFrom: c.b, BrightTo: c.b * 1.1})
	}
	return s
}
