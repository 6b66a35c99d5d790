package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ferlive/ferlive/testkit/mqtttest"
	"github.com/ferlive/ferlive/testkit/synth"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// fleetFix is the binary and model the fleet tests share (built once).
var fleetFix struct {
	once       sync.Once
	dir        string
	bin, model string
	err        error
}

// fleetFixtures builds ferlive and writes a test model once per process.
func fleetFixtures(t *testing.T) (bin, model string) {
	t.Helper()
	fleetFix.once.Do(func() {
		if fleetFix.dir, fleetFix.err = os.MkdirTemp("", "ferlive-fleet"); fleetFix.err != nil {
			return
		}
		fleetFix.bin = filepath.Join(fleetFix.dir, "ferlive")
		if out, err := exec.Command("go", "build", "-o", fleetFix.bin, ".").CombinedOutput(); err != nil {
			fleetFix.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		fleetFix.model = filepath.Join(fleetFix.dir, "model.onnx")
		fleetFix.err = testmodel.Write(fleetFix.model, testmodel.DefaultSpec(), testmodel.Options{})
	})
	if fleetFix.err != nil {
		t.Fatal(fleetFix.err)
	}
	return fleetFix.bin, fleetFix.model
}

// liveCamera is a simulated camera: a GStreamer source looping a photo of
// two people at fps frames per second, endlessly, like a camera (skips
// when GStreamer's elements are missing).
func liveCamera(t *testing.T, fps int) string {
	t.Helper()
	photo := testenv.Photo(t, "two_people.jpg")
	if _, err := exec.LookPath("gst-inspect-1.0"); err == nil {
		if exec.Command("gst-inspect-1.0", "multifilesrc").Run() != nil {
			t.Skip("GStreamer's multifilesrc is not available (gstreamer1.0-plugins-good)")
		}
	}
	return fmt.Sprintf("multifilesrc location=%s loop=true caps=image/jpeg,framerate=%d/1 ! jpegdec ! videoconvert ! video/x-raw,format=BGR ! appsink", photo, fps)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proc is a ferlive run started by a test.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
}

// syncBuffer is a strings.Builder safe to read while the process writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startFerlive starts bin with args (and extra environment); the test
// kills it at the end if it still runs.
func startFerlive(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// stop sends SIGTERM and waits: a live run ends with status 130.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("after SIGTERM: %v, want exit status 130; stderr:\n%s", err, p.stderr)
	}
}

// scrape fetches a /metrics page and parses it with the Prometheus text
// parser (nil while the server is not up yet).
func scrape(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// metric sums the values of family name's series whose labels include
// want (histograms: the sample count).
func metric(mf map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := mf[name]
	if f == nil {
		return 0, false
	}
	sum, found := 0.0, false
next:
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, found
}

// waitMetric scrapes url until name reaches at least min, and returns the
// page.
func waitMetric(t *testing.T, p *proc, url, name string, min float64, within time.Duration) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		mf, err := scrape(url)
		if err == nil {
			if v, _ := metric(mf, name, nil); v >= min {
				return mf
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach %v within %v (last error %v); stderr:\n%s", name, min, within, err, p.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestMetricsDuringLiveRun runs `ferlive live` headless on a simulated
// camera with --metrics-addr, scrapes /metrics over HTTP twice during the
// run, parses it with the Prometheus text parser and checks that the
// counters move and agree with each other.
func TestMetricsDuringLiveRun(t *testing.T) {
	bin, model := fleetFixtures(t)
	camera := liveCamera(t, 10)
	dir := t.TempDir()
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	p := startFerlive(t, bin, nil, "live", "--camera", camera, "--headless", "--jsonl", filepath.Join(dir, "out.jsonl"),
		"--model", model, "--detector", "blazeface", "--detector-model", testenv.BlazeFace(t), "--threads", "1",
		"--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port), "--name", "kiosk-test")
	first := waitMetric(t, p, url, "ferlive_processed_frames_total", 5, 60*time.Second)
	second := waitMetric(t, p, url, "ferlive_processed_frames_total", valueOf(first, "ferlive_processed_frames_total")+10, 60*time.Second)
	p.stop(t)

	dev := map[string]string{"device": "kiosk-test"}
	for _, name := range []string{"ferlive_processed_frames_total", "ferlive_camera_frames_total", "ferlive_detections_total", "ferlive_faces_total", "ferlive_uptime_seconds"} {
		a, _ := metric(first, name, dev)
		b, ok := metric(second, name, dev)
		if !ok {
			t.Fatalf("no %s with device label %v", name, dev)
		}
		t.Logf("%s: %v then %v", name, a, b)
		if b <= a {
			t.Errorf("%s did not move between scrapes: %v then %v", name, a, b)
		}
	}
	processed, _ := metric(second, "ferlive_processed_frames_total", dev)
	camera2, _ := metric(second, "ferlive_camera_frames_total", dev)
	skipped, _ := metric(second, "ferlive_skipped_frames_total", dev)
	if camera2 < processed || skipped > camera2-processed+2 {
		t.Errorf("camera %v, processed %v, skipped %v: want camera >= processed and skipped <= camera - processed (+ frames in flight)", camera2, processed, skipped)
	}
	// Two faces in every frame, each labelled: the emotion counters add up
	// to the faces, and the faces-per-frame histogram has every frame.
	faces, _ := metric(second, "ferlive_faces_total", dev)
	emotions, _ := metric(second, "ferlive_emotions_total", dev)
	if faces < processed || emotions != faces {
		t.Errorf("faces %v, emotions %v, processed frames %v: want about two faces a frame, each with an emotion", faces, emotions, processed)
	}
	if n, _ := metric(second, "ferlive_faces_per_frame", dev); n != processed {
		t.Errorf("faces_per_frame has %v frames, want %v", n, processed)
	}
	for _, stage := range []string{"detect", "infer", "total"} {
		if n, ok := metric(second, "ferlive_stage_duration_seconds", map[string]string{"stage": stage}); !ok || n == 0 {
			t.Errorf("stage %s: %v observations", stage, n)
		}
	}
	for _, gauge := range []string{"ferlive_process_fps", "ferlive_camera_fps"} {
		if v, _ := metric(second, gauge, dev); v <= 0 || v > 30 {
			t.Errorf("%s = %v, want a rate near the camera's 10 fps", gauge, v)
		}
	}
	for _, name := range []string{"ferlive_camera_reconnects_total", "ferlive_camera_stalls_total", "ferlive_skipped_fps", "ferlive_detection_fps", "ferlive_build_info", "process_cpu_seconds_total", "go_goroutines"} {
		if _, ok := metric(second, name, nil); !ok {
			t.Errorf("no %s", name)
		}
	}
}

func valueOf(mf map[string]*dto.MetricFamily, name string) float64 {
	v, _ := metric(mf, name, nil)
	return v
}

// TestMetricsAnnotate: annotate serves the same metrics while it works
// through a file; camera frames are the frames read, none skipped.
func TestMetricsAnnotate(t *testing.T) {
	bin, model := fleetFixtures(t)
	dir := t.TempDir()
	clip := filepath.Join(dir, "long.mp4")
	if _, err := synth.Write(clip, synth.Bench(640, 360, 1, 600), synth.PhotoFaces(filepath.Join(testenv.Data(t), "photos"))); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	p := startFerlive(t, bin, nil, "annotate", "--input", clip, "--jsonl", filepath.Join(dir, "a.jsonl"), "--model", model,
		"--detector", "blazeface", "--detector-model", testenv.BlazeFace(t), "--threads", "1", "--no-progress",
		"--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port))
	mf := waitMetric(t, p, url, "ferlive_processed_frames_total", 10, 60*time.Second)
	p.cmd.Process.Signal(syscall.SIGINT)
	p.cmd.Wait()
	processed := valueOf(mf, "ferlive_processed_frames_total")
	if cam := valueOf(mf, "ferlive_camera_frames_total"); cam < processed {
		t.Errorf("camera frames %v < processed %v", cam, processed)
	}
	if s := valueOf(mf, "ferlive_skipped_frames_total"); s != 0 {
		t.Errorf("a file skipped %v frames", s)
	}
	if f := valueOf(mf, "ferlive_faces_total"); f < processed {
		t.Errorf("%v faces in %v frames of a clip with a face in each", f, processed)
	}
}

// TestFleetBadFlags: a bad --metrics-addr or --name is a usage error
// (exit 2) naming the flag, before any model is loaded.
func TestFleetBadFlags(t *testing.T) {
	bin, _ := fleetFixtures(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"live", "--headless", "--jsonl", "x", "--metrics-addr", "9464"}, "--metrics-addr \"9464\""},
		{[]string{"annotate", "--input", "x.mp4", "--jsonl", "x", "--metrics-addr", ":99999"}, "--metrics-addr"},
		{[]string{"live", "--headless", "--jsonl", "x", "--name", "a/b"}, "--name \"a/b\""},
	} {
		out, err := exec.Command(bin, c.args...).CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), c.want) {
			t.Errorf("%v: %v, want exit 2 and %q in:\n%s", c.args, err, c.want, out)
		}
	}
}

// faceEvent is the part of an MQTT face event the tests read.
type faceEvent struct {
	Event     string             `json:"event"`
	Device    string             `json:"device"`
	ID        int                `json:"id"`
	Box       map[string]int     `json:"box"`
	Label     string             `json:"label"`
	Score     float64            `json:"score"`
	Probs     map[string]float64 `json:"probs"`
	StartS    float64            `json:"start_s"`
	EndS      float64            `json:"end_s"`
	FirstSeen time.Time          `json:"first_seen"`
	Frames    int                `json:"frames"`
}

func isStatus(payload string) func(mqtttest.Message) bool {
	return func(m mqtttest.Message) bool { return string(m.Payload) == payload }
}

// TestMQTTBrokerKilledMidRun runs `ferlive live` on a simulated camera
// with --mqtt against a real Mosquitto: a subscriber checks the status,
// faces and stats topics and payloads; then the broker is killed for a
// few seconds: ferlive must keep processing frames at its pace, count the
// events it drops, and reconnect when the broker returns; SIGTERM then
// publishes offline.
func TestMQTTBrokerKilledMidRun(t *testing.T) {
	b := mqtttest.StartBroker(t)
	bin, model := fleetFixtures(t)
	camera := liveCamera(t, 10)
	dir := t.TempDir()
	jl := filepath.Join(dir, "out.jsonl")
	sub := mqtttest.Subscribe(t, b.URL(), "ferlive/kiosk-mqtt/#")
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	p := startFerlive(t, bin, nil, "live", "--camera", camera, "--headless", "--jsonl", jl,
		"--model", model, "--detector", "blazeface", "--detector-model", testenv.BlazeFace(t), "--threads", "1",
		"--name", "kiosk-mqtt", "--mqtt", b.URL(), "--mqtt-qos", "1", "--mqtt-stats-every", "1s", "--mqtt-update-every", "500ms",
		"--mqtt-max-backoff", "2s", "--mqtt-keepalive", "2s", "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", port))
	if _, ok := sub.WaitFor("/status", 60*time.Second, isStatus("online")); !ok {
		t.Fatalf("no online status; stderr:\n%s", p.stderr)
	}
	m, ok := sub.WaitFor("/faces", 60*time.Second, func(m mqtttest.Message) bool { return strings.Contains(string(m.Payload), `"new"`) })
	if !ok {
		t.Fatalf("no new face event; stderr:\n%s", p.stderr)
	}
	var e faceEvent
	if err := json.Unmarshal(m.Payload, &e); err != nil {
		t.Fatal(err)
	}
	t.Logf("new face event: %s", m.Payload)
	if m.Topic != "ferlive/kiosk-mqtt/faces" || e.Device != "kiosk-mqtt" || e.ID == 0 || e.Box["w"] < 20 || e.Label == "" ||
		len(e.Probs) != len(testmodel.DefaultSpec().Labels) || e.Probs[e.Label] != e.Score || e.FirstSeen.IsZero() || e.Frames != 1 {
		t.Errorf("new face event %s", m.Payload)
	}
	if _, ok := sub.WaitFor("/faces", 30*time.Second, func(m mqtttest.Message) bool { return strings.Contains(string(m.Payload), `"update"`) }); !ok {
		t.Error("no update event")
	}
	sm, ok := sub.WaitFor("/stats", 30*time.Second, func(m mqtttest.Message) bool { return strings.Contains(string(m.Payload), "processed_frames_total") })
	if !ok {
		t.Fatal("no stats")
	}
	var st struct {
		Processed float64            `json:"processed_frames_total"`
		Emotions  map[string]float64 `json:"emotions_total"`
		MQTT      struct {
			Connected bool `json:"connected"`
		} `json:"mqtt"`
	}
	if err := json.Unmarshal(sm.Payload, &st); err != nil || st.Processed <= 0 || len(st.Emotions) == 0 || !st.MQTT.Connected {
		t.Errorf("stats %s (%v)", sm.Payload, err)
	}

	// Pace before the outage, then kill the broker for 5 s.
	n0, t0 := countLinesIfExists(jl), time.Now()
	time.Sleep(4 * time.Second)
	n1, t1 := countLinesIfExists(jl), time.Now()
	b.Stop()
	time.Sleep(5 * time.Second)
	n2, t2 := countLinesIfExists(jl), time.Now()
	before := float64(n1-n0) / t1.Sub(t0).Seconds()
	during := float64(n2-n1) / t2.Sub(t1).Seconds()
	mf, err := scrape(url)
	if err != nil {
		t.Fatal(err)
	}
	droppedDown := valueOf(mf, "ferlive_mqtt_messages_dropped_total")
	connectedDown := valueOf(mf, "ferlive_mqtt_connected")
	b.Start()
	back := time.Now()
	if _, ok := sub.WaitFor("/status", 30*time.Second, func(m mqtttest.Message) bool { return string(m.Payload) == "online" && m.At.After(back) }); !ok {
		t.Fatalf("ferlive did not come back online within 30 s of the broker's return; stderr:\n%s", p.stderr)
	}
	reconnect := time.Since(back)
	if _, ok := sub.WaitFor("/faces", 30*time.Second, func(m mqtttest.Message) bool { return m.At.After(back) }); !ok {
		t.Error("no face event after the reconnect")
	}
	mf, err = scrape(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("frames/s before the outage %.2f, during %.2f (%d frames processed in the %v outage); %v events dropped while down; back online %v after the broker returned; connects %v",
		before, during, n2-n1, t2.Sub(t1).Round(time.Second), droppedDown, reconnect.Round(10*time.Millisecond), valueOf(mf, "ferlive_mqtt_connects_total"))
	if n2-n1 < 5 || during < 0.5*before {
		t.Errorf("frame loop slowed by the outage: %.2f frames/s before, %.2f during", before, during)
	}
	if droppedDown == 0 || connectedDown != 0 {
		t.Errorf("while the broker was down: %v dropped, connected %v", droppedDown, connectedDown)
	}
	if c := valueOf(mf, "ferlive_mqtt_connects_total"); c != 2 {
		t.Errorf("%v connections, want 2", c)
	}
	p.stop(t)
	if _, ok := sub.WaitFor("/status", 10*time.Second, isStatus("offline")); !ok {
		t.Error("no offline status after SIGTERM")
	}
	if _, ok := sub.WaitFor("/faces", 5*time.Second, func(m mqtttest.Message) bool { return strings.Contains(string(m.Payload), `"end"`) }); !ok {
		t.Error("no end event after SIGTERM")
	}
}

// TestMQTTLastWill: ferlive killed outright leaves "offline" on its status
// topic through the last will, about 1.5 keep-alives later.
func TestMQTTLastWill(t *testing.T) {
	b := mqtttest.StartBroker(t)
	bin, model := fleetFixtures(t)
	sub := mqtttest.Subscribe(t, b.URL(), "ferlive/kiosk-will/status")
	p := startFerlive(t, bin, nil, "live", "--camera", liveCamera(t, 5), "--headless", "--jsonl", filepath.Join(t.TempDir(), "o.jsonl"),
		"--model", model, "--detector", "haar", "--threads", "1", "--name", "kiosk-will", "--mqtt", b.URL(), "--mqtt-keepalive", "1s")
	if _, ok := sub.WaitFor("/status", 60*time.Second, isStatus("online")); !ok {
		t.Fatalf("no online status; stderr:\n%s", p.stderr)
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	killed := time.Now()
	if _, ok := sub.WaitFor("/status", 10*time.Second, isStatus("offline")); !ok {
		t.Fatal("no offline last will after SIGKILL")
	}
	t.Logf("last will published %v after SIGKILL", time.Since(killed).Round(10*time.Millisecond))
}

// TestMQTTBadURL: a bad --mqtt URL is a usage error naming it.
func TestMQTTBadURL(t *testing.T) {
	bin, _ := fleetFixtures(t)
	for _, bad := range []string{"broker:1883", "http://broker", "tcp://", "tcp://host:99999"} {
		out, err := exec.Command(bin, "live", "--headless", "--jsonl", "x", "--mqtt", bad).CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "--mqtt \""+bad+"\"") {
			t.Errorf("--mqtt %s: %v, want exit 2 naming the URL:\n%s", bad, err, out)
		}
	}
	out, err := exec.Command(bin, "annotate", "--input", "x.mp4", "--jsonl", "x", "--mqtt", "tcp://h", "--mqtt-qos", "3").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "--mqtt-qos 3") {
		t.Errorf("--mqtt-qos 3: %v\n%s", err, out)
	}
}
