//go:build torch

package rlrcnet

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

func onnxAxis1() *onnx.Attribute { return onnx.AInt("axis", 1) }

// Export writes the model as one ONNX graph: input "input" [batch,1,S,S]
// float32 (symbolic batch), output "probs" [batch,classes] with Softmax in
// the graph, batch norm folded into the convolutions. With two branches
// both see the same image and their logits are mixed with weight w for the
// conventional branch (w*W1 f1 + (1-w)*W2 f2; BBN infers with w = 0.5); the
// weights are folded into the two Gemm layers, and a branch of weight 0
// (w = 0 or 1) is left out of the graph. spec supplies the metadata.
func (m *Model) Export(w float64, spec contract.Spec) (model *onnx.Model, err error) {
	defer torch.Recover(&err)
	if len(m.Branches) == 1 {
		w = 1
	}
	om, b := onnx.NewModel("rlrcnet", Opset)
	om.DocString = fmt.Sprintf("RLR-CNet %+v, branch weight %g", m.Cfg, w)
	e := &nn.Exporter{B: b}
	s := int64(m.Cfg.Size)
	x := b.Input(InputName, onnx.Float, onnx.P("batch"), onnx.D(1), onnx.D(s), onnx.D(s))
	y := m.Stem.Export(e, x)
	y = m.Stage2.Export(e, y)
	if m.SA != nil {
		y = m.SA.Export(e, y)
	}
	f := m.Stage3.Export(e, y)
	var logits []string
	for i, br := range m.Branches {
		scale, in := m.branchScale(i, w)
		if !in {
			continue
		}
		h := br.Stage4.Export(e, f)
		if br.Conv5 != nil {
			h = br.Conv5.Export(e, h)
		}
		h = nn.GlobalPool{}.Export(e, h)
		logits = append(logits, br.FC.ExportScaled(e, h, scale))
	}
	z := logits[0]
	if len(logits) == 2 {
		z = b.Op("Add", logits)
	}
	b.OpTo(OutputName, "Softmax", []string{z}, onnxAxis1())
	b.Output(OutputName, onnx.Float, onnx.P("batch"), onnx.D(int64(m.Cfg.Classes)))
	meta := spec.Meta()
	for _, k := range sortedKeys(meta) {
		om.SetMeta(k, meta[k])
	}
	return om, nil
}

// branchScale is the factor Export(w) folds into branch i's logits, and
// whether the graph holds the branch at all: a branch weighted 0 adds
// nothing and is left out (a single branch is always weighted 1).
func (m *Model) branchScale(i int, w float64) (scale float32, inGraph bool) {
	if len(m.Branches) == 1 {
		return 1, true
	}
	scale = float32(w)
	if i == 1 {
		scale = float32(1 - w)
	}
	return scale, scale != 0
}

// GraphParams counts the trained parameters of the layers Export(w)
// writes: all of them, less a branch weighted 0.
func (m *Model) GraphParams(w float64) int64 {
	n := m.NumParams()
	for i, br := range m.Branches {
		if _, in := m.branchScale(i, w); !in {
			n -= nn.NumParams(br.Vars())
		}
	}
	return n
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Import reads the weights of a graph Export wrote (with the same
// configuration) into m: folded batch norms come back as weights plus an
// equivalent batch norm (nn.Norm.SetAffine; re-centre them before
// training). w is the conventional branch's weight m will infer with: a
// graph of both branches only holds their weighted sum, so any w in
// (0, 1) reproduces it. A dual model exported with a branch weighted 0
// holds one branch only; both branches then start from it, and the model
// computes the graph's function at any w. With head false the classifiers
// keep their initialisation (fine-tuning to other classes). Import returns
// the weight to export m with to get the graph back (w, or 1 for a
// one-branch graph).
func (m *Model) Import(g *onnx.Model, w float64, head bool) (exportW float64, err error) {
	defer torch.Recover(&err)
	im := nn.NewImporter(g)
	m.Stem.Import(im)
	m.Stage2.Import(im)
	if m.SA != nil {
		m.SA.Import(im)
	}
	m.Stage3.Import(im)
	if len(m.Branches) == 1 {
		m.Branches[0].importHead(im, 1, head)
		return 1, nil
	}
	if im.Remaining("fc_w") == 1 {
		// one branch in the graph: both branches are that branch
		start := im.Pos()
		for _, br := range m.Branches {
			im.Seek(start)
			br.importHead(im, 1, head)
		}
		return 1, nil
	}
	if w <= 0 || w >= 1 {
		return 0, fmt.Errorf("the graph holds both branches' logits summed: inferring with branch weight %g cannot reproduce them (use a weight in (0, 1))", w)
	}
	for i, br := range m.Branches {
		scale, _ := m.branchScale(i, w)
		br.importHead(im, scale, head)
	}
	return w, nil
}

// importHead reads a branch's stage 4, conv5 and (with head) classifier,
// whose logits the graph scaled by scale.
func (br *Branch) importHead(im *nn.Importer, scale float32, head bool) {
	br.Stage4.Import(im)
	if br.Conv5 != nil {
		br.Conv5.Import(im)
	}
	if head {
		br.FC.ImportScaled(im, scale)
	} else {
		im.Skip("fc_w")
		im.Skip("fc_b")
	}
}

// Import implements nn.Importable.
func (u *Unit) Import(im *nn.Importer) {
	if u.Down {
		u.Left.Import(im)
	}
	u.Right.Import(im)
}
