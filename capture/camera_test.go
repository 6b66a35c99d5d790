package capture

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMissingCamera: a camera index or device that does not exist is one
// clear error, quickly, even with Reconnect on.
func TestMissingCamera(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"7", "camera 7: cannot open (no such device?)"},
		{"/dev/video93", "camera /dev/video93: cannot open (no such device?)"},
	} {
		dev := c.spec
		if !strings.HasPrefix(dev, "/") {
			dev = "/dev/video" + dev
		}
		if _, err := os.Stat(dev); err == nil {
			t.Logf("%s exists here: skipping %s", dev, c.spec)
			continue
		}
		start := time.Now()
		src, err := Open(c.spec, Options{Reconnect: true})
		if err == nil {
			src.Close()
			t.Fatalf("%s opened", c.spec)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %q, want %q", err, c.want)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("%s: failing took %v", c.spec, el)
		}
	}
}

func TestLiveKind(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{"0", "camera"}, {"12", "camera"}, {"/dev/video2", "camera"}, {"/dev/v4l/by-id/usb-cam-video-index0", "camera"},
		{"rtsp://10.0.0.5/stream", "stream"}, {"HTTP://cam/mjpg", "stream"}, {"https://x/y.m3u8", "stream"},
		{"nvarguscamerasrc ! nvvidconv ! appsink", "pipeline"},
		{"clip.mp4", ""}, {"./0.png", ""}, {"photos/", ""}, {"file:///tmp/a.mp4", ""}, {"12345", ""},
	} {
		if got := liveKind(c.spec); got != c.want {
			t.Errorf("liveKind(%q) = %q, want %q", c.spec, got, c.want)
		}
	}
	if got := redactURL("rtsp://admin:secret@10.0.0.5/live"); strings.Contains(got, "secret") {
		t.Errorf("redactURL kept the password: %s", got)
	}
	if _, err := OpenCamera("clip.mp4", Options{}); err == nil || !strings.Contains(err.Error(), "not a live source") {
		t.Errorf("OpenCamera(file) = %v", err)
	}
	if _, err := Open("", Options{}); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

// testPipeline is a GStreamer test source standing in for a CSI camera.
const testPipeline = "videotestsrc num-buffers=60 ! video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert ! appsink"

// gstreamerMissing explains why a pipeline could not open when the cause is
// this machine (no GStreamer backend in OpenCV, no plugins), or "".
func gstreamerMissing() string {
	maps, err := os.ReadFile("/proc/self/maps")
	if err == nil && !strings.Contains(string(maps), "libgstreamer-1.0") {
		return "this OpenCV build has no GStreamer backend (libgstreamer is not loaded)"
	}
	if _, err := exec.LookPath("gst-inspect-1.0"); err == nil {
		if exec.Command("gst-inspect-1.0", "videotestsrc").Run() != nil {
			return "GStreamer's videotestsrc is not installed (gstreamer1.0-plugins-base)"
		}
	}
	return ""
}

// TestGStreamerPipeline: a videotestsrc pipeline as a simulated camera
// yields frames through the live reader, then ends with a clear error
// (reconnect off) when its 60 buffers are spent.
func TestGStreamerPipeline(t *testing.T) {
	src, err := Open(testPipeline, Options{})
	if err != nil {
		if why := gstreamerMissing(); why != "" {
			t.Skip(why)
		}
		t.Fatal(err)
	}
	defer src.Close()
	info := src.Info()
	if info.Kind != "pipeline" || !info.Live || info.Width != 320 || info.Height != 240 {
		t.Errorf("Info = %+v", info)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	frames, last := 0, -1
	for {
		f, err := src.Next(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("the pipeline neither delivered nor ended")
			}
			if !strings.Contains(err.Error(), "pipeline") || !strings.Contains(err.Error(), "read failed") {
				t.Errorf("end of the pipeline: %v", err)
			}
			break
		}
		if f.Mat.Cols() != 320 || f.Mat.Rows() != 240 || f.Index <= last {
			t.Errorf("frame %d: %dx%d after Index %d", f.Index, f.Mat.Cols(), f.Mat.Rows(), last)
		}
		last = f.Index
		f.Mat.Close()
		frames++
	}
	if frames < 30 || last > 59 {
		t.Errorf("%d frames, last Index %d; want most of 60", frames, last)
	}
	t.Log(fmt.Sprintf("%d frames, last Index %d, %d dropped", frames, last, src.(DropCounter).Dropped()))
}
