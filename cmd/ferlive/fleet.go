package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ferlive/ferlive/capture"
	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/internal/mqttevents"
	"github.com/ferlive/ferlive/internal/telemetry"
	"github.com/ferlive/ferlive/pipeline"
)

// fleetFlags connect a live or annotate run to a fleet's monitoring:
// Prometheus metrics and MQTT events.
type fleetFlags struct {
	metricsAddr string
	name        string
	mqtt        string
	mqttQoS     int
	statsEvery  time.Duration
	updateEvery time.Duration
	keepAlive   time.Duration
	maxBackoff  time.Duration
}

func (ff *fleetFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&ff.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address's /metrics, e.g. :9464 (camera, process, skipped and detection fps and counters, stage latency histograms, faces, emotions, reconnects, stalls, uptime)")
	fs.StringVar(&ff.name, "name", "", "this device's name in metrics (label device) and MQTT topics (ferlive/NAME/...) (default: the host name)")
	fs.StringVar(&ff.mqtt, "mqtt", "", "publish events to this MQTT broker, e.g. tcp://broker:1883 (ssl://, ws://; user:password@ in the URL): ferlive/NAME/status (online/offline, QoS 1, retained, last will), ferlive/NAME/faces (new/update/end per tracked face), ferlive/NAME/stats")
	fs.IntVar(&ff.mqttQoS, "mqtt-qos", 0, "MQTT QoS of the faces and stats messages: 0, 1 or 2 (status is always QoS 1)")
	fs.DurationVar(&ff.statsEvery, "mqtt-stats-every", 10*time.Second, "publish ferlive/NAME/stats (retained) this often; 0 = never")
	fs.DurationVar(&ff.updateEvery, "mqtt-update-every", time.Second, "at most one update event per tracked face this often")
	fs.DurationVar(&ff.keepAlive, "mqtt-keepalive", 15*time.Second, "MQTT keep-alive: the broker publishes the offline last will about 1.5 times this after ferlive vanishes")
	fs.DurationVar(&ff.maxBackoff, "mqtt-max-backoff", 30*time.Second, "cap of the exponential backoff between MQTT reconnect attempts")
}

// validate checks the flags and fills in the default name.
func (ff *fleetFlags) validate() error {
	if ff.metricsAddr != "" {
		if err := telemetry.CheckAddr(ff.metricsAddr); err != nil {
			return usageError{err}
		}
	}
	if ff.name == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "ferlive"
		}
		ff.name = strings.NewReplacer("/", "-", "+", "-", "#", "-").Replace(h)
	}
	if strings.ContainsAny(ff.name, "/+#") || strings.TrimSpace(ff.name) != ff.name {
		return usageError{fmt.Errorf("--name %q: want a name without '/', '+', '#' or surrounding spaces (it is an MQTT topic level)", ff.name)}
	}
	if ff.mqtt != "" {
		if _, err := mqttevents.ParseBroker(ff.mqtt); err != nil {
			return usageError{err}
		}
	}
	if ff.mqttQoS < 0 || ff.mqttQoS > 2 {
		return usageError{fmt.Errorf("--mqtt-qos %d: want 0, 1 or 2", ff.mqttQoS)}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		min  time.Duration
	}{{"--mqtt-stats-every", ff.statsEvery, 0}, {"--mqtt-update-every", ff.updateEvery, 0},
		{"--mqtt-keepalive", ff.keepAlive, time.Second}, {"--mqtt-max-backoff", ff.maxBackoff, time.Second}} {
		if d.v < d.min {
			return usageError{fmt.Errorf("%s %v: want at least %v", d.name, d.v, d.min)}
		}
	}
	return nil
}

// fleet is a run's telemetry. The metrics are always kept (systemd's
// STATUS line reads them) and served with --metrics-addr.
type fleet struct {
	metrics *telemetry.Metrics
	server  *telemetry.Server
	events  *mqttevents.Publisher // nil without --mqtt
	done    chan struct{}
	closed  bool
}

// stats is the payload of the MQTT stats topic: the metrics' figures and
// the publisher's own.
type stats struct {
	telemetry.Snapshot
	MQTT mqttevents.Counts `json:"mqtt"`
}

// start makes the run's metrics, makes them observe e's stage timings and
// src's health, and starts serving them. The caller closes the fleet.
func (ff *fleetFlags) start(e *engine, f *runtimeFlags, src capture.Source) (*fleet, error) {
	info := src.Info()
	m := telemetry.New(telemetry.Options{
		Device: ff.name, Labels: e.cls.Labels(), Stages: latency.Order,
		Info: map[string]string{
			"version": version, "model": strings.TrimSuffix(filepath.Base(e.cls.Path()), ".onnx"),
			"detector": f.detector, "source": info.Kind,
		},
	})
	e.stats.Observe(m)
	m.Watch(src)
	registerMatGauge(m)
	fl := &fleet{metrics: m, done: make(chan struct{})}
	if ff.metricsAddr != "" {
		s, err := m.Serve(ff.metricsAddr)
		if err != nil {
			return nil, err
		}
		fl.server = s
		fmt.Fprintf(os.Stderr, "ferlive: metrics on http://%s/metrics\n", s.Addr())
	}
	if ff.mqtt != "" {
		p, err := mqttevents.Start(mqttevents.Options{
			Broker: ff.mqtt, Device: ff.name, Labels: e.cls.Labels(), QoS: byte(ff.mqttQoS),
			UpdateEvery: ff.updateEvery, StatsEvery: ff.statsEvery, KeepAlive: ff.keepAlive, MaxBackoff: ff.maxBackoff,
			Stats: func(c mqttevents.Counts) any { return stats{Snapshot: m.Snapshot(), MQTT: c} },
			Logf:  func(format string, args ...any) { fmt.Fprintf(os.Stderr, "ferlive: "+format+"\n", args...) },
		})
		if err != nil {
			fl.close()
			return nil, usageError{err}
		}
		fl.events = p
		count := func(f func(mqttevents.Counts) uint64) func() float64 {
			return func() float64 { return float64(f(p.Counts())) }
		}
		err = errors.Join(
			m.CounterFunc("mqtt_messages_published_total", "MQTT messages published (acknowledged at QoS 1 and 2).", count(func(c mqttevents.Counts) uint64 { return c.Published })),
			m.CounterFunc("mqtt_messages_dropped_total", "MQTT face events and stats dropped: queue full, broker not connected, or not sent in time.", count(func(c mqttevents.Counts) uint64 { return c.Dropped })),
			m.CounterFunc("mqtt_connects_total", "Successful connections to the MQTT broker, the first included.", count(func(c mqttevents.Counts) uint64 { return c.Connects })),
			m.GaugeFunc("mqtt_connected", "1 while connected to the MQTT broker.", func() float64 {
				if p.Counts().Connected {
					return 1
				}
				return 0
			}),
		)
		if err != nil {
			fl.close()
			return nil, fmt.Errorf("registering the MQTT metrics: %w", err)
		}
	}
	go m.Run(fl.done)
	return fl, nil
}

// sink observes every processed frame.
func (fl *fleet) sink() pipeline.Sink {
	return pipeline.SinkFunc(func(r *pipeline.Result) error {
		fl.metrics.ObserveFrame(&r.Frame)
		if fl.events != nil {
			fl.events.Frame(&r.Frame)
		}
		return nil
	})
}

// close ends the MQTT events (end of every tracked face, offline), stops
// the rate sampling and the metrics server. It is idempotent.
func (fl *fleet) close() error {
	if fl.closed {
		return nil
	}
	fl.closed = true
	if fl.events != nil {
		fl.events.Close()
	}
	close(fl.done)
	var err error
	if fl.server != nil {
		if cerr := fl.server.Close(); cerr != nil {
			err = fmt.Errorf("metrics server: %w", cerr)
		}
	}
	return errors.Join(err)
}

// statusNotifier is the part of sdnotify.Notifier the status line needs.
type statusNotifier interface {
	Enabled() bool
	Status(line string)
}

// statusEvery is how often systemd's STATUS line is refreshed.
const statusEvery = 2 * time.Second

// notifyStatus sends systemd a status line with the run's figures every
// statusEvery until the fleet closes; nothing without a notify socket.
func (fl *fleet) notifyStatus(n statusNotifier) {
	if !n.Enabled() {
		return
	}
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	for {
		n.Status(fl.statusLine())
		select {
		case <-fl.done:
			return
		case <-t.C:
		}
	}
}

// statusLine is one line for `systemctl status`: rates, faces, health.
func (fl *fleet) statusLine() string {
	s := fl.metrics.Snapshot()
	line := fmt.Sprintf("%.1f fps processed (camera %.1f, skipped %.1f), %d faces, %d frames, %d reconnects, %d stalls",
		s.ProcessFPS, s.CameraFPS, s.SkippedFPS, s.Faces, s.ProcessedFrames, s.Reconnects, s.Stalls)
	if h := fl.metrics.Health(); !h.LostSince.IsZero() {
		line = fmt.Sprintf("CAMERA LOST since %s (%s), reconnecting; ", h.LostSince.Format("15:04:05"), h.LostCause) + line
	}
	if fl.server != nil {
		line += ", metrics on " + fl.server.Addr().String()
	}
	if fl.events != nil {
		c := fl.events.Counts()
		state := "connected"
		if !c.Connected {
			state = "not connected"
		}
		line += fmt.Sprintf(", MQTT %s (%d published, %d dropped)", state, c.Published, c.Dropped)
	}
	return line
}
