package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ferlive/ferlive/capture"
	"github.com/ferlive/ferlive/internal/imagefile"
	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/internal/progress"
	"github.com/ferlive/ferlive/pipeline"
)

// annotateJob is one `ferlive annotate` run.
type annotateJob struct {
	f        runtimeFlags
	input    string
	output   string
	noProg   bool
	maxFrame int
	strict   bool
	ff       fleetFlags
}

func runAnnotate(ctx context.Context, args []string) error {
	var j annotateJob
	fs := newFlags("annotate", "ferlive annotate --input IN [--output OUT.mp4] [--jsonl F] [--csv F] [--summary F.json] [--timeline F.png] [flags]\n       ferlive annotate --input FOLDER --shard K/N --out-dir DIR [--shard-video] [flags]")
	fs.StringVarP(&j.input, "input", "i", "", "video file, image, or folder of images (required)")
	fs.StringVarP(&j.output, "output", "o", "", "annotated video to write (.mp4, .avi, .mkv); same size and frame rate as the input")
	j.f.register(fs, false)
	fs.StringVar(&j.f.summary, "summary", "", "write a JSON summary of each tracked face (first and last time seen, share of time in each emotion, dominant emotion) to this file")
	fs.StringVar(&j.f.timeline, "timeline", "", "draw a PNG timeline to this file: one lane per tracked face, its emotion as colour over the video's time (faces seen briefly are merged into one lane)")
	fs.BoolVar(&j.f.strip, "timeline-strip", false, "with --output: draw a small live timeline along the bottom of the annotated video (one row per face in view, its emotion as colour over the last 10 s)")
	fs.BoolVar(&j.noProg, "no-progress", false, "do not draw the progress bar")
	fs.IntVar(&j.maxFrame, "max-frames", 0, "stop after this many frames (0 = all)")
	fs.BoolVar(&j.strict, "strict", false, "stop at the first image of a folder that cannot be read (default: name it, skip it, go on, and exit with status 1 at the end)")
	j.ff.register(fs)
	var sh shardFlags
	sh.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if sh.spec != "" {
		return j.runShard(ctx, &sh)
	}
	if sh.outDir != "" || sh.video {
		return usageError{errors.New("annotate: --out-dir and --shard-video go with --shard K/N")}
	}
	_, err := j.run(ctx)
	return err
}

// run annotates the input and returns the latency recorder of the run.
func (j *annotateJob) run(ctx context.Context) (*latency.Recorder, error) {
	f, input, output, noProg, maxFrame := &j.f, j.input, j.output, j.noProg, j.maxFrame
	if input == "" {
		return nil, usageError{errors.New("annotate: --input is required")}
	}
	if f.strip && output == "" {
		return nil, usageError{errors.New("annotate: --timeline-strip draws into the annotated video: give --output")}
	}
	if output == "" && f.jsonl == "" && f.csv == "" && f.summary == "" && f.timeline == "" {
		return nil, usageError{errors.New("annotate: nothing to write: give --output, --jsonl, --csv, --summary and/or --timeline")}
	}
	if err := j.ff.validate(); err != nil {
		return nil, err
	}
	f.input = input
	var bad imagefile.Bad
	opts := capture.Options{}
	if !j.strict {
		opts.OnBadFile = func(file string, reason error) {
			fmt.Fprintf(os.Stderr, "annotate: skipping %s: %v\n", file, reason)
			bad.Add(file, reason)
		}
	}
	src, err := f.openSource(func() (capture.Source, error) { return capture.Open(input, opts) })
	if err != nil {
		return nil, err
	}
	defer src.Close()
	info := src.Info()
	if info.Live {
		return nil, usageError{fmt.Errorf("annotate: %s is a live source; use `ferlive --camera %s --headless --output F` for cameras and streams", input, input)}
	}
	if info.Orientation != "" {
		fmt.Fprintf(os.Stderr, "annotate: %s: every frame is %s before detection (its display matrix, --rotate); boxes and the output are in the turned picture\n", input, info.Orientation)
	}
	if output != "" && info.Kind == "folder" {
		return nil, usageError{fmt.Errorf("annotate: --output %s: a folder's images may differ in size; write --jsonl / --csv for folders", output)}
	}
	e, err := f.open()
	if err != nil {
		return nil, err
	}
	defer e.Close()
	fl, err := j.ff.start(e, f, src)
	if err != nil {
		return nil, err
	}
	defer fl.close()
	out, sinks, err := f.openOutputs(e, output, info, 25, false)
	if err != nil {
		return nil, err
	}
	defer out.close()
	total := info.Frames
	if maxFrame > 0 && (total == 0 || maxFrame < total) {
		total = maxFrame
	}
	var bar *progress.Bar
	if !noProg {
		bar = progress.New(os.Stderr, "annotate", total)
	}
	done := 0
	sinks = append(sinks, fl.sink(), pipeline.SinkFunc(func(r *pipeline.Result) error {
		done++
		if bar != nil {
			bar.Set(done)
		}
		if maxFrame > 0 && done >= maxFrame {
			return errStop
		}
		return nil
	}))
	runErr := pipeline.Run(ctx, e.config(f, info), src, sinks)
	if errors.Is(runErr, errStop) {
		runErr = nil
	}
	if bar != nil {
		bar.Finish()
	}
	if runErr = out.finish(runErr, e, f); runErr != nil {
		fmt.Fprintf(os.Stderr, "ferlive: %d frames processed before the error; outputs hold them\n", done)
		return e.stats, runErr
	}
	if bad.Len() > 0 {
		return e.stats, fmt.Errorf("annotate: %s: %s (--strict stops at the first)", input, bad.Summary(info.Frames, "skipped"))
	}
	return e.stats, nil
}

// errStop ends a run early without error (--max-frames).
var errStop = errors.New("frame limit reached")
