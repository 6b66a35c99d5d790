package facedetect

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/ort"
)

// Defaults of the BlazeFace detector (MediaPipe's "back" model, 256x256).
// MediaPipe's face detection graph suppresses with weighted NMS at IoU 0.3.
// The threshold was measured (recall_test.go): a face at a fifth of its
// brightness in the synthesised audience scores 0.4-0.55 (found in 8 of 20
// frames at 0.5, all at 0.4), while the only non-face above 0.3 on the
// shared photos and clips, a raised hand in obama_and_biden.jpg, scores 0.37.
const (
	// BlazeFaceThreshold is the default score threshold.
	BlazeFaceThreshold = 0.4
	// BlazeFaceNMS is the default IoU above which candidates merge.
	BlazeFaceNMS = 0.3
)

// BlazeFace's boxes span brows to chin; the other detectors' (and the
// classifiers' crop rule, ferlive.crop) span forehead to chin. Measured on
// the four faces of the shared photos against the consensus of the Haar,
// YuNet and UltraFace boxes (testkit/synth): same width and horizontal
// centre, 1.21-1.27 times the height, centre 0.15-0.19 heights higher.
// Detect returns boxes in that convention.
const (
	blazeBoxHeight = 1.24
	blazeBoxRaise  = 0.16
)

// BlazeFaceRel is where `make models` puts the converted BlazeFace model,
// relative to the checkout (or to a kiosk install's share/ferlive/models).
const BlazeFaceRel = ".deps/models/blazeface/blazeface.onnx"

// FindBlazeFace returns the converted BlazeFace model: fallback (the path
// baked in at build time) if it exists, then .deps/models/blazeface beside
// the executable's checkout, share/ferlive/models of an install, and
// .deps/models/blazeface in the working directory or its parents. It
// returns "" when none exists (run `make deps`).
func FindBlazeFace(fallback string) string {
	var cands []string
	if fallback != "" {
		cands = append(cands, fallback)
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		cands = append(cands, filepath.Join(d, "..", BlazeFaceRel),
			filepath.Join(d, "..", "share", "ferlive", "models", "blazeface.onnx"))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			cands = append(cands, filepath.Join(d, BlazeFaceRel))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c
		}
	}
	return ""
}

const blazeWant = "a BlazeFace detector converted by `ferlive convert --nchw` (`make models`): one float input [1,3,H,W] " +
	"(RGB scaled to -1..1; fixed, or free with --free-size) and four outputs, scores [1,N,1] and regressors [1,N,16] for the anchors at strides 16 and 32"

// blazeAnchor is an anchor centre in input pixels.
type blazeAnchor struct{ x, y float32 }

// blazeAnchors lays out the anchors of the BlazeFace "back" model for a
// w x h input as MediaPipe's SsdAnchorsCalculator does for it (and
// @vladmandic/human): at stride 16, two anchors per cell, then at stride
// 32, six per cell, row by row, centred in their cells. For 256x256:
// 512 + 384 = 896.
func blazeAnchors(w, h int) [2][]blazeAnchor {
	var out [2][]blazeAnchor
	for li, per := range [2]int{2, 6} {
		stride := 16 << li
		for gy := 0; gy < (h+stride-1)/stride; gy++ {
			for gx := 0; gx < (w+stride-1)/stride; gx++ {
				a := blazeAnchor{float32(stride) * (float32(gx) + 0.5), float32(stride) * (float32(gy) + 0.5)}
				for n := 0; n < per; n++ {
					out[li] = append(out[li], a)
				}
			}
		}
	}
	return out
}

// BlazeFace detects faces and six landmarks with MediaPipe's BlazeFace
// "back" model (256x256, faces at a distance) converted from
// TensorFlow.js to ONNX, run through ONNX Runtime. The frame is scaled to
// fit the input and padded (letterbox, never stretched): a fixed-size
// model's square, or, for a model converted with a free input size (as
// `make models` does), MaxSide (256) on the long side and the short side
// rounded up to a multiple of 32, so a 16:9 frame costs 256x160 instead of
// 256x256; scores are
// sigmoids of the classifier logits, boxes and landmarks are offsets from
// the anchors in input pixels, overlapping candidates merge by MediaPipe's
// weighted NMS, and boxes are extended to forehead-to-chin like the other
// detectors' (blazeBoxHeight). Landmarks are the right eye, left eye, nose
// tip, mouth centre, right and left ear tragion (the subject's right and
// left). Not safe for concurrent use.
type BlazeFace struct {
	sess     *ort.Session
	path     string
	fixed    bool
	inW, inH int // input size (the current one for a free-size model)
	maxSide  int
	minSize  int
	thr, nms float32
	anchors  [2][]blazeAnchor
	input    *ortgo.Tensor[float32]
	outs     []ortgo.Value
	lb       letterbox
	pf       pixelFormat
	cands    []cand
}

// BlazeFaceMaxSide is the default long side of the input of a BlazeFace
// model with a free input size: the size it was trained at.
const BlazeFaceMaxSide = 256

// NewBlazeFace opens a converted BlazeFace ONNX model (see blazeWant).
func NewBlazeFace(modelPath string, o Options) (*BlazeFace, error) {
	s, err := openSession("blazeface", modelPath, o.ORT)
	if err != nil {
		return nil, err
	}
	b := &BlazeFace{sess: s, path: modelPath, minSize: o.MinSize, thr: BlazeFaceThreshold, nms: BlazeFaceNMS,
		maxSide: BlazeFaceMaxSide, pf: pixelFormat{order: [3]int{2, 1, 0}, mul: 1 / 127.5, add: -1, pad: -1}}
	if o.MaxSide > 0 {
		b.maxSide = (o.MaxSide + 31) / 32 * 32
	}
	if o.Threshold > 0 {
		b.thr = o.Threshold
	}
	if o.NMS > 0 {
		b.nms = o.NMS
	}
	if err := b.checkModel(); err != nil {
		s.Close()
		return nil, fmt.Errorf("blazeface model %s is not %s; it has %s: %w", modelPath, blazeWant, describe(s), err)
	}
	b.lb = newLetterbox()
	if b.fixed {
		if err := b.allocate(b.inW, b.inH); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// checkModel validates the signature: one image input (fixed side a
// multiple of 16, or free) and four float outputs [1,N,C], two with C = 1
// (scores) and two with C = 16 (regressors).
func (b *BlazeFace) checkModel() error {
	h, w, err := imageInput(b.sess)
	if err != nil {
		return err
	}
	switch {
	case h > 0 && w > 0:
		if h%16 != 0 || w%16 != 0 {
			return fmt.Errorf("input size %dx%d is not a multiple of 16", w, h)
		}
		b.fixed, b.inW, b.inH = true, int(w), int(h)
	case h <= 0 && w <= 0:
	default:
		return fmt.Errorf("input size %dx%d is half fixed", w, h)
	}
	if len(b.sess.Outputs) != 4 {
		return fmt.Errorf("%d outputs, want 4", len(b.sess.Outputs))
	}
	var ch [17]int
	for _, out := range b.sess.Outputs {
		d := out.Dimensions
		if out.DataType != ortgo.TensorElementDataTypeFloat || len(d) != 3 || (d[2] != 1 && d[2] != 16) {
			return fmt.Errorf("output %s %v is not a float [1,N,1] or [1,N,16]", out.Name, d)
		}
		ch[d[2]]++
	}
	if ch[1] != 2 || ch[16] != 2 {
		return errors.New("want two score outputs [1,N,1] and two regressor outputs [1,N,16]")
	}
	return nil
}

// allocate (re)creates the input tensor and anchors for a w x h input;
// ONNX Runtime allocates the outputs, whose levels are told by their sizes.
func (b *BlazeFace) allocate(w, h int) error {
	if b.input != nil {
		b.input.Destroy()
		b.input = nil
	}
	in, err := ortgo.NewEmptyTensor[float32](ortgo.NewShape(1, 3, int64(h), int64(w)))
	if err != nil {
		return fmt.Errorf("blazeface %s: input tensor %dx%d: %w", b.path, w, h, err)
	}
	b.input, b.inW, b.inH = in, w, h
	b.anchors = blazeAnchors(w, h)
	b.outs = make([]ortgo.Value, len(b.sess.Outputs))
	return nil
}

// InputSize returns the input size used for the last frame (the fixed
// size of a fixed model; zero before the first frame of a free-size one).
func (b *BlazeFace) InputSize() image.Point { return image.Pt(b.inW, b.inH) }

// Detect finds the faces of a BGR 8UC3 frame, best score first.
func (b *BlazeFace) Detect(frame gocv.Mat) ([]Face, error) {
	if b.sess == nil {
		return nil, errors.New("blazeface detector: closed")
	}
	if err := checkFrame(frame); err != nil {
		return nil, fmt.Errorf("blazeface detect: %w", err)
	}
	w, h := frame.Cols(), frame.Rows()
	if !b.fixed {
		s := float64(b.maxSide) / float64(max(w, h))
		iw := (int(math.Ceil(float64(w)*s)) + 31) / 32 * 32
		ih := (int(math.Ceil(float64(h)*s)) + 31) / 32 * 32
		if iw != b.inW || ih != b.inH || b.input == nil {
			if err := b.allocate(iw, ih); err != nil {
				return nil, err
			}
		}
	}
	sz := fitInto(w, h, b.inW, b.inH)
	if err := b.lb.fill(frame, sz, b.input.GetData(), b.inW, b.inH, &b.pf); err != nil {
		return nil, fmt.Errorf("blazeface detect: %w", err)
	}
	if err := b.sess.Run([]ortgo.Value{b.input}, b.outs); err != nil {
		return nil, fmt.Errorf("blazeface detect: %w", err)
	}
	var err error
	b.cands, err = b.decode(b.cands[:0])
	destroyAll(b.outs)
	if err != nil {
		return nil, fmt.Errorf("blazeface detect: %w", err)
	}
	kept := weightedNMS(b.cands, b.nms)
	for i := range kept {
		c := &kept[i]
		h := c.y2 - c.y1
		cy := (c.y1+c.y2)/2 - blazeBoxRaise*h
		c.y1, c.y2 = cy-blazeBoxHeight*h/2, cy+blazeBoxHeight*h/2
	}
	m := mapping{sx: float64(sz.X) / float64(w), sy: float64(sz.Y) / float64(h), bounds: image.Rect(0, 0, w, h)}
	faces := make([]Face, 0, len(kept))
	for i := range kept {
		if f, ok := m.face(&kept[i], b.minSize); ok {
			faces = append(faces, f)
		}
	}
	sort.SliceStable(faces, func(i, j int) bool { return faces[i].Score > faces[j].Score })
	return faces, nil
}

// levels finds, among the outputs ONNX Runtime returned, the scores and
// regressors of each anchor level by their sizes.
func (b *BlazeFace) levels() (scores, regs [2][]float32, err error) {
	for _, v := range b.outs {
		t, ok := v.(*ortgo.Tensor[float32])
		if !ok {
			return scores, regs, errors.New("an output is not a float tensor")
		}
		d := t.GetShape()
		for li, a := range b.anchors {
			if len(d) == 3 && d[1] == int64(len(a)) {
				switch d[2] {
				case 1:
					scores[li] = t.GetData()
				case 16:
					regs[li] = t.GetData()
				}
			}
		}
	}
	for li, a := range b.anchors {
		if scores[li] == nil || regs[li] == nil {
			return scores, regs, fmt.Errorf("model %s gave no [1,%d,1] scores and [1,%d,16] regressors for a %dx%d input",
				b.path, len(a), len(a), b.inW, b.inH)
		}
	}
	return scores, regs, nil
}

// decode appends the candidates above the threshold, in input pixels.
func (b *BlazeFace) decode(cs []cand) ([]cand, error) {
	scoreOut, regOut, err := b.levels()
	if err != nil {
		return cs, err
	}
	// sigmoid(x) >= thr  <=>  x >= logit(thr); MediaPipe clips logits to +-100.
	logit := float32(math.Log(float64(b.thr) / (1 - float64(b.thr))))
	for li, anchors := range b.anchors {
		scores, reg := scoreOut[li], regOut[li]
		for i, a := range anchors {
			if scores[i] < logit {
				continue
			}
			x := min(max(scores[i], -100), 100)
			r := reg[16*i : 16*i+16]
			cx, cy := a.x+r[0], a.y+r[1]
			c := cand{x1: cx - r[2]/2, y1: cy - r[3]/2, x2: cx + r[2]/2, y2: cy + r[3]/2,
				score: float32(1 / (1 + math.Exp(-float64(x)))), nkps: 6}
			for k := 0; k < 6; k++ {
				c.kps[2*k] = a.x + r[4+2*k]
				c.kps[2*k+1] = a.y + r[5+2*k]
			}
			cs = append(cs, c)
		}
	}
	return cs, nil
}

// Close releases the session, tensors and working images.
func (b *BlazeFace) Close() error {
	if b.sess == nil {
		return nil
	}
	if b.input != nil {
		b.input.Destroy()
		b.input = nil
	}
	destroyAll(b.outs)
	b.lb.close()
	err := b.sess.Close()
	b.sess = nil
	return err
}

// Resolve picks the detector the command line runs. An explicit kind is
// kept. Without one, a model path chooses by its extension (.xml: haar,
// else blazeface); with neither, BlazeFace is used when FindBlazeFace
// (with fallback) finds its model, and otherwise Haar, with a notice
// saying why and how to install BlazeFace.
func Resolve(kind, model, fallback string) (outKind, outModel, notice string) {
	switch {
	case kind != "":
		return kind, model, ""
	case model != "":
		if strings.EqualFold(filepath.Ext(model), ".xml") {
			return "haar", model, ""
		}
		return "blazeface", model, ""
	}
	if p := FindBlazeFace(fallback); p != "" {
		return "blazeface", p, ""
	}
	return "haar", "", "face detector: Haar cascade, because the BlazeFace model (" + BlazeFaceRel +
		") was not found; it misses turned and dimly lit faces. Install BlazeFace with `make deps` (or pass --detector haar to silence this)"
}
