package capture

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"gocv.io/x/gocv"
)

// VideoWriter writes BGR frames to a video file through OpenCV/FFmpeg. It
// is safe for concurrent use: a signal handler may Close it while another
// goroutine writes.
//
// Close finalises the file and must be called, also after an error and on a
// signal (for example on the path a signal.NotifyContext cancels): an MP4
// gets its index only on Close and is unreadable without it. When the
// process dies without Close (SIGKILL, power loss), an AVI or MKV stays
// readable up to what FFmpeg had flushed: measured here, everything but the
// last few hundred KiB (FFmpeg's write buffer) and, for H.264, the encoder's
// lookahead (~40 frames). Prefer .mkv or .avi for recordings that must
// survive a crash.
//
// H.264 and MPEG-4 need even frame sizes; FFmpeg rounds odd ones down.
type VideoWriter struct {
	mu     sync.Mutex
	path   string
	codec  string
	width  int
	height int
	vw     *gocv.VideoWriter // nil once closed
	frames int
	conv   gocv.Mat // scratch for gray/BGRA input
	hasCv  bool
}

// writerCodecs lists, per extension, the FourCCs tried in order. H.264
// (avc1, libx264 through FFmpeg) is tried first where the container takes
// it: files are 5-10x smaller than MPEG-4 part 2 and play in browsers; when
// this OpenCV's FFmpeg has no H.264 encoder the next codec is used.
func writerCodecs(ext string) []string {
	switch strings.ToLower(ext) {
	case ".mp4", ".m4v", ".mov":
		return []string{"avc1", "mp4v"}
	case ".avi":
		return []string{"MJPG"}
	case ".mkv":
		return []string{"avc1", "MJPG"}
	}
	return nil
}

// SupportedVideoExts lists the extensions NewVideoWriter accepts.
func SupportedVideoExts() []string { return []string{".mp4", ".m4v", ".mov", ".avi", ".mkv"} }

// NewVideoWriter creates path for BGR frames of width x height at fps. The
// codec follows the extension: .mp4/.m4v/.mov -> H.264 (avc1) if it works
// here, else MPEG-4 (mp4v); .avi -> Motion JPEG; .mkv -> H.264, else Motion
// JPEG. Another extension is an error listing the supported ones.
func NewVideoWriter(path string, fps float64, width, height int) (*VideoWriter, error) {
	codecs := writerCodecs(filepath.Ext(path))
	if codecs == nil {
		return nil, fmt.Errorf("%s: unsupported video extension %q (supported: %s)",
			path, filepath.Ext(path), strings.Join(SupportedVideoExts(), ", "))
	}
	return newVideoWriter(path, codecs, fps, width, height)
}

// NewVideoWriterCodec is NewVideoWriter with an explicit FourCC ("mp4v",
// "avc1", "MJPG", "FFV1", "XVID", …) for any container FFmpeg can mux it in.
func NewVideoWriterCodec(path, fourcc string, fps float64, width, height int) (*VideoWriter, error) {
	if len(fourcc) != 4 {
		return nil, fmt.Errorf("%s: codec %q is not a four-character code", path, fourcc)
	}
	return newVideoWriter(path, []string{fourcc}, fps, width, height)
}

func newVideoWriter(path string, codecs []string, fps float64, width, height int) (*VideoWriter, error) {
	if math.IsNaN(fps) || fps <= 0 || width <= 0 || height <= 0 {
		return nil, fmt.Errorf("%s: invalid video format %dx%d at %g fps (all must be positive)", path, width, height, fps)
	}
	if dir := filepath.Dir(path); dir != "" {
		if st, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("%s: cannot create the video: %w", path, err)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("%s: cannot create the video: %s is not a folder", path, dir)
		}
	}
	for _, c := range codecs {
		vw, err := gocv.VideoWriterFile(path, c, fps, width, height, true)
		if err == nil && vw.IsOpened() {
			return &VideoWriter{path: path, codec: c, width: width, height: height, vw: vw}, nil
		}
		if vw != nil {
			vw.Close()
		}
	}
	return nil, fmt.Errorf("%s: cannot open for writing with codec %s (OpenCV/FFmpeg refused: no encoder, or the folder is not writable?)",
		path, strings.Join(codecs, " or "))
}

// Path returns the file being written.
func (w *VideoWriter) Path() string { return w.path }

// Codec returns the FourCC actually used.
func (w *VideoWriter) Codec() string { return w.codec }

// Write appends one frame. It must be width x height; BGR (CV_8UC3), gray
// (CV_8UC1) and BGRA (CV_8UC4) are accepted. A frame of another size or type
// is an error and the file stays valid.
func (w *VideoWriter) Write(m gocv.Mat) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.vw == nil {
		return fmt.Errorf("%s: write after Close", w.path)
	}
	if m.Empty() {
		return fmt.Errorf("%s: frame %d is empty", w.path, w.frames)
	}
	if m.Cols() != w.width || m.Rows() != w.height {
		return fmt.Errorf("%s: frame %d is %dx%d, the video is %dx%d", w.path, w.frames, m.Cols(), m.Rows(), w.width, w.height)
	}
	src := m
	switch m.Type() {
	case gocv.MatTypeCV8UC3:
	case gocv.MatTypeCV8UC1, gocv.MatTypeCV8UC4:
		if !w.hasCv {
			w.conv, w.hasCv = gocv.NewMat(), true
		}
		code := gocv.ColorGrayToBGR
		if m.Type() == gocv.MatTypeCV8UC4 {
			code = gocv.ColorBGRAToBGR
		}
		gocv.CvtColor(m, &w.conv, code)
		src = w.conv
	default:
		return fmt.Errorf("%s: frame %d has type %v, expected 8-bit BGR (CV_8UC3)", w.path, w.frames, m.Type())
	}
	if err := w.vw.Write(src); err != nil {
		return fmt.Errorf("%s: frame %d: %w", w.path, w.frames, err)
	}
	w.frames++
	return nil
}

// Frames returns how many frames were written.
func (w *VideoWriter) Frames() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames
}

// Close finalises the file so it is playable; idempotent.
func (w *VideoWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.vw == nil {
		return nil
	}
	err := w.vw.Close()
	w.vw = nil
	if w.hasCv {
		w.conv.Close()
		w.hasCv = false
	}
	if err != nil {
		return fmt.Errorf("%s: closing the video: %w", w.path, err)
	}
	return nil
}
