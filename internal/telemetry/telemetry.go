// Package telemetry exports what a running ferlive does as Prometheus
// metrics, named the way edge-video users know them from NVRs (camera fps,
// process fps, skipped fps, detection fps), and as a Snapshot of the same
// figures for other transports (the MQTT stats topic).
//
// A Metrics is fed three ways, none of which it owns:
//   - every processed frame's results (ObserveFrame), on the frame loop;
//   - every stage duration (ObserveStage: a latency.Observer);
//   - a live source's health counts (Watch), polled once a second.
//
// It registers its metrics in a registry of its own (never Prometheus's
// global default), served by Serve on /metrics. Counters are exported next
// to the rates so that a scraper that misses a dip can still see it.
package telemetry

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ferlive/ferlive/capture"
	"github.com/ferlive/ferlive/internal/record"
)

// Namespace prefixes every ferlive metric.
const Namespace = "ferlive"

// Options describe the run the metrics are about.
type Options struct {
	// Device names this ferlive (a kiosk, a camera); it is the "device"
	// label of every ferlive_* series.
	Device string
	// Labels are the model's emotion labels: their counters exist (at 0)
	// from the start.
	Labels []string
	// Stages are the stage names whose histograms exist from the start
	// (others appear when first observed).
	Stages []string
	// Info is added to ferlive_build_info as labels (version, model,
	// detector, source...).
	Info map[string]string
	// Window is the span the fps gauges average over (default 5s).
	Window time.Duration
}

// Metrics holds the counters, gauges and histograms of one run.
type Metrics struct {
	reg    *prometheus.Registry
	device string
	start  time.Time
	window time.Duration

	// Updated on the frame loop (ObserveFrame) and by the health poll.
	processed   atomic.Uint64
	lastIndex   atomic.Int64 // highest Frame.Index + 1 seen
	faceFrames  atomic.Uint64
	detections  atomic.Uint64
	lastFaces   atomic.Int64
	health      atomic.Pointer[capture.Health]
	healthSrc   capture.HealthReporter
	healthMu    sync.Mutex // guards healthSrc
	emotions    *prometheus.CounterVec
	emotionsMu  sync.Mutex
	emotionSeen map[string]*atomic.Uint64 // for Snapshot
	facesHist   prometheus.Histogram
	stageHist   *prometheus.HistogramVec
	stagesMu    sync.Mutex
	stages      map[string]*stageSum // for Snapshot

	rates rateTracker
}

// stageSum is a stage's count and total seconds, for the Snapshot.
type stageSum struct {
	n   uint64
	sum float64
}

// StageBuckets are the stage latency histogram's upper bounds, in seconds:
// 0.5 ms to 2.5 s.
var StageBuckets = []float64{.0005, .001, .0025, .005, .01, .02, .035, .05, .075, .1, .15, .25, .5, 1, 2.5}

// FaceBuckets are the faces-per-frame histogram's upper bounds.
var FaceBuckets = []float64{0, 1, 2, 3, 4, 6, 8, 12, 16, 32}

// New makes the metrics of a run and registers them (and Go runtime and
// process metrics) in a registry of its own.
func New(o Options) *Metrics {
	if o.Window <= 0 {
		o.Window = 5 * time.Second
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(), device: o.Device, start: time.Now(), window: o.Window,
		emotionSeen: map[string]*atomic.Uint64{}, stages: map[string]*stageSum{},
	}
	m.lastIndex.Store(0)
	m.rates.init(o.Window)
	cl := prometheus.Labels{"device": o.Device}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help, ConstLabels: cl}, f)
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help, ConstLabels: cl}, f)
	}
	m.emotions = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "emotions_total", ConstLabels: cl,
		Help: "Faces classified with each emotion label, counted once per face per processed frame."}, []string{"label"})
	for _, l := range o.Labels {
		m.emotions.WithLabelValues(l)
		m.emotionSeen[l] = new(atomic.Uint64)
	}
	m.facesHist = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "faces_per_frame", ConstLabels: cl,
		Help: "Tracked faces per processed frame.", Buckets: FaceBuckets})
	m.stageHist = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "stage_duration_seconds", ConstLabels: cl,
		Help:    "Time spent in each pipeline stage per frame (capture is waiting for a live source's next frame; total is a frame's wall time through the pipeline).",
		Buckets: StageBuckets}, []string{"stage"})
	for _, s := range o.Stages {
		m.stageHist.WithLabelValues(s)
	}
	info := prometheus.Labels{}
	for k, v := range o.Info {
		info[k] = v
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info", ConstLabels: cl,
		Help: "Always 1; the labels say what runs: ferlive version, model, detector, source."}, sortedKeys(info))
	buildInfo.With(info).Set(1)

	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo, m.emotions, m.facesHist, m.stageHist,
		counter("camera_frames_total", "Frames delivered by the camera or read from the input, including the skipped ones.", func() float64 { return float64(m.cameraFrames()) }),
		counter("processed_frames_total", "Frames that went through the whole pipeline (detection, classification, outputs).", func() float64 { return float64(m.processed.Load()) }),
		counter("skipped_frames_total", "Camera frames skipped because a newer one arrived before the pipeline was free (live sources only).", func() float64 { return float64(m.skipped()) }),
		counter("detections_total", "Full-frame face detector runs (with --detect-every N, one frame in N).", func() float64 { return float64(m.detections.Load()) }),
		counter("faces_total", "Faces classified, counted once per face per processed frame.", func() float64 { return float64(m.faceFrames.Load()) }),
		counter("camera_reconnects_total", "Times the camera or stream was reopened after it was lost or stalled.", func() float64 { return float64(m.healthNow().Reconnects) }),
		counter("camera_stalls_total", "Times the camera or stream delivered no frame for the stall timeout.", func() float64 { return float64(m.healthNow().Stalls) }),
		gauge("camera_fps", "Frames per second delivered by the camera (or read from the input), over the last window.", func() float64 { return m.rates.rate(rCamera) }),
		gauge("process_fps", "Frames per second processed, over the last window.", func() float64 { return m.rates.rate(rProcessed) }),
		gauge("skipped_fps", "Camera frames per second skipped, over the last window.", func() float64 { return m.rates.rate(rSkipped) }),
		gauge("detection_fps", "Full-frame face detections per second, over the last window.", func() float64 { return m.rates.rate(rDetections) }),
		gauge("faces", "Tracked faces in the last processed frame.", func() float64 { return float64(m.lastFaces.Load()) }),
		gauge("uptime_seconds", "Seconds since ferlive started this run.", func() float64 { return time.Since(m.start).Seconds() }),
		gauge("start_time_seconds", "Start of this run, seconds since the Unix epoch.", func() float64 { return float64(m.start.UnixNano()) / 1e9 }),
	)
	return m
}

func sortedKeys(l prometheus.Labels) []string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Registry is the registry the metrics live in; callers may register more
// (the MQTT publisher's counters).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// CounterFunc registers a counter named ferlive_<name> whose value f
// returns, with this run's device label.
func (m *Metrics) CounterFunc(name, help string, f func() float64) error {
	return m.reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: Namespace, Name: name, Help: help, ConstLabels: prometheus.Labels{"device": m.device}}, f))
}

// GaugeFunc registers a gauge named ferlive_<name> whose value f returns,
// with this run's device label.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) error {
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: name, Help: help, ConstLabels: prometheus.Labels{"device": m.device}}, f))
}

// Watch makes the metrics read src's health (frames captured and skipped,
// reconnects, stalls); sources that report none are ignored.
func (m *Metrics) Watch(src any) {
	h, ok := src.(capture.HealthReporter)
	if !ok {
		return
	}
	m.healthMu.Lock()
	m.healthSrc = h
	m.healthMu.Unlock()
	m.poll()
}

// poll reads the watched source's health.
func (m *Metrics) poll() {
	m.healthMu.Lock()
	src := m.healthSrc
	m.healthMu.Unlock()
	if src != nil {
		h := src.Health()
		m.health.Store(&h)
	}
}

// healthNow is the watched source's health, read now.
func (m *Metrics) healthNow() capture.Health {
	m.poll()
	if h := m.health.Load(); h != nil {
		return *h
	}
	return capture.Health{}
}

// Health is the watched source's health, read now (zero for sources
// that report none): the STATUS line shows an outage from it.
func (m *Metrics) Health() capture.Health { return m.healthNow() }

// cameraFrames is the frames the source delivered: its own count for live
// sources, else the highest frame index seen (files lose no frame).
func (m *Metrics) cameraFrames() uint64 {
	n := uint64(m.lastIndex.Load())
	if h := m.health.Load(); h != nil && uint64(h.Captured) > n {
		n = uint64(h.Captured)
	}
	return n
}

// skipped is the frames the source captured that the pipeline never saw.
func (m *Metrics) skipped() uint64 {
	if h := m.health.Load(); h != nil {
		return uint64(h.Dropped)
	}
	return 0
}

// ObserveFrame counts one processed frame: faces, emotions. Call it from
// the frame loop's sink; it does not block.
func (m *Metrics) ObserveFrame(f *record.Frame) {
	m.processed.Add(1)
	for {
		cur := m.lastIndex.Load()
		if int64(f.Index+1) <= cur || m.lastIndex.CompareAndSwap(cur, int64(f.Index+1)) {
			break
		}
	}
	n := len(f.Faces)
	m.lastFaces.Store(int64(n))
	m.faceFrames.Add(uint64(n))
	m.facesHist.Observe(float64(n))
	for i := range f.Faces {
		l := f.Faces[i].Label
		m.emotions.WithLabelValues(l).Inc()
		m.emotionCounter(l).Add(1)
	}
}

func (m *Metrics) emotionCounter(label string) *atomic.Uint64 {
	m.emotionsMu.Lock()
	defer m.emotionsMu.Unlock()
	c := m.emotionSeen[label]
	if c == nil {
		c = new(atomic.Uint64)
		m.emotionSeen[label] = c
	}
	return c
}

// ObserveStage records one stage duration (latency.Observer). A full-frame
// detection also counts towards the detection rate.
func (m *Metrics) ObserveStage(name string, d time.Duration) {
	sec := d.Seconds()
	m.stageHist.WithLabelValues(name).Observe(sec)
	m.stagesMu.Lock()
	s := m.stages[name]
	if s == nil {
		s = &stageSum{}
		m.stages[name] = s
	}
	s.n++
	s.sum += sec
	m.stagesMu.Unlock()
	if name == "detect" {
		m.detections.Add(1)
	}
}

// Tick samples the counters for the fps gauges; Run calls it every second.
func (m *Metrics) Tick(now time.Time) {
	m.poll()
	m.rates.add(now, [nRates]float64{
		rCamera:     float64(m.cameraFrames()),
		rProcessed:  float64(m.processed.Load()),
		rSkipped:    float64(m.skipped()),
		rDetections: float64(m.detections.Load()),
	})
}

// Run samples the rates every second until done is closed.
func (m *Metrics) Run(done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	m.Tick(time.Now())
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			m.Tick(now)
		}
	}
}

// StageStat is one stage in a Snapshot.
type StageStat struct {
	Count  uint64  `json:"count"`
	MeanMs float64 `json:"mean_ms"`
}

// Snapshot is the metrics' figures at one moment, for transports other
// than Prometheus (the MQTT stats topic). Field names follow the metrics'.
type Snapshot struct {
	Device          string               `json:"device"`
	Time            time.Time            `json:"time"`
	UptimeSeconds   float64              `json:"uptime_seconds"`
	CameraFPS       float64              `json:"camera_fps"`
	ProcessFPS      float64              `json:"process_fps"`
	SkippedFPS      float64              `json:"skipped_fps"`
	DetectionFPS    float64              `json:"detection_fps"`
	CameraFrames    uint64               `json:"camera_frames_total"`
	ProcessedFrames uint64               `json:"processed_frames_total"`
	SkippedFrames   uint64               `json:"skipped_frames_total"`
	Detections      uint64               `json:"detections_total"`
	Faces           int64                `json:"faces"`
	FacesTotal      uint64               `json:"faces_total"`
	Reconnects      uint64               `json:"camera_reconnects_total"`
	Stalls          uint64               `json:"camera_stalls_total"`
	Emotions        map[string]uint64    `json:"emotions_total"`
	Stages          map[string]StageStat `json:"stages"`
}

// Snapshot returns the current figures.
func (m *Metrics) Snapshot() Snapshot {
	h := m.healthNow()
	s := Snapshot{
		Device: m.device, Time: time.Now().UTC(), UptimeSeconds: round3(time.Since(m.start).Seconds()),
		CameraFPS: round3(m.rates.rate(rCamera)), ProcessFPS: round3(m.rates.rate(rProcessed)),
		SkippedFPS: round3(m.rates.rate(rSkipped)), DetectionFPS: round3(m.rates.rate(rDetections)),
		CameraFrames: m.cameraFrames(), ProcessedFrames: m.processed.Load(), SkippedFrames: m.skipped(),
		Detections: m.detections.Load(), Faces: m.lastFaces.Load(), FacesTotal: m.faceFrames.Load(),
		Reconnects: uint64(h.Reconnects), Stalls: uint64(h.Stalls),
		Emotions: map[string]uint64{}, Stages: map[string]StageStat{},
	}
	m.emotionsMu.Lock()
	for l, c := range m.emotionSeen {
		s.Emotions[l] = c.Load()
	}
	m.emotionsMu.Unlock()
	m.stagesMu.Lock()
	for name, st := range m.stages {
		s.Stages[name] = StageStat{Count: st.n, MeanMs: round3(1000 * st.sum / float64(st.n))}
	}
	m.stagesMu.Unlock()
	return s
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Indices of the sampled counters.
const (
	rCamera = iota
	rProcessed
	rSkipped
	rDetections
	nRates
)

// rateTracker keeps a second-by-second history of counters, enough to
// compute their rate over the window.
type rateTracker struct {
	mu      sync.Mutex
	window  time.Duration
	times   []time.Time
	samples [][nRates]float64
}

func (r *rateTracker) init(window time.Duration) { r.window = window }

// add records the counters' values at now and forgets samples older than
// the window (keeping one at or before its start).
func (r *rateTracker) add(now time.Time, v [nRates]float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.times = append(r.times, now)
	r.samples = append(r.samples, v)
	cut := 0
	for cut+1 < len(r.times) && now.Sub(r.times[cut+1]) >= r.window {
		cut++
	}
	r.times, r.samples = r.times[cut:], r.samples[cut:]
}

// rate is counter i's increase per second between the oldest and newest
// sample (0 before two samples).
func (r *rateTracker) rate(i int) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.times)
	if n < 2 {
		return 0
	}
	dt := r.times[n-1].Sub(r.times[0]).Seconds()
	if dt <= 0 {
		return 0
	}
	return (r.samples[n-1][i] - r.samples[0][i]) / dt
}
