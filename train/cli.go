//go:build torch

package train

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"
)

// TrainCommand is `ferlive train`: it parses args and trains.
func TrainCommand(ctx context.Context, args []string) error {
	o := DefaultOptions()
	fs := pflag.NewFlagSet("train", pflag.ContinueOnError)
	o.Flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: ferlive train --arch rlrcnet|lfnsb --data DIR --epochs N [flags]\n\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	return RunTrain(ctx, o, os.Stderr)
}
