package facedetect

import (
	"fmt"
	"math"

	ortgo "github.com/yalue/onnxruntime_go"
)

// ultraLayout is UltraFace's anchor layout (Ultra-Light-Fast-Generic-Face-
// Detector, vision/ssd/config/fd_config.py): the strides of its four levels
// and, per level, the anchor sizes in input pixels.
func ultraLayout() (strides [4]int, minBoxes [4][]float32) {
	return [4]int{8, 16, 32, 64}, [4][]float32{{10, 16, 24}, {32, 48}, {64, 96}, {128, 192, 256}}
}

// Variances of UltraFace's box encoding.
const (
	ultraCenterVariance = 0.1
	ultraSizeVariance   = 0.2
)

// ultraPriors returns the normalised anchors (cx, cy, w, h, clamped to 0..1)
// of a w x h UltraFace input in the order of the model's outputs.
func ultraPriors(w, h int) []float32 {
	var p []float32
	strides, minBoxes := ultraLayout()
	for si, st := range strides {
		cols, rows := (w+st-1)/st, (h+st-1)/st
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				cx, cy := (float32(c)+0.5)/(float32(w)/float32(st)), (float32(r)+0.5)/(float32(h)/float32(st))
				for _, mb := range minBoxes[si] {
					p = append(p, clamp01(cx), clamp01(cy), clamp01(mb/float32(w)), clamp01(mb/float32(h)))
				}
			}
		}
	}
	return p
}

// decodeRaw turns the raw box regressions of a model exported without
// post-processing into normalised x1, y1, x2, y2, in place.
func decodeRaw(boxes, priors []float32) {
	for i := 0; i+4 <= len(boxes) && i+4 <= len(priors); i += 4 {
		l, p := boxes[i:i+4], priors[i:i+4]
		cx := l[0]*ultraCenterVariance*p[2] + p[0]
		cy := l[1]*ultraCenterVariance*p[3] + p[1]
		w := float32(math.Exp(float64(l[2]*ultraSizeVariance))) * p[2]
		h := float32(math.Exp(float64(l[3]*ultraSizeVariance))) * p[3]
		l[0], l[1], l[2], l[3] = cx-w/2, cy-h/2, cx+w/2, cy+h/2
	}
}

// probeBoxes tells decoded boxes from raw regressions: run on a blank input,
// a model with post-processing gives well-formed boxes (x2 > x1, y2 > y1) for
// every anchor, raw regressions for about a fifth of them.
func (u *UltraFace) probeBoxes() error {
	in := u.input.GetData()
	for i := range in {
		in[i] = 0
	}
	if err := u.sess.Run([]ortgo.Value{u.input}, u.outs); err != nil {
		return fmt.Errorf("test run: %w", err)
	}
	b := u.boxes()
	good := 0
	for i := 0; i < u.n; i++ {
		if b[4*i+2] > b[4*i] && b[4*i+3] > b[4*i+1] {
			good++
		}
	}
	if good*100 >= u.n*99 {
		return nil
	}
	pr := ultraPriors(u.inW, u.inH)
	if len(pr) != 4*u.n {
		return fmt.Errorf("its boxes are raw regressions, and its %d anchors are not the %d of UltraFace's layout for a %dx%d input",
			u.n, len(pr)/4, u.inW, u.inH)
	}
	u.priors = pr
	return nil
}
