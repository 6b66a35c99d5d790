package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"gocv.io/x/gocv"
)

// OpenPaced plays a video file as a camera delivers frames: at fps frames a
// second on the wall clock, through the same latest-frame reader as a
// camera (a consumer slower than fps gets the newest frame and the others
// are dropped and counted), looped at the end of the file. It is a
// synthetic camera for measuring the live loop: Frame.Captured is when the
// frame was "captured" (due and published), so capture-to-drawn latency and
// dropped frames mean what they mean for a camera.
//
// fps must be positive; o.StallTimeout and o.Logf apply as for a camera
// (reconnect reopens the file).
func OpenPaced(path string, fps float64, o Options) (Source, error) {
	if fps <= 0 {
		return nil, fmt.Errorf("%s: playing at %v fps: want a positive frame rate", path, fps)
	}
	open := func() (grabber, error) {
		src, err := OpenVideo(path)
		if err != nil {
			return nil, err
		}
		return &pacer{path: path, src: src, period: time.Duration(float64(time.Second) / fps)}, nil
	}
	g, err := open()
	if err != nil {
		return nil, err
	}
	info := g.(*pacer).src.Info()
	info.Kind, info.FPS, info.Frames = "video", fps, 0
	first := true
	return newLiveSource(info, o, liveConfig{
		label: fmt.Sprintf("%s at %g fps", path, fps),
		open: func() (grabber, error) {
			if first { // the file opened above serves the first session
				first = false
				return g, nil
			}
			return open()
		},
	})
}

// pacer is the grabber of OpenPaced: it decodes the next frame of the file
// and returns it when it is due, one period after the previous one.
type pacer struct {
	path   string
	src    Source
	period time.Duration
	due    time.Time // when the next frame is due (zero: now)
}

// Read decodes the next frame into m (replacing m's pixels), rewinding to
// the first frame at the end of the file, and sleeps until the frame is
// due. A reader that fell behind by more than a period does not try to
// catch up: the next frame is due a period after now.
func (p *pacer) Read(m *gocv.Mat) bool {
	f, err := p.src.Next(context.Background())
	if errors.Is(err, io.EOF) {
		p.src.Close()
		if p.src, err = OpenVideo(p.path); err != nil {
			return false
		}
		f, err = p.src.Next(context.Background())
	}
	if err != nil {
		return false
	}
	now := time.Now()
	if p.due.IsZero() || now.Sub(p.due) > p.period {
		p.due = now
	}
	time.Sleep(time.Until(p.due))
	p.due = p.due.Add(p.period)
	m.Close()
	*m = f.Mat
	return true
}

// Close closes the file.
func (p *pacer) Close() error { return p.src.Close() }
