package capture

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"
)

// fakeCam is a simulated device: frames of a constant gray level equal to
// the frame count mod 256, every interval; it can fail (Read false) or hang
// (Read blocks until release is closed) after a number of frames.
type fakeCam struct {
	w, h      int
	interval  time.Duration
	failAfter int           // Read fails from this frame on (0 = never)
	hangAfter int           // Read blocks from this frame on (0 = never)
	release   chan struct{} // unblocks a hanging Read (which then fails)
	produced  atomic.Int64  // frames delivered
	closed    atomic.Bool
}

// Read delivers the next frame, fails, or hangs.
func (f *fakeCam) Read(m *gocv.Mat) bool {
	if f.closed.Load() {
		panic("fakeCam: Read after Close")
	}
	n := int(f.produced.Load())
	if f.failAfter > 0 && n >= f.failAfter {
		return false
	}
	if f.hangAfter > 0 && n >= f.hangAfter {
		<-f.release
		return false
	}
	time.Sleep(f.interval)
	if m.Rows() != f.h || m.Cols() != f.w || m.Type() != gocv.MatTypeCV8UC3 {
		tmp := gocv.NewMatWithSize(f.h, f.w, gocv.MatTypeCV8UC3)
		tmp.CopyTo(m)
		tmp.Close()
	}
	v := float64(n % 256)
	m.SetTo(gocv.NewScalar(v, v, v, 0))
	f.produced.Add(1)
	return true
}

// Close marks the device closed; a second Close is a bug in the reader.
func (f *fakeCam) Close() error {
	if f.closed.Swap(true) {
		panic("fakeCam: closed twice")
	}
	return nil
}

// Get reports the frame size and a nominal 30 fps.
func (f *fakeCam) Get(p gocv.VideoCaptureProperties) float64 {
	switch p {
	case gocv.VideoCaptureFrameWidth:
		return float64(f.w)
	case gocv.VideoCaptureFrameHeight:
		return float64(f.h)
	case gocv.VideoCaptureFPS:
		return 30
	}
	return 0
}

// fakeDevice hands out a scripted sequence of opens: each entry is a camera
// or, when nil, a failed open.
type fakeDevice struct {
	mu    sync.Mutex
	plan  []*fakeCam
	last  func() *fakeCam // after the plan: a fresh camera per open
	opens int
}

func (d *fakeDevice) open() (grabber, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := d.opens
	d.opens++
	if i < len(d.plan) {
		if d.plan[i] == nil {
			return nil, fmt.Errorf("fake camera: no such device (open %d)", i+1)
		}
		return d.plan[i], nil
	}
	return d.last(), nil
}

func (d *fakeDevice) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.opens
}

// logRecorder collects Logf messages.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logRecorder) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

func (l *logRecorder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
