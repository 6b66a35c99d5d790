package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"time"

	"gocv.io/x/gocv"
)

// OpenCamera opens a live source: a camera index ("0"), a V4L2 device
// ("/dev/video0"), a network stream ("rtsp://…", "http://…") or a GStreamer
// pipeline ending in appsink ("nvarguscamerasrc ! … ! appsink").
//
// The initial open fails fast with one clear error (a missing camera index
// gives "camera 7: cannot open (no such device?)"), whatever o.Reconnect
// says. Afterwards a reader goroutine keeps only the newest frame; see
// Options for reconnect and stall handling. Width, Height and FPS in o apply
// to cameras only (a pipeline or stream defines its own format).
func OpenCamera(spec string, o Options) (Source, error) {
	kind := liveKind(spec)
	var cfg liveConfig
	switch kind {
	case "camera":
		cfg.label = "camera " + spec
		cfg.open = cameraOpener(spec, cfg.label, o)
	case "stream":
		cfg.label = "stream " + redactURL(spec)
		cfg.open = streamOpener(spec, cfg.label, o.withDefaults().StallTimeout)
	case "pipeline":
		cfg.label = fmt.Sprintf("pipeline %q", spec)
		cfg.open = uriOpener(spec, gocv.VideoCaptureGstreamer, cfg.label,
			"is OpenCV built with GStreamer, is every element installed, does it end in appsink?")
	default:
		return nil, fmt.Errorf("%s: not a live source: expected a camera index, /dev/video device, stream URL or GStreamer pipeline", spec)
	}
	s, err := newLiveSource(Info{Name: spec, Kind: kind}, o, cfg)
	if err != nil {
		return nil, err
	}
	if inf := s.Info(); (o.Width > 0 && inf.Width != o.Width) || (o.Height > 0 && inf.Height != o.Height) {
		o.logf("capture: %s: asked for %dx%d, the device gives %dx%d", cfg.label, o.Width, o.Height, inf.Width, inf.Height)
	}
	return s, nil
}

// cameraOpener opens a camera index or device path through V4L2 on Linux
// (CAP_ANY elsewhere) and applies the requested size and rate. On Linux a
// missing /dev/videoN fails at once, before OpenCV tries every backend.
func cameraOpener(spec, label string, o Options) opener {
	return func() (grabber, error) {
		dev := spec
		index, err := strconv.Atoi(spec)
		isIndex := err == nil
		if isIndex {
			dev = "/dev/video" + spec
		}
		if runtime.GOOS == "linux" {
			if _, err := os.Stat(dev); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: cannot open (no such device?): %s does not exist", label, dev)
			}
		}
		api := gocv.VideoCaptureAny
		if runtime.GOOS == "linux" {
			api = gocv.VideoCaptureV4L2
		}
		var vc *gocv.VideoCapture
		if isIndex {
			vc, err = gocv.VideoCaptureDeviceWithAPI(index, api)
		} else {
			vc, err = gocv.VideoCaptureFileWithAPI(spec, api)
		}
		if err != nil || !vc.IsOpened() {
			vc.Close()
			return nil, fmt.Errorf("%s: cannot open %s (no such device, busy, or not a capture device?)", label, dev)
		}
		if o.Width > 0 {
			vc.Set(gocv.VideoCaptureFrameWidth, float64(o.Width))
		}
		if o.Height > 0 {
			vc.Set(gocv.VideoCaptureFrameHeight, float64(o.Height))
		}
		if o.FPS > 0 {
			vc.Set(gocv.VideoCaptureFPS, o.FPS)
		}
		return vc, nil
	}
}

// uriOpener opens a stream URL or a pipeline string with one backend.
func uriOpener(uri string, api gocv.VideoCaptureAPI, label, hint string) opener {
	return func() (grabber, error) {
		vc, err := gocv.VideoCaptureFileWithAPI(uri, api)
		if err != nil || !vc.IsOpened() {
			vc.Close()
			return nil, fmt.Errorf("%s: cannot open (%s)", label, hint)
		}
		return vc, nil
	}
}

// streamOpener opens a network stream through FFmpeg with bounded open and
// read times (OpenCV's default is 30 s each): the open gives up a little
// before the stall timeout, so that an abandoned open attempt does not
// linger, and a read a little after it, so that a silent server trips the
// stall watch (which names the stall) and the blocked read then returns and
// releases the connection.
func streamOpener(uri, label string, stall time.Duration) opener {
	openT := max(stall-stall/10, time.Second)
	readT := stall + max(stall/5, time.Second)
	return func() (grabber, error) {
		s, err := openTimedStream(uri, openT, readT)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot open: %v (unreachable, wrong URL or credentials, or a format FFmpeg cannot read?)", label, err)
		}
		return s, nil
	}
}

// redactURL hides a password in a stream URL for logs and errors.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
