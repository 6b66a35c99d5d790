package capture

import (
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/testkit/mp4matrix"
)

// writeQuadrantVideo writes a short MP4 of w x h frames whose four
// quadrants have different colours, so that every turn and mirror of a
// frame looks different.
func writeQuadrantVideo(t *testing.T, path string, w, h int) {
	t.Helper()
	vw, err := NewVideoWriter(path, 10, w, h)
	if err != nil {
		t.Fatal(err)
	}
	m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	defer m.Close()
	quads := []struct {
		r image.Rectangle
		c color.RGBA
	}{
		{image.Rect(0, 0, w/2, h/2), color.RGBA{240, 30, 30, 255}},
		{image.Rect(w/2, 0, w, h/2), color.RGBA{30, 240, 30, 255}},
		{image.Rect(0, h/2, w/2, h), color.RGBA{30, 30, 240, 255}},
		{image.Rect(w/2, h/2, w, h), color.RGBA{240, 240, 240, 255}},
	}
	for _, q := range quads {
		gocv.Rectangle(&m, q.r, q.c, -1)
	}
	for i := 0; i < 3; i++ {
		if err := vw.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestVideoOrientationMatchesFFmpeg: a video whose container carries a
// display matrix (a portrait phone video, a mirrored front camera) yields
// the frames ffmpeg itself shows, for every quarter turn and mirror. Debian's
// OpenCV 4.6 turns 90 and 270 degree videos upside down on its own.
func TestVideoOrientationMatchesFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg (the reference for how a display matrix turns frames) is not installed; `make deps` installs it")
	}
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.mp4")
	writeQuadrantVideo(t, plain, 96, 64)
	src, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		a, b, c, d int32
		want       string // Info.Orientation
	}{
		{"identity", 1, 0, 0, 1, ""},
		{"rot90", 0, 1, -1, 0, "rotated 90° clockwise"},
		{"rot180", -1, 0, 0, -1, "rotated 180° clockwise"},
		{"rot270", 0, -1, 1, 0, "rotated 270° clockwise"},
		{"hflip", -1, 0, 0, 1, "rotated 180° clockwise, mirrored"},
		{"vflip", 1, 0, 0, -1, "mirrored"},
		{"transpose", 0, 1, 1, 0, "rotated 90° clockwise, mirrored"},
		{"antitranspose", 0, -1, -1, 0, "rotated 270° clockwise, mirrored"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".mp4")
			if err := os.WriteFile(path, src, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := mp4matrix.Set(path, tc.a, tc.b, tc.c, tc.d); err != nil {
				t.Fatal(err)
			}
			ref := filepath.Join(dir, tc.name+".png")
			if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-i", path, "-frames:v", "1", ref).CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg: %v: %s", err, out)
			}
			want := gocv.IMRead(ref, gocv.IMReadColor)
			defer want.Close()
			if want.Empty() {
				t.Fatalf("ffmpeg wrote no frame for %s", path)
			}

			s, err := OpenVideo(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			info := s.Info()
			if info.Orientation != tc.want {
				t.Errorf("Orientation %q, want %q", info.Orientation, tc.want)
			}
			if info.Width != want.Cols() || info.Height != want.Rows() {
				t.Errorf("Info says %dx%d, ffmpeg shows %dx%d", info.Width, info.Height, want.Cols(), want.Rows())
			}
			f, err := s.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer f.Mat.Close()
			if f.Mat.Cols() != want.Cols() || f.Mat.Rows() != want.Rows() {
				t.Fatalf("frame %dx%d, ffmpeg shows %dx%d", f.Mat.Cols(), f.Mat.Rows(), want.Cols(), want.Rows())
			}
			if d := meanAbsDiff(f.Mat, want); d > 6 {
				t.Errorf("frame differs from ffmpeg's by %.1f grey levels on average (a wrong turn differs by about 140)", d)
			}
		})
	}
}

// meanAbsDiff is the mean absolute difference of two same-sized BGR images.
func meanAbsDiff(a, b gocv.Mat) float64 {
	d := gocv.NewMat()
	defer d.Close()
	gocv.AbsDiff(a, b, &d)
	m := d.Mean()
	return (m.Val1 + m.Val2 + m.Val3) / 3
}

// TestContainerOrientationDamaged: a truncated or garbled container never
// panics or loops and yields the identity unless the matrix survived.
func TestContainerOrientationDamaged(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.mp4")
	writeQuadrantVideo(t, plain, 96, 64)
	if err := mp4matrix.Set(plain, 0, 1, -1, 0); err != nil {
		t.Fatal(err)
	}
	rotated, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cut.mp4")
	for n := 0; n < len(rotated); n += 1 + n/8 {
		if err := os.WriteFile(path, rotated[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		o, err := containerOrientation(path)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if o.Rotate != 0 && o.Rotate != 90 {
			t.Fatalf("%d bytes: rotation %d", n, o.Rotate)
		}
	}
	garbled := append([]byte(nil), rotated...)
	for i := 0; i+8 <= len(garbled); i += 4 {
		if string(garbled[i+4:i+8]) == "trak" {
			binary.BigEndian.PutUint32(garbled[i:], 0xfffffff0) // size beyond its parent
		}
	}
	if err := os.WriteFile(path, garbled, 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := containerOrientation(path); err != nil || !o.identity() {
		t.Errorf("garbled trak size: %v, %v; want the identity", o, err)
	}
}

// TestRotateSource: --rotate turns a camera's frames (a camera mounted on
// its side), reports the turned size, keeps counting dropped frames, and
// refuses angles that are not quarter turns.
func TestRotateSource(t *testing.T) {
	dev := &fakeDevice{last: func() *fakeCam { return &fakeCam{w: 64, h: 48, interval: 5 * time.Millisecond} }}
	cam := newFakeLive(t, dev, Options{}, liveConfig{})
	src, err := Rotate(cam, 90)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if info := src.Info(); info.Width != 48 || info.Height != 64 || info.Orientation != "rotated 90° clockwise" {
		t.Errorf("turned camera: %dx%d %q, want 48x64 rotated 90° clockwise", info.Width, info.Height, info.Orientation)
	}
	f, err := src.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if f.Mat.Cols() != 48 || f.Mat.Rows() != 64 {
		t.Errorf("turned frame %dx%d, want 48x64", f.Mat.Cols(), f.Mat.Rows())
	}
	f.Mat.Close()
	if _, ok := src.(DropCounter); !ok {
		t.Error("a turned live source lost its dropped-frame count")
	}
	for _, deg := range []int{45, -90, 360} {
		if _, err := Rotate(cam, deg); err == nil {
			t.Errorf("Rotate(%d) accepted", deg)
		}
	}
	if same, err := Rotate(cam, 0); err != nil || same != cam {
		t.Errorf("Rotate(0) = %v, %v; want the source itself", same, err)
	}
}
