// Package infer classifies faces with an ONNX model through ONNX Runtime:
// it reads the model's preprocessing contract from its metadata, turns every
// face of a frame into one batch tensor, runs it in one call, and smooths the
// probabilities per tracked face.
package infer

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"

	ortgo "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
)

// color0 is the (unused) constant border value for BorderReplicate.
var color0 = color.RGBA{}

// Classifier runs one expression model. A Classifier is used by one
// goroutine at a time.
type Classifier struct {
	sess   *ort.Session
	spec   contract.Spec
	path   string
	input  []float32 // reused batch buffer
	mirror bool      // average each face with its mirror image
	both   []float32 // reused batch buffer of faces and mirrors
	crop   gocv.Mat  // reused crop buffers
	conv   gocv.Mat
	sized  gocv.Mat
	border gocv.Mat
}

// Open loads the model at path, checks its contract metadata and its input
// and output shapes, and opens an ONNX Runtime session. ONNX Runtime must
// have been initialised (internal/ort).
func Open(path string, o ort.Options) (*Classifier, error) {
	m, err := onnx.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	spec, err := contract.Parse(m.MetaMap())
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	sess, err := ort.NewSession(path, o)
	if err != nil {
		return nil, err
	}
	if err := checkShapes(sess, spec); err != nil {
		sess.Close()
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return &Classifier{
		sess: sess, spec: spec, path: path,
		crop: gocv.NewMat(), conv: gocv.NewMat(), sized: gocv.NewMat(), border: gocv.NewMat(),
	}, nil
}

func checkShapes(s *ort.Session, spec contract.Spec) error {
	if len(s.Inputs) != 1 || len(s.Outputs) < 1 {
		return fmt.Errorf("has %d inputs and %d outputs, want 1 input and 1 output", len(s.Inputs), len(s.Outputs))
	}
	in := s.Inputs[0].Dimensions
	want := []int64{-1, int64(spec.Channels), int64(spec.Size), int64(spec.Size)}
	if len(in) != 4 || in[1] != want[1] || in[2] != want[2] || in[3] != want[3] {
		return fmt.Errorf("input %q has shape %v, want [batch %d %d %d] as its metadata says", s.Inputs[0].Name, in, want[1], want[2], want[3])
	}
	if in[0] > 0 {
		return fmt.Errorf("input %q has a fixed batch of %d, want a dynamic batch axis", s.Inputs[0].Name, in[0])
	}
	out := s.Outputs[0].Dimensions
	if len(out) != 2 || (out[1] > 0 && int(out[1]) != len(spec.Labels)) {
		return fmt.Errorf("output %q has shape %v, want [batch %d] for labels %v", s.Outputs[0].Name, out, len(spec.Labels), spec.Labels)
	}
	return nil
}

// SetMirror turns test-time mirroring on or off: Run then classifies every
// face together with its left-right mirror image in the same call (a batch
// of 2n) and returns the mean of the two probability vectors. It costs about
// twice the classifier's time and usually gains a little accuracy, as
// expressions are close to symmetric and training flips faces.
func (c *Classifier) SetMirror(on bool) { c.mirror = on }

// Mirror reports whether test-time mirroring is on.
func (c *Classifier) Mirror() bool { return c.mirror }

// Spec returns the model's contract.
func (c *Classifier) Spec() contract.Spec { return c.spec }

// Labels returns the class names in output order.
func (c *Classifier) Labels() []string { return c.spec.Labels }

// Path returns the model file.
func (c *Classifier) Path() string { return c.path }

// Close releases the session and buffers.
func (c *Classifier) Close() error {
	c.crop.Close()
	c.conv.Close()
	c.sized.Close()
	c.border.Close()
	return c.sess.Close()
}

// CropRect returns the square region the contract takes for a face box:
// side max(w,h)*Scale centred on the box centre moved down by DY*side. It may
// extend beyond the frame.
func CropRect(box image.Rectangle, crop contract.Crop) image.Rectangle {
	side := float64(max(box.Dx(), box.Dy())) * crop.Scale
	cx := float64(box.Min.X+box.Max.X) / 2
	cy := float64(box.Min.Y+box.Max.Y)/2 + crop.DY*side
	x0 := int(math.Round(cx - side/2))
	y0 := int(math.Round(cy - side/2))
	s := int(math.Round(side))
	return image.Rect(x0, y0, x0+s, y0+s)
}

// Preprocess crops every face box of a BGR frame and writes them into the
// batch buffer it returns ([n, C, S, S] float32, reused on the next call).
// Parts of a crop outside the frame are filled by replicating the border;
// nothing inside the crop is masked.
func (c *Classifier) Preprocess(frame gocv.Mat, boxes []image.Rectangle) ([]float32, error) {
	if frame.Empty() {
		return nil, errors.New("preprocess: empty frame")
	}
	per := c.spec.Channels * c.spec.Size * c.spec.Size
	if cap(c.input) < len(boxes)*per {
		c.input = make([]float32, len(boxes)*per)
	}
	c.input = c.input[:len(boxes)*per]
	bounds := image.Rect(0, 0, frame.Cols(), frame.Rows())
	for i, b := range boxes {
		sq := CropRect(b, c.spec.Crop)
		in := sq.Intersect(bounds)
		if in.Empty() {
			return nil, fmt.Errorf("preprocess: face box %v lies outside the %dx%d frame", b, frame.Cols(), frame.Rows())
		}
		roi := frame.Region(in)
		var src gocv.Mat
		if in == sq {
			src = roi
		} else {
			gocv.CopyMakeBorder(roi, &c.border, in.Min.Y-sq.Min.Y, sq.Max.Y-in.Max.Y, in.Min.X-sq.Min.X, sq.Max.X-in.Max.X,
				gocv.BorderReplicate, color0)
			src = c.border
		}
		err := c.face(src, c.input[i*per:(i+1)*per])
		roi.Close()
		if err != nil {
			return nil, err
		}
	}
	return c.input, nil
}

// PreprocessImages treats each image as an already cropped face (as in the
// training datasets) and writes the batch buffer it returns.
func (c *Classifier) PreprocessImages(imgs []gocv.Mat) ([]float32, error) {
	per := c.spec.Channels * c.spec.Size * c.spec.Size
	if cap(c.input) < len(imgs)*per {
		c.input = make([]float32, len(imgs)*per)
	}
	c.input = c.input[:len(imgs)*per]
	for i, m := range imgs {
		if m.Empty() {
			return nil, fmt.Errorf("preprocess: image %d is empty", i)
		}
		if err := c.face(m, c.input[i*per:(i+1)*per]); err != nil {
			return nil, err
		}
	}
	return c.input, nil
}

// face converts one crop (BGR, BGRA or gray) to the model's input layout.
func (c *Classifier) face(src gocv.Mat, dst []float32) error {
	s := c.spec.Size
	conv := src
	switch {
	case c.spec.Channels == 1 && src.Channels() == 3:
		gocv.CvtColor(src, &c.conv, gocv.ColorBGRToGray)
		conv = c.conv
	case c.spec.Channels == 1 && src.Channels() == 4:
		gocv.CvtColor(src, &c.conv, gocv.ColorBGRAToGray)
		conv = c.conv
	case c.spec.Channels == 3 && src.Channels() == 3:
		gocv.CvtColor(src, &c.conv, gocv.ColorBGRToRGB)
		conv = c.conv
	case c.spec.Channels == 3 && src.Channels() == 1:
		gocv.CvtColor(src, &c.conv, gocv.ColorGrayToBGR) // gray has no channel order
		conv = c.conv
	case c.spec.Channels == 3 && src.Channels() == 4:
		gocv.CvtColor(src, &c.conv, gocv.ColorRGBAToBGR) // same code as BGRA->RGB
		conv = c.conv
	case c.spec.Channels == 1 && src.Channels() == 1:
	default:
		return fmt.Errorf("preprocess: %d-channel image for a %d-channel model", src.Channels(), c.spec.Channels)
	}
	if conv.Type()&7 != 0 { // depth must be 8U
		return fmt.Errorf("preprocess: image type %v, want 8-bit", conv.Type())
	}
	sized := conv
	if conv.Cols() != s || conv.Rows() != s {
		interp := gocv.InterpolationArea
		if conv.Cols() < s {
			interp = gocv.InterpolationLinear
		}
		gocv.Resize(conv, &c.sized, image.Pt(s, s), 0, 0, interp)
		sized = c.sized
	}
	if !sized.IsContinuous() {
		sized = sized.Clone()
		defer sized.Close()
	}
	px, err := sized.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("preprocess: %w", err)
	}
	ch := c.spec.Channels
	plane := s * s
	for k := 0; k < ch; k++ {
		scale := 1 / (255 * c.spec.Std[k])
		off := c.spec.Mean[k] / c.spec.Std[k]
		out := dst[k*plane : (k+1)*plane]
		for i := range out {
			out[i] = float32(px[i*ch+k])*scale - off
		}
	}
	return nil
}

// Run classifies a batch of n preprocessed faces in one ONNX Runtime call and
// returns one probability vector per face (softmax applied if the model
// outputs logits; with SetMirror, the mean over each face and its mirror).
func (c *Classifier) Run(batch []float32, n int) ([][]float32, error) {
	if n == 0 {
		return nil, nil
	}
	per := c.spec.Channels * c.spec.Size * c.spec.Size
	if len(batch) != n*per {
		return nil, fmt.Errorf("batch holds %d values, want %d for %d faces", len(batch), n*per, n)
	}
	if !c.mirror {
		return c.run(batch, n)
	}
	if cap(c.both) < 2*len(batch) {
		c.both = make([]float32, 2*len(batch))
	}
	c.both = c.both[:2*len(batch)]
	copy(c.both, batch)
	mirrorRows(c.both[len(batch):], batch, c.spec.Size)
	p, err := c.run(c.both, 2*n)
	if err != nil {
		return nil, err
	}
	for i := range n {
		for j, v := range p[n+i] {
			p[i][j] = (p[i][j] + v) / 2
		}
	}
	return p[:n], nil
}

// mirrorRows writes src with every row of width w reversed into dst.
func mirrorRows(dst, src []float32, w int) {
	for r := 0; r+w <= len(src); r += w {
		row, out := src[r:r+w], dst[r:r+w]
		for x, v := range row {
			out[w-1-x] = v
		}
	}
}

// run classifies n preprocessed faces in one ONNX Runtime call.
func (c *Classifier) run(batch []float32, n int) ([][]float32, error) {
	in, err := ortgo.NewTensor(ortgo.NewShape(int64(n), int64(c.spec.Channels), int64(c.spec.Size), int64(c.spec.Size)), batch)
	if err != nil {
		return nil, fmt.Errorf("input tensor: %w", err)
	}
	defer in.Destroy()
	outs := make([]ortgo.Value, len(c.sess.Outputs))
	if err := c.sess.Run([]ortgo.Value{in}, outs); err != nil {
		return nil, err
	}
	defer func() {
		for _, o := range outs {
			if o != nil {
				o.Destroy()
			}
		}
	}()
	t, ok := outs[0].(*ortgo.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("model %s: output is not a float32 tensor", c.path)
	}
	data := t.GetData()
	k := len(c.spec.Labels)
	if len(data) != n*k {
		return nil, fmt.Errorf("model %s: output holds %d values, want %d", c.path, len(data), n*k)
	}
	res := make([][]float32, n)
	for i := range res {
		p := append([]float32(nil), data[i*k:(i+1)*k]...)
		if c.spec.Logits {
			softmax(p)
		}
		res[i] = p
	}
	return res, nil
}

// Classify preprocesses every face box of a frame and classifies them in one call.
func (c *Classifier) Classify(frame gocv.Mat, boxes []image.Rectangle) ([][]float32, error) {
	batch, err := c.Preprocess(frame, boxes)
	if err != nil {
		return nil, err
	}
	return c.Run(batch, len(boxes))
}

func softmax(p []float32) {
	m := p[0]
	for _, v := range p {
		m = max(m, v)
	}
	var sum float32
	for i, v := range p {
		p[i] = float32(math.Exp(float64(v - m)))
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
}

// Top returns the index and value of the largest probability.
func Top(p []float32) (int, float32) {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	if len(p) == 0 {
		return -1, 0
	}
	return best, p[best]
}
