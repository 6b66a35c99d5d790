//go:build torch

package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// Installation is what the ferlive binary knows of where it is installed,
// for the train and export commands.
type Installation struct {
	// FindModel resolves a model named on the command line: a shipped
	// model's short name (rlrcnet, lfnsb) to its file, any other value to
	// itself if the file exists. Nil: names are file paths.
	FindModel func(name string) (string, error)
	// ORTLib is the ONNX Runtime library the build found: the fallback of
	// ort.FindLibrary, after --ort-lib, $FERLIVE_ORT_LIB and a .deps
	// folder near the executable or the working directory.
	ORTLib string
	// Usage marks an error of the command line (a bad flag, a missing
	// required one), so that ferlive exits with its usage status, 2, as
	// for every other command. Nil: such errors are returned as they are.
	Usage func(error) error
}

// usageError is an error of the command line, handed to
// Installation.Usage by the commands.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// command runs run and hands its command-line errors to in.Usage.
func (in Installation) command(run func(context.Context, []string) error) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		err := run(ctx, args)
		var u usageError
		if in.Usage != nil && errors.As(err, &u) {
			return in.Usage(u.error)
		}
		return err
	}
}

// TrainCommand returns `ferlive train`, which parses args and trains.
func TrainCommand(in Installation) func(context.Context, []string) error {
	return in.command(func(ctx context.Context, args []string) error {
		o := DefaultOptions()
		o.ortFallback = in.ORTLib
		fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
		o.Flags(fs)
		fs.Usage = func() {
			fmt.Fprintf(os.Stderr, "usage: ferlive train --arch rlrcnet|lfnsb --data DIR --epochs N [flags]\n\n%s", fs.FlagUsages())
		}
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, pflag.ErrHelp) {
				return nil
			}
			return usageError{err}
		}
		if in.FindModel != nil {
			if err := o.findModels(in.FindModel); err != nil {
				return err
			}
		}
		return RunTrain(ctx, o, os.Stderr)
	})
}

// findModels replaces the models named by --init-from and --teacher by
// their files (find: see Installation.FindModel).
func (o *Options) findModels(find func(string) (string, error)) error {
	if o.InitFrom != "" {
		p, err := find(o.InitFrom)
		if err != nil {
			return fmt.Errorf("--init-from: %w", err)
		}
		o.InitFrom = p
	}
	ts := o.Teachers()
	for i, name := range ts {
		p, err := find(name)
		if err != nil {
			return fmt.Errorf("--teacher: %w", err)
		}
		ts[i] = p
	}
	if len(ts) > 0 {
		o.Teacher = strings.Join(ts, ",")
	}
	return nil
}
