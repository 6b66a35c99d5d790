// Package capture owns ferlive's frame sources and video sinks.
//
// Sources: camera indexes and V4L2 devices, RTSP/HTTP streams, GStreamer
// pipeline strings (Jetson CSI cameras), video files, single images and
// folders of images. Every source yields BGR gocv.Mats wrapped in a Frame;
// whoever receives a Frame owns its Mat and must Close it.
//
// Two reading disciplines:
//
//   - Files (video, image, folder) never drop a frame: Next decodes the next
//     frame on the caller's goroutine and returns io.EOF at the end.
//   - Live sources (camera, stream, pipeline) run a reader goroutine that
//     reads continuously and keeps only the newest frame, so a slow consumer
//     never lags behind reality; older unread frames are closed and counted
//     as dropped (Frame.Index has gaps). A device that fails, vanishes or
//     stalls is closed and reopened with exponential backoff when
//     Options.Reconnect is set.
//
// Sinks: VideoWriter writes BGR frames to .mp4/.m4v/.mov, .avi and .mkv files.
package capture

import (
	"context"
	"errors"
	"time"

	"gocv.io/x/gocv"
)

// Frame is one decoded BGR frame. Whoever receives a Frame owns Mat and must
// Close it.
type Frame struct {
	// Mat holds the BGR pixels (CV_8UC3).
	Mat gocv.Mat
	// Index is the 0-based index of the frame in the source. Files: every
	// frame. Live sources: counts captured frames, so gaps mean dropped
	// frames.
	Index int
	// PTS is the container timestamp for files (CAP_PROP_POS_MSEC, or
	// index/fps when the container has none), and the time since the source
	// opened for live sources. Always monotonic. Zero for images and folders.
	PTS time.Duration
	// Path is the image file for folders and images; empty otherwise.
	Path string
	// Captured is when a live source got the frame from its device (the
	// start of the frame's capture-to-drawn latency); zero for files,
	// images and folders.
	Captured time.Time
}

// Info describes a source.
type Info struct {
	// Name is what the user passed.
	Name string
	// Kind is one of "camera", "video", "image", "folder", "pipeline",
	// "stream".
	Kind string
	// Width and Height are the frame size (for folders: of the first image;
	// later images may differ).
	Width, Height int
	// FPS is the nominal frame rate, 0 if unknown.
	FPS float64
	// Frames is the total number of frames if known (files, images,
	// folders), else 0. For videos it is the container's count, which can be
	// an estimate.
	Frames int
	// Orientation is empty when frames are used as decoded, else how the
	// source's display matrix turns them (videos: "rotated 90° clockwise",
	// "rotated 180° clockwise, mirrored"); Width and Height are then the
	// turned frame's.
	Orientation string
	// Live is true for cameras, streams and pipelines: frames may be dropped
	// to stay current.
	Live bool
}

// Source yields frames until io.EOF (files) or until ctx is done or Close is
// called (live sources).
type Source interface {
	// Next returns the next frame. Files: the next decoded frame, io.EOF at
	// the end. Live sources: blocks until a frame newer than the last one
	// returned exists, or ctx is done (ctx.Err()), or the source is closed
	// (ErrClosed), or it is lost for good (an error naming it).
	Next(ctx context.Context) (Frame, error)
	// Info describes the source.
	Info() Info
	// Close stops any goroutine and releases the device or file and every
	// frame not handed out. It is idempotent and safe to call concurrently
	// with Next.
	Close() error
}

// DropCounter is implemented by live sources: Dropped reports how many
// captured frames were discarded because a newer one arrived before the
// consumer asked.
type DropCounter interface {
	Dropped() int
}

// Health counts what a live source went through since it was opened.
type Health struct {
	// Captured is the number of frames read from the device (the next
	// Frame.Index), including the dropped ones.
	Captured int
	// Dropped is the number of captured frames discarded unread because a
	// newer one arrived before the consumer asked.
	Dropped int
	// Reconnects counts successful reopenings after a loss or a stall.
	Reconnects int
	// Stalls counts the times no frame arrived for Options.StallTimeout.
	Stalls int
	// LostSince is when the device was lost (failed or stalled) and not
	// yet reopened; zero while it delivers. LostCause says why.
	LostSince time.Time
	LostCause string
}

// HealthReporter is implemented by live sources and by the wrappers of
// them (Rotate): metrics and events read it while the source runs.
type HealthReporter interface {
	Health() Health
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("capture: source closed")

// Options configure live sources. The zero value is usable: device defaults,
// no reconnect, 10 s backoff cap, 5 s stall timeout, silent.
type Options struct {
	// Width and Height are the requested camera resolution (0 = device
	// default). The device may choose another; Info reports what it gave.
	Width, Height int
	// FPS is the requested camera frame rate (0 = default).
	FPS float64
	// Reconnect makes live sources reopen with backoff when the device
	// disappears or stalls instead of failing (default true in the CLI).
	// The initial open never retries: it fails fast.
	Reconnect bool
	// MaxBackoff caps the exponential reconnect backoff (default 10s).
	MaxBackoff time.Duration
	// StallTimeout: a live source that delivers no frame for this long is
	// treated as lost and reopened (default 5s). It also bounds how long a
	// reconnect attempt may block in the device open.
	StallTimeout time.Duration
	// Logf receives reconnect and drop messages (nil = silent).
	Logf func(format string, args ...any)
	// OnBadFile, when set, makes a folder skip every image that cannot be
	// read (a 0-byte or corrupt file), passing it here with the reason,
	// instead of stopping at the first one (internal/imagefile's policy).
	OnBadFile func(file string, reason error)
}

// Defaults for Options fields left zero.
const (
	DefaultMaxBackoff   = 10 * time.Second
	DefaultStallTimeout = 5 * time.Second
)

func (o Options) withDefaults() Options {
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	return o
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}
