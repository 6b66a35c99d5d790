package quantize

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
)

// Batch is a preprocessed batch of faces in the model's input layout
// (N x C x H x W float32), as infer.Classifier.PreprocessImages makes it.
type Batch struct {
	Data []float32
	N    int
}

// Calibrate runs the float model m on the batches through ONNX Runtime and
// records the range of every tensor Targets lists. ONNX Runtime must have
// been initialised (ort.Init).
func Calibrate(ctx context.Context, m *onnx.Model, batches []Batch, o ort.Options) (Ranges, error) {
	if len(batches) == 0 {
		return nil, fmt.Errorf("calibrate: no calibration faces")
	}
	if len(m.Graph.Inputs) != 1 || len(m.Graph.Inputs[0].Shape) != 4 {
		return nil, fmt.Errorf("calibrate: want one N x C x H x W input, model has %d inputs", len(m.Graph.Inputs))
	}
	dims := m.Graph.Inputs[0].Shape
	per := int64(1)
	for _, d := range dims[1:] {
		if d.Param != "" || d.Value <= 0 {
			return nil, fmt.Errorf("calibrate: input %s has a symbolic or unknown non-batch axis", m.Graph.Inputs[0].Name)
		}
		per *= d.Value
	}
	targets := Targets(m)
	if len(targets) == 0 {
		return nil, fmt.Errorf("calibrate: the model has no convolution with constant weights")
	}
	dir, err := os.MkdirTemp("", "ferlive-calib-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "exposed.onnx")
	if err := onnx.WriteFile(path, Expose(m, targets)); err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	s, err := ort.NewSession(path, o)
	if err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	defer s.Close()
	index := map[string]int{}
	for i, v := range s.Outputs {
		index[v.Name] = i
	}
	r := Ranges{}
	for _, b := range batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if int64(len(b.Data)) != int64(b.N)*per {
			return nil, fmt.Errorf("calibrate: batch of %d faces holds %d values, want %d", b.N, len(b.Data), int64(b.N)*per)
		}
		if err := run(s, b, dims, targets, index, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func run(s *ort.Session, b Batch, dims []onnx.Dim, targets []string, index map[string]int, r Ranges) error {
	in, err := ortgo.NewTensor(ortgo.NewShape(int64(b.N), dims[1].Value, dims[2].Value, dims[3].Value), b.Data)
	if err != nil {
		return fmt.Errorf("calibrate: input tensor: %w", err)
	}
	defer in.Destroy()
	outs := make([]ortgo.Value, len(s.Outputs))
	if err := s.Run([]ortgo.Value{in}, outs); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	defer func() {
		for _, o := range outs {
			if o != nil {
				o.Destroy()
			}
		}
	}()
	for _, t := range targets {
		v, ok := outs[index[t]].(*ortgo.Tensor[float32])
		if !ok {
			return fmt.Errorf("calibrate: tensor %s is not float32", t)
		}
		r.Observe(t, v.GetData())
	}
	return nil
}

// RuntimeOps opens the model at path in ONNX Runtime and counts the
// operators of the graph it runs after its optimisations (keyed "op" or
// "domain:op"), which shows whether the QDQ units were fused into integer
// kernels (com.microsoft:QLinearConv) or left as float convolutions.
func RuntimeOps(path string, o ort.Options) (map[string]int, error) {
	dir, err := os.MkdirTemp("", "ferlive-opt-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	o.Optimized = filepath.Join(dir, "optimized.onnx")
	s, err := ort.NewSession(path, o)
	if err != nil {
		return nil, err
	}
	s.Close()
	m, err := onnx.ReadFile(o.Optimized)
	if err != nil {
		return nil, fmt.Errorf("model %s: reading ONNX Runtime's optimised graph: %w", path, err)
	}
	ops := map[string]int{}
	for _, n := range m.Graph.Nodes {
		k := n.OpType
		if n.Domain != "" && n.Domain != "ai.onnx" {
			k = n.Domain + ":" + k
		}
		ops[k]++
	}
	return ops, nil
}
