//go:build !torch

package main

import (
	"context"
	"fmt"
)

// trainerCommands are stubs: this ferlive was built without libtorch.
func trainerCommands() []command {
	stub := func(name string) func(context.Context, []string) error {
		return func(context.Context, []string) error {
			return fmt.Errorf("ferlive %s: %w; build it with `make trainer` (needs libtorch-dev)", name, errNoTrainer)
		}
	}
	return []command{
		{"train", "train a model (needs a ferlive built with `make trainer`)", stub("train")},
		{"export", "export a checkpoint to ONNX (needs a ferlive built with `make trainer`)", stub("export")},
	}
}
