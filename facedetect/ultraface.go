package facedetect

import (
	"errors"
	"fmt"
	"image"

	ortgo "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/ort"
)

// Defaults of the UltraFace detector, chosen by measurement (bench_test.go):
// true faces of the shared photos, and pasted faces from 40 px at 720p, score
// 0.97 and more, while a patch of sleeve and hand in two_people.jpg scores 0.67, hence 0.75.
const (
	// UltraFaceThreshold is the default score threshold.
	UltraFaceThreshold = 0.75
	// UltraFaceNMS is the default NMS IoU.
	UltraFaceNMS = 0.3
)

const ultraWant = "an UltraFace (Ultra-Light-Fast-Generic-Face-Detector) model: " +
	"one float input [1,3,H,W] of fixed size and outputs scores [1,N,2] and boxes [1,N,4]"

// UltraFace detects faces with the Ultra-Light-Fast-Generic-Face-Detector
// ONNX model (version-RFB-320 and its kin) through ONNX Runtime. Models
// exported with post-processing output normalised boxes; those exported
// without it (raw regressions, told apart by a test run when the model is
// opened) are decoded against UltraFace's anchors. The frame is scaled to fit
// the model's fixed input and padded at the right and bottom, converted to
// RGB and normalised as (x-127)/128. Not safe for concurrent use.
type UltraFace struct {
	sess           *ort.Session
	path           string
	inW, inH       int
	n              int // anchors
	minSize        int
	thr, nms       float32
	scoreI, boxesI int
	input          *ortgo.Tensor[float32]
	outs           []ortgo.Value
	lb             letterbox
	pf             pixelFormat
	cands          []cand
	priors         []float32 // anchors, for a model exported without post-processing
}

// NewUltraFace opens an UltraFace ONNX model. Options.MaxSide is unused: the
// model's input size decides.
func NewUltraFace(modelPath string, o Options) (*UltraFace, error) {
	s, err := openSession("ultraface", modelPath, o.ORT)
	if err != nil {
		return nil, err
	}
	u := &UltraFace{
		sess: s, path: modelPath, minSize: o.MinSize, thr: UltraFaceThreshold, nms: UltraFaceNMS,
		// RGB from BGR, (x-127)/128, padding at the normalised mean (0).
		pf: pixelFormat{order: [3]int{2, 1, 0}, mul: 1.0 / 128, add: -127.0 / 128},
	}
	if o.Threshold > 0 {
		u.thr = o.Threshold
	}
	if o.NMS > 0 {
		u.nms = o.NMS
	}
	if err := u.checkModel(); err != nil {
		s.Close()
		return nil, fmt.Errorf("ultraface model %s is not %s; it has %s: %w", modelPath, ultraWant, describe(s), err)
	}
	u.lb = newLetterbox()
	if err := u.allocate(); err != nil {
		u.Close()
		return nil, err
	}
	if err := u.probeBoxes(); err != nil {
		u.Close()
		return nil, fmt.Errorf("ultraface model %s: %w", modelPath, err)
	}
	return u, nil
}

func (u *UltraFace) checkModel() error {
	h, w, err := imageInput(u.sess)
	if err != nil {
		return err
	}
	if h <= 0 || w <= 0 {
		return fmt.Errorf("input size %dx%d is not fixed", w, h)
	}
	u.inW, u.inH = int(w), int(h)
	idx := outputIndex(u.sess)
	var ok bool
	if u.scoreI, ok = idx["scores"]; !ok {
		return errors.New("no output scores")
	}
	if u.boxesI, ok = idx["boxes"]; !ok {
		return errors.New("no output boxes")
	}
	sd, bd := u.sess.Outputs[u.scoreI].Dimensions, u.sess.Outputs[u.boxesI].Dimensions
	if len(sd) != 3 || sd[2] != 2 || len(bd) != 3 || bd[2] != 4 || sd[1] <= 0 || sd[1] != bd[1] {
		return fmt.Errorf("outputs scores %v and boxes %v are not [1,N,2] and [1,N,4]", sd, bd)
	}
	if u.sess.Outputs[u.scoreI].DataType != ortgo.TensorElementDataTypeFloat ||
		u.sess.Outputs[u.boxesI].DataType != ortgo.TensorElementDataTypeFloat {
		return errors.New("outputs are not float")
	}
	u.n = int(sd[1])
	return nil
}

func (u *UltraFace) allocate() error {
	in, err := ortgo.NewEmptyTensor[float32](ortgo.NewShape(1, 3, int64(u.inH), int64(u.inW)))
	if err != nil {
		return fmt.Errorf("ultraface %s: input tensor: %w", u.path, err)
	}
	u.input = in
	u.outs = make([]ortgo.Value, len(u.sess.Outputs))
	for _, o := range []struct{ i, ch int }{{u.scoreI, 2}, {u.boxesI, 4}} {
		t, err := ortgo.NewEmptyTensor[float32](ortgo.NewShape(1, int64(u.n), int64(o.ch)))
		if err != nil {
			return fmt.Errorf("ultraface %s: output tensor: %w", u.path, err)
		}
		u.outs[o.i] = t
	}
	return nil
}

func (u *UltraFace) boxes() []float32 {
	return u.outs[u.boxesI].(*ortgo.Tensor[float32]).GetData()
}

// InputSize returns the model's input size.
func (u *UltraFace) InputSize() image.Point { return image.Pt(u.inW, u.inH) }

// Detect finds the faces of a BGR 8UC3 frame, best score first.
func (u *UltraFace) Detect(frame gocv.Mat) ([]Face, error) {
	if u.sess == nil {
		return nil, errors.New("ultraface detector: closed")
	}
	if err := checkFrame(frame); err != nil {
		return nil, fmt.Errorf("ultraface detect: %w", err)
	}
	w, h := frame.Cols(), frame.Rows()
	sz := fitInto(w, h, u.inW, u.inH)
	if err := u.lb.fill(frame, sz, u.input.GetData(), u.inW, u.inH, &u.pf); err != nil {
		return nil, fmt.Errorf("ultraface detect: %w", err)
	}
	if err := u.sess.Run([]ortgo.Value{u.input}, u.outs); err != nil {
		return nil, fmt.Errorf("ultraface detect: %w", err)
	}
	scores := u.outs[u.scoreI].(*ortgo.Tensor[float32]).GetData()
	boxes := u.boxes()
	fw, fh := float32(u.inW), float32(u.inH)
	cs := u.cands[:0]
	for i := 0; i < u.n; i++ {
		s := scores[2*i+1]
		if s < u.thr {
			continue
		}
		b := boxes[4*i : 4*i+4]
		if u.priors != nil {
			decodeRaw(b, u.priors[4*i:4*i+4])
		}
		cs = append(cs, cand{x1: b[0] * fw, y1: b[1] * fh, x2: b[2] * fw, y2: b[3] * fh, score: s})
	}
	u.cands = cs
	kept := nms(cs, u.nms)
	m := mapping{sx: float64(sz.X) / float64(w), sy: float64(sz.Y) / float64(h), bounds: image.Rect(0, 0, w, h)}
	faces := make([]Face, 0, len(kept))
	for i := range kept {
		if f, ok := m.face(&kept[i], u.minSize); ok {
			faces = append(faces, f)
		}
	}
	return faces, nil
}

// Close releases the session, tensors and working images.
func (u *UltraFace) Close() error {
	if u.sess == nil {
		return nil
	}
	if u.input != nil {
		u.input.Destroy()
		u.input = nil
	}
	destroyAll(u.outs)
	u.lb.close()
	err := u.sess.Close()
	u.sess = nil
	return err
}
