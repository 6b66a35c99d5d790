//go:build torch

package train

import (
	"fmt"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/train/faceres"
	"github.com/ferlive/ferlive/train/lfnsb"
	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/rlrcnet"
	"github.com/ferlive/ferlive/train/torch"
)

// Net is the trainer's view of an architecture: what training,
// checkpointing, evaluation, batch-norm recalibration, export and the model
// card need. rlrcnetNet and lfnsbNet adapt the two models.
type Net interface {
	// Vars lists parameters and buffers under their checkpoint names.
	Vars() []nn.Var
	// NumParams counts the inference model's parameters.
	NumParams() int64
	// Loss runs a training forward pass on x and returns the loss and the
	// logits whose argmax is scored against the first rows of the labels.
	Loss(x *torch.Tensor, t Targets) (loss, logits *torch.Tensor)
	// BranchLogits runs inference and returns each branch's logits (one
	// for a single-branch model).
	BranchLogits(x *torch.Tensor) []*torch.Tensor
	// CalibrationLogits runs the layers with batch statistics, updating
	// the running statistics, as inference would see the images.
	CalibrationLogits(x *torch.Tensor) []*torch.Tensor
	// Norms returns every batch norm.
	Norms() []*nn.Norm
	// Export writes the ONNX graph; w weights the conventional branch of
	// a dual model.
	Export(w float64, spec contract.Spec) (*onnx.Model, error)
	// Size is the input side.
	Size() int
	// Opset is the exported graph's opset.
	Opset() int64
}

// Targets are a training batch's labels.
type Targets struct {
	Y         *torch.Tensor // int64 labels [N]
	Q         *torch.Tensor // class probabilities [N,K] (soft labels), or nil
	Labels    []int64       // the labels in Go (for one-hot targets)
	Classes   int
	Alpha     float64      // BBN's cumulative-learning weight
	Smoothing float64      // label smoothing of the cross-entropy
	Scope     *torch.Scope // where tensors made for the batch go
}

// ce is the cross-entropy of logits against rows [lo, lo+n) of the targets:
// soft when the batch has class probabilities.
func (t Targets) ce(z *torch.Tensor, lo, n int64) *torch.Tensor {
	if t.Q != nil {
		return z.MustSoftCrossEntropy(t.Q.MustNarrow(0, lo, n), t.Smoothing)
	}
	return z.MustCrossEntropy(t.Y.MustNarrow(0, lo, n), t.Smoothing)
}

// probs returns the target distribution [N,K]: Q, or one-hot labels.
func (t Targets) probs() *torch.Tensor {
	if t.Q != nil {
		return t.Q
	}
	oh := make([]float32, len(t.Labels)*t.Classes)
	for i, y := range t.Labels {
		oh[i*t.Classes+int(y)] = 1
	}
	return torch.MustFromFloat32(oh, []int64{int64(len(t.Labels)), int64(t.Classes)}, false).In(t.Scope)
}

// rlrcnetNet adapts RLR-CNet (one branch or BBN's two).
type rlrcnetNet struct{ *rlrcnet.Model }

// Loss implements Net: with two branches, x holds the uniform half and the
// reversed half, and the loss is BBN's a*CE(z, y_c) + (1-a)*CE(z, y_r).
func (n rlrcnetNet) Loss(x *torch.Tensor, t Targets) (loss, logits *torch.Tensor) {
	z := n.TrainLogits(x, t.Alpha)
	if len(n.Branches) == 2 {
		h := x.Shape()[0] / 2
		return t.ce(z, 0, h).MustMulScalar(t.Alpha).MustAdd(t.ce(z, h, h).MustMulScalar(1 - t.Alpha)), z
	}
	return t.ce(z, 0, x.Shape()[0]), z
}

// Norms implements Net.
func (n rlrcnetNet) Norms() []*nn.Norm {
	var out []*nn.Norm
	for _, c := range n.ConvBNs() {
		out = append(out, &c.Norm)
	}
	return out
}

// Size implements Net.
func (n rlrcnetNet) Size() int { return n.Cfg.Size }

// Opset implements Net.
func (n rlrcnetNet) Opset() int64 { return rlrcnet.Opset }

// lfnsbNet adapts LFNSB: cross-entropy plus the weighted Cosine-Harmony
// loss on the embedding.
type lfnsbNet struct {
	*lfnsb.Model
	chWeight, chAlpha float64
}

// Loss implements Net.
func (n lfnsbNet) Loss(x *torch.Tensor, t Targets) (loss, logits *torch.Tensor) {
	emb, z := n.Forward(x, true)
	loss = t.ce(z, 0, x.Shape()[0])
	if n.chWeight > 0 {
		ch := lfnsb.CosineHarmony(emb, n.Centres, t.probs(), n.chAlpha)
		loss = loss.MustAdd(ch.MustMulScalar(n.chWeight))
	}
	return loss, z
}

// BranchLogits implements Net.
func (n lfnsbNet) BranchLogits(x *torch.Tensor) []*torch.Tensor {
	return []*torch.Tensor{n.Logits(x)}
}

// CalibrationLogits implements Net.
func (n lfnsbNet) CalibrationLogits(x *torch.Tensor) []*torch.Tensor {
	_, z := n.Forward(x, true)
	return []*torch.Tensor{z}
}

// Export implements Net (one branch: w does not apply).
func (n lfnsbNet) Export(_ float64, spec contract.Spec) (*onnx.Model, error) {
	return n.Model.Export(spec)
}

// Size implements Net.
func (n lfnsbNet) Size() int { return n.Cfg.Size }

// Opset implements Net.
func (n lfnsbNet) Opset() int64 { return lfnsb.Opset }

// faceresNet adapts the FaceRes expression model: cross-entropy (soft
// with FER+ votes or a teacher's targets).
type faceresNet struct{ *faceres.Model }

// Loss implements Net.
func (n faceresNet) Loss(x *torch.Tensor, t Targets) (loss, logits *torch.Tensor) {
	z := n.Forward(x, true)
	return t.ce(z, 0, x.Shape()[0]), z
}

// BranchLogits implements Net.
func (n faceresNet) BranchLogits(x *torch.Tensor) []*torch.Tensor {
	return []*torch.Tensor{n.Forward(x, false)}
}

// CalibrationLogits implements Net.
func (n faceresNet) CalibrationLogits(x *torch.Tensor) []*torch.Tensor {
	f := n.Frozen
	n.Frozen = 0 // re-estimate every batch norm
	defer func() { n.Frozen = f }()
	return []*torch.Tensor{n.FC.Forward(n.Pooled(x, true), false)}
}

// Export implements Net (one branch: w does not apply).
func (n faceresNet) Export(_ float64, spec contract.Spec) (*onnx.Model, error) {
	return n.Model.Export(spec)
}

// Size implements Net.
func (n faceresNet) Size() int { return n.Cfg.Size }

// Opset implements Net.
func (n faceresNet) Opset() int64 { return faceres.Opset }

// newNet builds the model a run state describes, with weights from seed.
func newNet(st *State, seed int64) (Net, error) {
	switch st.arch() {
	case "rlrcnet":
		m, err := rlrcnet.New(st.Model, seed)
		if err != nil {
			return nil, err
		}
		return rlrcnetNet{m}, nil
	case "faceres":
		if st.FaceRes == nil {
			return nil, fmt.Errorf("run state of arch faceres lacks its model configuration")
		}
		m, err := faceres.New(*st.FaceRes, seed)
		if err != nil {
			return nil, err
		}
		return faceresNet{m}, nil
	case "lfnsb":
		if st.LFNSB == nil {
			return nil, fmt.Errorf("run state of arch lfnsb lacks its model configuration")
		}
		m, err := lfnsb.New(*st.LFNSB, seed)
		if err != nil {
			return nil, err
		}
		return lfnsbNet{Model: m, chWeight: st.Options.CHWeight, chAlpha: st.Options.CHAlpha}, nil
	}
	return nil, fmt.Errorf("unknown architecture %q", st.Options.Arch)
}
