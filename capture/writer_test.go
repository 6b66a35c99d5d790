package capture

import (
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gocv.io/x/gocv"
)

// TestVideoWriterRoundTrip: every supported extension writes a file that
// reads back with the same frame count and size.
func TestVideoWriterRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, ext := range SupportedVideoExts() {
		t.Run(ext[1:], func(t *testing.T) {
			path := filepath.Join(dir, "out"+ext)
			vw, err := NewVideoWriter(path, 25, 320, 240)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: codec %s", ext, vw.Codec())
			m := gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC3)
			defer m.Close()
			for i := 0; i < 12; i++ {
				drawIndexFrame(&m, i)
				if err := vw.Write(m); err != nil {
					t.Fatal(err)
				}
			}
			if err := vw.Close(); err != nil {
				t.Fatal(err)
			}
			n, size := countFrames(t, path)
			if n != 12 || size != image.Pt(320, 240) {
				t.Errorf("read back %d frames of %v, want 12 of 320x240", n, size)
			}
		})
	}
}

// TestVideoWriterCloseAfterError: a wrong-size frame is an error naming both
// sizes, the writer goes on, and Close leaves a playable file.
func TestVideoWriterCloseAfterError(t *testing.T) {
	for _, ext := range []string{".mp4", ".avi"} {
		t.Run(ext[1:], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "partial"+ext)
			vw, err := NewVideoWriter(path, 25, 640, 360)
			if err != nil {
				t.Fatal(err)
			}
			m := gocv.NewMatWithSize(360, 640, gocv.MatTypeCV8UC3)
			defer m.Close()
			for i := 0; i < 10; i++ {
				drawIndexFrame(&m, i)
				if err := vw.Write(m); err != nil {
					t.Fatal(err)
				}
			}
			small := gocv.NewMatWithSize(240, 320, gocv.MatTypeCV8UC3)
			defer small.Close()
			err = vw.Write(small)
			if err == nil || !strings.Contains(err.Error(), "320x240") || !strings.Contains(err.Error(), "640x360") ||
				!strings.Contains(err.Error(), path) {
				t.Fatalf("wrong-size Write error = %v, want one naming the file, 320x240 and 640x360", err)
			}
			if vw.Frames() != 10 {
				t.Errorf("Frames() = %d after a failed write, want 10", vw.Frames())
			}
			if err := vw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := vw.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if err := vw.Write(m); err == nil {
				t.Error("Write after Close succeeded")
			}
			if n, _ := countFrames(t, path); n != 10 {
				t.Errorf("read back %d frames, want 10", n)
			}
		})
	}
}

// TestVideoWriterInputTypes: gray and BGRA frames are converted; float
// frames are refused.
func TestVideoWriterInputTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "types.avi")
	vw, err := NewVideoWriter(path, 10, 64, 48)
	if err != nil {
		t.Fatal(err)
	}
	defer vw.Close()
	for _, typ := range []gocv.MatType{gocv.MatTypeCV8UC1, gocv.MatTypeCV8UC4, gocv.MatTypeCV8UC3} {
		m := gocv.NewMatWithSize(48, 64, typ)
		err := vw.Write(m)
		m.Close()
		if err != nil {
			t.Errorf("type %v: %v", typ, err)
		}
	}
	f := gocv.NewMatWithSize(48, 64, gocv.MatTypeCV32FC3)
	defer f.Close()
	if err := vw.Write(f); err == nil || !strings.Contains(err.Error(), "CV_8UC3") {
		t.Errorf("float frame: %v, want an error asking for CV_8UC3", err)
	}
	empty := gocv.NewMat()
	defer empty.Close()
	if err := vw.Write(empty); err == nil {
		t.Error("empty frame accepted")
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
	if n, _ := countFrames(t, path); n != 3 {
		t.Errorf("read back %d frames, want 3", n)
	}
}

// TestVideoWriterErrors: bad extension, bad format, missing folder.
func TestVideoWriterErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, path string
		fps        float64
		w, h       int
		want       []string
	}{
		{"extension", filepath.Join(dir, "out.xyz"), 25, 64, 48, []string{"out.xyz", ".xyz", ".mp4", ".avi", ".mkv"}},
		{"no extension", filepath.Join(dir, "out"), 25, 64, 48, []string{"unsupported", ".mp4"}},
		{"zero fps", filepath.Join(dir, "a.mp4"), 0, 64, 48, []string{"a.mp4", "fps"}},
		{"zero size", filepath.Join(dir, "b.avi"), 25, 0, 48, []string{"b.avi", "0x48"}},
		{"missing folder", filepath.Join(dir, "nope", "c.avi"), 25, 64, 48, []string{"c.avi", "nope"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vw, err := NewVideoWriter(c.path, c.fps, c.w, c.h)
			if err == nil {
				vw.Close()
				t.Fatal("no error")
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
	if _, err := NewVideoWriterCodec(filepath.Join(dir, "d.avi"), "MJPEG", 25, 64, 48); err == nil {
		t.Error("five-letter FourCC accepted")
	}
}

// TestVideoWriterCodec: an explicit FourCC is used as given.
func TestVideoWriterCodec(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.mkv")
	vw, err := NewVideoWriterCodec(path, "MJPG", 10, 64, 48)
	if err != nil {
		t.Fatal(err)
	}
	m := gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8UC3)
	defer m.Close()
	for i := 0; i < 4; i++ {
		if err := vw.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if vw.Codec() != "MJPG" || vw.Path() != path {
		t.Errorf("Codec %q Path %q", vw.Codec(), vw.Path())
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
	if n, _ := countFrames(t, path); n != 4 {
		t.Errorf("read back %d frames, want 4", n)
	}
}

// TestVideoWriterSurvivesKill: an AVI whose writer process is killed
// without Close is still readable up to what FFmpeg had flushed. Frames are
// noisy (about 100 KiB each) so that FFmpeg's write buffer holds only a few.
func TestVideoWriterSurvivesKill(t *testing.T) {
	const env = "FERLIVE_CAPTURE_KILL_WRITER"
	if path := os.Getenv(env); path != "" {
		vw, err := NewVideoWriter(path, 25, 640, 360)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		m := gocv.NewMatWithSize(360, 640, gocv.MatTypeCV8UC3)
		for i := 0; i < 30; i++ {
			gocv.RandU(&m, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(40, 40, 40, 0))
			if err := vw.Write(m); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(3)
			}
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	path := filepath.Join(t.TempDir(), "killed.avi")
	cmd := exec.Command(os.Args[0], "-test.run=^TestVideoWriterSurvivesKill$")
	cmd.Env = append(os.Environ(), env+"="+path)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != -1 {
		t.Fatalf("the writer process was not killed: %v\n%s", err, out)
	}
	n, size := countFrames(t, path)
	if n < 20 || size != image.Pt(640, 360) {
		t.Errorf("read %d frames of %v from a killed writer's AVI, want most of 30 at 640x360", n, size)
	}
	t.Logf("%d of 30 frames survived SIGKILL", n)
}
