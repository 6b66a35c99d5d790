package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"testing"

	"gocv.io/x/gocv"
)

// indexBits is how many bits of a frame index the test pattern carries:
// one block per bit across the top third, white for 1.
const indexBits = 8

// drawIndexFrame paints frame i of a test video: bit blocks that survive
// lossy codecs, plus the index as text for people looking at the file.
func drawIndexFrame(m *gocv.Mat, i int) {
	w, h := m.Cols(), m.Rows()
	m.SetTo(gocv.NewScalar(64, 96, 128, 0))
	bw := w / indexBits
	for b := 0; b < indexBits; b++ {
		c := color.RGBA{0, 0, 0, 255}
		if i&(1<<b) != 0 {
			c = color.RGBA{255, 255, 255, 255}
		}
		gocv.Rectangle(m, image.Rect(b*bw, 0, (b+1)*bw, h/3), c, -1)
	}
	gocv.PutText(m, fmt.Sprint(i), image.Pt(w/3, 2*h/3+20), gocv.FontHersheySimplex, 2, color.RGBA{255, 255, 0, 255}, 3)
}

// decodeIndex reads the index painted by drawIndexFrame.
func decodeIndex(m gocv.Mat) int {
	w, h := m.Cols(), m.Rows()
	bw := w / indexBits
	idx := 0
	for b := 0; b < indexBits; b++ {
		r := m.Region(image.Rect(b*bw+bw/4, h/12, (b+1)*bw-bw/4, h/4))
		if r.Mean().Val1 > 128 {
			idx |= 1 << b
		}
		r.Close()
	}
	return idx
}

// writeTestVideo writes n indexed frames of w x h at fps to path.
func writeTestVideo(t testing.TB, path string, n, w, h int, fps float64) {
	t.Helper()
	vw, err := NewVideoWriter(path, fps, w, h)
	if err != nil {
		t.Fatal(err)
	}
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	defer m.Close()
	for i := 0; i < n; i++ {
		drawIndexFrame(&m, i)
		if err := vw.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
	if vw.Frames() != n {
		t.Fatalf("%s: Frames() = %d, want %d", path, vw.Frames(), n)
	}
}

// readAll drains a source, closing every frame; it returns the frames' size
// (of the last), their count and the error that ended the stream (nil for
// io.EOF).
func readAll(t testing.TB, src Source) (n int, size image.Point, err error) {
	t.Helper()
	for {
		f, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return n, size, nil
		}
		if err != nil {
			return n, size, err
		}
		size = image.Pt(f.Mat.Cols(), f.Mat.Rows())
		f.Mat.Close()
		n++
	}
}

// countFrames reopens a video file and counts its decodable frames.
func countFrames(t testing.TB, path string) (int, image.Point) {
	t.Helper()
	src, err := OpenVideo(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n, size, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	return n, size
}

// writeFile writes data to path or fails the test.
func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
