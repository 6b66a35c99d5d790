package telemetry

import (
	"fmt"
	"image"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ferlive/ferlive/capture"
	"github.com/ferlive/ferlive/internal/record"
)

// fakeHealth is a live source's health, set by the test.
type fakeHealth struct {
	mu sync.Mutex
	h  capture.Health
}

func (f *fakeHealth) Health() capture.Health { f.mu.Lock(); defer f.mu.Unlock(); return f.h }
func (f *fakeHealth) set(h capture.Health)   { f.mu.Lock(); f.h = h; f.mu.Unlock() }

// Scrape fetches url and parses it with the Prometheus text parser.
func Scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return mf
}

// value returns the value of the series of family name whose labels
// include want (counter, gauge or histogram count).
func value(t testing.TB, mf map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f := mf[name]
	if f == nil {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("%s has no series with labels %v", name, want)
	return 0
}

func frame(i int, labels ...string) *record.Frame {
	f := &record.Frame{Index: i}
	for k, l := range labels {
		f.Faces = append(f.Faces, record.Face{ID: k + 1, Box: image.Rect(0, 0, 10, 10), Label: l})
	}
	return f
}

// TestScrape feeds frames, stages and a source's health, scrapes /metrics
// over HTTP and checks the counters, histograms and rates.
func TestScrape(t *testing.T) {
	m := New(Options{Device: "kiosk-1", Labels: []string{"happiness", "neutral"}, Stages: []string{"detect", "infer"},
		Info: map[string]string{"version": "test", "model": "m"}})
	src := &fakeHealth{}
	src.set(capture.Health{Captured: 10, Dropped: 2})
	m.Watch(src)
	s, err := m.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	url := fmt.Sprintf("http://%s/metrics", s.Addr())
	dev := map[string]string{"device": "kiosk-1"}

	mf := Scrape(t, url)
	if v := value(t, mf, "ferlive_emotions_total", map[string]string{"label": "happiness", "device": "kiosk-1"}); v != 0 {
		t.Errorf("emotions before any frame %v, want 0 (series made up front)", v)
	}
	if value(t, mf, "ferlive_camera_frames_total", dev) != 10 || value(t, mf, "ferlive_skipped_frames_total", dev) != 2 {
		t.Errorf("camera/skipped frames not read from the source's health")
	}
	if _, ok := mf["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}

	t0 := time.Now()
	m.Tick(t0)
	for i := 0; i < 8; i++ {
		m.ObserveStage("detect", 20*time.Millisecond)
		m.ObserveStage("infer", 5*time.Millisecond)
		m.ObserveFrame(frame(10+i, "happiness", "neutral", "happiness"))
	}
	src.set(capture.Health{Captured: 30, Dropped: 12, Reconnects: 1, Stalls: 1})
	m.Tick(t0.Add(2 * time.Second))

	mf = Scrape(t, url)
	for name, want := range map[string]float64{
		"ferlive_processed_frames_total":  8,
		"ferlive_camera_frames_total":     30,
		"ferlive_skipped_frames_total":    12,
		"ferlive_detections_total":        8,
		"ferlive_faces_total":             24,
		"ferlive_camera_reconnects_total": 1,
		"ferlive_camera_stalls_total":     1,
		"ferlive_faces":                   3,
		"ferlive_faces_per_frame":         8,
		"ferlive_process_fps":             4,  // 8 frames in 2 s
		"ferlive_camera_fps":              10, // 30-10 in 2 s
		"ferlive_skipped_fps":             5,
		"ferlive_detection_fps":           4,
	} {
		if v := value(t, mf, name, dev); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	if v := value(t, mf, "ferlive_emotions_total", map[string]string{"label": "happiness"}); v != 16 {
		t.Errorf("happiness %v, want 16", v)
	}
	if v := value(t, mf, "ferlive_stage_duration_seconds", map[string]string{"stage": "detect"}); v != 8 {
		t.Errorf("detect histogram count %v, want 8", v)
	}
	h := mf["ferlive_stage_duration_seconds"].Metric[0].Histogram
	if h == nil || len(h.Bucket) != len(StageBuckets)+1 { // and +Inf
		t.Fatalf("stage histogram buckets %v", h)
	}
	if v := value(t, mf, "ferlive_build_info", map[string]string{"version": "test", "model": "m"}); v != 1 {
		t.Errorf("build info %v", v)
	}
	if v := value(t, mf, "ferlive_uptime_seconds", dev); v <= 0 {
		t.Errorf("uptime %v", v)
	}

	snap := m.Snapshot()
	if snap.ProcessedFrames != 8 || snap.Emotions["happiness"] != 16 || snap.Stages["detect"].Count != 8 ||
		snap.Stages["detect"].MeanMs != 20 || snap.ProcessFPS != 4 || snap.Reconnects != 1 || snap.Device != "kiosk-1" {
		t.Errorf("snapshot %+v", snap)
	}
}

// TestFileSource: without a health reporter (files), camera frames are the
// frames read and none are skipped.
func TestFileSource(t *testing.T) {
	m := New(Options{Device: "d"})
	m.Watch(struct{}{})
	for i := 0; i < 5; i++ {
		m.ObserveFrame(frame(i))
	}
	if s := m.Snapshot(); s.CameraFrames != 5 || s.SkippedFrames != 0 || s.ProcessedFrames != 5 {
		t.Errorf("snapshot %+v", s)
	}
}

func TestCheckAddr(t *testing.T) {
	for _, ok := range []string{":9464", "127.0.0.1:0", "[::1]:9464"} {
		if err := CheckAddr(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"9464", "host", ":http", ":70000", ""} {
		err := CheckAddr(bad)
		if err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
			t.Errorf("%q: %v, want an error naming the flag", bad, err)
		}
	}
}

// TestPortInUse: a second server on the same port fails at once, naming it.
func TestPortInUse(t *testing.T) {
	m := New(Options{})
	s, err := m.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := New(Options{}).Serve(s.Addr().String()); err == nil || !strings.Contains(err.Error(), s.Addr().String()) {
		t.Fatalf("second server: %v, want an address-in-use error naming it", err)
	}
}
