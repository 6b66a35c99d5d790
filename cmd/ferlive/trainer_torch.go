//go:build torch

package main

import "github.com/ferlive/ferlive/train"

// trainerCommands are the libtorch trainer's subcommands.
func trainerCommands() []command {
	in := train.Installation{FindModel: findModel, ORTLib: defaultORTLib,
		Usage: func(err error) error { return usageError{err} }}
	return []command{
		{"train", "train a model (RLR-CNet or LFNSB) on FER2013 or FER+ with libtorch", train.TrainCommand(in)},
		{"export", "export a training checkpoint to ONNX with the model contract (and write its model card)", train.ExportCommand(in)},
	}
}
