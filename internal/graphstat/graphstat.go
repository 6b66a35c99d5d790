// Package graphstat counts the parameters and floating-point operations of
// an ONNX graph by propagating static shapes through it, for model cards.
// It knows the operators ferlive's exporters write.
package graphstat

import (
	"fmt"
	"sort"

	"github.com/ferlive/ferlive/internal/onnx"
)

// Stats are a graph's counts for one input of the given batch.
type Stats struct {
	Params int64            // elements of float initializers (weights)
	MACs   int64            // multiply-accumulates of Conv and Gemm/MatMul
	FLOPs  int64            // 2*MACs plus one per output element of other arithmetic ops
	ByOp   map[string]int64 // FLOPs per operator type
	Shapes map[string][]int64
}

// Count propagates shapes from the graph input (batch fills symbolic axes)
// and counts operations. An operator it cannot size is an error.
func Count(m *onnx.Model, batch int64) (*Stats, error) {
	g := m.Graph
	st := &Stats{ByOp: map[string]int64{}, Shapes: map[string][]int64{}}
	inits := map[string]*onnx.Tensor{}
	for _, t := range g.Initializers {
		inits[t.Name] = t
		st.Shapes[t.Name] = t.Dims
		if t.DataType == onnx.Float {
			st.Params += t.NumElements()
		}
	}
	for _, in := range g.Inputs {
		if _, ok := inits[in.Name]; ok {
			continue
		}
		s := make([]int64, len(in.Shape))
		for i, d := range in.Shape {
			s[i] = d.Value
			if d.Param != "" || d.Value <= 0 {
				s[i] = batch
			}
		}
		st.Shapes[in.Name] = s
	}
	ints := func(name string) ([]int64, error) {
		t, ok := inits[name]
		if !ok {
			return nil, fmt.Errorf("%s is not a constant initializer", name)
		}
		return t.Int64s()
	}
	for _, n := range g.Nodes {
		in := make([][]int64, len(n.Inputs))
		for i, name := range n.Inputs {
			if name == "" {
				continue
			}
			s, ok := st.Shapes[name]
			if !ok {
				return nil, fmt.Errorf("node %s (%s): input %s has no known shape", n.Name, n.OpType, name)
			}
			in[i] = s
		}
		var out []int64
		var flops, macs int64
		switch n.OpType {
		case "Conv":
			x, w := in[0], in[1]
			strides, pads := attrInts(n, "strides", []int64{1, 1}), attrInts(n, "pads", []int64{0, 0, 0, 0})
			oh := (x[2]+pads[0]+pads[2]-w[2])/strides[0] + 1
			ow := (x[3]+pads[1]+pads[3]-w[3])/strides[1] + 1
			out = []int64{x[0], w[0], oh, ow}
			macs = prod(out) * w[1] * w[2] * w[3]
			flops = 2 * macs
			if len(n.Inputs) > 2 {
				flops += prod(out)
			}
		case "Gemm":
			a, b := in[0], in[1]
			nOut := b[1]
			if attrInt(n, "transB", 0) == 1 {
				nOut = b[0]
			}
			out = []int64{a[0], nOut}
			macs = a[0] * a[1] * nOut
			flops = 2*macs + prod(out)
		case "MatMul":
			// [..., M, K] x [K, N] (a constant right-hand matrix)
			a, b := in[0], in[1]
			if len(b) != 2 || a[len(a)-1] != b[0] {
				return nil, fmt.Errorf("node %s: MatMul of %v and %v is not counted", n.Name, a, b)
			}
			out = append(append([]int64(nil), a[:len(a)-1]...), b[1])
			macs = prod(a) * b[1]
			flops = 2 * macs
		case "PRelu":
			out = in[0]
			flops = 2 * prod(out)
		case "Relu", "Sigmoid", "Tanh", "Softplus", "Sqrt", "Exp", "Log", "Neg", "Abs":
			out = in[0]
			flops = prod(out)
		case "Clip": // ReLU6: a min and a max per element
			out = in[0]
			flops = 2 * prod(out)
		case "Add", "Sub", "Mul", "Div":
			out = broadcast(in[0], in[1])
			flops = prod(out)
		case "Softmax":
			out = in[0]
			flops = 3 * prod(out)
		case "GlobalAveragePool":
			x := in[0]
			out = []int64{x[0], x[1], 1, 1}
			flops = prod(x)
		case "InstanceNormalization", "BatchNormalization":
			out = in[0]
			flops = 4 * prod(out)
		case "Flatten":
			x := in[0]
			ax := attrInt(n, "axis", 1)
			out = []int64{prod(x[:ax]), prod(x[ax:])}
		case "Reshape":
			sh, err := ints(n.Inputs[1])
			if err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Name, err)
			}
			out = reshape(in[0], sh)
		case "Transpose":
			perm := attrInts(n, "perm", nil)
			out = make([]int64, len(in[0]))
			for i, p := range perm {
				out[i] = in[0][p]
			}
		case "Concat":
			ax := attrInt(n, "axis", 0)
			out = append([]int64(nil), in[0]...)
			for _, s := range in[1:] {
				out[ax] += s[ax]
			}
		case "Slice":
			starts, err1 := ints(n.Inputs[1])
			ends, err2 := ints(n.Inputs[2])
			axes, err3 := ints(n.Inputs[3])
			if err1 != nil || err2 != nil || err3 != nil {
				return nil, fmt.Errorf("node %s: Slice needs constant starts, ends, axes", n.Name)
			}
			out = append([]int64(nil), in[0]...)
			for i, a := range axes {
				e := ends[i]
				if e > out[a] {
					e = out[a]
				}
				out[a] = e - starts[i]
			}
		default:
			return nil, fmt.Errorf("node %s: operator %s is not counted", n.Name, n.OpType)
		}
		for _, o := range n.Outputs {
			st.Shapes[o] = out
		}
		st.MACs += macs
		st.FLOPs += flops
		st.ByOp[n.OpType] += flops
	}
	return st, nil
}

// Table formats FLOPs per operator type, largest first.
func (s *Stats) Table() string {
	type kv struct {
		k string
		v int64
	}
	var rows []kv
	for k, v := range s.ByOp {
		rows = append(rows, kv{k, v})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].v != rows[j].v {
			return rows[i].v > rows[j].v
		}
		return rows[i].k < rows[j].k // equal counts in name order, so cards do not reshuffle
	})
	out := "| operator | FLOPs |\n|---|---:|\n"
	for _, r := range rows {
		if r.v > 0 {
			out += fmt.Sprintf("| %s | %d |\n", r.k, r.v)
		}
	}
	return out
}

func prod(s []int64) int64 {
	p := int64(1)
	for _, d := range s {
		p *= d
	}
	return p
}

func broadcast(a, b []int64) []int64 {
	if len(b) > len(a) {
		a, b = b, a
	}
	out := append([]int64(nil), a...)
	off := len(a) - len(b)
	for i, d := range b {
		if d > out[off+i] {
			out[off+i] = d
		}
	}
	return out
}

func reshape(x, sh []int64) []int64 {
	out := make([]int64, len(sh))
	known, neg := int64(1), -1
	for i, d := range sh {
		switch {
		case d == 0:
			out[i] = x[i]
		case d == -1:
			neg = i
			continue
		default:
			out[i] = d
		}
		known *= out[i]
	}
	if neg >= 0 {
		out[neg] = prod(x) / known
	}
	return out
}

func attrInts(n *onnx.Node, name string, def []int64) []int64 {
	if a := n.Attr(name); a != nil {
		return a.Ints
	}
	return def
}

func attrInt(n *onnx.Node, name string, def int64) int64 {
	if a := n.Attr(name); a != nil {
		return a.I
	}
	return def
}
