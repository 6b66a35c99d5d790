package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/internal/pipeline"
)

func runLatency(ctx context.Context, args []string) error {
	var (
		f       runtimeFlags
		input   string
		models  []string
		frames  int
		encode  bool
		warmups int
	)
	fs := newFlags("latency", "ferlive latency --input CLIP [--model A --model B ...] [--frames N] [--encode]")
	fs.StringVarP(&input, "input", "i", "", "video file (or image folder) to run on (required)")
	fs.StringSliceVar(&models, "models", nil, "models to compare (shipped names or files), e.g. --models rlrcnet,rlrcnet-int8 (float32 against int8); default: --model")
	fs.IntVar(&frames, "frames", 300, "frames to measure per model (0 = the whole input)")
	fs.IntVar(&warmups, "warmup", 10, "frames run before measuring")
	fs.BoolVar(&encode, "encode", false, "also draw and encode an output video (to a temporary file)")
	f.register(fs, false)
	if err := parse(fs, args); err != nil {
		return err
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
	for _, m := range models {
		f.model = m
		st, fps, name, threads, err := measure(ctx, &f, input, frames, warmups, encode)
		if err != nil {
			return err
		}
		fmt.Printf("== %s on %s\n", name, input)
		fmt.Println(threads)
		rows = append(rows, row{name, st, fps})
		for _, s := range st {
			fmt.Printf("%-11s n=%-6d mean %7.2f ms  p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f\n", s.Name, s.N, s.Mean, s.P50, s.P90, s.P99, s.Max)
		}
		fmt.Printf("throughput %.1f fps\n\n", fps)
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
	return nil
}

// measure runs one model over the input and returns its stage statistics,
// the throughput, the model's name and a line saying which ONNX Runtime
// threads the detector and classifier got.
func measure(ctx context.Context, f *runtimeFlags, input string, frames, warmup int, encode bool) (st []latency.Stat, fps float64, name, threads string, err error) {
	src, err := f.openSource(openInput(input))
	if err != nil {
		return nil, 0, "", "", err
	}
	defer src.Close()
	info := src.Info()
	if info.Live {
		return nil, 0, "", "", usageError{fmt.Errorf("latency: %s is live; give a recorded clip so models see the same frames", input)}
	}
	e, err := f.open()
	if err != nil {
		return nil, 0, "", "", err
	}
	defer e.Close()
	name = filepath.Base(e.cls.Path())
	spin := "on"
	if e.noSpin {
		spin = "off"
	}
	threads = fmt.Sprintf("threads    %d intra-op per session (detect %s, classify), %d cores, spinning %s",
		e.threads, f.detector, runtime.NumCPU(), spin)
	video := ""
	if encode {
		tmp, err := os.MkdirTemp("", "ferlive-latency")
		if err != nil {
			return nil, 0, "", "", err
		}
		defer os.RemoveAll(tmp)
		video = filepath.Join(tmp, "out.mp4")
	}
	out, sinks, err := f.openOutputs(e, video, info, 25, true)
	if err != nil {
		return nil, 0, "", "", err
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
	if err = pipeline.Run(ctx, cfg, src, sinks); err != nil && !errors.Is(err, errStop) {
		return nil, 0, "", "", err
	}
	_, fps = e.stats.Frames()
	return e.stats.Stats(), fps, name, threads, nil
}
