//go:build torch

package main

import (
	"context"
	"testing"
)

// TestTrainerUsageExit2 checks that train and export map command-line
// errors to exit status 2, like every other command.
func TestTrainerUsageExit2(t *testing.T) {
	for _, args := range [][]string{
		{"train", "--frobnicate"},
		{"export", "--frobnicate"},
		{"export", "--out", "m.onnx"},
		{"export", "--checkpoint", "c.pt", "--out", "m.onnx", "--accuracy", "2"},
	} {
		err := dispatch(context.Background(), args)
		if code := exitStatus(err); code != 2 {
			t.Errorf("%v: exit status %d (error %v), want 2", args, code, err)
		}
	}
}
