package main

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/overlay"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// buildBinary builds ferlive into dir and returns its path.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ferlive")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startXvfb starts a virtual X server and returns its DISPLAY, or skips.
func startXvfb(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xwd", "convert"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps installs xvfb, x11-apps, imagemagick): %v", tool, err)
		}
	}
	for n := 90; n < 110; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		x := exec.Command("Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp")
		if err := x.Start(); err != nil {
			t.Fatalf("Xvfb: %v", err)
		}
		t.Cleanup(func() { x.Process.Kill(); x.Wait() })
		for i := 0; i < 50; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return display
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("Xvfb on %s did not start", display)
	}
	t.Skip("no free X display number")
	return ""
}

// TestLiveWindowUnderXvfb runs `ferlive --camera PIPELINE` against a
// simulated camera (a GStreamer source looping a photo with two faces) in a
// real window on a virtual X server, takes a screenshot and checks that the
// window shows the boxes and labels drawn in the emotion's colour; then
// SIGTERM must end it with status 130 and a finalised JSON Lines file.
func TestLiveWindowUnderXvfb(t *testing.T) {
	photo := testenv.Photo(t, "two_people.jpg")
	if _, err := exec.LookPath("gst-inspect-1.0"); err == nil {
		if exec.Command("gst-inspect-1.0", "multifilesrc").Run() != nil {
			t.Skip("GStreamer's multifilesrc is not available")
		}
	}
	display := startXvfb(t)
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	// A model that calls every face "surprise" (cyan, rare in the photo).
	spec := testmodel.DefaultSpec()
	spec.Labels = []string{"surprise", "sad"}
	model := filepath.Join(dir, "surprise.onnx")
	if err := onnx.WriteFile(model, testmodel.Brightness(spec, []float64{128, 5000})); err != nil {
		t.Fatal(err)
	}
	camera := fmt.Sprintf("multifilesrc location=%s loop=true caps=image/jpeg,framerate=10/1 ! jpegdec ! videoconvert ! video/x-raw,format=BGR ! appsink", photo)
	jl := filepath.Join(dir, "live.jsonl")
	cmd := exec.Command(bin, "--camera", camera, "--model", model, "--jsonl", jl, "--threads", "1")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "QT_QPA_PLATFORM=xcb")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for countLinesIfExists(jl) < 15 {
		if time.Now().After(deadline) {
			t.Fatalf("live mode produced %d frames in 60 s; stderr:\n%s", countLinesIfExists(jl), stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let the window repaint
	shot := filepath.Join(dir, "shot.png")
	xwd := exec.Command("sh", "-c", fmt.Sprintf("xwd -root -silent -display %s | convert xwd:- png:%s", display, shot))
	if out, err := xwd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("after SIGTERM: %v, want exit status 130; stderr:\n%s", err, stderr.String())
	}
	frames := readJSONL(t, jl) // every line complete and valid
	last := frames[len(frames)-1]
	if len(last.Faces) != 2 || last.Faces[0].Label != "surprise" {
		t.Fatalf("last frame %+v, want two faces labelled surprise", last)
	}
	img := readPNG(t, shot)
	want := overlay.Color("surprise")
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, want.R) && near(g>>8, want.G) && near(bl>>8, want.B) {
				n++
			}
		}
	}
	t.Logf("%d screenshot pixels in the label colour", n)
	if keep := os.Getenv("FERLIVE_KEEP_SHOT"); keep != "" {
		copyFile(shot, keep)
	}
	if n < 500 {
		t.Fatalf("only %d pixels of the surprise colour on screen: no boxes or labels drawn", n)
	}
}

func near(a uint32, b uint8) bool { d := int(a) - int(b); return d > -12 && d < 12 }

func countLinesIfExists(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func copyFile(src, dst string) {
	if b, err := os.ReadFile(src); err == nil {
		os.WriteFile(dst, b, 0o644)
	}
}
