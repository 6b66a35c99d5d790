package facedetect

import (
	"fmt"
	"image"
	"os"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/ort"
)

// openSession checks the model file, initialises ONNX Runtime if nobody has
// yet (callers that want a specific library initialise it first with
// ort.Init or ort.InitDefault) and opens a session.
func openSession(kind, path string, o ort.Options) (*ort.Session, error) {
	if path == "" {
		return nil, fmt.Errorf("detector %s needs an ONNX model file: pass it with %s", kind, ModelFlag)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s model: %w", kind, err)
	}
	if err := ort.InitDefault("", ""); err != nil {
		return nil, fmt.Errorf("%s model %s: %w", kind, path, err)
	}
	s, err := ort.NewSession(path, o)
	if err != nil {
		return nil, fmt.Errorf("%s detector: %w", kind, err)
	}
	return s, nil
}

// describe summarises a session's inputs and outputs for error messages.
func describe(s *ort.Session) string {
	f := func(vs []ortgo.InputOutputInfo) string {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = fmt.Sprintf("%s %v", v.Name, v.Dimensions)
		}
		return strings.Join(parts, ", ")
	}
	return "inputs " + f(s.Inputs) + "; outputs " + f(s.Outputs)
}

// imageInput checks that a session has a single float image input
// [1,3,H,W] and returns H and W (-1 when dynamic).
func imageInput(s *ort.Session) (h, w int64, err error) {
	if len(s.Inputs) != 1 {
		return 0, 0, fmt.Errorf("%d inputs, want 1", len(s.Inputs))
	}
	in := s.Inputs[0]
	d := in.Dimensions
	if in.OrtValueType != ortgo.ONNXTypeTensor || in.DataType != ortgo.TensorElementDataTypeFloat || len(d) != 4 {
		return 0, 0, fmt.Errorf("input %s is not a 4-D float tensor", in.Name)
	}
	if (d[0] != 1 && d[0] != -1) || (d[1] != 3 && d[1] != -1) {
		return 0, 0, fmt.Errorf("input %s %v is not [1,3,H,W]", in.Name, d)
	}
	return d[2], d[3], nil
}

// outputIndex maps output names to their position in the session's outputs.
func outputIndex(s *ort.Session) map[string]int {
	m := make(map[string]int, len(s.Outputs))
	for i, o := range s.Outputs {
		m[o.Name] = i
	}
	return m
}

// pixelFormat says how a BGR byte pixel becomes model input: channel c of
// the tensor takes byte src[order[c]], as float(v)*mul + add; padding is pad.
type pixelFormat struct {
	order    [3]int
	mul, add float32
	pad      float32
}

// letterbox scales frames into a reused Mat and writes them into the top
// left corner of a 3 x inH x inW float tensor, padding the rest.
type letterbox struct {
	small gocv.Mat
}

func newLetterbox() letterbox { return letterbox{small: gocv.NewMat()} }

func (l *letterbox) close() { l.small.Close() }

// fill writes frame resized to sz (sz.X <= inW, sz.Y <= inH) into dst.
func (l *letterbox) fill(frame gocv.Mat, sz image.Point, dst []float32, inW, inH int, pf *pixelFormat) error {
	src := frame
	if sz.X != frame.Cols() || sz.Y != frame.Rows() {
		interp := gocv.InterpolationArea // anti-aliased when shrinking
		if sz.X > frame.Cols() {
			interp = gocv.InterpolationLinear
		}
		gocv.Resize(frame, &l.small, sz, 0, 0, interp)
		src = l.small
	} else if !frame.IsContinuous() {
		frame.CopyTo(&l.small)
		src = l.small
	}
	data, err := src.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("reading frame pixels: %w", err)
	}
	plane := inW * inH
	if len(dst) < 3*plane || len(data) < sz.X*sz.Y*3 {
		return fmt.Errorf("letterbox: buffer sizes %d / %d too small for %dx%d in %dx%d", len(dst), len(data), sz.X, sz.Y, inW, inH)
	}
	o0, o1, o2 := pf.order[0], pf.order[1], pf.order[2]
	mul, add, pad := pf.mul, pf.add, pf.pad
	for y := 0; y < inH; y++ {
		d0 := dst[y*inW : (y+1)*inW]
		d1 := dst[plane+y*inW : plane+(y+1)*inW]
		d2 := dst[2*plane+y*inW : 2*plane+(y+1)*inW]
		x0 := 0
		if y < sz.Y {
			row := data[y*sz.X*3 : (y+1)*sz.X*3]
			for x := 0; x < sz.X; x++ {
				p := row[3*x : 3*x+3]
				d0[x] = float32(p[o0])*mul + add
				d1[x] = float32(p[o1])*mul + add
				d2[x] = float32(p[o2])*mul + add
			}
			x0 = sz.X
		}
		for x := x0; x < inW; x++ {
			d0[x], d1[x], d2[x] = pad, pad, pad
		}
	}
	return nil
}

// fitInto returns the size of a w x h frame scaled to fit inside inW x inH
// keeping its aspect ratio (enlarging if needed).
func fitInto(w, h, inW, inH int) image.Point {
	s := min(float64(inW)/float64(w), float64(inH)/float64(h))
	p := scaled(w, h, s)
	return image.Pt(min(p.X, inW), min(p.Y, inH))
}

// destroyAll destroys ONNX Runtime values, ignoring nil entries.
func destroyAll(vs []ortgo.Value) {
	for i, v := range vs {
		if v != nil {
			v.Destroy()
			vs[i] = nil
		}
	}
}
