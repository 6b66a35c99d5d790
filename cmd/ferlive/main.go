// Command ferlive recognises facial expressions in real time on a camera,
// annotates video files, images and folders, evaluates and (when built with
// the trainer) trains and exports its models.
//
//	ferlive [--camera 0] [flags]            live window (or --headless --output F)
//	ferlive annotate --input IN [--output OUT.mp4] [--jsonl F] [--csv F]
//	ferlive eval --model M.onnx --data DIR [--split PrivateTest] [--json]
//	ferlive train / export                   (build with `make trainer`)
//
// Run `ferlive help` or `ferlive COMMAND --help` for every flag.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

// Set at build time by the Makefile (-ldflags -X).
var (
	defaultORTLib   string
	defaultModelDir string
	// defaultDetectorModel is the BlazeFace model `make models` converted.
	defaultDetectorModel string
	version              = "dev"
)

func init() {
	// OpenCV's highgui window must be driven from one OS thread: the live
	// window sink runs on the main goroutine, locked to the main thread.
	runtime.LockOSThread()
}

// command is one subcommand. run parses its own flags and returns errors.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}

// usageError marks errors caused by the command line (exit status 2).
type usageError struct{ error }

// errNoTrainer is returned by the train and export commands of a ferlive
// built without libtorch.
var errNoTrainer = errors.New("this ferlive was built without the trainer")

func commands() []command {
	cmds := []command{
		{"live", "show live recognition on a camera or stream (the default command)", runLive},
		{"annotate", "annotate a video, image or image folder: video + CSV / JSON Lines", runAnnotate},
		{"eval", "evaluate an exported model on an image-folder dataset", runEval},
		{"quantize", "make an int8 model from a float32 one, calibrated on real faces", runQuantize},
		{"latency", "per-stage latency report on a clip, for one or more models", runLatency},
		{"convert", "convert a TensorFlow.js graph model to ONNX", runConvert},
	}
	return append(cmds, trainerCommands()...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx, os.Args[1:])
	stop()
	reportMats()
	os.Exit(report(err))
}

// report prints err (if any) and returns the process exit status.
func report(err error) int {
	code := exitStatus(err)
	switch code {
	case 0:
	case 130:
		fmt.Fprintln(os.Stderr, "ferlive: interrupted; outputs written so far are finalised")
	case 2:
		fmt.Fprintln(os.Stderr, "ferlive:", err)
		fmt.Fprintln(os.Stderr, "run `ferlive help` for usage")
	default:
		fmt.Fprintln(os.Stderr, "ferlive:", err)
	}
	return code
}

// exitStatus maps an error to the exit status: 0 success or help, 2 bad
// command line, 130 interrupted, 1 any other error.
func exitStatus(err error) int {
	var uerr usageError
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.Is(err, context.Canceled):
		return 130
	case errors.As(err, &uerr):
		return 2
	default:
		return 1
	}
}

func dispatch(ctx context.Context, args []string) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "help":
			usage()
			return nil
		case "version":
			fmt.Println("ferlive", version)
			return nil
		}
		for _, c := range commands() {
			if c.name == args[0] {
				return c.run(ctx, args[1:])
			}
		}
		return usageError{fmt.Errorf("unknown command %q", args[0])}
	}
	return runLive(ctx, args)
}

func usage() {
	fmt.Fprintf(os.Stderr, "ferlive: real-time facial expression recognition\n\nusage:\n  ferlive [live flags]        live recognition (same as `ferlive live`)\n  ferlive COMMAND [flags]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(os.Stderr, "  %-9s %s\n  %-9s %s\n\nrun `ferlive COMMAND --help` for its flags.\n", "help", "this text", "version", "print the version")
}

// newFlags returns a flag set for a subcommand that returns errors instead of exiting.
func newFlags(name, synopsis string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s\n\nflags:\n%s", synopsis, fs.FlagUsages())
	}
	return fs
}

// parse parses args and wraps errors as usage errors.
func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}
