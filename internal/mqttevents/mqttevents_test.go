package mqttevents

import (
	"encoding/json"
	"fmt"
	"image"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferlive/ferlive/internal/record"
	"github.com/ferlive/ferlive/testkit/mqtttest"
)

var labels = []string{"happiness", "neutral"}

func face(id int, label string) record.Face {
	p := []float32{0.9, 0.1}
	if label == "neutral" {
		p = []float32{0.2, 0.8}
	}
	return record.Face{ID: id, Box: image.Rect(10, 20, 60, 90), Label: label, Score: max(p[0], p[1]), Probs: p}
}

func decode(t *testing.T, m mqtttest.Message) FaceEvent {
	t.Helper()
	var e FaceEvent
	if err := json.Unmarshal(m.Payload, &e); err != nil {
		t.Fatalf("%s: %v: %s", m.Topic, err, m.Payload)
	}
	return e
}

func logf(t *testing.T) func(string, ...any) {
	return func(f string, a ...any) { t.Logf(f, a...) }
}

// TestEvents publishes a face's life to a real Mosquitto and checks the
// topics, payloads, throttling, retained messages and the offline status.
func TestEvents(t *testing.T) {
	b := mqtttest.StartBroker(t)
	sub := mqtttest.Subscribe(t, b.URL(), "ferlive/kiosk-1/#")
	stats := atomic.Int64{}
	p, err := Start(Options{Broker: b.URL(), Device: "kiosk-1", Labels: labels, UpdateEvery: 100 * time.Millisecond,
		EndAfter: 200 * time.Millisecond, StatsEvery: 150 * time.Millisecond, QoS: 1,
		Stats: func(Counts) any { return map[string]int64{"processed_frames_total": stats.Add(1)} }, Logf: logf(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sub.WaitFor("/status", 10*time.Second, func(m mqtttest.Message) bool { return string(m.Payload) == Online }); !ok {
		t.Fatalf("no online status; got %v", sub.Messages(""))
	}
	// Face 1 for 1 s of frames at 50 fps (wall time about the same), then
	// gone: new, about 10 updates, end.
	start := time.Now()
	pts := time.Duration(0)
	for i := 0; i < 50; i++ {
		f := &record.Frame{Index: i, PTS: pts, Faces: []record.Face{face(1, "happiness")}}
		if i >= 25 {
			f.Faces = append(f.Faces, face(2, "neutral"))
		}
		p.Frame(f)
		pts += 20 * time.Millisecond
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	for i := 50; i < 70; i++ { // no faces for 400 ms of source time
		p.Frame(&record.Frame{Index: i, PTS: pts})
		pts += 20 * time.Millisecond
	}
	ok := func(id int, event string) func(mqtttest.Message) bool {
		return func(m mqtttest.Message) bool { e := decode(t, m); return e.ID == id && e.Event == event }
	}
	for _, id := range []int{1, 2} {
		if _, found := sub.WaitFor("/faces", 5*time.Second, ok(id, "end")); !found {
			t.Fatalf("no end event for face %d; faces: %d messages", id, len(sub.Messages("/faces")))
		}
	}
	var events []FaceEvent
	for _, m := range sub.Messages("/faces") {
		if m.Topic != "ferlive/kiosk-1/faces" || m.Retained {
			t.Errorf("face event on %s retained=%v", m.Topic, m.Retained)
		}
		if strings.Contains(string(m.Payload), "image") || len(m.Payload) > 2000 {
			t.Errorf("face event carries more than figures: %d bytes", len(m.Payload))
		}
		events = append(events, decode(t, m))
	}
	updates := 0
	for _, e := range events {
		if e.ID == 1 && e.Event == "update" {
			updates++
		}
	}
	if events[0].Event != "new" || events[0].ID != 1 {
		t.Errorf("first event %+v, want new face 1", events[0])
	}
	maxUpdates := int(elapsed/(100*time.Millisecond)) + 1
	if updates < 3 || updates > maxUpdates {
		t.Errorf("%d updates of face 1 in %v, want throttled to at most one per 100 ms (<= %d) and some", updates, elapsed, maxUpdates)
	}
	var end1 FaceEvent
	for _, e := range events {
		if e.ID == 1 && e.Event == "end" {
			end1 = e
		}
	}
	if end1.Frames != 50 || end1.StartS != 0 || end1.EndS != 0.98 || end1.DurationS != 0.98 || end1.Label != "happiness" ||
		end1.Dominant != "happiness" || end1.Box != (Box{10, 20, 50, 70}) || end1.Probs["happiness"] != 0.9 || end1.Device != "kiosk-1" ||
		end1.FirstSeen.IsZero() || !end1.LastSeen.After(end1.FirstSeen) {
		t.Errorf("end of face 1: %+v", end1)
	}
	if _, found := sub.WaitFor("/stats", 5*time.Second, func(m mqtttest.Message) bool { return strings.Contains(string(m.Payload), "processed_frames_total") }); !found {
		t.Fatal("no stats message")
	}
	// A subscriber that comes later gets the retained status and stats.
	late := mqtttest.Subscribe(t, b.URL(), "ferlive/kiosk-1/#")
	for _, kind := range []string{"/status", "/stats"} {
		if _, found := late.WaitFor(kind, 5*time.Second, func(m mqtttest.Message) bool { return m.Retained }); !found {
			t.Errorf("no retained %s for a late subscriber", kind)
		}
	}
	c := p.Counts()
	if !c.Connected || c.Connects != 1 || c.Dropped != 0 || c.Published < uint64(len(events)) {
		t.Errorf("counts %+v", c)
	}
	p.Frame(&record.Frame{Index: 70, PTS: pts, Faces: []record.Face{face(3, "neutral")}})
	p.Close()
	if _, found := sub.WaitFor("/faces", 5*time.Second, ok(3, "end")); !found {
		t.Error("Close did not end the face still tracked")
	}
	if _, found := sub.WaitFor("/status", 5*time.Second, func(m mqtttest.Message) bool { return string(m.Payload) == Offline }); !found {
		t.Error("no offline status after Close")
	}
}

// TestBrokerDown kills the broker while frames flow: Frame never waits,
// events are dropped and counted, and the publisher reconnects (with its
// backoff) when the broker returns.
func TestBrokerDown(t *testing.T) {
	b := mqtttest.StartBroker(t)
	sub := mqtttest.Subscribe(t, b.URL(), "ferlive/cam/#")
	p, err := Start(Options{Broker: b.URL(), Device: "cam", Labels: labels, UpdateEvery: time.Millisecond,
		MaxBackoff: 2 * time.Second, KeepAlive: 2 * time.Second, Logf: logf(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, ok := sub.WaitFor("/status", 10*time.Second, func(m mqtttest.Message) bool { return string(m.Payload) == Online }); !ok {
		t.Fatal("no online status")
	}
	i := 0
	var slowest time.Duration
	frame := func() {
		t0 := time.Now()
		p.Frame(&record.Frame{Index: i, PTS: time.Duration(i) * 10 * time.Millisecond, Faces: []record.Face{face(1, "happiness")}})
		slowest = max(slowest, time.Since(t0))
		i++
		time.Sleep(5 * time.Millisecond)
	}
	for j := 0; j < 20; j++ {
		frame()
	}
	b.Stop()
	down := time.Now()
	framesDown := 0
	for time.Since(down) < 2*time.Second {
		frame()
		framesDown++
	}
	dropped := p.Counts().Dropped
	b.Start()
	back := time.Now()
	for !p.Counts().Connected {
		if time.Since(back) > 15*time.Second {
			t.Fatalf("not reconnected 15 s after the broker returned: %+v", p.Counts())
		}
		frame()
	}
	reconnect := time.Since(back)
	t.Logf("broker down 2 s: %d frames fed, %d events dropped; reconnected %v after the broker returned; slowest Frame call %v",
		framesDown, dropped, reconnect.Round(time.Millisecond), slowest)
	if dropped == 0 {
		t.Error("no event counted as dropped while the broker was down")
	}
	if slowest > 20*time.Millisecond {
		t.Errorf("a Frame call took %v: the frame loop waited for the broker", slowest)
	}
	n := len(sub.Messages("/faces"))
	for j := 0; j < 20; j++ {
		frame()
	}
	if _, ok := sub.WaitFor("/faces", 5*time.Second, func(mqtttest.Message) bool { return len(sub.Messages("/faces")) > n }); !ok {
		t.Error("no face event delivered after the reconnect")
	}
	if c := p.Counts(); c.Connects != 2 {
		t.Errorf("%d connections, want 2", c.Connects)
	}
}

// TestAbsentBroker: with no broker at start, Start returns at once, events
// are dropped, and the publisher connects when the broker appears.
func TestAbsentBroker(t *testing.T) {
	b := mqtttest.StartBroker(t)
	b.Stop()
	t0 := time.Now()
	p, err := Start(Options{Broker: b.URL(), Device: "cam", Labels: labels, MaxBackoff: time.Second, Logf: logf(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if el := time.Since(t0); el > 100*time.Millisecond {
		t.Errorf("Start took %v with no broker", el)
	}
	for i := 0; i < 200; i++ {
		p.Frame(&record.Frame{Index: i, Faces: []record.Face{face(i, "neutral")}})
	}
	time.Sleep(200 * time.Millisecond)
	if c := p.Counts(); c.Dropped == 0 || c.Connected {
		t.Errorf("counts %+v with no broker, want events dropped", c)
	}
	b.Start()
	deadline := time.Now().Add(10 * time.Second)
	for !p.Counts().Connected {
		if time.Now().After(deadline) {
			t.Fatal("not connected 10 s after the broker appeared")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stallProxy forwards TCP to a broker until paused, then stops reading
// from and writing to both sides: a broker that is up but does not answer.
type stallProxy struct {
	ln     net.Listener
	target string
	paused atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go p.pipe(c, u)
			go p.pipe(u, c)
		}
	}()
	return p
}

func (p *stallProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 4096)
	for {
		for p.paused.Load() {
			time.Sleep(10 * time.Millisecond)
		}
		n, err := src.Read(buf)
		if n > 0 {
			for p.paused.Load() {
				time.Sleep(10 * time.Millisecond)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			}
			return
		}
	}
}

func (p *stallProxy) url() string { return "tcp://" + p.ln.Addr().String() }

// TestSlowBroker: a broker that stops answering (QoS 1 acks never come)
// does not slow the frame loop; the bounded queue overflows into the
// dropped counter.
func TestSlowBroker(t *testing.T) {
	b := mqtttest.StartBroker(t)
	proxy := newStallProxy(t, fmt.Sprintf("127.0.0.1:%d", b.Port))
	p, err := Start(Options{Broker: proxy.url(), Device: "slow", Labels: labels, QoS: 1, UpdateEvery: time.Millisecond,
		Queue: 16, PublishTimeout: 200 * time.Millisecond, KeepAlive: 30 * time.Second, Logf: logf(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !p.Counts().Connected {
		if time.Now().After(deadline) {
			t.Fatal("not connected through the proxy")
		}
		time.Sleep(20 * time.Millisecond)
	}
	proxy.paused.Store(true)
	var slowest time.Duration
	for i := 0; i < 300; i++ {
		t0 := time.Now()
		p.Frame(&record.Frame{Index: i, PTS: time.Duration(i) * 10 * time.Millisecond, Faces: []record.Face{face(1, "happiness")}})
		slowest = max(slowest, time.Since(t0))
		time.Sleep(2 * time.Millisecond)
	}
	c := p.Counts()
	t.Logf("unanswering broker: 300 frames, slowest Frame call %v, counts %+v", slowest, c)
	if slowest > 20*time.Millisecond {
		t.Errorf("a Frame call took %v behind a stalled broker", slowest)
	}
	if c.Dropped < 200 {
		t.Errorf("%d dropped of 300 events behind a stalled broker with a queue of 16", c.Dropped)
	}
	proxy.paused.Store(false)
}

func TestParseBroker(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://host":               "tcp://host:1883",
		"tcp://host:1884":          "tcp://host:1884",
		"mqtts://u:p@host":         "mqtts://u:p@host:8883",
		"ws://host:9001/mqtt":      "ws://host:9001/mqtt",
		"tcp://[::1]":              "tcp://[::1]:1883",
		"ssl://broker.example.org": "ssl://broker.example.org:8883",
	} {
		if got, err := ParseBroker(in); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"host:1883", "http://host", "tcp://", "tcp://host:0", "tcp://host:99999", "tcp://host/path", "::"} {
		if _, err := ParseBroker(bad); err == nil || !strings.Contains(err.Error(), "--mqtt") {
			t.Errorf("%q: %v, want an error naming --mqtt", bad, err)
		}
	}
	if err := CheckDevice("a/b"); err == nil {
		t.Error("a/b accepted as a topic level")
	}
}
