package capture

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"gocv.io/x/gocv"
)

// videoSource decodes a video file frame by frame on the caller's goroutine;
// no frame is dropped.
type videoSource struct {
	mu      sync.Mutex // serialises Next and Close
	path    string
	vc      *gocv.VideoCapture // nil once closed
	info    Info
	next    int           // index of the next frame
	lastPTS time.Duration // PTS of the last frame returned
	ended   bool          // io.EOF or an error was returned: only io.EOF follows
}

// OpenVideo opens a video file for reading every frame in order.
//
// It fails with one error naming the file when the file is missing, empty,
// not a video (a text file renamed .mp4), truncated so that it cannot be
// opened (an MP4 without its index), or in a codec FFmpeg cannot decode.
//
// Frames come upright: a display matrix in an MP4/MOV container (portrait
// phone videos) is applied to each frame, as players do, and Info gives the
// displayed size and names the turn in Orientation.
//
// A file that opens but stops decoding early is detected only when the
// container announces its frame count: if decoding ends more than
// max(2, 1%) frames short of it, Next returns an error naming the file and
// the frame index instead of io.EOF (frames before it were delivered; Next
// returns io.EOF after that error). An
// AVI cut in the middle is caught this way; damage FFmpeg conceals (a
// corrupted frame decoded with artefacts) and files without a frame count
// end with a plain io.EOF.
func OpenVideo(path string) (Source, error) {
	if _, err := statRegular(path, "a video"); err != nil {
		return nil, err
	}
	vc, err := openVideoCapture(path)
	if err != nil {
		return nil, err
	}
	orient := orientation{matrix: identityMatrix}
	// Turn OpenCV's own rotation off and apply the container's (see
	// orientation). Where it cannot be turned off, OpenCV's frames are
	// taken as they come.
	vc.Set(capPropOrientationAuto, 0)
	if vc.Get(capPropOrientationAuto) == 0 {
		if orient, err = containerOrientation(path); err != nil {
			vc.Close()
			return nil, fmt.Errorf("%s: reading its display matrix: %w", path, err)
		}
	}
	info := Info{
		Name:   path,
		Kind:   "video",
		Width:  int(vc.Get(gocv.VideoCaptureFrameWidth)),
		Height: int(vc.Get(gocv.VideoCaptureFrameHeight)),
		FPS:    sanitizeFPS(vc.Get(gocv.VideoCaptureFPS)),
		Frames: sanitizeCount(vc.Get(gocv.VideoCaptureFrameCount)),
	}
	var src Source = &videoSource{path: path, vc: vc, info: info}
	if !orient.identity() {
		src = &turned{Source: src, o: orient}
	}
	return src, nil
}

// openVideoCapture opens path with OpenCV's FFmpeg backend only. CAP_ANY
// is deliberately not tried as a fallback: on a damaged file OpenCV's
// GStreamer backend was measured to hang in open (10 min, test timeout), and
// on junk it spews GStreamer-CRITICAL messages. An OpenCV built without
// FFmpeg therefore reads no video files (a GStreamer pipeline with filesrc
// still works, as a live source).
func openVideoCapture(path string) (*gocv.VideoCapture, error) {
	vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
	if err == nil && vc.IsOpened() {
		return vc, nil
	}
	vc.Close()
	return nil, fmt.Errorf("%s: not a readable video (OpenCV/FFmpeg could not open it: %s)", path, openHint(sniffContainer(path)))
}

// sanitizeFPS maps unknown or absurd frame rates to 0.
func sanitizeFPS(f float64) float64 {
	if math.IsNaN(f) || f <= 0 || f > 1000 {
		return 0
	}
	return f
}

// sanitizeCount maps unknown or absurd frame counts to 0.
func sanitizeCount(c float64) int {
	if math.IsNaN(c) || c <= 0 || c > 1e9 {
		return 0
	}
	return int(math.Round(c))
}

// Info describes the video.
func (s *videoSource) Info() Info { return s.info }

// Next decodes the next frame; io.EOF at the end.
func (s *videoSource) Next(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vc == nil {
		return Frame{}, fmt.Errorf("%s: %w", s.path, ErrClosed)
	}
	if s.ended {
		return Frame{}, io.EOF
	}
	m := gocv.NewMat()
	if !s.vc.Read(&m) || m.Empty() {
		m.Close()
		s.ended = true
		return Frame{}, s.endError()
	}
	f := Frame{Mat: m, Index: s.next, PTS: s.pts()}
	s.next++
	s.lastPTS = f.PTS
	return f, nil
}

// endError tells a normal end (io.EOF) from a file that stopped decoding.
func (s *videoSource) endError() error {
	if s.next == 0 {
		return fmt.Errorf("%s: not a readable video (OpenCV/FFmpeg opened it but could not decode frame 0: unsupported codec or damaged file)", s.path)
	}
	if total := s.info.Frames; total > 0 {
		tolerance := max(2, total/100)
		if total-s.next > tolerance {
			return fmt.Errorf("%s: decoding stopped at frame %d but the container announces %d frames (truncated or damaged file?)", s.path, s.next, total)
		}
	}
	return io.EOF
}

// pts returns the container timestamp of the frame just read. FFmpeg
// reports 0 for frames without one (and for the frames an H.264 decoder
// flushes at the end of a file); those get the previous PTS plus one frame
// interval, which is index/fps for a file without any timestamps.
func (s *videoSource) pts() time.Duration {
	ms := s.vc.Get(gocv.VideoCapturePosMsec)
	pts := time.Duration(ms * float64(time.Millisecond))
	if s.next == 0 {
		if math.IsNaN(ms) || pts < 0 {
			return 0
		}
		return pts
	}
	if !math.IsNaN(ms) && pts > s.lastPTS {
		return pts
	}
	if s.info.FPS > 0 {
		return s.lastPTS + time.Duration(float64(time.Second)/s.info.FPS)
	}
	return s.lastPTS
}

// Close releases the file; idempotent.
func (s *videoSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vc != nil {
		s.vc.Close()
		s.vc = nil
	}
	return nil
}
