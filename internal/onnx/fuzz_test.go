package onnx_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

// skeleton decodes an ONNX file and keeps at most keep bytes of every
// tensor and its first maxNodes nodes, so that a real model (megabytes)
// becomes a seed of a few kilobytes with its real structure, metadata and
// attributes (large seeds make the fuzzer's minimisation crawl).
func skeleton(path string, keep, maxNodes int) ([]byte, bool) {
	m, err := onnx.ReadFile(path)
	if err != nil {
		return nil, false
	}
	shrink := func(t *onnx.Tensor) {
		if len(t.Raw) > keep {
			t.Raw = t.Raw[:keep]
		}
		if len(t.FloatData) > keep/4 {
			t.FloatData = t.FloatData[:keep/4]
		}
		if len(t.Int64Data) > keep/8 {
			t.Int64Data = t.Int64Data[:keep/8]
		}
	}
	for _, t := range m.Graph.Initializers {
		shrink(t)
	}
	if len(m.Graph.Initializers) > maxNodes {
		m.Graph.Initializers = m.Graph.Initializers[:maxNodes]
	}
	if len(m.Graph.Nodes) > maxNodes {
		m.Graph.Nodes = m.Graph.Nodes[:maxNodes]
	}
	m.Graph.ValueInfo = nil
	if len(m.Graph.Inputs) > maxNodes {
		m.Graph.Inputs = m.Graph.Inputs[:maxNodes]
	}
	for _, n := range m.Graph.Nodes {
		for _, a := range n.Attrs {
			if a.T != nil {
				shrink(a.T)
			}
		}
	}
	return m.Encode(), true
}

// onnxSeeds are the fuzz seeds: small classifiers made in code, hostile
// tensors (a 2 G-element tensor claimed by a few bytes, overflowing dims),
// and skeletons of the shipped models and, when present, the shared
// detector models (generated at test time, never committed).
func onnxSeeds() [][]byte {
	small := testmodel.Classifier(testmodel.DefaultSpec(), testmodel.Options{Widths: []int64{2, 4}})
	seeds := [][]byte{small.Encode()}
	for _, dims := range [][]int64{{1 << 31}, {1 << 62, 4}, {-1, 3}, {1 << 20, 1 << 20}} {
		m := testmodel.Classifier(testmodel.DefaultSpec(), testmodel.Options{Widths: []int64{2}})
		m.Graph.Initializers = append(m.Graph.Initializers, &onnx.Tensor{Name: "huge", DataType: onnx.Float, Dims: dims, Raw: []byte{1, 2, 3, 4}})
		seeds = append(seeds, m.Encode())
	}
	var paths []string
	if ms, _ := filepath.Glob("../../assets/models/*.onnx"); len(ms) > 0 {
		paths = append(paths, ms...)
	}
	if d := os.Getenv("FERLIVE_MODELS"); d != "" {
		paths = append(paths, filepath.Join(d, "yunet", "face_detection_yunet_2023mar.onnx"),
			filepath.Join(d, "ultraface", "version-RFB-320.onnx"))
	}
	for _, p := range paths {
		if b, ok := skeleton(p, 16, 12); ok {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzDecode feeds arbitrary bytes to the ONNX reader and to what ferlive
// does with a model it is handed (the tensors' values, the metadata
// contract). It must never panic, never allocate more than the input can
// hold, and a decoded model must re-encode to bytes that decode again and
// are stable from then on.
func FuzzDecode(f *testing.F) {
	for _, s := range onnxSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := onnx.Decode(b)
		if err != nil {
			return
		}
		var tensors []*onnx.Tensor
		tensors = append(tensors, m.Graph.Initializers...)
		for _, n := range m.Graph.Nodes {
			for _, a := range n.Attrs {
				if a.T != nil {
					tensors = append(tensors, a.T)
				}
			}
		}
		for _, tt := range tensors {
			n := tt.NumElements()
			if fs, err := tt.Floats(); err == nil {
				if int64(len(fs)) != n || len(fs) > len(b) {
					t.Fatalf("tensor %q: %d floats for %d elements from %d input bytes", tt.Name, len(fs), n, len(b))
				}
			}
			if is, err := tt.Int64s(); err == nil {
				if int64(len(is)) != n || len(is) > len(b) {
					t.Fatalf("tensor %q: %d int64s for %d elements from %d input bytes", tt.Name, len(is), n, len(b))
				}
			}
		}
		_, _ = contract.Parse(m.MetaMap())
		_ = m.Opset()
		enc := m.Encode()
		m2, err := onnx.Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded model does not decode: %v", err)
		}
		if enc2 := m2.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encode is not stable: %d bytes, then %d", len(enc), len(enc2))
		}
	})
}

// TestHugeTensorClaim: a 1 kB model whose initializer claims 2 G floats
// (8 GB) must fail cleanly, naming the tensor, without allocating them.
func TestHugeTensorClaim(t *testing.T) {
	for _, dims := range [][]int64{{1 << 31, 1}, {1 << 29, 4}, {1 << 62, 4}, {4, -2}} {
		tt := &onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: dims, Raw: make([]byte, 1024)}
		if _, err := tt.Floats(); err == nil {
			t.Errorf("dims %v: Floats accepted 1 kB of data", dims)
		}
		tt.DataType = onnx.Int64
		if _, err := tt.Int64s(); err == nil {
			t.Errorf("dims %v: Int64s accepted 1 kB of data", dims)
		}
	}
	// packed float_data that disagrees with the dims
	tt := &onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{1 << 30}, FloatData: []float32{1, 2}}
	if _, err := tt.Floats(); err == nil {
		t.Error("2 floats accepted for dims [1<<30]")
	}
}
