package overlay

import (
	"fmt"
	"image"
	"math/rand"
	"testing"
)

// benchInputs returns n frames' worth of faces and HUDs as a live stream
// would produce them: the same tracks, probabilities and stage times
// jittering from frame to frame.
func benchInputs(w, h, nFaces, n int) ([][]Face, []*HUD) {
	rng := rand.New(rand.NewSource(1))
	boxes := []image.Rectangle{
		image.Rect(w/8, h/4, w/8+w/8, h/4+h/4),
		image.Rect(w/2, h/6, w/2+w/9, h/6+h/5),
		image.Rect(w-w/6, h/2, w-w/6+w/8, h/2+h/4),
		image.Rect(w/3, h-h/4, w/3+w/10, h-h/4+h/5),
	}
	faces := make([][]Face, n)
	huds := make([]*HUD, n)
	for i := range faces {
		for j := 0; j < nFaces; j++ {
			p := 0.6 + 0.3*rng.Float32()
			faces[i] = append(faces[i], Face{ID: j + 1, Box: boxes[j%len(boxes)].Add(image.Pt(rng.Intn(5), rng.Intn(5))), Labels: fer2013, Probs: probs7(j%7, p)})
		}
		hud := sampleHUD()
		hud.FPS = 28 + 4*rng.Float64()
		for k := range hud.Stages {
			hud.Stages[k].Ms *= 0.8 + 0.4*rng.Float64()
		}
		hud.Lines[0] = fmt.Sprintf("faces %d", nFaces)
		huds[i] = hud
	}
	return faces, huds
}

func benchDraw(b *testing.B, w, h, nFaces int) {
	frame := gradientFrame(b, w, h)
	defer frame.Close()
	faces, huds := benchInputs(w, h, nFaces, 64)
	r := newRenderer(b, Options{})
	for i := range faces { // warm-up: the sprites of every input are cached
		if err := r.Draw(&frame, faces[i], huds[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.Draw(&frame, faces[i%64], huds[i%64]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDraw720p4Faces is the steady-state cost of one 1280x720 frame
// with four faces and a HUD whose numbers change every frame.
func BenchmarkDraw720p4Faces(b *testing.B) { benchDraw(b, 1280, 720, 4) }

// BenchmarkDraw360p1Face is the steady-state cost of one 640x360 frame with
// one face and a HUD.
func BenchmarkDraw360p1Face(b *testing.B) { benchDraw(b, 640, 360, 1) }

// BenchmarkDraw1080p4Faces is the steady-state cost at 1920x1080.
func BenchmarkDraw1080p4Faces(b *testing.B) { benchDraw(b, 1920, 1080, 4) }

// BenchmarkDraw720p4FacesCold is the cost of the first frame of a fresh
// Renderer (every sprite rendered), excluding New.
func BenchmarkDraw720p4FacesCold(b *testing.B) {
	frame := gradientFrame(b, 1280, 720)
	defer frame.Close()
	faces, huds := benchInputs(1280, 720, 4, 1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := r.Draw(&frame, faces[0], huds[0]); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		r.Close()
		b.StartTimer()
	}
}

// BenchmarkNew is the cost of New (parsing the Go fonts).
func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
