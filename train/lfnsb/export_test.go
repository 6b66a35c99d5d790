//go:build torch

package lfnsb

import (
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
	"github.com/ferlive/ferlive/internal/ort"
	"github.com/ferlive/ferlive/testkit/testenv"
	"github.com/ferlive/ferlive/train/nn"
	"github.com/ferlive/ferlive/train/torch"
)

func testSpec(size int) contract.Spec {
	return contract.Spec{Labels: contract.FERPlusLabels, Channels: 1, Size: size, Mean: []float32{0.5}, Std: []float32{0.25},
		Crop: contract.Crop{Scale: 1.2}, Arch: "lfnsb", Dataset: "ferplus"}
}

// settle moves batch-norm statistics and affine parameters, PReLU slopes
// and small weights away from their initial values (so that folding and
// fusion are really exercised), then sets the running statistics from one
// training-mode batch.
func settle(t *testing.T, m *Model, rng *rand.Rand) {
	t.Helper()
	for _, v := range m.Vars() {
		if v.T.Numel() > 5000 || v.Buffer {
			continue
		}
		vals := nn.Values(v.T)
		for i := range vals {
			vals[i] += float32(rng.NormFloat64() * 0.1)
		}
		nt := torch.MustFromFloat32(vals, v.T.Shape(), false)
		if err := v.T.CopyFrom(nt); err != nil {
			t.Fatal(err)
		}
		nt.Drop()
	}
	norms := m.Norms()
	for _, b := range norms {
		b.Momentum = 1
	}
	s := int64(m.Cfg.Size)
	x := make([]float32, 16*s*s)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	err := torch.NoGrad(func() (err error) {
		defer torch.Recover(&err)
		sc := torch.NewScope()
		defer sc.Drop()
		m.Forward(torch.MustFromFloat32(x, []int64{16, 1, s, s}, false).In(sc), true)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range norms {
		b.Momentum = 0.1
	}
}

// runGraph evaluates an exported graph with libtorch ops, node by node:
// the fused model (folded convolutions, fused RepVGGDW, folded embedding)
// computed by libtorch, independent of the Model's layers.
func runGraph(t *testing.T, s *torch.Scope, m *onnx.Model, x *torch.Tensor) *torch.Tensor {
	t.Helper()
	g := m.Graph
	vals := map[string]*torch.Tensor{g.Inputs[0].Name: x}
	init := func(name string) *onnx.Tensor {
		it := g.Initializer(name)
		if it == nil {
			t.Fatalf("%s is not an initializer", name)
		}
		return it
	}
	floats := func(name string) *torch.Tensor {
		it := init(name)
		v, err := it.Floats()
		if err != nil {
			t.Fatal(err)
		}
		return torch.MustFromFloat32(v, it.Dims, false).In(s)
	}
	ints := func(name string) []int64 {
		v, err := init(name).Int64s()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	in := func(name string) *torch.Tensor {
		if v, ok := vals[name]; ok {
			return v
		}
		return floats(name)
	}
	for _, n := range g.Nodes {
		var y *torch.Tensor
		switch n.OpType {
		case "Conv":
			pads := n.Attr("pads").Ints
			strides := n.Attr("strides").Ints
			if pads[0] != pads[1] || strides[0] != strides[1] {
				t.Fatalf("%s: asymmetric pads %v or strides %v", n.Name, pads, strides)
			}
			var b *torch.Tensor
			if len(n.Inputs) > 2 {
				b = floats(n.Inputs[2])
			}
			group := int64(1)
			if a := n.Attr("group"); a != nil {
				group = a.I
			}
			y = in(n.Inputs[0]).MustConv2d(floats(n.Inputs[1]), b, strides[0], pads[0], group)
		case "PRelu":
			w := floats(n.Inputs[1])
			y = in(n.Inputs[0]).MustPRelu(w.MustReshape(w.Numel()))
		case "Relu":
			y = in(n.Inputs[0]).MustRelu()
		case "Add":
			y = in(n.Inputs[0]).MustAdd(in(n.Inputs[1]))
		case "Slice":
			lo, hi, ax := ints(n.Inputs[1])[0], ints(n.Inputs[2])[0], ints(n.Inputs[3])[0]
			y = in(n.Inputs[0]).MustNarrow(ax, lo, hi-lo)
		case "Concat":
			var ts []*torch.Tensor
			for _, i := range n.Inputs {
				ts = append(ts, in(i))
			}
			y = torch.MustCat(ts, n.Attr("axis").I)
		case "Reshape":
			xi := in(n.Inputs[0])
			sh := append([]int64(nil), ints(n.Inputs[1])...)
			for i, d := range sh {
				if d == 0 {
					sh[i] = xi.Shape()[i]
				}
			}
			y = xi.MustReshape(sh...)
		case "Transpose":
			if p := n.Attr("perm").Ints; len(p) != 3 || p[0] != 0 || p[1] != 2 || p[2] != 1 {
				t.Fatalf("%s: perm %v", n.Name, p)
			}
			y = in(n.Inputs[0]).MustTranspose(1, 2)
		case "MatMul": // x [..,P] times a constant [P,Q] is linear(x, W^T)
			y = in(n.Inputs[0]).MustLinear(floats(n.Inputs[1]).MustTranspose(0, 1), nil)
		case "Flatten":
			xi := in(n.Inputs[0])
			y = xi.MustReshape(xi.Shape()[0], -1)
		case "Gemm":
			y = in(n.Inputs[0]).MustLinear(floats(n.Inputs[1]), floats(n.Inputs[2]))
		case "Softmax":
			y = in(n.Inputs[0]).MustSoftmax(n.Attr("axis").I)
		default:
			t.Fatalf("node %s: operator %s not in the test's interpreter", n.Name, n.OpType)
		}
		vals[n.Outputs[0]] = y
	}
	return vals[g.Outputs[0].Name]
}

func maxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// TestExportFusedParity checks the reparameterisation: the exported graph
// has no batch norm and one convolution per RepVGGDW; the unfused model
// (libtorch, every branch and batch norm), the fused graph run with
// libtorch ops and the fused graph in ONNX Runtime agree to 1e-4, for
// batches of 1 and 5, at two input sizes (a 3x3 and a 4x4 final map: the
// Spatial Bias pooling bins overlap on the latter).
func TestExportFusedParity(t *testing.T) {
	testenv.ORT(t)
	torch.SetNumThreads(2)
	for _, size := range []int{48, 64} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			m, err := New(Default(size, 8), 7)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(11))
			settle(t, m, rng)
			om, err := m.Export(testSpec(size))
			if err != nil {
				t.Fatal(err)
			}
			ops := map[string]int{}
			for _, n := range om.Graph.Nodes {
				ops[n.OpType]++
			}
			nconv := 2 + len(m.Blocks)*(2+len(m.Cfg.Kernels)) + 1 + 1 + 1 + 1 // stem, dw, blocks, conv, repvggdw, sb reduce+1d, gdc
			if ops["BatchNormalization"] != 0 || ops["Conv"] != nconv+1 {
				t.Fatalf("graph ops %v: want no BatchNormalization and %d Conv", ops, nconv+1)
			}
			var params int64
			for _, it := range om.Graph.Initializers {
				if it.DataType == onnx.Float {
					params += it.NumElements()
				}
			}
			path := filepath.Join(t.TempDir(), "m.onnx")
			if err := onnx.WriteFile(path, om); err != nil {
				t.Fatal(err)
			}
			sess, err := ort.NewSession(path, ort.Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			s := int64(size)
			for _, n := range []int64{1, 5} {
				x := make([]float32, n*s*s)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				var unfused, fused []float32
				err := torch.NoGrad(func() (err error) {
					defer torch.Recover(&err)
					sc := torch.NewScope()
					defer sc.Drop()
					xt := torch.MustFromFloat32(x, []int64{n, 1, s, s}, false).In(sc)
					unfused = nn.Values(m.Logits(xt).MustSoftmax(1))
					fused = nn.Values(runGraph(t, sc, om, xt))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				in, err := ortgo.NewTensor(ortgo.NewShape(n, 1, s, s), x)
				if err != nil {
					t.Fatal(err)
				}
				outs := []ortgo.Value{nil}
				if err := sess.Run([]ortgo.Value{in}, outs); err != nil {
					t.Fatal(err)
				}
				got := append([]float32(nil), outs[0].(*ortgo.Tensor[float32]).GetData()...)
				outs[0].Destroy()
				in.Destroy()
				if len(got) != len(unfused) || len(fused) != len(unfused) {
					t.Fatalf("batch %d: ORT %d values, fused %d, unfused %d", n, len(got), len(fused), len(unfused))
				}
				var top float64
				for _, p := range unfused {
					top = math.Max(top, float64(p))
				}
				d1, d2, d3 := maxDiff(unfused, fused), maxDiff(unfused, got), maxDiff(fused, got)
				t.Logf("size %d batch %d: max |unfused - fused libtorch| %.2e, |unfused - ORT| %.2e, |fused libtorch - ORT| %.2e (largest p %.3f); graph %d params",
					size, n, d1, d2, d3, top, params)
				if top > 0.999 {
					t.Fatalf("probabilities saturate (%.4f): the comparison would be vacuous", top)
				}
				if d1 > 1e-4 || d2 > 1e-4 || d3 > 1e-4 {
					t.Fatalf("fused and unfused models disagree by more than 1e-4")
				}
			}
			t.Logf("graph parameters %d, model %d (batch norms and RepVGGDW branches folded away)", params, m.NumParams())
			spec, err := contract.Parse(om.MetaMap())
			if err != nil || spec.Arch != "lfnsb" || spec.Dataset != "ferplus" || len(spec.Labels) != 8 || spec.Size != size {
				t.Fatalf("metadata %+v, %v", spec, err)
			}
			if om.Opset() != Opset || om.Graph.Inputs[0].Name != InputName || om.Graph.Outputs[0].Name != OutputName ||
				om.Graph.Inputs[0].Shape[0].Param == "" {
				t.Fatalf("graph interface: opset %d, %+v -> %+v", om.Opset(), om.Graph.Inputs[0], om.Graph.Outputs[0])
			}
		})
	}
}
