package facedetect

import (
	"errors"
	"fmt"
	"image"
	"math"

	ortgo "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/ort"
)

// Defaults of the YuNet detector, chosen by measurement (bench_test.go): with
// a dynamic model, a longest side of 320 finds every face of the shared
// photos, and faces from about 60 px in a 1280x720 frame (15 px in the model
// input; 40 px ones score 0.2-0.7), at a third of the cost of 640; 240 misses
// a small face of the photos. A threshold of 0.6 lets a raised hand through
// (score 0.63) in obama_and_biden.jpg, while true faces score 0.75 and more.
const (
	// YuNetMaxSide is the default longest side of the input of a YuNet model
	// with a dynamic input size.
	YuNetMaxSide = 320
	// YuNetThreshold is the default score threshold.
	YuNetThreshold = 0.7
	// YuNetNMS is the default NMS IoU.
	YuNetNMS = 0.3
)

// yunetStrides are the strides of YuNet's three detection levels.
func yunetStrides() [3]int { return [3]int{8, 16, 32} }

// yunetHead is one kind of YuNet output: name prefix and channels per cell.
type yunetHead struct {
	name string
	ch   int64
}

// yunetHeads lists YuNet's outputs per level, in the order of YuNet.outIdx.
func yunetHeads() [4]yunetHead {
	return [4]yunetHead{{"cls", 1}, {"obj", 1}, {"bbox", 4}, {"kps", 10}}
}

const yunetWant = "a YuNet face detector: one float input [1,3,H,W] (BGR 0..255, H and W fixed multiples of 32 or dynamic) " +
	"and outputs cls_8/16/32 and obj_8/16/32 [1,N,1], bbox_8/16/32 [1,N,4], kps_8/16/32 [1,N,10]"

// YuNet detects faces and five landmarks with the YuNet 2023mar ONNX model
// through ONNX Runtime, decoding its heads like OpenCV's FaceDetectorYN.
// A fixed-size model gets the frame scaled to fit and zero-padded at the
// right and bottom; a dynamic one gets it scaled to MaxSide and padded up to
// multiples of 32. Not safe for concurrent use.
type YuNet struct {
	sess             *ort.Session
	path             string
	fixed            bool
	inW, inH         int // input size (current one for dynamic models)
	maxSide, minSize int
	thr, nms         float32
	outIdx           [4][3]int // head x stride -> session output position
	input            *ortgo.Tensor[float32]
	outs             []ortgo.Value
	lb               letterbox
	pf               pixelFormat
	cands            []cand
}

// NewYuNet opens a YuNet ONNX model (fixed or dynamic input size).
func NewYuNet(modelPath string, o Options) (*YuNet, error) {
	s, err := openSession("yunet", modelPath, o.ORT)
	if err != nil {
		return nil, err
	}
	y := &YuNet{
		sess: s, path: modelPath,
		maxSide: YuNetMaxSide, minSize: o.MinSize, thr: YuNetThreshold, nms: YuNetNMS,
		pf: pixelFormat{order: [3]int{0, 1, 2}, mul: 1},
	}
	if o.MaxSide > 0 {
		y.maxSide = o.MaxSide
	}
	if o.Threshold > 0 {
		y.thr = o.Threshold
	}
	if o.NMS > 0 {
		y.nms = o.NMS
	}
	if err := y.checkModel(); err != nil {
		s.Close()
		return nil, fmt.Errorf("yunet model %s is not %s; it has %s: %w", modelPath, yunetWant, describe(s), err)
	}
	y.lb = newLetterbox()
	if y.fixed {
		if err := y.allocate(y.inW, y.inH); err != nil {
			y.Close()
			return nil, err
		}
	}
	return y, nil
}

// checkModel validates the model's signature and fills fixed, inW/inH and outIdx.
func (y *YuNet) checkModel() error {
	h, w, err := imageInput(y.sess)
	if err != nil {
		return err
	}
	switch {
	case h > 0 && w > 0:
		if h%32 != 0 || w%32 != 0 {
			return fmt.Errorf("input size %dx%d is not a multiple of 32", w, h)
		}
		y.fixed, y.inW, y.inH = true, int(w), int(h)
	case h <= 0 && w <= 0:
	default:
		return fmt.Errorf("input size %dx%d is half fixed", w, h)
	}
	idx := outputIndex(y.sess)
	for hi, head := range yunetHeads() {
		for si, st := range yunetStrides() {
			name := fmt.Sprintf("%s_%d", head.name, st)
			i, ok := idx[name]
			if !ok {
				return fmt.Errorf("no output %s", name)
			}
			out := y.sess.Outputs[i]
			d := out.Dimensions
			if out.DataType != ortgo.TensorElementDataTypeFloat || len(d) != 3 || (d[2] != head.ch && d[2] != -1) {
				return fmt.Errorf("output %s %v is not a float [1,N,%d]", name, d, head.ch)
			}
			if y.fixed && d[1] > 0 && d[1] != int64((y.inW/st)*(y.inH/st)) {
				return fmt.Errorf("output %s %v does not match a %dx%d input", name, d, y.inW, y.inH)
			}
			y.outIdx[hi][si] = i
		}
	}
	return nil
}

// allocate (re)creates the input and output tensors for a w x h input.
func (y *YuNet) allocate(w, h int) error {
	y.freeTensors()
	in, err := ortgo.NewEmptyTensor[float32](ortgo.NewShape(1, 3, int64(h), int64(w)))
	if err != nil {
		return fmt.Errorf("yunet %s: input tensor %dx%d: %w", y.path, w, h, err)
	}
	y.input = in
	y.outs = make([]ortgo.Value, len(y.sess.Outputs))
	for hi, head := range yunetHeads() {
		for si, st := range yunetStrides() {
			n := int64((w / st) * (h / st))
			t, err := ortgo.NewEmptyTensor[float32](ortgo.NewShape(1, n, head.ch))
			if err != nil {
				y.freeTensors()
				return fmt.Errorf("yunet %s: output tensor: %w", y.path, err)
			}
			y.outs[y.outIdx[hi][si]] = t
		}
	}
	y.inW, y.inH = w, h
	return nil
}

func (y *YuNet) freeTensors() {
	if y.input != nil {
		y.input.Destroy()
		y.input = nil
	}
	destroyAll(y.outs)
}

// InputSize returns the model input size used for the last frame (the fixed
// size for a fixed model; zero before the first frame of a dynamic one).
func (y *YuNet) InputSize() image.Point { return image.Pt(y.inW, y.inH) }

// Detect finds the faces of a BGR 8UC3 frame, best score first.
func (y *YuNet) Detect(frame gocv.Mat) ([]Face, error) {
	if y.sess == nil {
		return nil, errors.New("yunet detector: closed")
	}
	if err := checkFrame(frame); err != nil {
		return nil, fmt.Errorf("yunet detect: %w", err)
	}
	w, h := frame.Cols(), frame.Rows()
	var sz image.Point
	if y.fixed {
		sz = fitInto(w, h, y.inW, y.inH)
	} else {
		sz = scaled(w, h, fitScale(w, h, y.maxSide))
		iw, ih := (sz.X+31)/32*32, (sz.Y+31)/32*32
		if iw != y.inW || ih != y.inH || y.input == nil {
			if err := y.allocate(iw, ih); err != nil {
				return nil, err
			}
		}
	}
	if err := y.lb.fill(frame, sz, y.input.GetData(), y.inW, y.inH, &y.pf); err != nil {
		return nil, fmt.Errorf("yunet detect: %w", err)
	}
	if err := y.sess.Run([]ortgo.Value{y.input}, y.outs); err != nil {
		return nil, fmt.Errorf("yunet detect: %w", err)
	}
	y.cands = y.decode(y.cands[:0])
	kept := nms(y.cands, y.nms)
	m := mapping{sx: float64(sz.X) / float64(w), sy: float64(sz.Y) / float64(h), bounds: image.Rect(0, 0, w, h)}
	faces := make([]Face, 0, len(kept))
	for i := range kept {
		if f, ok := m.face(&kept[i], y.minSize); ok {
			faces = append(faces, f)
		}
	}
	return faces, nil
}

func (y *YuNet) head(hi, si int) []float32 {
	return y.outs[y.outIdx[hi][si]].(*ortgo.Tensor[float32]).GetData()
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

// decode appends the candidates above the threshold, in input pixels.
func (y *YuNet) decode(cs []cand) []cand {
	for si, st := range yunetStrides() {
		cols, rows := y.inW/st, y.inH/st
		cls, obj, box, kps := y.head(0, si), y.head(1, si), y.head(2, si), y.head(3, si)
		s := float32(st)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				i := r*cols + c
				score := float32(math.Sqrt(float64(clamp01(cls[i]) * clamp01(obj[i]))))
				if score < y.thr {
					continue
				}
				b := box[4*i : 4*i+4]
				cx, cy := (float32(c)+b[0])*s, (float32(r)+b[1])*s
				bw, bh := float32(math.Exp(float64(b[2])))*s, float32(math.Exp(float64(b[3])))*s
				k := cand{x1: cx - bw/2, y1: cy - bh/2, x2: cx + bw/2, y2: cy + bh/2, score: score, nkps: 5}
				for j := 0; j < 5; j++ {
					k.kps[2*j] = (float32(c) + kps[10*i+2*j]) * s
					k.kps[2*j+1] = (float32(r) + kps[10*i+2*j+1]) * s
				}
				cs = append(cs, k)
			}
		}
	}
	return cs
}

// Close releases the session, tensors and working images.
func (y *YuNet) Close() error {
	if y.sess == nil {
		return nil
	}
	y.freeTensors()
	y.lb.close()
	err := y.sess.Close()
	y.sess = nil
	return err
}
