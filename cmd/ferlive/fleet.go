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
	"github.com/ferlive/ferlive/internal/telemetry"
	"github.com/ferlive/ferlive/pipeline"
)

// fleetFlags connect a live or annotate run to a fleet's monitoring:
// Prometheus metrics and MQTT events.
type fleetFlags struct {
	metricsAddr string
	name        string
}

func (ff *fleetFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&ff.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address's /metrics, e.g. :9464 (camera, process, skipped and detection fps and counters, stage latency histograms, faces, emotions, reconnects, stalls, uptime)")
	fs.StringVar(&ff.name, "name", "", "this device's name in metrics (label device) and MQTT topics (ferlive/NAME/...) (default: the host name)")
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
	return nil
}

// fleet is a run's telemetry. The metrics are always kept (systemd's
// STATUS line reads them) and served with --metrics-addr.
type fleet struct {
	metrics *telemetry.Metrics
	server  *telemetry.Server
	done    chan struct{}
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
	fl := &fleet{metrics: m, done: make(chan struct{})}
	if ff.metricsAddr != "" {
		s, err := m.Serve(ff.metricsAddr)
		if err != nil {
			return nil, err
		}
		fl.server = s
		fmt.Fprintf(os.Stderr, "ferlive: metrics on http://%s/metrics\n", s.Addr())
	}
	go m.Run(fl.done)
	return fl, nil
}

// sink observes every processed frame.
func (fl *fleet) sink() pipeline.Sink {
	return pipeline.SinkFunc(func(r *pipeline.Result) error {
		fl.metrics.ObserveFrame(&r.Frame)
		return nil
	})
}

// close stops the rate sampling and the metrics server.
func (fl *fleet) close() error {
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
	if fl.server != nil {
		line += ", metrics on " + fl.server.Addr().String()
	}
	return line
}
