// Package testmodel writes small ferlive classifier models with the project's
// own ONNX writer, for tests and benchmarks that must not depend on a trained
// model.
package testmodel

import (
	"math/rand"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
)

// DefaultSpec is a FER2013-like contract: 48x48 gray, seven classes.
func DefaultSpec() contract.Spec {
	return contract.Spec{
		Labels:   append([]string(nil), contract.FER2013Labels...),
		Channels: 1, Size: 48,
		Mean: []float32{0.5}, Std: []float32{0.25},
		Crop: contract.Crop{Scale: 1.1, DY: 0.05},
		Arch: "testnet", Dataset: "none",
	}
}

// Options shape the generated network.
type Options struct {
	// Widths of the stride-2 3x3 conv layers; nil gives {16, 32, 64}, a
	// network of about 0.1 GFLOP per 48x48 face... scaled by the widths.
	Widths []int64
	Seed   int64
	// NoMeta omits the contract metadata (to test that such models are refused).
	NoMeta bool
}

// Classifier builds a conv net: [conv3x3/2 + ReLU]*, global average pool,
// linear, softmax; input "input" [batch, C, S, S], output "probs" [batch, K].
func Classifier(spec contract.Spec, o Options) *onnx.Model {
	widths := o.Widths
	if widths == nil {
		widths = []int64{16, 32, 64}
	}
	r := rand.New(rand.NewSource(o.Seed + 1))
	m, b := onnx.NewModel("testnet", 17)
	c := int64(spec.Channels)
	s := int64(spec.Size)
	x := b.Input("input", onnx.Float, onnx.P("batch"), onnx.D(c), onnx.D(s), onnx.D(s))
	in := c
	for _, w := range widths {
		wt := make([]float32, w*in*9)
		scale := float32(1.5 / float64(in*9))
		for i := range wt {
			wt[i] = (r.Float32()*2 - 1) * scale * 2
		}
		bias := make([]float32, w)
		for i := range bias {
			bias[i] = (r.Float32()*2 - 1) * 0.1
		}
		x = b.Op("Conv", []string{x, b.Floats("w", []int64{w, in, 3, 3}, wt), b.Floats("b", []int64{w}, bias)},
			onnx.AInts("kernel_shape", 3, 3), onnx.AInts("strides", 2, 2), onnx.AInts("pads", 1, 1, 1, 1))
		x = b.Op("Relu", []string{x})
		in = w
	}
	x = b.Op("GlobalAveragePool", []string{x})
	x = b.Op("Flatten", []string{x}, onnx.AInt("axis", 1))
	k := int64(len(spec.Labels))
	fw := make([]float32, in*k)
	for i := range fw {
		fw[i] = (r.Float32()*2 - 1) * 4
	}
	x = b.Op("Gemm", []string{x, b.Floats("fc_w", []int64{in, k}, fw), b.Floats("fc_b", []int64{k}, make([]float32, k))})
	b.OpTo("probs", "Softmax", []string{x}, onnx.AInt("axis", 1))
	b.Output("probs", onnx.Float, onnx.P("batch"), onnx.D(k))
	if !o.NoMeta {
		meta := spec.Meta()
		for _, key := range []string{contract.KeyLabels, contract.KeyInput, contract.KeySize, contract.KeyMean,
			contract.KeyStd, contract.KeyCrop, contract.KeyOutput, contract.KeyArch, contract.KeyDataset} {
			if v, ok := meta[key]; ok {
				m.SetMeta(key, v)
			}
		}
	}
	return m
}

// Write builds a classifier and writes it to path.
func Write(path string, spec contract.Spec, o Options) error {
	return onnx.WriteFile(path, Classifier(spec, o))
}

// Brightness builds a classifier with a known answer: it averages the
// (normalised) input and picks the class whose centre is nearest, where the
// centres are gray levels 0..255 in label order. Its logits are
// -10*(mean-centre)^2 followed by a softmax.
func Brightness(spec contract.Spec, grays []float64) *onnx.Model {
	m, b := onnx.NewModel("brightness", 17) // ReduceMean takes axes as an attribute up to opset 17
	c, s := int64(spec.Channels), int64(spec.Size)
	x := b.Input("input", onnx.Float, onnx.P("batch"), onnx.D(c), onnx.D(s), onnx.D(s))
	x = b.Op("ReduceMean", []string{x}, onnx.AInts("axes", 1, 2, 3), onnx.AInt("keepdims", 0)) // [N]
	x = b.Op("Unsqueeze", []string{x, b.Ints("axes", []int64{1}, []int64{1})})                 // [N,1]
	k := int64(len(spec.Labels))
	cent := make([]float32, k)
	for i, g := range grays {
		cent[i] = (float32(g)/255 - spec.Mean[0]) / spec.Std[0]
	}
	d := b.Op("Sub", []string{x, b.Floats("centres", []int64{1, k}, cent)})
	d = b.Op("Mul", []string{d, d})
	d = b.Op("Mul", []string{d, b.Floats("neg", []int64{1}, []float32{-10})})
	b.OpTo("probs", "Softmax", []string{d}, onnx.AInt("axis", 1))
	b.Output("probs", onnx.Float, onnx.P("batch"), onnx.D(k))
	for key, v := range spec.Meta() {
		m.SetMeta(key, v)
	}
	return m
}
