// Package latency records how long each stage of the frame pipeline takes,
// on the monotonic clock, for the HUD, the --stats output and the latency
// report: recent averages and percentiles over the whole run.
package latency

import (
	"fmt"
	"io"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Stage names used by the pipeline, in pipeline order.
const (
	Capture    = "capture" // waiting for a live source's next frame (not a cost of ferlive)
	Decode     = "decode"
	Detect     = "detect" // full-frame face detection
	Refine     = "refine" // re-detection of tracked faces near their predicted boxes
	Preprocess = "preprocess"
	Infer      = "infer"
	Overlay    = "overlay"
	Encode     = "encode"
	Display    = "display"
	Record     = "record"
	Total      = "total" // wall time from decode start to the end of the sinks, per frame
	// EndToEnd is, for live sources, the wall time from the frame's capture
	// (the reader got it from the device) to the end of the sinks (drawn,
	// shown, written): Total plus the time the frame waited for the
	// detector.
	EndToEnd = "e2e"
)

// Order is the display order of the known stages.
var Order = []string{Capture, Decode, Detect, Refine, Preprocess, Infer, Overlay, Encode, Display, Record, Total, EndToEnd}

// maxSamples bounds the samples kept per stage; beyond it a uniform
// reservoir sample is kept, so percentiles stay unbiased on long runs.
const maxSamples = 200_000

type stage struct {
	samples []float64 // milliseconds, in arrival order until maxSamples
	// first and last hold the running sums of the first and the latest
	// driftWindow samples (see Drift).
	first, last  float64
	window       []float64 // the latest driftWindow samples, a ring
	nFirst, ring int
	n            int // samples seen
	sum          float64
	recent       float64 // exponential moving average, ms
}

// Observer receives every duration a Recorder records, as it is recorded
// (for example a Prometheus histogram per stage). It is called on the
// recording goroutine and must be quick and safe for concurrent use.
type Observer interface {
	ObserveStage(name string, d time.Duration)
}

// Recorder collects stage timings. It is safe for concurrent use.
type Recorder struct {
	obs    []Observer // set before the run; read without the lock
	mu     sync.Mutex
	stages map[string]*stage
	rng    *rand.Rand
	start  time.Time
	frames int
}

// New returns an empty recorder.
func New() *Recorder {
	return &Recorder{stages: map[string]*stage{}, rng: rand.New(rand.NewSource(1)), start: time.Now()}
}

// Observe makes o receive every duration recorded from now on. Call it
// before the recorder is shared with running stages.
func (r *Recorder) Observe(o Observer) { r.obs = append(r.obs, o) }

// Add records one duration for a stage.
func (r *Recorder) Add(name string, d time.Duration) {
	for _, o := range r.obs {
		o.ObserveStage(name, d)
	}
	ms := float64(d) / float64(time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stages[name]
	if s == nil {
		s = &stage{recent: ms}
		r.stages[name] = s
	}
	s.n++
	s.sum += ms
	s.recent = 0.9*s.recent + 0.1*ms
	if s.nFirst < driftWindow {
		s.first += ms
		s.nFirst++
	}
	if len(s.window) < driftWindow {
		s.window = append(s.window, ms)
	} else {
		s.last -= s.window[s.ring]
		s.window[s.ring] = ms
		s.ring = (s.ring + 1) % driftWindow
	}
	s.last += ms
	if len(s.samples) < maxSamples {
		s.samples = append(s.samples, ms)
	} else if j := r.rng.Intn(s.n); j < maxSamples {
		s.samples[j] = ms
	}
}

// Since records the time elapsed since t0 for a stage and returns now.
func (r *Recorder) Since(name string, t0 time.Time) time.Time {
	now := time.Now()
	r.Add(name, now.Sub(t0))
	return now
}

// Frame counts one finished frame (for the fps figures).
func (r *Recorder) Frame() {
	r.mu.Lock()
	r.frames++
	r.mu.Unlock()
}

// driftWindow is the number of samples at each end of a run that Drift
// compares.
const driftWindow = 300

// Drift returns the mean milliseconds of a stage's first and of its latest
// samples (up to 300 each; 10 s at 30 fps): a latency that grows over a
// run (a live loop falling behind its camera) shows as last well above
// first. ok is false when the stage has fewer than twice the samples
// compared, so the two ends do not overlap.
func (r *Recorder) Drift(name string) (first, last float64, n int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stages[name]
	if s == nil || s.n < 2 {
		return 0, 0, 0, false
	}
	n = min(s.n/2, driftWindow)
	if s.n < 2*driftWindow {
		// short run: halves, from the samples kept in order
		v := s.samples[:s.n]
		return mean(v[:n]), mean(v[len(v)-n:]), n, true
	}
	return s.first / float64(s.nFirst), s.last / float64(len(s.window)), n, true
}

func mean(v []float64) float64 {
	var t float64
	for _, x := range v {
		t += x
	}
	return t / float64(len(v))
}

// Stat summarises one stage.
type Stat struct {
	Name                string
	N                   int
	Mean, P50, P90, P99 float64 // milliseconds
	Max                 float64
	Recent              float64 // moving average over the last frames, ms
}

// Stats returns the summary of every stage recorded, in pipeline order.
func (r *Recorder) Stats() []Stat {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Stat
	for _, name := range r.names() {
		s := r.stages[name]
		v := slices.Clone(s.samples)
		sort.Float64s(v)
		out = append(out, Stat{
			Name: name, N: s.n, Mean: s.sum / float64(s.n),
			P50: pct(v, 0.50), P90: pct(v, 0.90), P99: pct(v, 0.99), Max: v[len(v)-1], Recent: s.recent,
		})
	}
	return out
}

// Recent returns the moving-average milliseconds of each stage, in pipeline order.
func (r *Recorder) Recent() []Stat {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Stat
	for _, name := range r.names() {
		out = append(out, Stat{Name: name, Recent: r.stages[name].recent, N: r.stages[name].n})
	}
	return out
}

// Frames returns the number of finished frames and the mean throughput in
// frames per second since the recorder was made.
func (r *Recorder) Frames() (int, float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	el := time.Since(r.start).Seconds()
	if el <= 0 {
		return r.frames, 0
	}
	return r.frames, float64(r.frames) / el
}

func (r *Recorder) names() []string {
	var names []string
	for _, n := range Order {
		if r.stages[n] != nil {
			names = append(names, n)
		}
	}
	var extra []string
	for n := range r.stages {
		if !slices.Contains(Order, n) {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	return append(names, extra...)
}

func pct(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

// WriteTable prints the stage summary as an aligned text table.
func (r *Recorder) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-11s %8s %9s %9s %9s %9s %9s\n", "stage", "n", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms")
	for _, s := range r.Stats() {
		fmt.Fprintf(&b, "%-11s %8d %9.2f %9.2f %9.2f %9.2f %9.2f\n", s.Name, s.N, s.Mean, s.P50, s.P90, s.P99, s.Max)
	}
	if first, last, k, ok := r.Drift(EndToEnd); ok {
		fmt.Fprintf(&b, "e2e (capture to drawn): first %d frames %.2f ms, last %d frames %.2f ms\n", k, first, k, last)
	}
	n, fps := r.Frames()
	fmt.Fprintf(&b, "frames %d, %.1f fps overall\n", n, fps)
	_, err := io.WriteString(w, b.String())
	return err
}

// Reset forgets everything recorded so far (for example after a warm-up).
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stages = map[string]*stage{}
	r.frames = 0
	r.start = time.Now()
}
