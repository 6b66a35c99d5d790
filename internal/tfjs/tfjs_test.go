package tfjs

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func sharedModels(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FERLIVE_MODELS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "models")
	}
	if _, err := os.Stat(filepath.Join(dir, "faceres", "faceres-deep.json")); err != nil {
		t.Skipf("shared FaceRes model absent (%v): set FERLIVE_MODELS to ../shared/models", err)
	}
	return dir
}

// The float16 copy of FaceRes (a sibling checkpoint of the float32 one,
// not a bit-for-bit copy) decodes to closely correlated weights: a wrong
// half-precision decoder or shard order would leave them uncorrelated.
func TestFaceResFloat16Correlates(t *testing.T) {
	dir := sharedModels(t)
	f32, err := Open(filepath.Join(dir, "faceres", "faceres-deep.json"))
	if err != nil {
		t.Fatal(err)
	}
	f16, err := Open(filepath.Join(dir, "faceres", "faceres.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"conv_pw_5/convolution/merged_input", "conv_dw_1/depthwise_kernel", "feats/kernel"} {
		w, err := f32.Weight(name)
		if err != nil {
			t.Fatal(err)
		}
		h, err := f16.Weight(name, w.Shape...)
		if err != nil {
			t.Fatal(err)
		}
		if r := corr(w.F, h.F); r < 0.95 {
			t.Errorf("%s: float16 and float32 copies correlate %.3f, want > 0.95", name, r)
		}
	}
	var params int
	for _, n := range f32.Order {
		params += f32.Weights[n].Numel()
	}
	if params < 3_400_000 || params > 3_600_000 {
		t.Errorf("FaceRes has %d weights, the package says 3.49 M", params)
	}
	if n := f32.Node("input_1"); n == nil || n.Op != "Placeholder" {
		t.Fatalf("no input_1 placeholder")
	} else if s := n.InputShape(); len(s) != 4 || s[1] != 224 || s[3] != 3 {
		t.Errorf("input shape %v, want [-1 224 224 3]", s)
	}
}

func TestFloat16(t *testing.T) {
	for _, c := range []struct {
		h uint16
		f float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x3555, 0.33325195}, {0x0001, 5.9604645e-08}, {0x7bff, 65504}, {0, 0}} {
		if got := Float16(c.h); got != c.f {
			t.Errorf("Float16(%#04x) = %g, want %g", c.h, got, c.f)
		}
	}
}

// A manifest that claims more bytes than its shard holds, or an absurd
// shape, fails with an error and allocates nothing big.
func TestBadManifests(t *testing.T) {
	shard := func(string) ([]byte, error) { return make([]byte, 16), nil }
	for name, js := range map[string]string{
		"short":    `{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"Const"}]},"weightsManifest":[{"paths":["x"],"weights":[{"name":"w","shape":[5],"dtype":"float32"}]}]}`,
		"huge":     `{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"Const"}]},"weightsManifest":[{"paths":["x"],"weights":[{"name":"w","shape":[65536,65536,65536],"dtype":"float32"}]}]}`,
		"leftover": `{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"Const"}]},"weightsManifest":[{"paths":["x"],"weights":[{"name":"w","shape":[2],"dtype":"float32"}]}]}`,
		"format":   `{"format":"layers-model","modelTopology":{"node":[{"name":"a","op":"Const"}]}}`,
		"quant":    `{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"Const"}]},"weightsManifest":[{"paths":["x"],"weights":[{"name":"w","shape":[4],"dtype":"float32","quantization":{"dtype":"uint8"}}]}]}`,
	} {
		if _, err := Parse([]byte(js), shard); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	ok := `{"format":"graph-model","modelTopology":{"node":[{"name":"a","op":"Const"}]},"weightsManifest":[{"paths":["x"],"weights":[{"name":"w","shape":[2,2],"dtype":"float32","quantization":{"dtype":"uint8","min":-1,"scale":0.5}},{"name":"v","shape":[3],"dtype":"float32"}]}]}`
	m, err := Parse([]byte(ok), func(string) ([]byte, error) {
		return []byte{0, 1, 2, 4, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Weights["w"].F; w[0] != -1 || w[3] != 1 {
		t.Errorf("uint8 dequantised to %v, want [-1 -0.5 0 1]", w)
	}
	if v := m.Weights["v"].F; v[0] != 1 || v[1] != 2 || v[2] != 3 {
		t.Errorf("float32 read as %v", v)
	}
}

func corr(a, b []float32) float64 {
	var sa, sb, saa, sbb, sab float64
	n := float64(len(a))
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		sa, sb, saa, sbb, sab = sa+x, sb+y, saa+x*x, sbb+y*y, sab+x*y
	}
	return (sab - sa*sb/n) / math.Sqrt((saa-sa*sa/n)*(sbb-sb*sb/n))
}
