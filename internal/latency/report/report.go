// Package report turns `ferlive latency` measurements into a report to keep:
// JSON with the device it ran on, Markdown, a PNG chart (stages stacked per
// model, and the classifier's batch scaling), and a comparison with an
// earlier JSON report that flags stages that got slower.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ferlive/ferlive/internal/latency"
)

// Device describes the machine and runtime a report was measured on.
type Device struct {
	CPU      string `json:"cpu"`      // CPU model (/proc/cpuinfo)
	Cores    int    `json:"cores"`    // logical cores
	OS       string `json:"os"`       // GOOS/GOARCH
	ORT      string `json:"ort"`      // ONNX Runtime version
	Provider string `json:"provider"` // execution provider: cpu, cuda, tensorrt
	Threads  int    `json:"threads"`  // intra-op threads asked for (0 = ferlive's default)
	Ferlive  string `json:"ferlive"`  // ferlive version
	Detector string `json:"detector"` // face detector
}

// Stage is one pipeline stage's timings, in milliseconds.
type Stage struct {
	Name string  `json:"name"`
	N    int     `json:"n"`
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

// Batch is the classifier's time for one batch size.
type Batch struct {
	Faces     int     `json:"faces"`
	MsPerCall float64 `json:"ms_per_call"`
	MsPerFace float64 `json:"ms_per_face"`
}

// Model is one model's measurement.
type Model struct {
	Name   string  `json:"name"`
	Frames int     `json:"frames"` // frames measured
	FPS    float64 `json:"fps"`
	Stages []Stage `json:"stages"`
	Batch  []Batch `json:"batch"`
}

// Report is a whole `ferlive latency` run.
type Report struct {
	Time   time.Time `json:"time"`
	Input  string    `json:"input"`
	Frames int       `json:"frames"` // frames asked for per model after warm-up (0 = the whole input)
	Device Device    `json:"device"`
	Models []Model   `json:"models"`
}

// Stages converts the recorder's statistics.
func Stages(st []latency.Stat) []Stage {
	out := make([]Stage, 0, len(st))
	for _, s := range st {
		out = append(out, Stage{Name: s.Name, N: s.N, Mean: s.Mean, P50: s.P50, P90: s.P90, P99: s.P99, Max: s.Max})
	}
	return out
}

// CPUModel returns the CPU's model name from /proc/cpuinfo ("model name"
// on x86, "Model" or "Hardware" on ARM boards such as a Jetson), or
// GOARCH when there is none.
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	found := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if ok && v != "" && found[k] == "" {
			found[k] = v
		}
	}
	for _, k := range []string{"model name", "Model", "Hardware", "cpu model"} {
		if found[k] != "" {
			return found[k]
		}
	}
	return runtime.GOARCH
}

// LocalDevice fills in what the machine says about itself.
func LocalDevice() Device {
	return Device{CPU: CPUModel(), Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
}

// BatchSizes are the batch sizes the classifier is timed at.
var BatchSizes = []int{1, 2, 4, 8}

// BatchScaling times run on batches of each size: the input is face
// repeated n times, run reps times after one warm-up call; the mean time of
// a call and of a face are returned.
func BatchScaling(run func(batch []float32, n int) error, face []float32, reps int) ([]Batch, error) {
	var out []Batch
	for _, n := range BatchSizes {
		batch := make([]float32, 0, n*len(face))
		for range n {
			batch = append(batch, face...)
		}
		if err := run(batch, n); err != nil {
			return nil, fmt.Errorf("batch of %d faces: %w", n, err)
		}
		t0 := time.Now()
		for range reps {
			if err := run(batch, n); err != nil {
				return nil, fmt.Errorf("batch of %d faces: %w", n, err)
			}
		}
		ms := float64(time.Since(t0)) / float64(time.Millisecond) / float64(reps)
		out = append(out, Batch{Faces: n, MsPerCall: ms, MsPerFace: ms / float64(n)})
	}
	return out, nil
}

// WriteJSON writes r to path (through a temporary file, so the file is
// whole or absent).
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("latency report %s: %w", path, err)
	}
	return writeFile(path, append(b, '\n'))
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("latency report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("latency report %s: want the JSON `ferlive latency --json` writes: %w", path, err)
	}
	if len(r.Models) == 0 {
		return nil, fmt.Errorf("latency report %s: no models in it; want the JSON `ferlive latency --json` writes", path)
	}
	return &r, nil
}

func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Regression is a stage of a model that got slower than in the old report.
type Regression struct {
	Model, Stage string
	Old, New     float64 // mean ms
}

// Ratio is New/Old.
func (g Regression) Ratio() float64 { return g.New / g.Old }

// String describes the regression in one line.
func (g Regression) String() string {
	return fmt.Sprintf("%s %s: %.2f ms -> %.2f ms (+%.0f%%)", g.Model, g.Stage, g.Old, g.New, (g.Ratio()-1)*100)
}

// Compare returns every stage mean (and, as stage "batch N", every batch
// size's time per call) of the models in both reports that is more than
// tolerance (0.10 = 10%) slower in r than in old. Models are matched by
// name; a model found in only one report is not compared.
func (r *Report) Compare(old *Report, tolerance float64) []Regression {
	var out []Regression
	for _, m := range r.Models {
		var o *Model
		for i := range old.Models {
			if old.Models[i].Name == m.Name {
				o = &old.Models[i]
			}
		}
		if o == nil {
			continue
		}
		for _, s := range m.Stages {
			for _, os := range o.Stages {
				if os.Name == s.Name && os.Mean > 0 && s.Mean > os.Mean*(1+tolerance) {
					out = append(out, Regression{m.Name, s.Name, os.Mean, s.Mean})
				}
			}
		}
		for _, b := range m.Batch {
			for _, ob := range o.Batch {
				if ob.Faces == b.Faces && ob.MsPerCall > 0 && b.MsPerCall > ob.MsPerCall*(1+tolerance) {
					out = append(out, Regression{m.Name, fmt.Sprintf("batch %d", b.Faces), ob.MsPerCall, b.MsPerCall})
				}
			}
		}
	}
	return out
}

// Markdown returns the report as Markdown: the device, one table of stage
// timings per model, the throughput and the batch scaling.
func (r *Report) Markdown() string {
	var b strings.Builder
	d := r.Device
	fmt.Fprintf(&b, "# ferlive latency report\n\n")
	fmt.Fprintf(&b, "%s, on `%s`.\n\n", r.Time.UTC().Format("2006-01-02 15:04 MST"), r.Input)
	fmt.Fprintf(&b, "| device | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPU | %s (%d cores, %s) |\n| ONNX Runtime | %s, %s provider, %s |\n| detector | %s |\n| ferlive | %s |\n\n",
		d.CPU, d.Cores, d.OS, d.ORT, d.Provider, threads(d.Threads), d.Detector, d.Ferlive)
	for _, m := range r.Models {
		fmt.Fprintf(&b, "## %s\n\n%.1f frames per second over %d frames (after the warm-up).\n\n", m.Name, m.FPS, m.Frames)
		fmt.Fprintf(&b, "| stage | n | mean ms | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range m.Stages {
			fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n", s.Name, s.N, s.Mean, s.P50, s.P90, s.P99, s.Max)
		}
		if len(m.Batch) > 0 {
			fmt.Fprintf(&b, "\nClassifier batch scaling (preprocessed faces, one call):\n\n| faces | ms per call | ms per face |\n|---:|---:|---:|\n")
			for _, x := range m.Batch {
				fmt.Fprintf(&b, "| %d | %.2f | %.2f |\n", x.Faces, x.MsPerCall, x.MsPerFace)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func threads(n int) string {
	if n == 0 {
		return "default intra-op threads"
	}
	return fmt.Sprintf("intra-op threads: %d", n)
}

// WriteMarkdown writes Markdown() to path.
func (r *Report) WriteMarkdown(path string) error { return writeFile(path, []byte(r.Markdown())) }
