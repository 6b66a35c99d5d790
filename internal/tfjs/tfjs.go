// Package tfjs reads TensorFlow.js graph models: the model.json topology
// (nodes, their inputs and attributes) and the weights manifest with its
// binary shards, decoding float32, int32, float16 and the uint8 / uint16
// affine quantisation (value = q*scale + min) into float32. It is what the
// trainer's face-pretrained import reads, and Convert turns such a model
// into ONNX (BlazeFace for the face detector; FaceRes). Package tfjsref
// holds TensorFlow.js's own outputs for checking both.
//
// Every size a file claims is checked against the bytes that back it
// before anything is allocated, so a small file claiming a huge tensor is
// refused with an error instead of an allocation.
package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Model is a parsed graph model with its weights decoded.
type Model struct {
	Format      string
	GeneratedBy string
	ConvertedBy string
	Nodes       []Node
	// Weights holds every manifest tensor by name; Order lists the names
	// in manifest order.
	Weights map[string]*Tensor
	Order   []string
	// Outputs are the signature's output tensor names (e.g.
	// "global_pooling/Mean:0"), when the model has a signature.
	Outputs []string
}

// Node is one graph node.
type Node struct {
	Name   string
	Op     string
	Inputs []string
	Attr   map[string]Attr
}

// Attr is a node attribute as TensorFlow.js stores it (a JSON-encoded
// tensorflow.AttrValue).
type Attr struct {
	I     *string  `json:"i"`
	F     *float64 `json:"f"`
	S     *string  `json:"s"`
	B     *bool    `json:"b"`
	Type  string   `json:"type"`
	Shape *struct {
		Dim []struct {
			Size string `json:"size"`
		} `json:"dim"`
	} `json:"shape"`
	List *struct {
		I []string  `json:"i"`
		F []float64 `json:"f"`
		S []string  `json:"s"`
	} `json:"list"`
}

// Tensor is a decoded weight. Float data (float32, float16, quantised) is
// in F; int32 data in I. Shape is row-major as TensorFlow stores it.
type Tensor struct {
	Name  string
	Shape []int
	DType string // float32 or int32 after decoding
	F     []float32
	I     []int32
}

// Numel is the number of elements Shape describes.
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

type manifestEntry struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	DType        string `json:"dtype"`
	Quantization *struct {
		DType         string   `json:"dtype"`
		Min           *float64 `json:"min"`
		Scale         *float64 `json:"scale"`
		OriginalDType string   `json:"original_dtype"`
	} `json:"quantization"`
}

type modelJSON struct {
	Format        string `json:"format"`
	GeneratedBy   string `json:"generatedBy"`
	ConvertedBy   string `json:"convertedBy"`
	ModelTopology *struct {
		Node []struct {
			Name  string          `json:"name"`
			Op    string          `json:"op"`
			Input []string        `json:"input"`
			Attr  map[string]Attr `json:"attr"`
		} `json:"node"`
	} `json:"modelTopology"`
	Signature *struct {
		Outputs map[string]struct {
			Name string `json:"name"`
		} `json:"outputs"`
	} `json:"signature"`
	WeightsManifest []struct {
		Paths   []string        `json:"paths"`
		Weights []manifestEntry `json:"weights"`
	} `json:"weightsManifest"`
}

// MaxElements bounds one tensor's element count (256 M): a manifest that
// claims more is refused before its shard is read.
const MaxElements = 1 << 28

// Open reads model.json at path and its weight shards from the same folder.
func Open(path string) (*Model, error) {
	js, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tfjs model: %w", err)
	}
	dir := filepath.Dir(path)
	m, err := Parse(js, func(p string) ([]byte, error) {
		if filepath.IsAbs(p) || strings.Contains(filepath.ToSlash(p), "..") {
			return nil, fmt.Errorf("shard path %q leaves the model's folder", p)
		}
		return os.ReadFile(filepath.Join(dir, p))
	})
	if err != nil {
		return nil, fmt.Errorf("tfjs model %s: %w", path, err)
	}
	return m, nil
}

// Parse decodes a model.json document; shard returns the bytes of a
// weights file named in the manifest.
func Parse(js []byte, shard func(path string) ([]byte, error)) (*Model, error) {
	var mj modelJSON
	if err := json.Unmarshal(js, &mj); err != nil {
		return nil, fmt.Errorf("model.json: %w", err)
	}
	if mj.Format != "graph-model" {
		return nil, fmt.Errorf("format %q: want a TensorFlow.js graph-model", mj.Format)
	}
	if mj.ModelTopology == nil || len(mj.ModelTopology.Node) == 0 {
		return nil, errors.New("model.json has no modelTopology nodes")
	}
	m := &Model{Format: mj.Format, GeneratedBy: mj.GeneratedBy, ConvertedBy: mj.ConvertedBy,
		Weights: map[string]*Tensor{}}
	for _, n := range mj.ModelTopology.Node {
		if n.Name == "" || n.Op == "" {
			return nil, fmt.Errorf("node %q with op %q: want both a name and an op", n.Name, n.Op)
		}
		m.Nodes = append(m.Nodes, Node{Name: n.Name, Op: n.Op, Inputs: n.Input, Attr: n.Attr})
	}
	if mj.Signature != nil {
		for _, o := range mj.Signature.Outputs {
			m.Outputs = append(m.Outputs, o.Name)
		}
		slices.Sort(m.Outputs)
	}
	seen := map[string]bool{}
	for gi, g := range mj.WeightsManifest {
		var buf []byte
		for _, p := range g.Paths {
			// A shard listed twice would be read twice: a small model.json
			// naming one big shard a thousand times must not allocate a
			// thousand copies.
			if seen[p] {
				return nil, fmt.Errorf("weights group %d: shard %q is listed twice in the manifest", gi, p)
			}
			seen[p] = true
			b, err := shard(p)
			if err != nil {
				return nil, fmt.Errorf("weights group %d: %w", gi, err)
			}
			buf = append(buf, b...)
		}
		off := 0
		for _, w := range g.Weights {
			t, n, err := decode(w, buf[off:])
			if err != nil {
				return nil, fmt.Errorf("weight %q: %w", w.Name, err)
			}
			off += n
			if _, dup := m.Weights[w.Name]; dup {
				return nil, fmt.Errorf("weight %q appears twice in the manifest", w.Name)
			}
			m.Weights[w.Name] = t
			m.Order = append(m.Order, w.Name)
		}
		if off != len(buf) {
			return nil, fmt.Errorf("weights group %d: the manifest accounts for %d bytes, the shards hold %d", gi, off, len(buf))
		}
	}
	return m, nil
}

// decode reads one manifest entry from the front of b, returning the
// tensor and the bytes it took.
func decode(w manifestEntry, b []byte) (*Tensor, int, error) {
	n := 1
	for _, d := range w.Shape {
		if d < 0 {
			return nil, 0, fmt.Errorf("shape %v has a negative side", w.Shape)
		}
		if d > 0 && n > MaxElements/d {
			return nil, 0, fmt.Errorf("shape %v has more than %d elements", w.Shape, MaxElements)
		}
		n *= d
	}
	t := &Tensor{Name: w.Name, Shape: append([]int(nil), w.Shape...)}
	dtype := w.DType
	if q := w.Quantization; q != nil {
		width := map[string]int{"uint8": 1, "uint16": 2, "float16": 2}[q.DType]
		if width == 0 {
			return nil, 0, fmt.Errorf("quantization dtype %q: want uint8, uint16 or float16", q.DType)
		}
		if err := need(b, n, width, w.Shape); err != nil {
			return nil, 0, err
		}
		out := make([]float32, n)
		switch q.DType {
		case "float16":
			for i := range out {
				out[i] = Float16(binary.LittleEndian.Uint16(b[2*i:]))
			}
		default:
			if q.Min == nil || q.Scale == nil {
				return nil, 0, fmt.Errorf("%s quantization without min and scale", q.DType)
			}
			mn, sc := *q.Min, *q.Scale
			for i := range out {
				var v uint32
				if width == 1 {
					v = uint32(b[i])
				} else {
					v = uint32(binary.LittleEndian.Uint16(b[2*i:]))
				}
				out[i] = float32(float64(v)*sc + mn)
			}
		}
		if dtype == "int32" {
			t.DType = "int32"
			t.I = make([]int32, n)
			for i, v := range out {
				t.I[i] = int32(math.Round(float64(v)))
			}
		} else {
			t.DType, t.F = "float32", out
		}
		return t, n * width, nil
	}
	switch dtype {
	case "float32":
		if err := need(b, n, 4, w.Shape); err != nil {
			return nil, 0, err
		}
		t.DType, t.F = "float32", make([]float32, n)
		for i := range t.F {
			t.F[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return t, 4 * n, nil
	case "int32":
		if err := need(b, n, 4, w.Shape); err != nil {
			return nil, 0, err
		}
		t.DType, t.I = "int32", make([]int32, n)
		for i := range t.I {
			t.I[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return t, 4 * n, nil
	case "bool":
		if err := need(b, n, 1, w.Shape); err != nil {
			return nil, 0, err
		}
		t.DType, t.I = "int32", make([]int32, n)
		for i := range t.I {
			if b[i] != 0 {
				t.I[i] = 1
			}
		}
		return t, n, nil
	}
	return nil, 0, fmt.Errorf("dtype %q: want float32, int32 or bool", dtype)
}

func need(b []byte, n, width int, shape []int) error {
	if len(b)/width < n {
		return fmt.Errorf("shape %v needs %d bytes, the shards have %d left", shape, n*width, len(b))
	}
	return nil
}

// Float16 converts IEEE 754 half-precision bits to float32.
func Float16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		f := float32(frac) / 1024 * float32(math.Pow(2, -14))
		if sign != 0 {
			f = -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// Node returns the node called name, or nil.
func (m *Model) Node(name string) *Node {
	for i := range m.Nodes {
		if m.Nodes[i].Name == name {
			return &m.Nodes[i]
		}
	}
	return nil
}

// Weight returns the weight called name with the given shape, or an error
// naming what was expected.
func (m *Model) Weight(name string, shape ...int) (*Tensor, error) {
	t, ok := m.Weights[name]
	if !ok {
		return nil, fmt.Errorf("the model has no weight %q", name)
	}
	if len(shape) > 0 && !sameShape(t.Shape, shape) {
		return nil, fmt.Errorf("weight %q has shape %v, want %v", name, t.Shape, shape)
	}
	if t.DType != "float32" {
		return nil, fmt.Errorf("weight %q is %s, want float", name, t.DType)
	}
	return t, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Int returns integer attribute key, or def when absent.
func (n *Node) Int(key string, def int64) (int64, error) {
	a, ok := n.Attr[key]
	if !ok || a.I == nil {
		return def, nil
	}
	v, err := strconv.ParseInt(*a.I, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("node %s attribute %s=%q: want an integer", n.Name, key, *a.I)
	}
	return v, nil
}

// Ints returns the integer list attribute key (nil when absent).
func (n *Node) Ints(key string) ([]int64, error) {
	a, ok := n.Attr[key]
	if !ok || a.List == nil {
		return nil, nil
	}
	out := make([]int64, len(a.List.I))
	for i, s := range a.List.I {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("node %s attribute %s: %q is not an integer", n.Name, key, s)
		}
		out[i] = v
	}
	return out, nil
}

// Float returns float attribute key, or def when absent.
func (n *Node) Float(key string, def float64) float64 {
	if a, ok := n.Attr[key]; ok && a.F != nil {
		return *a.F
	}
	return def
}

// String returns the string attribute key (stored base64), "" when absent.
func (n *Node) String(key string) (string, error) {
	a, ok := n.Attr[key]
	if !ok || a.S == nil {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(*a.S)
	if err != nil {
		return "", fmt.Errorf("node %s attribute %s: not base64: %w", n.Name, key, err)
	}
	return string(b), nil
}

// Strings returns the string list attribute key (each stored base64).
func (n *Node) Strings(key string) ([]string, error) {
	a, ok := n.Attr[key]
	if !ok || a.List == nil {
		return nil, nil
	}
	out := make([]string, len(a.List.S))
	for i, s := range a.List.S {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("node %s attribute %s: not base64: %w", n.Name, key, err)
		}
		out[i] = string(b)
	}
	return out, nil
}

// InputShape returns the shape attribute of a Placeholder node (-1 for a
// free side).
func (n *Node) InputShape() []int64 {
	a, ok := n.Attr["shape"]
	if !ok || a.Shape == nil {
		return nil
	}
	out := make([]int64, len(a.Shape.Dim))
	for i, d := range a.Shape.Dim {
		v, err := strconv.ParseInt(d.Size, 10, 64)
		if err != nil {
			v = -1
		}
		out[i] = v
	}
	return out
}
