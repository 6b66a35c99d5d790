package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Open opens whatever spec names:
//
//   - "0", "1", … : a camera index; "/dev/video0": a V4L2 device;
//   - "rtsp://…", "http://…" (and rtsps, https, rtmp, udp, tcp, srt): a
//     network stream, read live;
//   - a string containing "!": a GStreamer pipeline ending in appsink, e.g.
//     a Jetson CSI camera "nvarguscamerasrc ! … ! appsink";
//   - a folder: its images, in natural name order;
//   - a file with an image extension (jpg, png, bmp, webp, tiff, …): one
//     frame;
//   - any other file: a video, decoded frame by frame.
//
// Options apply to live sources, but for OnBadFile, which applies to
// folders.
func Open(spec string, o Options) (Source, error) {
	if spec == "" {
		return nil, errors.New("capture: empty source: expected a camera index, device, URL, pipeline, video, image or folder")
	}
	if liveKind(spec) != "" {
		return OpenCamera(spec, o)
	}
	st, err := os.Stat(spec)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file or folder (expected a camera index, device, URL, pipeline, video, image or folder): %w", spec, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	switch {
	case st.IsDir():
		return openFolder(spec, o.OnBadFile)
	case isImageExt(spec):
		return OpenImage(spec)
	default:
		return OpenVideo(spec)
	}
}

// liveKind returns "camera", "stream" or "pipeline" for a live spec, or "".
func liveKind(spec string) string {
	switch {
	case strings.Contains(spec, "!"):
		return "pipeline"
	case isStreamURL(spec):
		return "stream"
	case isDigits(spec), isVideoDevice(spec):
		return "camera"
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" || len(s) > 4 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isVideoDevice(s string) bool {
	return strings.HasPrefix(s, "/dev/video") || strings.HasPrefix(s, "/dev/v4l/")
}

func isStreamURL(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	switch strings.ToLower(s[:i]) {
	case "rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt", "rtp":
		return true
	}
	return false
}

// isImageExt reports whether name has an extension OpenCV's imread decodes.
// GIF is not among them (OpenCV 4.6 cannot imread it); it opens as a video.
func isImageExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".dib", ".webp", ".tif", ".tiff",
		".pbm", ".pgm", ".ppm", ".pnm", ".pxm", ".jp2", ".sr", ".ras", ".exr", ".hdr", ".pic":
		return true
	}
	return false
}

// statRegular checks that path is a non-empty regular file; what names what
// was expected ("a video", "an image") for the error.
func statRegular(path, what string) (os.FileInfo, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file (expected %s): %w", path, what, fs.ErrNotExist)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	case st.IsDir():
		return nil, fmt.Errorf("%s: is a folder, expected %s", path, what)
	case st.Size() == 0:
		return nil, fmt.Errorf("%s: empty file (0 bytes), expected %s", path, what)
	}
	return st, nil
}
