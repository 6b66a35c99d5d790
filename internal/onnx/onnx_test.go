package onnx_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/testkit/testmodel"
)

func TestRoundTrip(t *testing.T) {
	m := testmodel.Classifier(testmodel.DefaultSpec(), testmodel.Options{})
	b := m.Encode()
	m2, err := onnx.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m2.Encode(), b) {
		t.Fatal("decode+encode changed the bytes")
	}
	if v, _ := m2.Meta("ferlive.labels"); v != "angry,disgust,fear,happy,neutral,sad,surprise" {
		t.Fatalf("labels metadata = %q", v)
	}
	if got := len(m2.Graph.Nodes); got != len(m.Graph.Nodes) {
		t.Fatalf("nodes %d, want %d", got, len(m.Graph.Nodes))
	}
	w := m2.Graph.Initializers[0]
	f, err := w.Floats()
	if err != nil || int64(len(f)) != w.NumElements() {
		t.Fatalf("floats: %v len %d", err, len(f))
	}
	if in := m2.Graph.Inputs[0]; in.Shape[0].Param != "batch" || in.Shape[2].Value != 48 {
		t.Fatalf("input shape %+v", in.Shape)
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("hello, this is not a model"),
		"truncated": testmodel.Classifier(testmodel.DefaultSpec(), testmodel.Options{}).Encode()[:100],
	} {
		if _, err := onnx.Decode(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// TestDecodesForeignModels reads the shared detector models, written by
// other exporters, and checks that a re-encoded copy decodes to the same
// graph and re-encodes to identical bytes.
func TestDecodesForeignModels(t *testing.T) {
	dir := testenv.Models(t)
	for _, p := range []string{"yunet/face_detection_yunet_2023mar.onnx", "ultraface/version-RFB-320.onnx"} {
		m, err := onnx.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if m.Opset() == 0 || len(m.Graph.Nodes) == 0 || len(m.Graph.Initializers) == 0 {
			t.Fatalf("%s: opset %d, %d nodes, %d initializers", p, m.Opset(), len(m.Graph.Nodes), len(m.Graph.Initializers))
		}
		b := m.Encode()
		m2, err := onnx.Decode(b)
		if err != nil {
			t.Fatalf("%s: re-encoded model does not decode: %v", p, err)
		}
		if len(m2.Graph.Nodes) != len(m.Graph.Nodes) || len(m2.Graph.Initializers) != len(m.Graph.Initializers) ||
			len(m2.Graph.Inputs) != len(m.Graph.Inputs) || len(m2.Graph.Outputs) != len(m.Graph.Outputs) {
			t.Fatalf("%s: graph changed in the round trip", p)
		}
		if !bytes.Equal(m2.Encode(), b) {
			t.Fatalf("%s: second round trip changed the bytes", p)
		}
	}
}
