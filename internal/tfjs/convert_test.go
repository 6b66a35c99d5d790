package tfjs_test

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/internal/tfjs"
	"github.com/ferlive/ferlive/internal/tfjs/tfjsref"
	"github.com/ferlive/ferlive/testkit/testenv"
)

// convertFile converts a shared TF.js model to ONNX in a temporary folder.
func convertFile(t *testing.T, rel string, o tfjs.ConvertOptions) string {
	t.Helper()
	m, err := tfjs.Open(testenv.Model(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	om, err := tfjs.Convert(m, o)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(rel), ".json")+".onnx")
	if err := onnx.WriteFile(path, om); err != nil {
		t.Fatal(err)
	}
	return path
}

// run feeds one NHWC input to an ONNX model and returns its outputs by name.
func run(t *testing.T, path string, shape []int64, in []float32) map[string][]float32 {
	t.Helper()
	testenv.ORT(t)
	s, err := ort.NewSession(path, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x, err := ortgo.NewTensor(ortgo.NewShape(shape...), in)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Destroy()
	outs := make([]ortgo.Value, len(s.Outputs))
	if err := s.Run([]ortgo.Value{x}, outs); err != nil {
		t.Fatal(err)
	}
	res := map[string][]float32{}
	for i, o := range outs {
		res[s.Outputs[i].Name] = append([]float32(nil), o.(*ortgo.Tensor[float32]).GetData()...)
		o.Destroy()
	}
	return res
}

// tiny builds a one-convolution graph model: a [1,4,4,1] input, a 3x3
// all-ones filter at stride 2 with the given padding.
func tiny(t *testing.T, op, padding string) *tfjs.Model {
	t.Helper()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	js := `{"format":"graph-model","modelTopology":{"node":[
	{"name":"x","op":"Placeholder","attr":{"shape":{"shape":{"dim":[{"size":"1"},{"size":"4"},{"size":"4"},{"size":"1"}]}}}},
	{"name":"w","op":"Const"},
	{"name":"y","op":"` + op + `","input":["x","w"],"attr":{"strides":{"list":{"i":["1","2","2","1"]}},"padding":{"s":"` + b64(padding) + `"}}}]},
	"weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"w","shape":[3,3,1,1],"dtype":"float32"}]}]}`
	w := make([]byte, 36)
	for i := 0; i < 9; i++ {
		binary.LittleEndian.PutUint32(w[4*i:], math.Float32bits(1))
	}
	m, err := tfjs.Parse([]byte(js), func(string) ([]byte, error) { return w, nil })
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TensorFlow's SAME padding at stride 2 on an even side pads 0 before and
// 1 after: the first output sums rows and columns 0-2, the last sums 2-3.
// Symmetric padding would give other sums.
func TestSamePaddingIsAsymmetric(t *testing.T) {
	for _, op := range []string{"Conv2D", "DepthwiseConv2dNative"} {
		om, err := tfjs.Convert(tiny(t, op, "SAME"), tfjs.ConvertOptions{})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "tiny.onnx")
		if err := onnx.WriteFile(path, om); err != nil {
			t.Fatal(err)
		}
		in := make([]float32, 16)
		for i := range in {
			in[i] = float32(i)
		}
		got := run(t, path, []int64{1, 4, 4, 1}, in)["y"]
		// rows/cols 0-2: sum of x[r][c] = 4r+c; rows 0-2 x cols 2-3, etc.
		sum := func(r0, r1, c0, c1 int) float32 {
			var s float32
			for r := r0; r <= r1; r++ {
				for c := c0; c <= c1; c++ {
					s += in[4*r+c]
				}
			}
			return s
		}
		want := []float32{sum(0, 2, 0, 2), sum(0, 2, 2, 3), sum(2, 3, 0, 2), sum(2, 3, 2, 3)}
		if !slices.Equal(got, want) {
			t.Errorf("%s SAME stride 2 on 4x4: got %v, want TensorFlow's %v", op, got, want)
		}
	}
}

// An op the converter does not know is an error naming the node and op.
func TestUnsupportedOpNamed(t *testing.T) {
	m := tiny(t, "Conv3D", "SAME")
	_, err := tfjs.Convert(m, tfjs.ConvertOptions{})
	if err == nil || !strings.Contains(err.Error(), "node y") || !strings.Contains(err.Error(), "Conv3D") {
		t.Fatalf("error %v, want it to name node y and op Conv3D", err)
	}
	if _, err := tfjs.Convert(tiny(t, "Conv2D", "FULL"), tfjs.ConvertOptions{}); err == nil || !strings.Contains(err.Error(), "FULL") {
		t.Fatalf("padding FULL: error %v, want it named", err)
	}
}

// An NCHW-input conversion computes what the NHWC one does.
func TestNCHWInput(t *testing.T) {
	data := testenv.Data(t)
	cases, err := tfjsref.Cases()
	if err != nil {
		t.Fatal(err)
	}
	c := cases[len(cases)-1] // a BlazeFace case
	px, err := c.Pixels(data)
	if err != nil {
		t.Fatal(err)
	}
	in := c.Input(px)
	planar := make([]float32, len(in))
	plane := c.Size * c.Size
	for i := 0; i < plane; i++ {
		for ch := 0; ch < 3; ch++ {
			planar[ch*plane+i] = in[3*i+ch]
		}
	}
	nhwc := run(t, convertFile(t, c.Model, tfjs.ConvertOptions{}), []int64{1, int64(c.Size), int64(c.Size), 3}, in)
	nchw := run(t, convertFile(t, c.Model, tfjs.ConvertOptions{NCHW: true}), []int64{1, 3, int64(c.Size), int64(c.Size)}, planar)
	for k, v := range nhwc {
		if e := maxRelErr(t, k, nchw[k], tfjsref.Output{Shape: []int{len(v)}, Values: v}); e > 1e-6 {
			t.Errorf("output %s: NCHW and NHWC inputs differ by %.3g of scale", k, e)
		}
	}
}

// maxRelErr compares got against want where want's rows (axis 1 of a
// [1,R,C] tensor) may be a selection; it returns the largest absolute
// difference divided by the output's scale (its largest absolute value).
func maxRelErr(t *testing.T, name string, got []float32, want tfjsref.Output) float64 {
	t.Helper()
	var scale, worst float64
	for _, v := range want.Values {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	if scale == 0 {
		scale = 1
	}
	pick := func(i int) float32 { return got[i] }
	n := len(want.Values)
	if want.Rows != nil {
		c := want.Shape[len(want.Shape)-1]
		if len(want.Shape) < 3 {
			c = 1
		}
		pick = func(i int) float32 { return got[want.Rows[i/c]*c+i%c] }
		if len(want.Rows)*c != n {
			t.Fatalf("%s: %d rows of %d, %d values", name, len(want.Rows), c, n)
		}
	} else if len(got) != n {
		t.Fatalf("%s: %d values, TF.js gave %d", name, len(got), n)
	}
	for i := 0; i < n; i++ {
		worst = math.Max(worst, math.Abs(float64(pick(i)-want.Values[i]))/scale)
	}
	return worst
}

func poolNHWC(x []float32, c int) []float32 {
	out := make([]float32, c)
	n := len(x) / c
	for i, v := range x {
		out[i%c] += v
	}
	for i := range out {
		out[i] /= float32(n)
	}
	return out
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// The converted FaceRes and BlazeFace, run by ONNX Runtime, give what
// TensorFlow.js gave on the same faces, to 1e-4 of each output's scale;
// and FaceRes descriptors of one person's faces are closer than those of
// two people.
func TestParityWithTFJS(t *testing.T) {
	data := testenv.Data(t)
	cases, err := tfjsref.Cases()
	if err != nil {
		t.Fatal(err)
	}
	onnxPath := map[string]string{}
	desc := map[string][]float32{}
	for _, c := range cases {
		if onnxPath[c.Model] == "" {
			o := tfjs.ConvertOptions{}
			if c.Model == "faceres/faceres-deep.json" {
				o.Outputs = []string{tfjsref.Descriptor, tfjsref.Gender, tfjsref.Age, tfjsref.PW11Node}
			}
			onnxPath[c.Model] = convertFile(t, c.Model, o)
		}
		px, err := c.Pixels(data)
		if err != nil {
			t.Fatal(err)
		}
		out := run(t, onnxPath[c.Model], []int64{1, int64(c.Size), int64(c.Size), 3}, c.Input(px))
		if pw, ok := out[tfjsref.PW11Node]; ok {
			out[tfjsref.PoolPW11] = poolNHWC(pw, 512)
		}
		for name, want := range c.Outputs {
			got, ok := out[name]
			if !ok {
				t.Errorf("%s: the ONNX model has no output %s", c.Name, name)
				continue
			}
			e := maxRelErr(t, c.Name+" "+name, got, want)
			t.Logf("%s %s: max error %.2g of scale", c.Name, name, e)
			if e > 1e-4 {
				t.Errorf("%s %s: differs from TF.js by %.3g of the output's scale, want <= 1e-4", c.Name, name, e)
			}
		}
		if c.Person != "" {
			desc[c.Name] = out[tfjsref.Descriptor]
		}
	}
	var same, diff []float64
	for _, a := range cases {
		for _, b := range cases {
			if a.Person == "" || b.Person == "" || a.Name >= b.Name {
				continue
			}
			cs := cosine(desc[a.Name], desc[b.Name])
			if a.Person == b.Person {
				same = append(same, cs)
			} else {
				diff = append(diff, cs)
			}
		}
	}
	minSame, maxDiff := slices.Min(same), slices.Max(diff)
	t.Logf("descriptor cosine: same person %.3f..%.3f, different people %.3f..%.3f", minSame, slices.Max(same), slices.Min(diff), maxDiff)
	if minSame <= maxDiff {
		t.Errorf("identities do not separate: the least similar pair of one person (%.3f) is not above the most similar pair of two people (%.3f)", minSame, maxDiff)
	}
}

// A BlazeFace converted with a free input size gives TF.js's outputs at
// 256x256 and runs at 160x256 with an anchor list per level sized to the
// grid (16x10x2 and 8x5x6).
func TestFreeSize(t *testing.T) {
	data := testenv.Data(t)
	cases, err := tfjsref.Cases()
	if err != nil {
		t.Fatal(err)
	}
	c := cases[len(cases)-1]
	path := convertFile(t, c.Model, tfjs.ConvertOptions{FreeSize: true})
	px, err := c.Pixels(data)
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, path, []int64{1, 256, 256, 3}, c.Input(px))
	for name, want := range c.Outputs {
		if e := maxRelErr(t, name, out[name], want); e > 1e-4 {
			t.Errorf("free size at 256x256, %s: differs from TF.js by %.3g of scale", name, e)
		}
	}
	out = run(t, path, []int64{1, 160, 256, 3}, c.Input(px)[:160*256*3])
	for name, n := range map[string]int{"Identity": 320, "Identity_1": 240, "Identity_2": 320 * 16, "Identity_3": 240 * 16} {
		if len(out[name]) != n {
			t.Errorf("free size at 160x256, %s: %d values, want %d", name, len(out[name]), n)
		}
	}
	m, err := tfjs.Open(testenv.Model(t, "faceres/faceres-deep.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tfjs.Convert(m, tfjs.ConvertOptions{FreeSize: true, Outputs: []string{"conv_pw_11_relu/clip_by_value"}}); err != nil {
		t.Errorf("FaceRes with a free size: %v", err)
	}
}
