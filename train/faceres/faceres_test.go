//go:build torch

package faceres

import (
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/internal/tfjs"
	"github.com/ferlive/ferlive/internal/tfjs/tfjsref"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

func loadFaceRes(t *testing.T) *tfjs.Model {
	t.Helper()
	g, err := tfjs.Open(testenv.Model(t, "faceres/faceres-deep.json"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// runORT runs a graph with one input and one output.
func runORT(t *testing.T, om *onnx.Model, x []float32, shape ...int64) []float32 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := onnx.WriteFile(path, om); err != nil {
		t.Fatal(err)
	}
	sess, err := ort.NewSession(path, ort.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	in, err := ortgo.NewTensor(ortgo.NewShape(shape...), x)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	outs := []ortgo.Value{nil}
	if err := sess.Run([]ortgo.Value{in}, outs); err != nil {
		t.Fatal(err)
	}
	defer outs[0].Destroy()
	return append([]float32(nil), outs[0].(*ortgo.Tensor[float32]).GetData()...)
}

func features(t *testing.T, m *Model, x []float32, shape ...int64) []float32 {
	t.Helper()
	var out []float32
	err := torch.NoGrad(func() (err error) {
		defer torch.Recover(&err)
		sc := torch.NewScope()
		defer sc.Drop()
		out = nn.Values(m.Pooled(torch.MustFromFloat32(x, shape, false).In(sc), false))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func maxDiff(a, b []float32) (d, top float64) {
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
		top = math.Max(top, math.Abs(float64(a[i])))
	}
	return d, top
}

// The imported FaceRes computes the same descriptor in libtorch and, once
// exported, in ONNX Runtime; the gray model on a gray face equals the RGB
// model on that face replicated to three channels.
func TestImportExportParity(t *testing.T) {
	testenv.ORT(t)
	torch.SetNumThreads(2)
	g := loadFaceRes(t)
	rng := rand.New(rand.NewSource(3))
	const s = 112
	gray := make([]float32, 2*s*s)
	for i := range gray {
		gray[i] = float32(rng.Intn(256))
	}
	rgb := make([]float32, 2*3*s*s)
	for n := 0; n < 2; n++ {
		for c := 0; c < 3; c++ {
			copy(rgb[(n*3+c)*s*s:(n*3+c+1)*s*s], gray[n*s*s:(n+1)*s*s])
		}
	}
	var outs [][]float32
	for _, ch := range []int{3, 1} {
		cfg := Default(s, 7)
		cfg.Channels = ch
		m, err := New(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		// mean 0 and std 1/255: the model's input is the pixel itself
		if err := m.ImportTFJS(g, 0, 1.0/255); err != nil {
			t.Fatal(err)
		}
		x := rgb
		if ch == 1 {
			x = gray
		}
		lt := features(t, m, x, 2, int64(ch), s, s)
		om, err := m.ExportFeatures()
		if err != nil {
			t.Fatal(err)
		}
		ox := runORT(t, om, x, 2, int64(ch), s, s)
		if d, top := maxDiff(lt, ox); d > 1e-4*top {
			t.Errorf("%d channels: libtorch and ONNX Runtime differ by %.3g (largest value %.3g)", ch, d, top)
		}
		outs = append(outs, lt)
	}
	if d, top := maxDiff(outs[0], outs[1]); d > 1e-4*top {
		t.Errorf("gray model and RGB model on replicated gray differ by %.3g (largest %.3g)", d, top)
	}
}

// The imported backbone reproduces what TensorFlow.js computes with the
// published model on faces from the shared photos (reference outputs in
// internal/tfjs/tfjsref): the 1024-d descriptor with all 13 blocks and the
// pooled conv_pw_11 map with 11, to 1e-4 of the output's scale, in libtorch
// and in ONNX Runtime; and the descriptors of the same person are closer
// than those of two people.
func TestTFJSReference(t *testing.T) {
	testenv.ORT(t)
	torch.SetNumThreads(2)
	g := loadFaceRes(t)
	data := testenv.Data(t)
	cases, err := tfjsref.Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, depth := range []int{13, 11} {
		want := tfjsref.Descriptor
		if depth == 11 {
			want = tfjsref.PoolPW11
		}
		cfg := Default(224, 7)
		cfg.Channels, cfg.Depth = 3, depth
		m, err := New(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.ImportTFJS(g, 0, 1.0/255); err != nil {
			t.Fatal(err)
		}
		om, err := m.ExportFeatures()
		if err != nil {
			t.Fatal(err)
		}
		desc := map[string][]float32{}
		person := map[string]string{}
		for _, c := range cases {
			if c.Person == "" {
				continue
			}
			px, err := c.Pixels(data)
			if err != nil {
				t.Fatal(err)
			}
			nchw := make([]float32, len(px))
			hw := c.Size * c.Size
			for i := 0; i < hw; i++ {
				for ch := 0; ch < 3; ch++ {
					nchw[ch*hw+i] = px[i*3+ch]
				}
			}
			s := int64(c.Size)
			lt := features(t, m, nchw, 1, 3, s, s)
			ox := runORT(t, om, nchw, 1, 3, s, s)
			ref := c.Outputs[want].Values
			if d, top := maxDiff(ref, lt); d > 1e-4*top {
				t.Errorf("depth %d %s: libtorch differs from TF.js by %.3g (largest %.3g)", depth, c.Name, d, top)
			}
			if d, top := maxDiff(ref, ox); d > 1e-4*top {
				t.Errorf("depth %d %s: ONNX Runtime differs from TF.js by %.3g (largest %.3g)", depth, c.Name, d, top)
			}
			desc[c.Name], person[c.Name] = lt, c.Person
		}
		if depth != 13 {
			continue
		}
		var same, other []float64
		for a := range desc {
			for b := range desc {
				if a >= b {
					continue
				}
				if cs := cosine(desc[a], desc[b]); person[a] == person[b] {
					same = append(same, cs)
				} else {
					other = append(other, cs)
				}
			}
		}
		if len(same) == 0 || len(other) == 0 {
			t.Fatalf("no pairs to compare")
		}
		if minOf(same) <= maxOf(other) {
			t.Errorf("identities do not separate: same person cosine %v, different people %v", same, other)
		}
	}
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

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}
