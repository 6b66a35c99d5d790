// Package mqttevents publishes what a running ferlive sees to an MQTT
// broker, for fleets of kiosks and cameras:
//
//	ferlive/<device>/status  "online" / "offline"  QoS 1, retained; "offline" is also the last will
//	ferlive/<device>/faces   one JSON event per tracked face: new, update (throttled), end
//	ferlive/<device>/stats   JSON figures every StatsEvery (the metrics' Snapshot), retained
//
// Faces and stats go at Options.QoS (default 0), faces never retained.
// No image is ever published: a face event carries its id, box, label,
// probabilities and time span.
//
// The frame loop never waits for the broker: Frame only puts events on a
// bounded queue, which one goroutine publishes while the connection is up.
// When the broker is absent, slow or down, events are dropped (and counted)
// instead of queued without bound. The client reconnects with exponential
// backoff, capped at Options.MaxBackoff, for the first connection as for
// later ones.
package mqttevents

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Status payloads.
const (
	Online  = "online"
	Offline = "offline"
)

// Options configure a Publisher.
type Options struct {
	// Broker is the broker's URL: tcp://host:1883 (mqtt:// is the same),
	// ssl://host:8883 (tls://, mqtts://), ws://host/path, wss://... The port
	// defaults to the scheme's; user:password@ in the URL authenticates.
	Broker string
	// Device is the topic level after ferlive/ (no '/', '+' or '#').
	Device string
	// Labels are the model's labels, in the order of record.Face.Probs.
	Labels []string
	// QoS of the faces and stats messages (0, 1 or 2; status is always 1).
	QoS byte
	// UpdateEvery throttles a face's update events: at most one per face
	// per period (default 1s).
	UpdateEvery time.Duration
	// EndAfter: a face not seen for this long (in the source's time), or
	// for EndFrames processed frames, has ended (default 1s, 25 frames).
	EndAfter  time.Duration
	EndFrames int
	// StatsEvery is the period of the stats topic (0 = no stats).
	StatsEvery time.Duration
	// Stats returns the stats payload (marshalled to JSON), given the
	// publisher's own counts to include.
	Stats func(Counts) any
	// Queue bounds the events waiting to be published (default 256);
	// beyond it events are dropped.
	Queue int
	// MaxBackoff caps the reconnect backoff (default 30s).
	MaxBackoff time.Duration
	// KeepAlive is the MQTT keep-alive: a broker declares ferlive gone
	// (and publishes the last will) after 1.5 times it (default 15s).
	KeepAlive time.Duration
	// PublishTimeout bounds the wait for one message to be sent (and, at
	// QoS 1 and 2, acknowledged) before it counts as dropped (default 5s).
	PublishTimeout time.Duration
	// Logf receives connection messages (nil = silent).
	Logf func(format string, args ...any)
}

// ParseBroker checks a --mqtt URL and returns it with the scheme's default
// port filled in.
func ParseBroker(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("--mqtt %q: %w", s, err)
	}
	ports := map[string]string{"tcp": "1883", "mqtt": "1883", "ssl": "8883", "tls": "8883", "mqtts": "8883", "ws": "80", "wss": "443"}
	port, ok := ports[u.Scheme]
	if !ok {
		return "", fmt.Errorf("--mqtt %q: scheme %q: want tcp://HOST:1883 (or mqtt, ssl, tls, mqtts, ws, wss)", s, u.Scheme)
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("--mqtt %q: no host: want e.g. tcp://broker.local:1883", s)
	}
	if p := u.Port(); p == "" {
		u.Host = net.JoinHostPort(u.Hostname(), port)
	} else if n, err := parsePort(p); err != nil || n == 0 {
		return "", fmt.Errorf("--mqtt %q: port %q: want 1 to 65535", s, p)
	}
	if (u.Path != "" && u.Path != "/") && !strings.HasPrefix(u.Scheme, "ws") {
		return "", fmt.Errorf("--mqtt %q: a path is only meaningful for ws:// and wss://", s)
	}
	return u.String(), nil
}

func parsePort(p string) (int, error) {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, errors.New("too large")
		}
	}
	return n, nil
}

// CheckDevice reports whether name can be a topic level.
func CheckDevice(name string) error {
	if name == "" || strings.ContainsAny(name, "/+#\x00") {
		return fmt.Errorf("device name %q: want a non-empty MQTT topic level without '/', '+' or '#'", name)
	}
	return nil
}

// Counts are a Publisher's figures.
type Counts struct {
	Published uint64 `json:"published_total"` // messages sent (acknowledged at QoS 1 and 2)
	Dropped   uint64 `json:"dropped_total"`   // events and stats dropped: queue full, not connected, or not sent in time
	Connects  uint64 `json:"connects_total"`  // successful connections, the first included
	Connected bool   `json:"connected"`
}

// message is one queued publication.
type message struct {
	topic   string
	payload any // marshalled to JSON by the publishing goroutine
	qos     byte
	retain  bool
}

// Publisher publishes a run's events. Frame is called from the frame loop;
// everything else runs on goroutines of its own.
type Publisher struct {
	o      Options
	client mqtt.Client
	queue  chan message
	stop   chan struct{}
	done   sync.WaitGroup

	published, dropped, connects atomic.Uint64
	connected                    atomic.Bool

	tracks map[int]*track // frame loop only
	frames int            // frames seen, frame loop only
	closed bool
}

// Topic returns the topic of kind ("status", "faces", "stats") for device.
func Topic(device, kind string) string { return "ferlive/" + device + "/" + kind }

// Start checks o and starts connecting in the background: it returns at
// once, whether the broker is up or not.
func Start(o Options) (*Publisher, error) {
	broker, err := ParseBroker(o.Broker)
	if err != nil {
		return nil, err
	}
	if err := CheckDevice(o.Device); err != nil {
		return nil, err
	}
	if o.QoS > 2 {
		return nil, fmt.Errorf("MQTT QoS %d: want 0, 1 or 2", o.QoS)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.UpdateEvery, time.Second)
	def(&o.EndAfter, time.Second)
	def(&o.MaxBackoff, 30*time.Second)
	def(&o.KeepAlive, 15*time.Second)
	def(&o.PublishTimeout, 5*time.Second)
	if o.EndFrames <= 0 {
		o.EndFrames = 25
	}
	if o.Queue <= 0 {
		o.Queue = 256
	}
	p := &Publisher{o: o, queue: make(chan message, o.Queue), stop: make(chan struct{}), tracks: map[int]*track{}}

	status := Topic(o.Device, "status")
	opts := mqtt.NewClientOptions().AddBroker(broker).
		SetClientID("ferlive-"+o.Device).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(o.MaxBackoff).
		SetConnectTimeout(5*time.Second).
		SetKeepAlive(o.KeepAlive).
		SetPingTimeout(5*time.Second).
		SetWriteTimeout(o.PublishTimeout).
		SetOrderMatters(false).
		SetWill(status, Offline, 1, true).
		SetOnConnectHandler(func(c mqtt.Client) {
			p.connects.Add(1)
			p.connected.Store(true)
			p.logf("mqtt: connected to %s", redact(broker))
			// Handlers run on their own goroutine: waiting here is fine.
			t := c.Publish(status, 1, true, Online)
			if !t.WaitTimeout(o.PublishTimeout) || t.Error() != nil {
				p.logf("mqtt: publishing %s online: %v", status, tokenErr(t))
			}
		}).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			p.connected.Store(false)
			p.logf("mqtt: connection to %s lost: %v; reconnecting with backoff (at most %v apart)", redact(broker), err, o.MaxBackoff)
		})
	if u, err := url.Parse(broker); err == nil && u.User != nil {
		opts.SetUsername(u.User.Username())
		if pw, ok := u.User.Password(); ok {
			opts.SetPassword(pw)
		}
	}
	p.client = mqtt.NewClient(opts)
	p.done.Add(2)
	go p.connect(broker)
	go p.publishLoop()
	return p, nil
}

// redact hides a password in a broker URL for logs.
func redact(broker string) string {
	if u, err := url.Parse(broker); err == nil {
		return u.Redacted()
	}
	return broker
}

func (p *Publisher) logf(format string, args ...any) {
	if p.o.Logf != nil {
		p.o.Logf(format, args...)
	}
}

func tokenErr(t mqtt.Token) error {
	if err := t.Error(); err != nil {
		return err
	}
	return errors.New("timed out")
}

// connect makes the first connection, retrying with exponential backoff
// (1s doubling to MaxBackoff); later losses are paho's auto-reconnect,
// with the same cap.
func (p *Publisher) connect(broker string) {
	defer p.done.Done()
	delay := time.Second
	for attempt := 1; ; attempt++ {
		t := p.client.Connect()
		select {
		case <-t.Done():
		case <-p.stop:
			return
		}
		if t.Error() == nil {
			return
		}
		if attempt == 1 || attempt%10 == 0 {
			p.logf("mqtt: cannot connect to %s (attempt %d): %v; retrying with backoff, events are dropped meanwhile", redact(broker), attempt, t.Error())
		}
		select {
		case <-time.After(delay):
		case <-p.stop:
			return
		}
		delay = min(2*delay, p.o.MaxBackoff)
	}
}

// publishLoop publishes queued messages while connected and the stats
// every StatsEvery, until Close.
func (p *Publisher) publishLoop() {
	defer p.done.Done()
	var tick <-chan time.Time
	if p.o.StatsEvery > 0 && p.o.Stats != nil {
		t := time.NewTicker(p.o.StatsEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case m := <-p.queue:
			p.publish(m)
		case <-tick:
			p.enqueue(message{topic: Topic(p.o.Device, "stats"), payload: p.o.Stats(p.Counts()), qos: p.o.QoS, retain: true})
		case <-p.stop:
			return
		}
	}
}

// publish sends one message, or drops it when not connected or not sent
// within PublishTimeout.
func (p *Publisher) publish(m message) {
	if !p.client.IsConnectionOpen() {
		p.dropped.Add(1)
		return
	}
	b, err := json.Marshal(m.payload)
	if err != nil {
		p.dropped.Add(1)
		p.logf("mqtt: %s: %v", m.topic, err)
		return
	}
	t := p.client.Publish(m.topic, m.qos, m.retain, b)
	if !t.WaitTimeout(p.o.PublishTimeout) || t.Error() != nil {
		p.dropped.Add(1)
		return
	}
	p.published.Add(1)
}

// enqueue queues m without waiting: a full queue drops it.
func (p *Publisher) enqueue(m message) {
	select {
	case p.queue <- m:
	default:
		p.dropped.Add(1)
	}
}

// Counts returns the publisher's figures.
func (p *Publisher) Counts() Counts {
	return Counts{Published: p.published.Load(), Dropped: p.dropped.Load(), Connects: p.connects.Load(),
		Connected: p.connected.Load() && p.client.IsConnectionOpen()}
}

// Close ends the faces still tracked (end events), publishes them and
// "offline" for up to a second or two if connected, and disconnects. The
// queue is not drained beyond that.
func (p *Publisher) Close() {
	if p.closed {
		return
	}
	p.closed = true
	p.endAll()
	deadline := time.Now().Add(time.Second)
	for len(p.queue) > 0 && p.client.IsConnectionOpen() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(p.stop)
	p.done.Wait()
	p.dropped.Add(uint64(len(p.queue)))
	if p.client.IsConnectionOpen() {
		t := p.client.Publish(Topic(p.o.Device, "status"), 1, true, Offline)
		t.WaitTimeout(time.Second)
	}
	p.client.Disconnect(250)
	p.connected.Store(false)
}
