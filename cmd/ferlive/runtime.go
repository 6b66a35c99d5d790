package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/ferlive/ferlive/capture"
	"github.com/ferlive/ferlive/facedetect"
	"github.com/ferlive/ferlive/infer"
	"github.com/ferlive/ferlive/internal/latency"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/internal/record"
	"github.com/ferlive/ferlive/internal/summary"
	"github.com/ferlive/ferlive/overlay"
	"github.com/ferlive/ferlive/pipeline"
)

// runtimeFlags are the flags shared by live, annotate and latency.
type runtimeFlags struct {
	model       string
	detector    string
	detModel    string
	detectEvery int
	noRefine    bool
	reuseIoU    float64
	refresh     int
	detectSize  int
	minFace     int
	device      string
	threads     int
	ortLib      string
	smooth      float64
	noHUD, hud  bool
	mirror      bool
	rotate      int
	stats       bool
	jsonl, csv  string
	// annotate only: the emotion summary and timeline of the input
	summary, timeline, input string
	// annotate only: draw a live timeline strip into the annotated video
	strip bool
}

// mirrorHelp documents --mirror for the runtime commands and eval.
const mirrorHelp = "classify every face together with its mirror image, in the same batched call, and average the two (test-time augmentation: about twice the classifier's time)"

func (f *runtimeFlags) register(fs *pflag.FlagSet, live bool) {
	fs.StringVar(&f.model, "model", "", "expression model: a shipped name (faceres, rlrcnet, lfnsb, or their int8 versions faceres-int8, rlrcnet-int8, lfnsb-int8) or an .onnx file (default: the shipped faceres-ferplus.onnx)")
	fs.StringVar(&f.detector, "detector", "", "face detector: "+strings.Join(facedetect.Kinds, ", ")+" (default: blazeface when make deps installed it, else haar)")
	fs.StringVar(&f.detModel, "detector-model", "", "detector model file (cascade XML for haar, default Debian's frontal face cascade; ONNX file for blazeface, default the one make deps converted; for yunet and ultraface, required)")
	every := 1
	if live {
		every = 2
	}
	fs.IntVar(&f.detectEvery, "detect-every", every, "run the detector on the whole frame every Nth frame; in between, re-detect tracked faces near their predicted position")
	fs.BoolVar(&f.noRefine, "no-refine", false, "between full detections only extrapolate tracked boxes (no local re-detection)")
	fs.Float64Var(&f.reuseIoU, "reuse-iou", 0, "reuse a tracked face's last classification while its box overlaps the box it was classified at by at least this IoU (0 = classify every face every frame)")
	fs.IntVar(&f.refresh, "refresh", pipeline.DefaultRefresh, "with --reuse-iou, classify a tracked face again after at most this many frames")
	fs.IntVar(&f.detectSize, "detect-size", 0, "longest side of the downscaled copy the detector sees (0 = detector's default)")
	fs.IntVar(&f.minFace, "min-face", 0, "smallest face side to detect, in frame pixels (0 = detector's default)")
	fs.BoolVar(&f.mirror, "mirror", false, mirrorHelp)
	fs.IntVar(&f.rotate, "rotate", 0, "turn every frame clockwise by 0, 90, 180 or 270 degrees before detection: a camera mounted on its side (portrait kiosk), a video that lost its display matrix; boxes and outputs are in the turned picture")
	fs.StringVar(&f.device, "device", "cpu", "ONNX Runtime execution provider: "+strings.Join(ort.Devices, ", "))
	fs.IntVar(&f.threads, "threads", 0, "ONNX Runtime intra-op threads per model (0 = the cores divided between detection and classification, at least 1)")
	fs.StringVar(&f.ortLib, "ort-lib", "", "ONNX Runtime shared library (default: $FERLIVE_ORT_LIB, then the one make deps installed)")
	smooth := 0.0
	if live {
		smooth = 0.6
	}
	fs.Float64Var(&f.smooth, "smooth", smooth, "per-face EMA weight of past probabilities, 0 = off (never applied to still images)")
	fs.BoolVar(&f.noHUD, "no-hud", false, "never draw the fps / latency HUD, not even in the live window")
	fs.BoolVar(&f.hud, "hud", false, "also draw the fps / latency HUD into the annotated output video (off by default; the live window shows it unless --no-hud)")
	fs.BoolVar(&f.stats, "stats", false, "print the per-stage latency table at the end")
	fs.StringVar(&f.jsonl, "jsonl", "", "write per-frame results as JSON Lines to this file")
	fs.StringVar(&f.csv, "csv", "", "write per-face results as CSV to this file")
}

// noticeOnce prints the detector fallback notice once per process.
var noticeOnce sync.Once

// engine is what a run needs: the classifier, the detector and the stats.
type engine struct {
	cls   *infer.Classifier
	det   facedetect.Detector
	stats *latency.Recorder
	// threads is the intra-op thread count each ONNX Runtime session got,
	// noSpin whether its workers sleep instead of spinning.
	threads int
	noSpin  bool
}

func (f *runtimeFlags) validate() error {
	if f.detectEvery < 1 {
		return usageError{fmt.Errorf("--detect-every %d: want 1 or more", f.detectEvery)}
	}
	if f.smooth < 0 || f.smooth >= 1 {
		return usageError{fmt.Errorf("--smooth %g: want a value in [0, 1)", f.smooth)}
	}
	if f.reuseIoU < 0 || f.reuseIoU > 1 {
		return usageError{fmt.Errorf("--reuse-iou %g: want 0 (off) to 1", f.reuseIoU)}
	}
	if f.refresh < 0 {
		return usageError{fmt.Errorf("--refresh %d: want 1 or more (0 = %d)", f.refresh, pipeline.DefaultRefresh)}
	}
	if f.threads < 0 {
		return usageError{fmt.Errorf("--threads %d: want 0 or more", f.threads)}
	}
	if f.hud && f.noHUD {
		return usageError{errors.New("--hud and --no-hud contradict each other")}
	}
	if f.rotate%90 != 0 || f.rotate < 0 || f.rotate >= 360 {
		return usageError{fmt.Errorf("--rotate %d: want 0, 90, 180 or 270 (degrees clockwise)", f.rotate)}
	}
	return nil
}

// openSource opens a source with capture.Open (or open, for cameras),
// after checking the flags, and turns its frames by --rotate. The caller
// closes it.
func (f *runtimeFlags) openSource(open func() (capture.Source, error)) (capture.Source, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	src, err := open()
	if err != nil {
		return nil, err
	}
	t, err := capture.Rotate(src, f.rotate)
	if err != nil {
		src.Close()
		return nil, err
	}
	return t, nil
}

// openInput opens a file, folder, device or stream given as --input.
func openInput(spec string) func() (capture.Source, error) {
	return func() (capture.Source, error) { return capture.Open(spec, capture.Options{}) }
}

func (f *runtimeFlags) open() (*engine, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	if err := ort.InitDefault(f.ortLib, defaultORTLib); err != nil {
		return nil, err
	}
	path, err := findModel(f.model)
	if err != nil {
		return nil, err
	}
	// Detection and classification run as concurrent pipeline stages and
	// share the cores.
	threads, noSpin := ort.StageThreads(f.threads, runtime.NumCPU(), pipelineStages)
	opts := ort.Options{Device: f.device, Threads: threads, NoSpin: noSpin}
	cls, err := infer.Open(path, opts)
	if err != nil {
		return nil, err
	}
	cls.SetMirror(f.mirror)
	var notice string
	f.detector, f.detModel, notice = facedetect.Resolve(f.detector, f.detModel, defaultDetectorModel)
	if notice != "" {
		noticeOnce.Do(func() { fmt.Fprintln(os.Stderr, "ferlive:", notice) })
	}
	det, err := facedetect.New(f.detector, f.detModel, facedetect.Options{
		MaxSide: f.detectSize, MinSize: f.minFace, ORT: opts,
	})
	if err != nil {
		cls.Close()
		return nil, err
	}
	return &engine{cls: cls, det: det, stats: latency.New(), threads: threads, noSpin: noSpin}, nil
}

// pipelineStages is the number of ONNX Runtime sessions that run at the
// same time in the pipeline: the detector and the classifier.
const pipelineStages = 2

func (e *engine) Close() {
	e.det.Close()
	e.cls.Close()
}

func (e *engine) config(f *runtimeFlags, info capture.Info) pipeline.Config {
	still := info.Kind == "image" || info.Kind == "folder"
	buf := 4
	if info.Live {
		buf = 0
	}
	return pipeline.Config{
		Detector: e.det, Classifier: e.cls, Stats: e.stats,
		DetectEvery: f.detectEvery, Refine: !f.noRefine, Smooth: f.smooth, Still: still, Buffer: buf,
		ReuseIoU: f.reuseIoU, Refresh: f.refresh,
	}
}

// drawer returns the overlay sink. The HUD goes into what it draws (and so
// into an output video) only with --hud; windowHUD reports whether the
// window should show it anyway, through the drawer's HUD layer.
func (e *engine) drawer(f *runtimeFlags) (*pipeline.Drawer, error) {
	r, err := overlay.New(overlay.Options{NoHUD: f.noHUD, Uncertain: overlay.UncertaintyOf(e.cls.Spec().UncertainOrDefault())})
	if err != nil {
		return nil, err
	}
	lines := []string{strings.TrimSuffix(filepath.Base(e.cls.Path()), ".onnx"), f.detector}
	return &pipeline.Drawer{Renderer: r, Labels: e.cls.Labels(), Stats: e.stats, HUD: f.hud, Lines: lines}, nil
}

// windowHUD reports whether a live window shows the HUD that the frames
// written to files do not carry (neither --hud nor --no-hud).
func (f *runtimeFlags) windowHUD() bool { return !f.hud && !f.noHUD }

// outputs are the files a run writes: the annotated video and the CSV /
// JSON Lines results.
type outputs struct {
	drawer  *pipeline.Drawer
	video   *capture.VideoWriter
	records []record.Writer
}

// open opens the outputs that were asked for and returns the sinks that
// feed them, in order: drawing (when the frames are shown or encoded), the
// video, the records. On error everything opened is closed.
func (f *runtimeFlags) openOutputs(e *engine, video string, info capture.Info, fps float64, draw bool) (*outputs, pipeline.Sinks, error) {
	o := &outputs{}
	var sinks pipeline.Sinks
	if draw || video != "" {
		d, err := e.drawer(f)
		if err != nil {
			return nil, nil, err
		}
		o.drawer = d
		sinks = append(sinks, d)
	}
	if video != "" {
		if info.FPS > 0 {
			fps = info.FPS
		}
		vw, err := capture.NewVideoWriter(video, fps, info.Width, info.Height)
		if err != nil {
			o.close()
			return nil, nil, err
		}
		o.video = vw
		if f.strip {
			sinks = append(sinks, &pipeline.Strip{})
		}
		sinks = append(sinks, &pipeline.Video{W: vw, Stats: e.stats})
	}
	if f.jsonl != "" {
		w, err := record.NewJSONL(f.jsonl, e.cls.Labels())
		if err != nil {
			o.close()
			return nil, nil, err
		}
		o.records = append(o.records, w)
	}
	if f.csv != "" {
		w, err := record.NewCSV(f.csv, e.cls.Labels())
		if err != nil {
			o.close()
			return nil, nil, err
		}
		o.records = append(o.records, w)
	}
	if f.summary != "" || f.timeline != "" {
		w, err := summary.New(f.summary, f.timeline, filepath.Base(f.input), e.cls.Labels())
		if err != nil {
			o.close()
			return nil, nil, err
		}
		o.records = append(o.records, w)
	}
	if len(o.records) > 0 {
		sinks = append(sinks, &pipeline.Records{W: o.records, Stats: e.stats})
	}
	return o, sinks, nil
}

// close finalises every output (the video stays playable, the records hold
// every frame written) and returns the first error. It is idempotent.
func (o *outputs) close() error {
	var first error
	if o.video != nil {
		first = o.video.Close()
	}
	if o.drawer != nil {
		o.drawer.Renderer.Close()
	}
	for _, w := range o.records {
		if err := w.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// finish finalises the outputs after a run and returns the run's error, or
// else the first error finalising them; with --stats it prints the table.
func (o *outputs) finish(runErr error, e *engine, f *runtimeFlags) error {
	if err := o.close(); err != nil && runErr == nil {
		runErr = err
	}
	if f.stats {
		printStats(e)
	}
	return runErr
}

// printStats writes the latency table to stderr.
func printStats(e *engine) {
	fmt.Fprintln(os.Stderr)
	e.stats.WriteTable(os.Stderr)
}

// liveOptions are the capture options for cameras and streams.
func liveOptions(width, height int, fps float64, reconnect bool) capture.Options {
	return capture.Options{
		Width: width, Height: height, FPS: fps, Reconnect: reconnect,
		MaxBackoff: 10 * time.Second, StallTimeout: 5 * time.Second,
		Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, "ferlive: "+format+"\n", args...) },
	}
}

// findModel resolves a --model value: a shipped model's short name to its
// file in the places shipped models are installed, a path to itself.
func findModel(nameOrPath string) (string, error) {
	return infer.FindModel(nameOrPath, infer.ModelDirs(defaultModelDir))
}
