package quantize_test

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/quantize"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

const side = 48

// faces returns n inputs that look like normalised face crops to a conv
// net: smooth gradients and blobs plus noise, values in about [-2, 2].
func faces(r *rand.Rand, n int) []float32 {
	out := make([]float32, n*side*side)
	for i := 0; i < n; i++ {
		gx, gy := r.Float64()*2-1, r.Float64()*2-1
		cx, cy, rad := r.Float64()*side, r.Float64()*side, 4+r.Float64()*12
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				v := gx*float64(x-side/2)/side + gy*float64(y-side/2)/side
				if d := math.Hypot(float64(x)-cx, float64(y)-cy); d < rad {
					v += 1.2
				}
				v += r.NormFloat64() * 0.2
				out[(i*side+y)*side+x] = float32(v * 1.5)
			}
		}
	}
	return out
}

// run executes the model file at path on n faces and returns its probabilities.
func run(t *testing.T, path string, in []float32, n int) []float32 {
	t.Helper()
	s, err := ort.NewSession(path, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x, err := ortgo.NewTensor(ortgo.NewShape(int64(n), 1, side, side), in)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Destroy()
	outs := []ortgo.Value{nil}
	if err := s.Run([]ortgo.Value{x}, outs); err != nil {
		t.Fatal(err)
	}
	defer outs[0].Destroy()
	return append([]float32(nil), outs[0].(*ortgo.Tensor[float32]).GetData()...)
}

func argmax(p []float32) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// TestInt8ModelAgreesWithFloat quantises a generated conv classifier,
// calibrated on one set of faces, and checks on other faces what a user
// checks: the int8 model gives nearly the float model's probabilities and
// the same top class, ONNX Runtime runs its convolutions as integer
// QLinearConv, its weights are int8, and the model contract is intact.
func TestInt8ModelAgreesWithFloat(t *testing.T) {
	testenv.ORT(t)
	dir := t.TempDir()
	spec := testmodel.DefaultSpec()
	m := testmodel.Classifier(spec, testmodel.Options{Widths: []int64{16, 32, 64}, Seed: 3})
	r := rand.New(rand.NewSource(7))
	var batches []quantize.Batch
	for i := 0; i < 4; i++ {
		batches = append(batches, quantize.Batch{Data: faces(r, 32), N: 32})
	}
	ranges, err := quantize.Calibrate(context.Background(), m, batches, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ranges) != 6 { // the input, each conv's output and the ReLU outputs feeding the next conv
		t.Errorf("calibrated %d tensors, want 6 (%v)", len(ranges), quantize.Targets(m))
	}
	q, st, err := quantize.Model(m, ranges)
	if err != nil {
		t.Fatal(err)
	}
	if st.Convs != 3 || st.Weights != 3 {
		t.Errorf("stats %+v, want 3 convolutions with int8 weights", st)
	}
	if st.Int8Bytes*3 > st.FloatBytes {
		t.Errorf("int8 weights take %d bytes against %d float: want under a third", st.Int8Bytes, st.FloatBytes)
	}
	int8s := 0
	for _, w := range q.Graph.Initializers {
		if w.DataType == onnx.Int8 && len(w.Dims) == 4 {
			int8s++
		}
	}
	if int8s != 3 {
		t.Errorf("%d int8 4-D weight tensors in the graph, want 3", int8s)
	}
	if _, err := contract.Parse(q.MetaMap()); err != nil {
		t.Errorf("the int8 model lost its contract: %v", err)
	}
	if v, ok := q.Meta(contract.KeyQuant); !ok || !strings.Contains(v, "3 convolutions") {
		t.Errorf("%s = %q", contract.KeyQuant, v)
	}
	if _, ok := m.Meta(contract.KeyQuant); ok {
		t.Error("Model changed its input model's metadata")
	}

	fp, qp := filepath.Join(dir, "fp.onnx"), filepath.Join(dir, "int8.onnx")
	if err := onnx.WriteFile(fp, m); err != nil {
		t.Fatal(err)
	}
	if err := onnx.WriteFile(qp, q); err != nil {
		t.Fatal(err)
	}
	ops, err := quantize.RuntimeOps(qp, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ops["com.microsoft:QLinearConv"] != 3 || ops["Conv"] != 0 {
		t.Errorf("ONNX Runtime runs %v: want the 3 convolutions as QLinearConv", ops)
	}

	const n = 64
	in := faces(rand.New(rand.NewSource(99)), n)
	pf, pq := run(t, fp, in, n), run(t, qp, in, n)
	k := len(spec.Labels)
	agree, worst := 0, 0.0
	for i := 0; i < n; i++ {
		a, b := pf[i*k:(i+1)*k], pq[i*k:(i+1)*k]
		if argmax(a) == argmax(b) {
			agree++
		}
		for j := range a {
			worst = math.Max(worst, math.Abs(float64(a[j]-b[j])))
		}
	}
	t.Logf("top class agrees on %d/%d faces; largest probability difference %.4f", agree, n, worst)
	if agree < n*9/10 {
		t.Errorf("int8 and float agree on the top class for %d of %d faces, want at least 90%%", agree, n)
	}
	if worst > 0.05 {
		t.Errorf("a probability differs by %.3f between int8 and float, want under 0.05", worst)
	}
}

// TestModelNeedsEveryRange: a tensor without a calibrated range is an
// error that names it, not a silently wrong scale.
func TestModelNeedsEveryRange(t *testing.T) {
	m := testmodel.Classifier(testmodel.DefaultSpec(), testmodel.Options{Widths: []int64{4, 8}})
	targets := quantize.Targets(m)
	if len(targets) != 4 || targets[0] != "input" {
		t.Fatalf("targets %v, want the input, the first conv's output and ReLU, the second conv's output", targets)
	}
	r := quantize.Ranges{}
	for _, n := range targets[:3] {
		r.Observe(n, []float32{-1, 2})
	}
	_, _, err := quantize.Model(m, r)
	if err == nil || !strings.Contains(err.Error(), targets[3]) {
		t.Fatalf("error %v does not name the missing tensor %s", err, targets[3])
	}
}

// TestCalibrateErrors: bad calibration input names what is wrong.
func TestCalibrateErrors(t *testing.T) {
	testenv.ORT(t)
	m := testmodel.Classifier(testmodel.DefaultSpec(), testmodel.Options{Widths: []int64{4}})
	ctx := context.Background()
	if _, err := quantize.Calibrate(ctx, m, nil, ort.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), "no calibration faces") {
		t.Errorf("no faces: %v", err)
	}
	short := []quantize.Batch{{Data: make([]float32, 100), N: 1}}
	if _, err := quantize.Calibrate(ctx, m, short, ort.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), "2304") {
		t.Errorf("short batch: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	ok := []quantize.Batch{{Data: make([]float32, side*side), N: 1}}
	if _, err := quantize.Calibrate(cancelled, m, ok, ort.Options{Threads: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestObserveWidens checks the running min/max.
func TestObserveWidens(t *testing.T) {
	r := quantize.Ranges{}
	r.Observe("x", []float32{0.5, 1})
	r.Observe("x", []float32{-3, 0.7})
	r.Observe("x", nil)
	if got := r["x"]; got.Min != -3 || got.Max != 1 {
		t.Errorf("range %+v, want [-3, 1]", got)
	}
}

type countRunner struct{ calls, faces int }

func (c *countRunner) Run(in []float32, n int) ([][]float32, error) {
	c.calls++
	c.faces += n
	return make([][]float32, n), nil
}

// TestCompareSpeedCalls: each model gets one warm-up and the given rounds
// per batch size, and too little input is an error.
func TestCompareSpeedCalls(t *testing.T) {
	a, b := &countRunner{}, &countRunner{}
	rows, err := quantize.CompareSpeed(a, b, make([]float32, 8*4), 4, []int{1, 8}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Batch != 1 || rows[1].Batch != 8 {
		t.Errorf("rows %+v", rows)
	}
	if a.calls != 12 || b.calls != 12 || a.faces != 6+48 {
		t.Errorf("calls %d/%d faces %d, want 12 calls of each model and 54 faces", a.calls, b.calls, a.faces)
	}
	if _, err := quantize.CompareSpeed(a, b, make([]float32, 4*4), 4, []int{8}, 1); err == nil {
		t.Error("no error for a batch larger than the input")
	}
}

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
