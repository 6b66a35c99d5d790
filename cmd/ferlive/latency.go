package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ferlive/ferlive/internal/latency"
	latreport "github.com/ferlive/ferlive/internal/latency/report"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/pipeline"
)

func runLatency(ctx context.Context, args []string) error {
	var (
		f       runtimeFlags
		input   string
		models  []string
		frames  int
		encode  bool
		warmups int
		out     reportFlags
	)
	fs := newFlags("latency", "ferlive latency --input CLIP [--models A,B] [--frames N] [--encode] [--json F] [--md F] [--png F] [--compare OLD.json [--fail-on-regression]]")
	fs.StringVarP(&input, "input", "i", "", "video file (or image folder) to run on (required)")
	fs.StringSliceVar(&models, "models", nil, "models to compare (shipped names or files), e.g. --models rlrcnet,rlrcnet-int8 (float32 against int8); default: --model")
	fs.IntVar(&frames, "frames", 300, "frames to measure per model (0 = the whole input)")
	fs.IntVar(&warmups, "warmup", 10, "frames run before measuring")
	fs.BoolVar(&encode, "encode", false, "also draw and encode an output video (to a temporary file)")
	fs.IntVar(&out.batchReps, "batch-reps", 20, "classifier calls timed per batch size (1, 2, 4, 8 faces) for the batch scaling; 0 = skip it")
	fs.StringVar(&out.json, "json", "", "also write the report as JSON to this file (device, stages, fps, batch scaling): keep it to --compare later runs with")
	fs.StringVar(&out.md, "md", "", "also write the report as Markdown to this file")
	fs.StringVar(&out.png, "png", "", "also draw the report as a PNG chart to this file (stages stacked per model, ms per face by batch size)")
	fs.StringVar(&out.compare, "compare", "", "an earlier --json report: flag every stage (and batch size) more than 10% slower now")
	fs.BoolVar(&out.failOnRegression, "fail-on-regression", false, "with --compare, exit with status 1 when a stage got more than 10% slower")
	f.register(fs, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	if out.failOnRegression && out.compare == "" {
		return usageError{errors.New("latency: --fail-on-regression needs --compare OLD.json")}
	}
	var old *latreport.Report
	if out.compare != "" { // read it first: a bad file fails before minutes of measuring
		var err error
		if old, err = latreport.ReadJSON(out.compare); err != nil {
			return err
		}
	}
	if input == "" {
		return usageError{errors.New("latency: --input is required")}
	}
	if f.jsonl != "" || f.csv != "" {
		return usageError{errors.New("latency: --jsonl / --csv are for annotate; the report measures the pipeline")}
	}
	if len(models) == 0 {
		models = []string{f.model}
	}
	type row struct {
		name  string
		stats []latency.Stat
		fps   float64
	}
	var rows []row
	rep := &latreport.Report{Time: time.Now(), Input: filepath.Base(input), Frames: frames, Device: latreport.LocalDevice()}
	rep.Device.Ferlive, rep.Device.Provider, rep.Device.Threads = version, f.device, f.threads
	for _, m := range models {
		f.model = m
		r, err := measure(ctx, &f, input, frames, warmups, encode, out.batchReps)
		if err != nil {
			return err
		}
		st, fps, name := r.stats, r.fps, r.name
		fmt.Printf("== %s on %s\n", name, input)
		fmt.Println(r.threads)
		rows = append(rows, row{name, st, fps})
		rep.Device.ORT, rep.Device.Detector, rep.Device.Threads = ort.Version(), f.detector, r.intra
		rep.Models = append(rep.Models, latreport.Model{Name: name, Frames: r.frames, FPS: fps, Stages: latreport.Stages(st), Batch: r.batch})
		for _, s := range st {
			fmt.Printf("%-11s n=%-6d mean %7.2f ms  p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f\n", s.Name, s.N, s.Mean, s.P50, s.P90, s.P99, s.Max)
		}
		fmt.Printf("throughput %.1f fps\n", fps)
		for _, b := range r.batch {
			fmt.Printf("batch %d     %7.2f ms a call, %6.2f ms a face\n", b.Faces, b.MsPerCall, b.MsPerFace)
		}
		fmt.Println()
	}
	if len(rows) > 1 {
		w := 10 // columns as wide as the longest model name
		for _, r := range rows {
			w = max(w, len(strings.TrimSuffix(r.name, ".onnx")))
		}
		fmt.Printf("%-11s", "mean ms")
		for _, r := range rows {
			fmt.Printf(" %*s", w, strings.TrimSuffix(r.name, ".onnx"))
		}
		fmt.Printf("   ratio to %s\n", rows[0].name)
		for _, s := range rows[0].stats {
			fmt.Printf("%-11s", s.Name)
			var vals []float64
			for _, r := range rows {
				v := 0.0
				for _, t := range r.stats {
					if t.Name == s.Name {
						v = t.Mean
					}
				}
				vals = append(vals, v)
				fmt.Printf(" %*.2f", w, v)
			}
			var ratios []string
			for _, v := range vals[1:] {
				if vals[0] > 0 {
					ratios = append(ratios, fmt.Sprintf("%.2fx", v/vals[0]))
				}
			}
			fmt.Printf("   %s\n", strings.Join(ratios, " "))
		}
	}
	return out.write(rep, old)
}

// reportFlags are the report outputs of `ferlive latency`.
type reportFlags struct {
	json, md, png, compare string
	failOnRegression       bool
	batchReps              int
}

// write writes the report files asked for and compares with old (if not
// nil), printing the regressions; with --fail-on-regression they are an
// error.
func (o *reportFlags) write(rep *latreport.Report, old *latreport.Report) error {
	if o.json != "" {
		if err := rep.WriteJSON(o.json); err != nil {
			return err
		}
	}
	if o.md != "" {
		if err := rep.WriteMarkdown(o.md); err != nil {
			return err
		}
	}
	if o.png != "" {
		if err := rep.WritePNG(o.png); err != nil {
			return err
		}
	}
	if old == nil {
		return nil
	}
	regs := rep.Compare(old, regressionTolerance)
	if len(regs) == 0 {
		fmt.Printf("compared with %s: no stage more than %.0f%% slower\n", o.compare, regressionTolerance*100)
		return nil
	}
	fmt.Printf("compared with %s: %d more than %.0f%% slower\n", o.compare, len(regs), regressionTolerance*100)
	for _, g := range regs {
		fmt.Println("  SLOWER", g)
	}
	if o.failOnRegression {
		return fmt.Errorf("latency: %d stages more than %.0f%% slower than in %s", len(regs), regressionTolerance*100, o.compare)
	}
	return nil
}

// regressionTolerance is how much slower a stage may get before --compare
// flags it.
const regressionTolerance = 0.10

// measured is one model's measurement.
type measured struct {
	stats   []latency.Stat
	frames  int // frames measured
	fps     float64
	name    string
	threads string // which ONNX Runtime threads the detector and classifier got
	intra   int    // intra-op threads per session
	batch   []latreport.Batch
}

// measure runs one model over the input and returns its stage statistics,
// the throughput, the model's name, the threads its sessions got and, with
// batchReps > 0, its classifier's batch scaling.
func measure(ctx context.Context, f *runtimeFlags, input string, frames, warmup int, encode bool, batchReps int) (*measured, error) {
	src, err := f.openSource(openInput(input))
	if err != nil {
		return nil, err
	}
	defer src.Close()
	info := src.Info()
	if info.Live {
		return nil, usageError{fmt.Errorf("latency: %s is live; give a recorded clip so models see the same frames", input)}
	}
	e, err := f.open()
	if err != nil {
		return nil, err
	}
	defer e.Close()
	name := filepath.Base(e.cls.Path())
	spin := "on"
	if e.noSpin {
		spin = "off"
	}
	threads := fmt.Sprintf("threads    %d intra-op per session (detect %s, classify), %d cores, spinning %s",
		e.threads, f.detector, runtime.NumCPU(), spin)
	video := ""
	if encode {
		tmp, err := os.MkdirTemp("", "ferlive-latency")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		video = filepath.Join(tmp, "out.mp4")
	}
	out, sinks, err := f.openOutputs(e, video, info, 25, true)
	if err != nil {
		return nil, err
	}
	defer out.close()
	n := 0
	sinks = append(sinks, pipeline.SinkFunc(func(r *pipeline.Result) error {
		n++
		if n == warmup {
			e.stats.Reset() // measure from here on
		}
		if frames > 0 && n >= warmup+frames {
			return errStop
		}
		return nil
	}))
	cfg := e.config(f, info)
	cfg.Buffer = 0 // no read-ahead: a frame's total is its latency as from a camera, not queueing
	if err := pipeline.Run(ctx, cfg, src, sinks); err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	nf, fps := e.stats.Frames()
	m := &measured{stats: e.stats.Stats(), frames: nf, fps: fps, name: name, threads: threads, intra: e.threads}
	if batchReps > 0 {
		// A mid-grey face: the time of a call does not depend on the pixels.
		sp := e.cls.Spec()
		face := make([]float32, sp.Channels*sp.Size*sp.Size)
		if m.batch, err = latreport.BatchScaling(func(b []float32, n int) error {
			_, err := e.cls.Run(b, n)
			return err
		}, face, batchReps); err != nil {
			return nil, fmt.Errorf("latency: %s: %w", name, err)
		}
	}
	return m, nil
}
