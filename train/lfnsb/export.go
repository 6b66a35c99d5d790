//go:build torch

package lfnsb

import (
	"fmt"
	"sort"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

// Opset is the ONNX opset of exported models (nn.Opset).
const Opset = nn.Opset

// Export names of the graph's input and output (nn.InputName, nn.OutputName).
const (
	InputName  = nn.InputName
	OutputName = nn.OutputName
)

// Export writes the model as one ONNX graph: input "input" [batch,1,S,S]
// float32 (symbolic batch), output "probs" [batch,classes] with Softmax in
// the graph. Every Conv2d_BN is folded into one Conv, RepVGGDW's three
// branches are fused into one depthwise Conv, the embedding's batch norm is
// folded into its Gemm; the Cosine-Harmony centres are not exported. spec
// supplies the metadata.
func (m *Model) Export(spec contract.Spec) (model *onnx.Model, err error) {
	defer torch.Recover(&err)
	om, b := onnx.NewModel("lfnsb", Opset)
	om.DocString = fmt.Sprintf("LFNSB %s", m.Cfg)
	e := &nn.Exporter{B: b}
	s := int64(m.Cfg.Size)
	x := b.Input(InputName, onnx.Float, onnx.P("batch"), onnx.D(1), onnx.D(s), onnx.D(s))
	_, ls := m.layers()
	y := x
	for _, l := range ls[:len(ls)-2] { // up to the global depthwise convolution
		y = l.Export(e, y)
	}
	y = b.Op("Flatten", []string{y}, onnx.AInt("axis", 1))
	y = m.FC.Export(e, m.Emb.Export(e, y))
	b.OpTo(OutputName, "Softmax", []string{y}, onnx.AInt("axis", 1))
	b.Output(OutputName, onnx.Float, onnx.P("batch"), onnx.D(int64(m.Cfg.Classes)))
	meta := spec.Meta()
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

// Import reads the weights of a graph Export wrote (with the same
// configuration) into m: folded batch norms come back as weights plus an
// equivalent batch norm (nn.Norm.SetAffine; re-centre them before
// training), the fused RepVGG block as its 3x3 branch. The graph has no
// Cosine-Harmony centres: they keep their initialisation (set them with
// SetCentres). With head false the classifier keeps its initialisation
// (fine-tuning to other classes). A graph of another input size fits too:
// only the global depthwise kernel (the final map's side) depends on the
// size, and it is resampled (nn.ConvBN.ImportResampled).
func (m *Model) Import(g *onnx.Model, head bool) (err error) {
	defer torch.Recover(&err)
	im := nn.NewImporter(g)
	_, ls := m.layers()
	for _, l := range ls[:len(ls)-1] {
		if l == nn.Layer(m.GDC) {
			m.GDC.ImportResampled(im)
			continue
		}
		nn.ImportLayer(im, l)
	}
	if head {
		m.FC.Import(im)
	}
	return nil
}
