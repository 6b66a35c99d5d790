package capture

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func newFakeLive(t *testing.T, d *fakeDevice, o Options, cfg liveConfig) *liveSource {
	t.Helper()
	cfg.label = "camera fake"
	cfg.open = d.open
	s, err := newLiveSource(Info{Name: "fake", Kind: "camera"}, o, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLatestFrame: a fast camera and a slow consumer. The consumer always
// gets the newest frame (Index jumps, never goes back, pixels match the
// Index) and the skipped frames are counted as dropped.
func TestLatestFrame(t *testing.T) {
	cam := &fakeCam{w: 64, h: 48, interval: time.Millisecond}
	logs := &logRecorder{}
	s := newFakeLive(t, &fakeDevice{plan: []*fakeCam{cam}}, Options{Logf: logs.logf}, liveConfig{dropLogEvery: 50 * time.Millisecond})
	if info := s.Info(); info.Kind != "camera" || !info.Live || info.Width != 64 || info.Height != 48 || info.FPS != 30 || info.Frames != 0 {
		t.Errorf("Info = %+v", info)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	last, jumps := -1, 0
	var lastPTS time.Duration
	for i := 0; i < 12; i++ {
		time.Sleep(15 * time.Millisecond) // a slow consumer
		producedBefore := int(cam.produced.Load())
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		painted := int(f.Mat.Mean().Val1)
		f.Mat.Close()
		if f.Index <= last {
			t.Fatalf("Index %d after %d: stale or repeated frame", f.Index, last)
		}
		// The frame is the newest one: at most the one being published
		// while we asked is newer.
		if f.Index < producedBefore-2 {
			t.Fatalf("Index %d but %d frames were produced before Next: stale", f.Index, producedBefore)
		}
		if painted != f.Index%256 {
			t.Fatalf("frame %d carries the pixels of frame %d", f.Index, painted)
		}
		if f.PTS <= lastPTS && i > 0 {
			t.Fatalf("PTS %v after %v", f.PTS, lastPTS)
		}
		if f.Index > last+1 {
			jumps++
		}
		last, lastPTS = f.Index, f.PTS
	}
	if jumps == 0 {
		t.Error("Index never jumped although the consumer is slower than the camera")
	}
	if s.Dropped() == 0 {
		t.Error("no frame counted as dropped")
	}
	if !logs.contains("dropped") {
		t.Errorf("no drop message in the log:\n%s", logs)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !cam.closed.Load() {
		t.Error("the device was not closed")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
	t.Logf("last Index %d, %d dropped", last, s.Dropped())
}

// TestReconnect: the camera fails after 5 frames, the next two opens fail,
// the third works: frames keep coming with increasing Index and every
// attempt is logged.
func TestReconnect(t *testing.T) {
	first := &fakeCam{w: 32, h: 24, interval: 2 * time.Millisecond, failAfter: 5}
	d := &fakeDevice{
		plan: []*fakeCam{first, nil, nil},
		last: func() *fakeCam { return &fakeCam{w: 32, h: 24, interval: 2 * time.Millisecond} },
	}
	logs := &logRecorder{}
	s := newFakeLive(t, d, Options{Reconnect: true, MaxBackoff: 20 * time.Millisecond, StallTimeout: time.Second, Logf: logs.logf},
		liveConfig{minBackoff: 5 * time.Millisecond})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	last := -1
	for last < 20 {
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("after Index %d: %v\nlog:\n%s", last, err, logs)
		}
		f.Mat.Close()
		if f.Index <= last {
			t.Fatalf("Index %d after %d", f.Index, last)
		}
		last = f.Index
	}
	if d.count() != 4 {
		t.Errorf("%d opens, want 4 (initial, 2 failed, 1 good)", d.count())
	}
	for _, want := range []string{"read failed", "reconnect attempt 1 failed", "reconnect attempt 2 failed", "reconnected (attempt 3)"} {
		if !logs.contains(want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if !first.closed.Load() {
		t.Error("the lost device was not closed")
	}
	if h := s.Health(); h.Reconnects != 1 || h.Stalls != 0 || h.Captured < last+1 {
		t.Errorf("health %+v, want 1 reconnect, no stall, at least %d captured", h, last+1)
	}
}

// TestReconnectOff: without Reconnect a lost camera ends with a clear error,
// after the frames it delivered.
func TestReconnectOff(t *testing.T) {
	cam := &fakeCam{w: 32, h: 24, interval: time.Millisecond, failAfter: 5}
	s := newFakeLive(t, &fakeDevice{plan: []*fakeCam{cam}}, Options{}, liveConfig{})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var err error
	frames := 0
	for {
		var f Frame
		f, err = s.Next(ctx)
		if err != nil {
			break
		}
		f.Mat.Close()
		frames++
	}
	if frames == 0 || frames > 5 {
		t.Errorf("%d frames before the error, want 1..5", frames)
	}
	if !strings.Contains(err.Error(), "camera fake") || !strings.Contains(err.Error(), "read failed") ||
		!strings.Contains(err.Error(), "reconnect is off") {
		t.Errorf("error %q should name the camera, the failure and that reconnect is off", err)
	}
	if _, err2 := s.Next(ctx); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("Next after the loss = %v, want the same error", err2)
	}
}

// TestStallRecovery: a camera that hangs inside Read is abandoned after
// StallTimeout and the source reopens; the hung read, once it returns,
// closes its own device.
func TestStallRecovery(t *testing.T) {
	hung := &fakeCam{w: 32, h: 24, interval: time.Millisecond, hangAfter: 5, release: make(chan struct{})}
	d := &fakeDevice{
		plan: []*fakeCam{hung},
		last: func() *fakeCam { return &fakeCam{w: 32, h: 24, interval: 2 * time.Millisecond} },
	}
	logs := &logRecorder{}
	s := newFakeLive(t, d, Options{Reconnect: true, MaxBackoff: 20 * time.Millisecond, StallTimeout: 150 * time.Millisecond, Logf: logs.logf},
		liveConfig{minBackoff: 5 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	last := -1
	for last < 15 {
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("after Index %d: %v\nlog:\n%s", last, err, logs)
		}
		f.Mat.Close()
		if f.Index <= last {
			t.Fatalf("Index %d after %d", f.Index, last)
		}
		last = f.Index
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("recovered in %v, before the stall timeout", el)
	}
	if !logs.contains("stalled") || !logs.contains("reconnected") {
		t.Errorf("log lacks the stall and the reconnect:\n%s", logs)
	}
	var hr HealthReporter = s
	if h := hr.Health(); h.Stalls != 1 || h.Reconnects != 1 {
		t.Errorf("health %+v, want 1 stall and 1 reconnect", h)
	}
	close(hung.release)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !hung.closed.Load() {
		t.Error("the hung device was not closed after its read returned")
	}
}

// TestCloseWithHungRead: Close does not wait forever for a read blocked in
// the device; the blocked reader cleans up when it returns.
func TestCloseWithHungRead(t *testing.T) {
	hung := &fakeCam{w: 32, h: 24, hangAfter: 1, release: make(chan struct{})}
	s := newFakeLive(t, &fakeDevice{plan: []*fakeCam{hung}}, Options{StallTimeout: time.Minute}, liveConfig{closeGrace: 50 * time.Millisecond})
	f, err := s.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Mat.Close()
	start := time.Now()
	err = s.Close()
	if err == nil || !strings.Contains(err.Error(), "still blocked") {
		t.Errorf("Close with a hung read = %v, want a 'still blocked' error", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("Close took %v", el)
	}
	close(hung.release)
	s.wg.Wait()
	if !hung.closed.Load() {
		t.Error("the hung device was not closed after its read returned")
	}
	if err2 := s.Close(); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("second Close = %v, want the first result", err2)
	}
}

// TestInitialOpenFailsFast: even with Reconnect on, a device that cannot be
// opened at first is an error at once, not a retry loop.
func TestInitialOpenFailsFast(t *testing.T) {
	d := &fakeDevice{plan: []*fakeCam{nil}}
	start := time.Now()
	_, err := newLiveSource(Info{Name: "fake", Kind: "camera"}, Options{Reconnect: true},
		liveConfig{label: "camera fake", open: d.open})
	if err == nil || !strings.Contains(err.Error(), "no such device") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 100*time.Millisecond || d.count() != 1 {
		t.Errorf("initial open took %v and %d attempts", time.Since(start), d.count())
	}
}

// TestNextWaits: Next honours its context and is released by Close.
func TestNextWaits(t *testing.T) {
	// First frame at once, then a hang: Next has nothing newer to return.
	slow := &fakeCam{w: 16, h: 16, hangAfter: 1, release: make(chan struct{})}
	s := newFakeLive(t, &fakeDevice{plan: []*fakeCam{slow}}, Options{StallTimeout: time.Minute}, liveConfig{})
	defer func() {
		close(slow.release)
		s.Close()
	}()
	f, err := s.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Mat.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next without a newer frame = %v, want DeadlineExceeded", err)
	}
	res := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background())
		res <- err
	}()
	time.Sleep(20 * time.Millisecond)
	go s.Close()
	select {
	case err := <-res:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Next released by Close = %v, want ErrClosed", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not release a waiting Next")
	}
}
