// Package quantize turns a float32 ferlive model into an int8 one that ONNX
// Runtime runs with integer convolutions.
//
// The result is a QDQ model (the format ONNX Runtime's own quantiser
// writes): every convolution reads DequantizeLinear(QuantizeLinear(x)) of
// its input, int8 weights quantised per output channel (symmetric), an int32
// bias at scale x_scale*w_scale, and its output passes through a
// QuantizeLinear/DequantizeLinear pair. ONNX Runtime fuses each such unit
// into one QLinearConv (uint8 activations, int8 weights); the operators
// between convolutions (activations, attention, pooling, the classifier)
// stay float32. Activation ranges come from calibration: the float model
// runs on real faces and the minimum and maximum of every convolution's
// input and output are recorded (Calibrate).
//
// The model's input and output stay float32 and its metadata is kept, so
// the runtime opens an int8 model like any other; ferlive.quant says how it
// was made.
package quantize

import (
	"fmt"
	"math"
	"sort"

	"github.com/ferlive/ferlive/internal/contract"
	"github.com/ferlive/ferlive/internal/onnx"
)

// Range is the observed interval of a tensor's values.
type Range struct {
	Min, Max float32
}

// Ranges maps tensor names to their calibrated ranges.
type Ranges map[string]Range

// Observe widens the range of name to cover data.
func (r Ranges) Observe(name string, data []float32) {
	if len(data) == 0 {
		return
	}
	rg, ok := r[name]
	if !ok {
		rg = Range{Min: data[0], Max: data[0]}
	}
	for _, v := range data {
		if v < rg.Min {
			rg.Min = v
		}
		if v > rg.Max {
			rg.Max = v
		}
	}
	r[name] = rg
}

// Stats says what Model quantised.
type Stats struct {
	Convs       int // convolutions turned into QDQ units
	Activations int // activation tensors given a Quantize/Dequantize pair
	Weights     int // weights stored as int8
	FloatBytes  int // bytes of the float weights replaced
	Int8Bytes   int // bytes of their int8 weights, scales and int32 biases
}

// Targets lists the tensors whose ranges Model needs: the input and the
// output of every convolution with constant weights, in graph order.
func Targets(m *onnx.Model) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range m.Graph.Nodes {
		if quantizable(m.Graph, n) {
			add(n.Inputs[0])
			add(n.Outputs[0])
		}
	}
	return out
}

// quantizable reports whether n is a convolution Model can turn into a QDQ
// unit: constant float weights, an optional constant bias.
func quantizable(g *onnx.Graph, n *onnx.Node) bool {
	if n.OpType != "Conv" || n.Domain != "" || len(n.Inputs) < 2 || len(n.Outputs) != 1 {
		return false
	}
	w := g.Initializer(n.Inputs[1])
	if w == nil || w.DataType != onnx.Float || len(w.Dims) < 3 {
		return false
	}
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		if b := g.Initializer(n.Inputs[2]); b == nil || b.DataType != onnx.Float {
			return false
		}
	}
	return true
}

// Expose returns a copy of m whose graph also outputs the named tensors
// (float32, shape left to the runtime), for calibration. m is not changed.
func Expose(m *onnx.Model, names []string) *onnx.Model {
	g := *m.Graph
	g.Outputs = append([]*onnx.ValueInfo(nil), m.Graph.Outputs...)
	have := map[string]bool{}
	for _, o := range g.Outputs {
		have[o.Name] = true
	}
	for _, n := range names {
		if !have[n] {
			g.Outputs = append(g.Outputs, &onnx.ValueInfo{Name: n, ElemType: onnx.Float, HasType: true})
			have[n] = true
		}
	}
	c := *m
	c.Graph = &g
	return &c
}

// actParams turns a range into uint8 quantisation parameters; the range is
// widened to hold 0 so that zero padding is exact.
func actParams(r Range) (scale float32, zero uint8) {
	lo := math.Min(float64(r.Min), 0)
	hi := math.Max(float64(r.Max), 0)
	if hi-lo < 1e-8 {
		return 1, 0
	}
	s := (hi - lo) / 255
	z := math.Round(-lo / s)
	return float32(s), uint8(math.Max(0, math.Min(255, z)))
}

// Model returns an int8 QDQ copy of m using the calibrated ranges; every
// tensor Targets lists must have a range. m is not changed.
func Model(m *onnx.Model, ranges Ranges) (*onnx.Model, Stats, error) {
	var st Stats
	src := m.Graph
	g := *src
	g.Initializers = nil
	g.Nodes = nil
	for _, t := range Targets(m) {
		if _, ok := ranges[t]; !ok {
			return nil, st, fmt.Errorf("quantize: no calibrated range for tensor %q", t)
		}
	}
	replaced := map[string]bool{} // float initializers no longer used
	var inits []*onnx.Tensor
	dq := map[string]string{}     // activation -> its dequantised copy
	scale := map[string]float32{} // activation -> its scale
	// each activation's Quantize/Dequantize pair goes right after the node
	// (or graph input) producing it, so the graph stays topologically
	// sorted; weight and bias dequantisers read only initializers and go first
	pairs := map[string][]*onnx.Node{}
	var weightNodes []*onnx.Node
	qdq := func(t string) {
		if _, ok := dq[t]; ok {
			return
		}
		s, z := actParams(ranges[t])
		sn, zn := t+"_scale", t+"_zero"
		inits = append(inits, onnx.FloatTensor(sn, nil, []float32{s}), onnx.Uint8Tensor(zn, nil, []uint8{z}))
		pairs[t] = append(pairs[t],
			&onnx.Node{Name: t + "_Q", OpType: "QuantizeLinear", Inputs: []string{t, sn, zn}, Outputs: []string{t + "_q"}},
			&onnx.Node{Name: t + "_DQ", OpType: "DequantizeLinear", Inputs: []string{t + "_q", sn, zn}, Outputs: []string{t + "_dq"}})
		dq[t] = t + "_dq"
		scale[t] = s
		st.Activations++
	}
	// quantise the activations first so that every convolution's input scale is known
	for _, t := range Targets(m) {
		qdq(t)
	}
	// weights and biases of each convolution
	conv := map[*onnx.Node][]string{} // node -> new weight/bias inputs
	for _, n := range src.Nodes {
		if !quantizable(src, n) {
			continue
		}
		w := src.Initializer(n.Inputs[1])
		wf, err := w.Floats()
		if err != nil {
			return nil, st, fmt.Errorf("quantize: weight %s: %w", w.Name, err)
		}
		oc := int(w.Dims[0])
		per := len(wf) / oc
		q := make([]int8, len(wf))
		ws := make([]float32, oc)
		for c := 0; c < oc; c++ {
			var amax float64
			for _, v := range wf[c*per : (c+1)*per] {
				amax = math.Max(amax, math.Abs(float64(v)))
			}
			s := amax / 127
			if s == 0 {
				s = 1
			}
			ws[c] = float32(s)
			for i, v := range wf[c*per : (c+1)*per] {
				q[c*per+i] = int8(math.Max(-127, math.Min(127, math.Round(float64(v)/s))))
			}
		}
		base := n.Outputs[0]
		wq, wsn, wzn := base+"_wq", base+"_wscale", base+"_wzero"
		inits = append(inits, onnx.Int8Tensor(wq, w.Dims, q), onnx.FloatTensor(wsn, []int64{int64(oc)}, ws),
			onnx.Int8Tensor(wzn, []int64{int64(oc)}, make([]int8, oc)))
		axis := onnx.AInt("axis", 0)
		nodes := []*onnx.Node{{Name: base + "_wDQ", OpType: "DequantizeLinear", Inputs: []string{wq, wsn, wzn}, Outputs: []string{base + "_w"}, Attrs: []*onnx.Attribute{axis}}}
		ins := []string{base + "_w"}
		replaced[w.Name] = true
		st.Weights++
		st.FloatBytes += 4 * len(wf)
		st.Int8Bytes += len(q) + 5*oc
		if len(n.Inputs) > 2 && n.Inputs[2] != "" {
			b := src.Initializer(n.Inputs[2])
			bf, err := b.Floats()
			if err != nil {
				return nil, st, fmt.Errorf("quantize: bias %s: %w", b.Name, err)
			}
			if len(bf) != oc {
				return nil, st, fmt.Errorf("quantize: bias %s has %d values for %d output channels", b.Name, len(bf), oc)
			}
			sx := scale[n.Inputs[0]]
			bq := make([]int32, oc)
			bs := make([]float32, oc)
			for c := range bq {
				bs[c] = sx * ws[c]
				bq[c] = int32(math.Max(math.MinInt32, math.Min(math.MaxInt32, math.Round(float64(bf[c])/float64(bs[c])))))
			}
			bqn, bsn, bzn := base+"_bq", base+"_bscale", base+"_bzero"
			inits = append(inits, onnx.Int32Tensor(bqn, []int64{int64(oc)}, bq), onnx.FloatTensor(bsn, []int64{int64(oc)}, bs),
				onnx.Int32Tensor(bzn, []int64{int64(oc)}, make([]int32, oc)))
			nodes = append(nodes, &onnx.Node{Name: base + "_bDQ", OpType: "DequantizeLinear", Inputs: []string{bqn, bsn, bzn}, Outputs: []string{base + "_b"}, Attrs: []*onnx.Attribute{axis}})
			ins = append(ins, base+"_b")
			replaced[b.Name] = true
			st.FloatBytes += 4 * oc
			st.Int8Bytes += 12 * oc
		}
		weightNodes = append(weightNodes, nodes...)
		conv[n] = ins
		st.Convs++
	}
	// a float initializer that something else still reads stays
	for _, n := range src.Nodes {
		for i, in := range n.Inputs {
			if _, isConv := conv[n]; isConv && i > 0 {
				continue
			}
			delete(replaced, in)
		}
	}
	for _, t := range src.Initializers {
		if !replaced[t.Name] {
			g.Initializers = append(g.Initializers, t)
		}
	}
	g.Initializers = append(g.Initializers, inits...)

	// rewrite the nodes: consumers read the dequantised copies
	g.Nodes = append(g.Nodes, weightNodes...)
	emit := func(t string) {
		g.Nodes = append(g.Nodes, pairs[t]...)
		delete(pairs, t)
	}
	for _, in := range src.Inputs {
		emit(in.Name)
	}
	for _, t := range src.Initializers {
		emit(t.Name)
	}
	for _, n := range src.Nodes {
		c := *n
		c.Inputs = append([]string(nil), n.Inputs...)
		for i, in := range c.Inputs {
			if d, ok := dq[in]; ok {
				c.Inputs[i] = d
			}
		}
		if ins, ok := conv[n]; ok {
			copy(c.Inputs[1:], ins)
		}
		g.Nodes = append(g.Nodes, &c)
		for _, o := range n.Outputs {
			emit(o)
		}
	}
	if len(pairs) > 0 {
		var left []string
		for t := range pairs {
			left = append(left, t)
		}
		sort.Strings(left)
		return nil, st, fmt.Errorf("quantize: tensors %v are produced by no node or input", left)
	}
	out := *m
	out.Graph = &g
	out.Metadata = append([]onnx.StringPair(nil), m.Metadata...)
	out.SetMeta(contract.KeyQuant, fmt.Sprintf("int8 QDQ: %d convolutions, per-channel int8 weights, uint8 activations calibrated by min/max", st.Convs))
	return &out, st, nil
}
