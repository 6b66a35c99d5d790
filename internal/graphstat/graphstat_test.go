package graphstat

import (
	"testing"

	"github.com/ferlive/ferlive/internal/onnx"
)

// TestCount checks shapes and FLOPs on a small graph with known answers.
func TestCount(t *testing.T) {
	m, b := onnx.NewModel("t", 17)
	x := b.Input("input", onnx.Float, onnx.P("batch"), onnx.D(1), onnx.D(8), onnx.D(8))
	// 3x3 conv 1->4, stride 2, pad 1: out 4x4x4, MACs 4*4*4*9 = 576
	c := b.Op("Conv", []string{x, b.Floats("w", []int64{4, 1, 3, 3}, make([]float32, 36)), b.Floats("b", []int64{4}, make([]float32, 4))},
		onnx.AInts("strides", 2, 2), onnx.AInts("pads", 1, 1, 1, 1))
	r := b.Op("Relu", []string{c})
	// depthwise 3x3 on 4 channels, pad 1: MACs 4*4*4*9 = 576
	d := b.Op("Conv", []string{r, b.Floats("dw", []int64{4, 1, 3, 3}, make([]float32, 36))}, onnx.AInts("pads", 1, 1, 1, 1), onnx.AInt("group", 4))
	s := b.Op("Slice", []string{d, b.Ints("s", []int64{1}, []int64{0}), b.Ints("e", []int64{1}, []int64{2}), b.Ints("a", []int64{1}, []int64{1})})
	sh := b.Op("Reshape", []string{s, b.Ints("shape", []int64{4}, []int64{0, 2, 2, 8})})
	p := b.Op("Flatten", []string{b.Op("GlobalAveragePool", []string{sh})}, onnx.AInt("axis", 1))
	g := b.Op("Gemm", []string{p, b.Floats("fw", []int64{3, 2}, make([]float32, 6)), b.Floats("fb", []int64{3}, make([]float32, 3))}, onnx.AInt("transB", 1))
	b.OpTo("probs", "Softmax", []string{g}, onnx.AInt("axis", 1))
	b.Output("probs", onnx.Float, onnx.P("batch"), onnx.D(3))
	st, err := Count(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Shapes["probs"]; len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("output shape %v", got)
	}
	if sh := st.Shapes[sh]; sh[1] != 2 || sh[2] != 2 || sh[3] != 8 {
		t.Fatalf("reshape shape %v", sh)
	}
	if want := int64(576 + 576 + 6); st.MACs != want {
		t.Fatalf("MACs %d, want %d", st.MACs, want)
	}
	if want := int64(36 + 4 + 36 + 6 + 3); st.Params != want {
		t.Fatalf("params %d, want %d", st.Params, want)
	}
	// conv FLOPs: 2*MACs (+ bias adds on the first), relu 64, gap 32, gemm 2*6+3, softmax 9
	want := int64(2*576+64) + 64 + 2*576 + 32 + (12 + 3) + 9
	if st.FLOPs != want {
		t.Fatalf("FLOPs %d, want %d (%v)", st.FLOPs, want, st.ByOp)
	}
	if _, err := Count(&onnx.Model{Graph: &onnx.Graph{Nodes: []*onnx.Node{{OpType: "Conv", Inputs: []string{"nope"}}}}}, 1); err == nil {
		t.Fatal("unknown input accepted")
	}
}

// TestMatMulPRelu counts the ops of LFNSB's Spatial Bias and blocks.
func TestMatMulPRelu(t *testing.T) {
	m, b := onnx.NewModel("t", 17)
	x := b.Input("input", onnx.Float, onnx.P("batch"), onnx.D(3), onnx.D(2), onnx.D(2))
	p := b.Op("PRelu", []string{x, b.Floats("a", []int64{3, 1, 1}, make([]float32, 3))})
	r := b.Op("Reshape", []string{p, b.Ints("shape", []int64{3}, []int64{0, 3, 4})})
	// [N,3,4] x [4,9] -> [N,3,9]: 3*4*9 = 108 MACs
	mm := b.Op("MatMul", []string{r, b.Floats("up", []int64{4, 9}, make([]float32, 36))})
	b.Output(mm, onnx.Float, onnx.P("batch"), onnx.D(3), onnx.D(9))
	st, err := Count(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Shapes[mm]; len(got) != 3 || got[0] != 2 || got[1] != 3 || got[2] != 9 {
		t.Fatalf("MatMul shape %v", got)
	}
	if st.MACs != 2*108 || st.FLOPs != 2*2*108+2*24 {
		t.Fatalf("MACs %d FLOPs %d", st.MACs, st.FLOPs)
	}
}

// TestTableOrder checks the card's operator table is the same every time:
// by FLOPs, equal counts in name order.
func TestTableOrder(t *testing.T) {
	s := &Stats{ByOp: map[string]int64{"Tanh": 5, "Div": 5, "Conv": 9, "Sqrt": 5, "Add": 1}}
	want := "| operator | FLOPs |\n|---|---:|\n| Conv | 9 |\n| Div | 5 |\n| Sqrt | 5 |\n| Tanh | 5 |\n| Add | 1 |\n"
	for i := 0; i < 20; i++ {
		if got := s.Table(); got != want {
			t.Fatalf("table:\n%s\nwant:\n%s", got, want)
		}
	}
}
