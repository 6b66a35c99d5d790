package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/capture"
	"github.com/ferlive/ferlive/internal/sdnotify"
	"github.com/ferlive/ferlive/pipeline"
)

func runLive(ctx context.Context, args []string) error {
	var (
		f          runtimeFlags
		camera     string
		input      string
		headless   bool
		output     string
		fullscreen bool
		width      int
		height     int
		fps        float64
		noReconn   bool
		maxFrames  int
		stallExit  time.Duration
		inputRate  float64
	)
	fs := newFlags("ferlive", "ferlive [live] [--camera 0 | --input SOURCE] [--headless --output F] [flags]")
	fs.StringVarP(&camera, "camera", "c", "0", "camera: index (0), device (/dev/video0), stream URL (rtsp://…), or GStreamer pipeline ending in appsink (Jetson CSI)")
	fs.StringVarP(&input, "input", "i", "", "play a video file or image folder instead of a camera")
	fs.Float64Var(&inputRate, "input-rate", 0, "with --input: play the video as a camera would deliver it, at this many frames a second (newest frame only, late frames dropped, looped at the end): a synthetic camera for measuring the live loop (--stats adds capture-to-drawn latency); 0 = every frame, as fast as it goes")
	fs.BoolVar(&headless, "headless", false, "no window: write --output / --jsonl / --csv instead")
	fs.StringVarP(&output, "output", "o", "", "write the annotated stream to this video file")
	fs.BoolVar(&fullscreen, "fullscreen", false, "full-screen window (kiosk)")
	fs.IntVar(&width, "width", 0, "requested camera width (0 = camera default)")
	fs.IntVar(&height, "height", 0, "requested camera height (0 = camera default)")
	fs.Float64Var(&fps, "fps", 0, "requested camera frame rate (0 = camera default)")
	fs.BoolVar(&noReconn, "no-reconnect", false, "exit when the camera is lost instead of reopening it")
	fs.IntVar(&maxFrames, "max-frames", 0, "stop after this many frames (0 = run until quit)")
	fs.DurationVar(&stallExit, "stall-exit", 30*time.Second, "exit with an error when no frame was processed for this long (so systemd restarts a hung process); 0 = never")
	f.register(fs, true)
	var ff fleetFlags
	ff.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := ff.validate(); err != nil {
		return err
	}
	if headless && output == "" && f.jsonl == "" && f.csv == "" && ff.metricsAddr == "" && ff.mqtt == "" {
		return usageError{errors.New("--headless needs --output, --jsonl, --csv, --metrics-addr or --mqtt")}
	}
	if inputRate < 0 || (inputRate > 0 && input == "") {
		return usageError{fmt.Errorf("--input-rate %v: want a positive frame rate, with --input", inputRate)}
	}
	if !headless && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return usageError{errors.New("no display ($DISPLAY is not set): run with --headless --output FILE, or under a desktop session")}
	}
	spec := camera
	var src capture.Source
	var err error
	if input != "" {
		spec = input
		open := openInput(input)
		if inputRate > 0 {
			open = func() (capture.Source, error) {
				return capture.OpenPaced(input, inputRate, liveOptions(0, 0, 0, !noReconn))
			}
		}
		src, err = f.openSource(open)
	} else {
		src, err = f.openSource(func() (capture.Source, error) {
			return capture.OpenCamera(camera, liveOptions(width, height, fps, !noReconn))
		})
	}
	if err != nil {
		return err
	}
	defer src.Close()
	info := src.Info()

	e, err := f.open()
	if err != nil {
		return err
	}
	defer e.Close()
	fl, err := ff.start(e, &f, src)
	if err != nil {
		return err
	}
	defer fl.close()
	out, sinks, err := f.openOutputs(e, output, info, 30, !headless)
	if err != nil {
		return err
	}
	defer out.close()
	if !headless {
		win := gocv.NewWindow("ferlive " + spec)
		defer win.Close()
		if fullscreen {
			win.SetWindowProperty(gocv.WindowPropertyFullscreen, gocv.WindowFullscreen)
		} else if info.Width > 0 && info.Height > 0 {
			win.ResizeWindow(info.Width, info.Height) // show the frame 1:1, not shrunk
		}
		if f.windowHUD() {
			sinks = append(sinks, out.drawer.HUDLayer()) // after the video: in the window only
		}
		sinks = append(sinks, &pipeline.Window{W: win, Stats: e.stats})
	}

	// Kiosk: tell systemd we are up, pet its watchdog on every frame, and
	// exit if frames stop flowing so that systemd restarts us.
	notify := sdnotify.New()
	notify.Ready()
	defer notify.Stopping()
	go fl.notifyStatus(notify)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	progressed := make(chan struct{}, 1)
	if stallExit > 0 {
		done := make(chan struct{})
		defer close(done)
		go watchStall(done, progressed, stallExit, cancel)
	}
	n := 0
	sinks = append(sinks, fl.sink(), pipeline.SinkFunc(func(r *pipeline.Result) error {
		n++
		notify.Watchdog()
		select {
		case progressed <- struct{}{}:
		default:
		}
		if maxFrames > 0 && n >= maxFrames {
			return errStop
		}
		return nil
	}))
	runErr := pipeline.Run(ctx, e.config(&f, info), src, sinks)
	if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
		runErr = cause
	}
	if errors.Is(runErr, errStop) || errors.Is(runErr, pipeline.ErrQuit) {
		runErr = nil
	}
	err = out.finish(runErr, e, &f)
	if d, ok := src.(capture.DropCounter); ok && f.stats {
		fmt.Fprintf(os.Stderr, "live source: %d frames processed, %d captured frames dropped (the loop was busy when a newer one arrived)\n", n, d.Dropped())
	}
	return err
}

var errStalled = errors.New("no frame processed within --stall-exit: exiting so the service manager restarts ferlive")

// watchStall cancels the run when no frame arrives on progressed for d.
func watchStall(done <-chan struct{}, progressed <-chan struct{}, d time.Duration, cancel context.CancelCauseFunc) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-progressed:
			t.Reset(d)
		case <-t.C:
			fmt.Fprintln(os.Stderr, "ferlive:", errStalled)
			cancel(errStalled)
			// A stage stuck in C code cannot see the cancellation: give the
			// outputs a few seconds to be finalised, then exit hard.
			select {
			case <-done:
				return
			case <-time.After(5 * time.Second):
			}
			fmt.Fprintln(os.Stderr, "ferlive: pipeline did not stop, exiting")
			os.Exit(3)
		}
	}
}
