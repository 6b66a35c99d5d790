package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferlive/ferlive/internal/tfjs"
)

// runConvert converts a TensorFlow.js graph model to ONNX (used by
// `make models` for BlazeFace).
func runConvert(_ context.Context, args []string) error {
	fs := newFlags("convert", "ferlive convert --tfjs model.json --out model.onnx [--size N] [--nchw] [--free-size]")
	in := fs.String("tfjs", "", "TensorFlow.js graph model (model.json, weight shards beside it)")
	out := fs.String("out", "", "ONNX file to write")
	size := fs.Int("size", 0, "input height and width (0 = the model's own; needed when it is free)")
	nchw := fs.Bool("nchw", false, "make the ONNX input NCHW instead of TensorFlow's NHWC")
	free := fs.Bool("free-size", false, "leave the input's height and width free (padding stays computed for --size: exact for sides of the same parity at every stride, e.g. multiples of 32)")
	outputs := fs.StringSlice("outputs", nil, "graph nodes to expose as outputs (default: the model's signature, or its final nodes)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return usageError{errors.New("convert needs --tfjs and --out")}
	}
	if err := tfjs.ConvertFile(*in, *out, tfjs.ConvertOptions{Size: *size, NCHW: *nchw, FreeSize: *free, Outputs: *outputs}); err != nil {
		return err
	}
	fmt.Printf("%s -> %s\n", *in, *out)
	return nil
}
