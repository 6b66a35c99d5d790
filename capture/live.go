package capture

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gocv.io/x/gocv"
)

// grabber is the part of a device the live reader uses. *gocv.VideoCapture
// implements it; tests inject fakes. Read and Close are only ever called
// from one goroutine at a time (the reader that owns the grabber).
type grabber interface {
	Read(m *gocv.Mat) bool
	Close() error
}

// propGetter is implemented by grabbers that know their frame size and rate.
type propGetter interface {
	Get(prop gocv.VideoCaptureProperties) float64
}

// opener opens the device once: for the initial open and each reconnect.
type opener func() (grabber, error)

// liveConfig holds what a live source needs besides Options; the durations
// are knobs for tests (zero = default).
type liveConfig struct {
	label        string        // names the source in errors and logs ("camera 0")
	open         opener        // injectable: tests simulate vanishing and hanging devices
	minBackoff   time.Duration // first reconnect delay (default 100ms, capped by MaxBackoff)
	closeGrace   time.Duration // how long Close waits for a blocked read (default 2s)
	dropLogEvery time.Duration // at most one drop message per period (default 10s)
}

// liveSource is the latest-frame reader. A supervisor goroutine owns the
// device life cycle (read session, stall watch, reconnect); one reader
// goroutine per session reads continuously and publishes each frame as the
// single pending one, closing (recycling) the unread frame it replaces.
type liveSource struct {
	cfg   liveConfig
	opts  Options
	start time.Time

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // supervisor, readers, pending opens
	done   chan struct{}  // closed when the supervisor exits
	ready  chan struct{}  // capacity 1: a frame was published

	closeOnce sync.Once
	closeErr  error

	mu          sync.Mutex
	info        Info
	pending     *Frame // newest frame not yet returned
	captured    int    // frames read so far (the next Index)
	dropped     int
	dropMark    int // dropped at the last drop message
	lastDropLog time.Time
	gen         int       // current session; frames of older sessions are discarded
	lastFrame   time.Time // stall detection
	err         error     // terminal error (reconnect off)
	closed      bool
	reconnects  int       // successful reopenings
	stalls      int       // stall timeouts
	lostSince   time.Time // when the device was lost; zero while it delivers
	lostCause   string
}

// newLiveSource opens the device once (failing fast: the initial open is
// never retried) and starts the reader.
func newLiveSource(info Info, o Options, cfg liveConfig) (*liveSource, error) {
	o = o.withDefaults()
	if cfg.minBackoff <= 0 {
		cfg.minBackoff = 100 * time.Millisecond
	}
	if cfg.closeGrace <= 0 {
		cfg.closeGrace = 2 * time.Second
	}
	if cfg.dropLogEvery <= 0 {
		cfg.dropLogEvery = 10 * time.Second
	}
	g, err := cfg.open()
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("%s: cannot open (the opener returned no device)", cfg.label)
	}
	if pg, ok := g.(propGetter); ok {
		info.Width = int(pg.Get(gocv.VideoCaptureFrameWidth))
		info.Height = int(pg.Get(gocv.VideoCaptureFrameHeight))
		info.FPS = sanitizeFPS(pg.Get(gocv.VideoCaptureFPS))
	}
	info.Live = true
	info.Frames = 0
	s := &liveSource{
		cfg:   cfg,
		opts:  o,
		info:  info,
		start: time.Now(),
		done:  make(chan struct{}),
		ready: make(chan struct{}, 1),
	}
	s.lastDropLog = s.start
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.supervise(g)
	return s, nil
}

// Info describes the source; Width and Height are completed from the first
// frame when the backend did not report them.
func (s *liveSource) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

// Dropped reports how many captured frames were discarded unread.
func (s *liveSource) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Health reports the frames captured and dropped, the reconnects and the
// stalls so far.
func (s *liveSource) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Health{Captured: s.captured, Dropped: s.dropped, Reconnects: s.reconnects, Stalls: s.stalls,
		LostSince: s.lostSince, LostCause: s.lostCause}
}

// Next returns the newest frame, blocking until one newer than the last
// returned exists. A frame captured before the source failed is still
// returned before the error.
func (s *liveSource) Next(ctx context.Context) (Frame, error) {
	supervisorDone := false
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Frame{}, fmt.Errorf("%s: %w", s.cfg.label, ErrClosed)
		}
		if p := s.pending; p != nil {
			s.pending = nil
			s.mu.Unlock()
			return *p, nil
		}
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return Frame{}, err
		}
		if supervisorDone {
			return Frame{}, fmt.Errorf("%s: reader stopped", s.cfg.label)
		}
		select {
		case <-ctx.Done():
			return Frame{}, ctx.Err()
		case <-s.ready:
		case <-s.done:
			supervisorDone = true
		}
	}
}

// Close stops the reader, closes the device and the unread frame. It waits
// up to a grace period for a read blocked inside the device; if one is still
// blocked then, Close returns an error and that reader releases the device
// (and its buffer) when the read returns. Idempotent.
func (s *liveSource) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		if s.pending != nil {
			s.pending.Mat.Close()
			s.pending = nil
		}
		s.mu.Unlock()
		s.cancel()
		waited := make(chan struct{})
		go func() {
			s.wg.Wait()
			close(waited)
		}()
		t := time.NewTimer(s.cfg.closeGrace)
		defer t.Stop()
		select {
		case <-waited:
		case <-t.C:
			s.closeErr = fmt.Errorf("%s: closed, but a device read or open is still blocked after %v; it releases the device when it returns", s.cfg.label, s.cfg.closeGrace)
		}
	})
	return s.closeErr
}

// supervise runs read sessions and reconnects until Close or a terminal
// error.
func (s *liveSource) supervise(g grabber) {
	defer s.wg.Done()
	defer close(s.done)
	for {
		gen := s.beginSession()
		fail := make(chan error, 1)
		s.wg.Add(1)
		go s.readLoop(g, gen, fail)
		cause := s.watch(fail)
		if cause == nil {
			return // closed
		}
		s.endSession()
		if !s.opts.Reconnect {
			s.setErr(fmt.Errorf("%s: lost: %w (reconnect is off)", s.cfg.label, cause))
			return
		}
		s.mu.Lock()
		s.lostSince, s.lostCause = time.Now(), cause.Error()
		s.mu.Unlock()
		s.opts.logf("capture: %s: %v; reconnecting", s.cfg.label, cause)
		if g = s.reconnect(); g == nil {
			return // closed while reconnecting
		}
	}
}

// watch waits for the session's reader to fail, for a stall, or for Close
// (nil).
func (s *liveSource) watch(fail <-chan error) error {
	stall := s.opts.StallTimeout
	t := time.NewTimer(stall)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return nil
		case err := <-fail:
			return err
		case <-t.C:
			s.mu.Lock()
			idle := time.Since(s.lastFrame)
			s.mu.Unlock()
			if idle >= stall {
				s.mu.Lock()
				s.stalls++
				s.mu.Unlock()
				return fmt.Errorf("no frame for %v (stalled)", idle.Round(time.Millisecond))
			}
			t.Reset(stall - idle)
		}
	}
}

func (s *liveSource) beginSession() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.lastFrame = time.Now()
	return s.gen
}

// endSession disowns the current reader: whatever it still reads is closed.
func (s *liveSource) endSession() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
}

func (s *liveSource) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

func (s *liveSource) current(gen int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return gen == s.gen && !s.closed
}

// readLoop owns g: it reads until the device fails, the session is
// disowned, or the source closes. It closes g before reporting a failure, so
// that a reopen does not find the device still held by us.
func (s *liveSource) readLoop(g grabber, gen int, fail chan<- error) {
	defer s.wg.Done()
	err := s.readFrames(g, gen)
	g.Close()
	if err != nil {
		fail <- err
	}
}

// readFrames publishes frames until a read fails (an error, if the session
// is still current) or the session ends (nil). The read buffer is recycled
// from dropped frames and closed on return.
func (s *liveSource) readFrames(g grabber, gen int) error {
	var buf gocv.Mat
	have := false
	defer func() {
		if have {
			buf.Close()
		}
	}()
	for s.ctx.Err() == nil && s.current(gen) {
		if !have {
			buf, have = gocv.NewMat(), true
		}
		if !g.Read(&buf) || buf.Empty() {
			if s.current(gen) {
				return errors.New("read failed (device unplugged, stream ended or pipeline error?)")
			}
			return nil
		}
		spare, hasSpare, ok := s.publish(gen, buf)
		if !ok {
			return nil // buf is still ours: closed by the deferred func
		}
		buf, have = spare, hasSpare
	}
	return nil
}

// publish makes m the pending frame. It returns the replaced unread frame's
// Mat (dropped) for reuse as the next read buffer. ok is false, and m stays
// with the caller, when the session is stale or the source closed.
func (s *liveSource) publish(gen int, m gocv.Mat) (spare gocv.Mat, hasSpare, ok bool) {
	now := time.Now()
	var msg string
	s.mu.Lock()
	if s.closed || gen != s.gen {
		s.mu.Unlock()
		return gocv.Mat{}, false, false
	}
	if s.info.Width == 0 || s.info.Height == 0 {
		s.info.Width, s.info.Height = m.Cols(), m.Rows()
	}
	if s.pending != nil {
		spare, hasSpare = s.pending.Mat, true
		s.dropped++
		if now.Sub(s.lastDropLog) >= s.cfg.dropLogEvery {
			msg = fmt.Sprintf("capture: %s: dropped %d frames in the last %v (consumer slower than the source; %d dropped in all)",
				s.cfg.label, s.dropped-s.dropMark, now.Sub(s.lastDropLog).Round(time.Second), s.dropped)
			s.dropMark, s.lastDropLog = s.dropped, now
		}
	}
	s.pending = &Frame{Mat: m, Index: s.captured, PTS: now.Sub(s.start), Captured: now}
	s.captured++
	s.lastFrame = now
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
	if msg != "" {
		s.opts.logf("%s", msg)
	}
	return spare, hasSpare, true
}

// reconnect reopens the device with exponential backoff until it succeeds
// (the new grabber) or the source is closed (nil). Each attempt is logged.
func (s *liveSource) reconnect() grabber {
	delay := min(s.cfg.minBackoff, s.opts.MaxBackoff)
	for attempt := 1; ; attempt++ {
		g, err := s.openBounded()
		if err == nil {
			s.mu.Lock()
			s.reconnects++
			out := time.Since(s.lostSince)
			s.lostSince, s.lostCause = time.Time{}, ""
			s.mu.Unlock()
			s.opts.logf("capture: %s: reconnected (attempt %d); %v without frames", s.cfg.label, attempt, out.Round(time.Millisecond))
			return g
		}
		if s.ctx.Err() != nil {
			return nil
		}
		s.opts.logf("capture: %s: reconnect attempt %d failed: %v; next attempt in %v", s.cfg.label, attempt, err, delay)
		t := time.NewTimer(delay)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		delay = min(delay*2, s.opts.MaxBackoff)
	}
}

// openBounded runs one open attempt, giving up after StallTimeout or Close;
// an abandoned attempt closes its device when it eventually returns.
func (s *liveSource) openBounded() (grabber, error) {
	type result struct {
		g   grabber
		err error
	}
	res := make(chan result)
	abandon := make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		g, err := s.cfg.open()
		if err == nil && g == nil {
			err = errors.New("the opener returned no device")
		}
		select {
		case res <- result{g, err}:
		case <-abandon:
			if g != nil {
				g.Close()
			}
		}
	}()
	t := time.NewTimer(s.opts.StallTimeout)
	defer t.Stop()
	select {
	case r := <-res:
		if r.err == nil && s.ctx.Err() != nil {
			r.g.Close()
			return nil, s.ctx.Err()
		}
		return r.g, r.err
	case <-t.C:
		close(abandon)
		return nil, fmt.Errorf("open did not return within %v", s.opts.StallTimeout)
	case <-s.ctx.Done():
		close(abandon)
		return nil, s.ctx.Err()
	}
}
