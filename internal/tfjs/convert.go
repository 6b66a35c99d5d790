package tfjs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ferlive/ferlive/internal/onnx"
)

// ConvertOptions tunes Convert.
type ConvertOptions struct {
	// Size fixes the input's height and width (0 = the placeholder's own,
	// which must then be fixed). TensorFlow's SAME padding depends on it.
	Size int
	// NCHW makes the ONNX input NCHW instead of TensorFlow's NHWC.
	NCHW bool
	// Outputs names the graph values to expose (TensorFlow node names,
	// with or without ":0"); empty = the signature's outputs, or else every
	// node that no other node reads.
	Outputs []string
	// Name is the ONNX graph name ("" = "tfjs").
	Name string
	// FreeSize makes the input's height and width symbolic ("H", "W").
	// Padding is still computed for the fixed size (Size or the
	// placeholder's), which stays exact for any side with the same parity
	// at every strided layer: for BlazeFace and MobileNet v1, any multiple
	// of 32. A Reshape to [batch, N, C] then takes N = -1 (BlazeFace's
	// anchor lists); other reshapes of image-sized tensors are refused.
	FreeSize bool
}

// Opset is the ONNX operator set Convert writes (ReduceMean takes its axes
// as an attribute up to 17).
const Opset = 17

// value is a converted TensorFlow tensor: its ONNX name, its TensorFlow
// (NHWC) shape with -1 for the free batch, and whether it is held as NCHW.
// Every rank-4 activation is held as NCHW inside the ONNX graph; constants
// are materialised where they are used.
type value struct {
	name  string
	shape []int64
	nchw  bool
}

type converter struct {
	free  bool
	m     *Model
	b     *onnx.Builder
	vals  map[string]*value
	nodes map[string]*Node
}

// Convert turns a TensorFlow.js graph model into an ONNX model.
//
// Layout: the ONNX input takes the placeholder's name and, by default,
// TensorFlow's NHWC layout (opts.NCHW switches to NCHW); inside, every
// rank-4 activation is NCHW (the layout ONNX convolutions use), weights
// are transposed once at conversion time, and outputs have TensorFlow's
// shapes and layout (a rank-4 output is transposed back to NHWC), so they
// compare one to one with TensorFlow.js. Graph output names are the
// TensorFlow node names. The batch axis is symbolic ("N") when the
// placeholder leaves it free.
//
// TensorFlow's SAME padding is reproduced exactly, including its
// asymmetric case (stride 2 on an even side pads 0 before and 1 after).
// An op outside the supported set is an error naming the node and op.
func Convert(m *Model, opts ConvertOptions) (*onnx.Model, error) {
	name := opts.Name
	if name == "" {
		name = "tfjs"
	}
	om, b := onnx.NewModel(name, Opset)
	c := &converter{free: opts.FreeSize, m: m, b: b, vals: map[string]*value{}, nodes: map[string]*Node{}}
	for i := range m.Nodes {
		c.nodes[m.Nodes[i].Name] = &m.Nodes[i]
	}
	outs := opts.Outputs
	if len(outs) == 0 {
		outs = m.Outputs
	}
	if len(outs) == 0 {
		outs = c.sinks()
	}
	for _, n := range m.Nodes {
		if n.Op != "Placeholder" {
			continue
		}
		if err := c.input(&n, opts); err != nil {
			return nil, err
		}
	}
	for _, o := range outs {
		v, err := c.get(strings.TrimSuffix(o, ":0"))
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", o, err)
		}
		name := v.name
		if v.nchw {
			name = b.Op("Transpose", []string{v.name}, onnx.AInts("perm", 0, 2, 3, 1))
		}
		oname := strings.TrimSuffix(o, ":0")
		b.OpTo(oname, "Identity", []string{name})
		d := dims(v.shape)
		if opts.FreeSize {
			for i := 1; i < len(d)-1; i++ {
				d[i] = onnx.P(fmt.Sprintf("%s_%d", "d", i))
			}
		}
		b.Output(oname, onnx.Float, d...)
	}
	om.SetMeta("ferlive.converted_from", "tensorflow.js graph model ("+m.ConvertedBy+")")
	return om, nil
}

// sinks are the non-constant nodes whose output no node reads, in graph order.
func (c *converter) sinks() []string {
	read := map[string]bool{}
	for _, n := range c.m.Nodes {
		for _, in := range n.Inputs {
			read[inputNode(in)] = true
		}
	}
	var out []string
	for _, n := range c.m.Nodes {
		if !read[n.Name] && n.Op != "Const" {
			out = append(out, n.Name)
		}
	}
	return out
}

// inputNode strips an output index (":1") and a control-dependency mark.
func inputNode(in string) string {
	in = strings.TrimPrefix(in, "^")
	if i := strings.LastIndexByte(in, ':'); i > 0 {
		in = in[:i]
	}
	return in
}

func dims(shape []int64) []onnx.Dim {
	out := make([]onnx.Dim, len(shape))
	for i, d := range shape {
		if d < 0 {
			out[i] = onnx.P("N")
		} else {
			out[i] = onnx.D(d)
		}
	}
	return out
}

func (c *converter) input(n *Node, opts ConvertOptions) error {
	shape := n.InputShape()
	if len(shape) != 4 {
		return fmt.Errorf("placeholder %s has shape %v: want a rank-4 NHWC image input", n.Name, shape)
	}
	if opts.Size > 0 {
		shape[1], shape[2] = int64(opts.Size), int64(opts.Size)
	}
	if shape[1] <= 0 || shape[2] <= 0 || shape[3] <= 0 {
		return fmt.Errorf("placeholder %s has shape %v: set an input size", n.Name, shape)
	}
	side := func(d []onnx.Dim) []onnx.Dim {
		if opts.FreeSize {
			hw := 1
			if opts.NCHW {
				hw = 2
			}
			d[hw], d[hw+1] = onnx.P("H"), onnx.P("W")
		}
		return d
	}
	if opts.NCHW {
		c.b.Input(n.Name, onnx.Float, side(dims([]int64{shape[0], shape[3], shape[1], shape[2]}))...)
		c.vals[n.Name] = &value{name: n.Name, shape: shape, nchw: true}
		return nil
	}
	c.b.Input(n.Name, onnx.Float, side(dims(shape))...)
	t := c.b.Op("Transpose", []string{n.Name}, onnx.AInts("perm", 0, 3, 1, 2))
	c.vals[n.Name] = &value{name: t, shape: shape, nchw: true}
	return nil
}

// get converts the node called name (and, first, what it reads).
func (c *converter) get(name string) (*value, error) {
	if v, ok := c.vals[name]; ok {
		return v, nil
	}
	n, ok := c.nodes[name]
	if !ok {
		return nil, fmt.Errorf("no node %q in the graph", name)
	}
	if n.Op == "Const" {
		return nil, fmt.Errorf("node %s is a constant where an activation is expected", name)
	}
	v, err := c.node(n)
	if err != nil {
		return nil, err
	}
	c.vals[name] = v
	return v, nil
}

// constant returns the weight behind a Const input, or nil when the input
// is not a constant.
func (c *converter) constant(in string) *Tensor {
	name := inputNode(in)
	if n, ok := c.nodes[name]; ok && n.Op == "Const" {
		return c.m.Weights[name]
	}
	return nil
}

func (c *converter) weight(n *Node, i int) (*Tensor, error) {
	if i >= len(n.Inputs) {
		return nil, fmt.Errorf("node %s (%s) has %d inputs, want at least %d", n.Name, n.Op, len(n.Inputs), i+1)
	}
	t := c.constant(n.Inputs[i])
	if t == nil {
		return nil, fmt.Errorf("node %s (%s): input %d (%s) must be a constant with weights", n.Name, n.Op, i, n.Inputs[i])
	}
	return t, nil
}

func (c *converter) node(n *Node) (*value, error) {
	switch n.Op {
	case "Identity":
		return c.get1(n)
	case "Relu", "Sigmoid", "Tanh", "Elu", "Relu6":
		x, err := c.get1(n)
		if err != nil {
			return nil, err
		}
		return &value{name: c.activation(n.Op, x.name), shape: x.shape, nchw: x.nchw}, nil
	case "Softmax":
		x, err := c.get1(n)
		if err != nil {
			return nil, err
		}
		axis := int64(len(x.shape) - 1)
		if x.nchw {
			axis = 1
		}
		return &value{name: c.b.Op("Softmax", []string{x.name}, onnx.AInt("axis", axis)), shape: x.shape, nchw: x.nchw}, nil
	case "Add", "AddV2", "Mul", "Sub", "Minimum", "Maximum", "RealDiv":
		return c.binary(n)
	case "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative":
		return c.conv(n)
	case "MaxPool", "AvgPool":
		return c.pool(n)
	case "Pad", "PadV2":
		return c.pad(n)
	case "Mean":
		return c.mean(n)
	case "Reshape":
		return c.reshape(n)
	case "MatMul", "_FusedMatMul":
		return c.matmul(n)
	}
	return nil, fmt.Errorf("node %s: op %s is not supported by the TensorFlow.js converter", n.Name, n.Op)
}

func (c *converter) get1(n *Node) (*value, error) {
	if len(n.Inputs) == 0 {
		return nil, fmt.Errorf("node %s (%s) has no input", n.Name, n.Op)
	}
	x, err := c.get(inputNode(n.Inputs[0]))
	if err != nil {
		return nil, fmt.Errorf("node %s (%s): %w", n.Name, n.Op, err)
	}
	return x, nil
}

func (c *converter) activation(op, x string) string {
	switch op {
	case "Relu6":
		return c.b.Op("Clip", []string{x, c.b.Floats("zero", nil, []float32{0}), c.b.Floats("six", nil, []float32{6})})
	case "Elu":
		return c.b.Op("Elu", []string{x})
	}
	return c.b.Op(op, []string{x})
}

var binaryOps = map[string]string{"Add": "Add", "AddV2": "Add", "Mul": "Mul", "Sub": "Sub",
	"Minimum": "Min", "Maximum": "Max", "RealDiv": "Div"}

// binary converts an element-wise op of two activations or of an
// activation and a constant (a scalar, or a per-channel vector that
// broadcasts over TensorFlow's last axis).
func (c *converter) binary(n *Node) (*value, error) {
	if len(n.Inputs) != 2 {
		return nil, fmt.Errorf("node %s (%s) has %d inputs, want 2", n.Name, n.Op, len(n.Inputs))
	}
	var names [2]string
	var act *value
	var consts [2]*Tensor
	for i, in := range n.Inputs {
		if t := c.constant(in); t != nil {
			consts[i] = t
			continue
		}
		v, err := c.get(inputNode(in))
		if err != nil {
			return nil, fmt.Errorf("node %s (%s): %w", n.Name, n.Op, err)
		}
		names[i] = v.name
		if act != nil && (act.nchw != v.nchw || !slices.Equal(act.shape, v.shape)) {
			return nil, fmt.Errorf("node %s (%s): inputs of shapes %v and %v: want equal shapes", n.Name, n.Op, act.shape, v.shape)
		}
		act = v
	}
	if act == nil {
		return nil, fmt.Errorf("node %s (%s): both inputs are constants; want at least one activation", n.Name, n.Op)
	}
	for i, t := range consts {
		if t == nil {
			continue
		}
		if t.DType != "float32" {
			return nil, fmt.Errorf("node %s (%s): constant %s is %s, want float", n.Name, n.Op, t.Name, t.DType)
		}
		nel := t.Numel()
		last := act.shape[len(act.shape)-1]
		switch {
		case nel == 1:
			names[i] = c.b.Floats("k", nil, t.F[:1])
		case act.nchw && int64(nel) == last && len(t.Shape) >= 1 && int64(t.Shape[len(t.Shape)-1]) == last:
			names[i] = c.b.Floats("k", []int64{last, 1, 1}, t.F)
		case !act.nchw && int64(nel) == last:
			names[i] = c.b.Floats("k", []int64{last}, t.F)
		default:
			return nil, fmt.Errorf("node %s (%s): constant %s of shape %v does not broadcast to %v: want a scalar or a per-channel vector",
				n.Name, n.Op, t.Name, t.Shape, act.shape)
		}
	}
	return &value{name: c.b.Op(binaryOps[n.Op], names[:]), shape: act.shape, nchw: act.nchw}, nil
}

func (c *converter) ints4(n *Node, key string) ([]int64, error) {
	v, err := n.Ints(key)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return []int64{1, 1, 1, 1}, nil
	}
	if len(v) != 4 {
		return nil, fmt.Errorf("node %s (%s): %s=%v, want 4 NHWC values", n.Name, n.Op, key, v)
	}
	if v[0] != 1 || v[3] != 1 {
		return nil, fmt.Errorf("node %s (%s): %s=%v over batch or channels is not supported", n.Name, n.Op, key, v)
	}
	return v, nil
}

// padding returns ONNX pads [top, left, bottom, right] and the output
// side for TensorFlow's padding attribute of node n.
func (c *converter) padding(n *Node, in []int64, k, stride, dil [2]int64) (pads [4]int64, out [2]int64, err error) {
	mode, err := n.String("padding")
	if err != nil {
		return pads, out, err
	}
	for i := 0; i < 2; i++ {
		eff := (k[i]-1)*dil[i] + 1
		switch mode {
		case "SAME":
			out[i] = (in[i] + stride[i] - 1) / stride[i]
			total := max((out[i]-1)*stride[i]+eff-in[i], 0)
			pads[i], pads[i+2] = total/2, total-total/2
		case "VALID":
			out[i] = (in[i]-eff)/stride[i] + 1
		case "EXPLICIT":
			ep, err := n.Ints("explicit_paddings")
			if err != nil || len(ep) != 8 {
				return pads, out, fmt.Errorf("node %s (%s): explicit_paddings %v: want 8 NHWC values", n.Name, n.Op, ep)
			}
			pads[i], pads[i+2] = ep[2+2*i], ep[3+2*i]
			out[i] = (in[i]+pads[i]+pads[i+2]-eff)/stride[i] + 1
		default:
			return pads, out, fmt.Errorf("node %s (%s): padding %q, want SAME, VALID or EXPLICIT", n.Name, n.Op, mode)
		}
		if out[i] <= 0 {
			return pads, out, fmt.Errorf("node %s (%s): input side %d is smaller than the kernel %d", n.Name, n.Op, in[i], eff)
		}
	}
	return pads, out, nil
}

func (c *converter) conv(n *Node) (*value, error) {
	x, err := c.get1(n)
	if err != nil {
		return nil, err
	}
	if !x.nchw {
		return nil, fmt.Errorf("node %s (%s): input of shape %v, want a rank-4 image", n.Name, n.Op, x.shape)
	}
	if f, _ := n.String("data_format"); f != "" && f != "NHWC" {
		return nil, fmt.Errorf("node %s (%s): data_format %s, want NHWC", n.Name, n.Op, f)
	}
	w, err := c.weight(n, 1)
	if err != nil {
		return nil, err
	}
	if len(w.Shape) != 4 {
		return nil, fmt.Errorf("node %s (%s): filter %s of shape %v, want [kh kw in out]", n.Name, n.Op, w.Name, w.Shape)
	}
	strides, err := c.ints4(n, "strides")
	if err != nil {
		return nil, err
	}
	dil, err := c.ints4(n, "dilations")
	if err != nil {
		return nil, err
	}
	kh, kw, cin, cm := int64(w.Shape[0]), int64(w.Shape[1]), int64(w.Shape[2]), int64(w.Shape[3])
	if cin != x.shape[3] {
		return nil, fmt.Errorf("node %s (%s): filter %s has %d input channels, the input has %d", n.Name, n.Op, w.Name, cin, x.shape[3])
	}
	pads, out, err := c.padding(n, x.shape[1:3], [2]int64{kh, kw}, [2]int64{strides[1], strides[2]}, [2]int64{dil[1], dil[2]})
	if err != nil {
		return nil, err
	}
	depthwise := strings.Contains(n.Op, "Depthwise")
	var wd []float32
	var cout, group int64
	if depthwise {
		// TF [kh kw in mult] -> ONNX [in*mult 1 kh kw], group = in.
		cout, group = cin*cm, cin
		wd = make([]float32, cout*kh*kw)
		for i := int64(0); i < kh; i++ {
			for j := int64(0); j < kw; j++ {
				for ci := int64(0); ci < cin; ci++ {
					for m := int64(0); m < cm; m++ {
						wd[((ci*cm+m)*kh+i)*kw+j] = w.F[((i*kw+j)*cin+ci)*cm+m]
					}
				}
			}
		}
	} else {
		// TF [kh kw in out] -> ONNX [out in kh kw].
		cout, group = cm, 1
		wd = make([]float32, cout*cin*kh*kw)
		for i := int64(0); i < kh; i++ {
			for j := int64(0); j < kw; j++ {
				for ci := int64(0); ci < cin; ci++ {
					for co := int64(0); co < cout; co++ {
						wd[((co*cin+ci)*kh+i)*kw+j] = w.F[((i*kw+j)*cin+ci)*cout+co]
					}
				}
			}
		}
	}
	wshape := []int64{cout, cin / group, kh, kw}
	inputs := []string{x.name, c.b.Floats("w", wshape, wd)}
	fused, err := n.Strings("fused_ops")
	if err != nil {
		return nil, err
	}
	var post []string
	for i, op := range fused {
		switch {
		case op == "BiasAdd" && i == 0:
			bias, err := c.weight(n, 2)
			if err != nil {
				return nil, err
			}
			if int64(bias.Numel()) != cout {
				return nil, fmt.Errorf("node %s (%s): bias %s has %d values, want %d", n.Name, n.Op, bias.Name, bias.Numel(), cout)
			}
			inputs = append(inputs, c.b.Floats("b", []int64{cout}, bias.F))
		case i > 0 && (op == "Relu" || op == "Relu6" || op == "Elu" || op == "Sigmoid" || op == "Tanh"):
			post = append(post, op)
		default:
			return nil, fmt.Errorf("node %s (%s): fused op %s (in %v) is not supported", n.Name, n.Op, op, fused)
		}
	}
	y := c.b.Op("Conv", inputs,
		onnx.AInts("kernel_shape", kh, kw), onnx.AInts("strides", strides[1], strides[2]),
		onnx.AInts("dilations", dil[1], dil[2]), onnx.AInts("pads", pads[0], pads[1], pads[2], pads[3]),
		onnx.AInt("group", group))
	for _, op := range post {
		y = c.activation(op, y)
	}
	return &value{name: y, shape: []int64{x.shape[0], out[0], out[1], cout}, nchw: true}, nil
}

func (c *converter) pool(n *Node) (*value, error) {
	x, err := c.get1(n)
	if err != nil {
		return nil, err
	}
	if !x.nchw {
		return nil, fmt.Errorf("node %s (%s): input of shape %v, want a rank-4 image", n.Name, n.Op, x.shape)
	}
	k, err := c.ints4(n, "ksize")
	if err != nil {
		return nil, err
	}
	s, err := c.ints4(n, "strides")
	if err != nil {
		return nil, err
	}
	pads, out, err := c.padding(n, x.shape[1:3], [2]int64{k[1], k[2]}, [2]int64{s[1], s[2]}, [2]int64{1, 1})
	if err != nil {
		return nil, err
	}
	attrs := []*onnx.Attribute{onnx.AInts("kernel_shape", k[1], k[2]), onnx.AInts("strides", s[1], s[2]),
		onnx.AInts("pads", pads[0], pads[1], pads[2], pads[3])}
	op := "MaxPool"
	if n.Op == "AvgPool" {
		op = "AveragePool" // TensorFlow averages over the valid cells only
		attrs = append(attrs, onnx.AInt("count_include_pad", 0))
	}
	y := c.b.Op(op, []string{x.name}, attrs...)
	return &value{name: y, shape: []int64{x.shape[0], out[0], out[1], x.shape[3]}, nchw: true}, nil
}

func (c *converter) pad(n *Node) (*value, error) {
	x, err := c.get1(n)
	if err != nil {
		return nil, err
	}
	p, err := c.weight(n, 1)
	if err != nil {
		return nil, err
	}
	r := len(x.shape)
	if p.DType != "int32" || p.Numel() != 2*r {
		return nil, fmt.Errorf("node %s (Pad): paddings %s of shape %v, want int32 [%d 2]", n.Name, p.Name, p.Shape, r)
	}
	fill := float32(0)
	if n.Op == "PadV2" {
		v, err := c.weight(n, 2)
		if err != nil {
			return nil, err
		}
		fill = v.F[0]
	}
	order := make([]int, r)
	for i := range order {
		order[i] = i
	}
	if x.nchw {
		order = []int{0, 3, 1, 2}
	}
	pads := make([]int64, 2*r)
	shape := slices.Clone(x.shape)
	for i, ax := range order {
		pads[i], pads[r+i] = int64(p.I[2*ax]), int64(p.I[2*ax+1])
	}
	for ax := range shape {
		if shape[ax] >= 0 {
			shape[ax] += int64(p.I[2*ax] + p.I[2*ax+1])
		} else if p.I[2*ax] != 0 || p.I[2*ax+1] != 0 {
			return nil, fmt.Errorf("node %s (Pad): padding the free batch axis is not supported", n.Name)
		}
	}
	y := c.b.Op("Pad", []string{x.name, c.b.Ints("pads", []int64{int64(2 * r)}, pads), c.b.Floats("fill", nil, []float32{fill})},
		onnx.AString("mode", "constant"))
	return &value{name: y, shape: shape, nchw: x.nchw}, nil
}

func (c *converter) mean(n *Node) (*value, error) {
	x, err := c.get1(n)
	if err != nil {
		return nil, err
	}
	ax, err := c.weight(n, 1)
	if err != nil {
		return nil, err
	}
	if ax.DType != "int32" {
		return nil, fmt.Errorf("node %s (Mean): reduction indices %s are %s, want int32", n.Name, ax.Name, ax.DType)
	}
	keep := false
	if a, ok := n.Attr["keep_dims"]; ok && a.B != nil {
		keep = *a.B
	}
	r := int64(len(x.shape))
	tfAxes := map[int64]bool{}
	for _, a := range ax.I {
		a := int64(a)
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r {
			return nil, fmt.Errorf("node %s (Mean): axis %d out of range for shape %v", n.Name, a, x.shape)
		}
		tfAxes[a] = true
	}
	toOnnx := func(a int64) int64 { return a }
	if x.nchw {
		toOnnx = func(a int64) int64 { return []int64{0, 2, 3, 1}[a] }
	}
	var axes []int64
	var shape []int64
	for a := int64(0); a < r; a++ {
		if tfAxes[a] {
			axes = append(axes, toOnnx(a))
			if keep {
				shape = append(shape, 1)
			}
		} else {
			shape = append(shape, x.shape[a])
		}
	}
	slices.Sort(axes)
	keepI := int64(0)
	if keep {
		keepI = 1
	}
	y := c.b.Op("ReduceMean", []string{x.name}, onnx.AInts("axes", axes...), onnx.AInt("keepdims", keepI))
	nchw := x.nchw && keep
	if x.nchw && !keep {
		// The kept axes stay in ONNX order; that equals TensorFlow's only
		// when at most one of them is not the batch, or the channels come last.
		kept := []int64{}
		for a := int64(0); a < r; a++ {
			if !tfAxes[a] {
				kept = append(kept, a)
			}
		}
		if len(kept) > 2 || (len(kept) == 2 && kept[1] != 3 && kept[0] != 0) {
			return nil, fmt.Errorf("node %s (Mean): reducing axes %v of an image keeping more than batch and channels is not supported", n.Name, ax.I)
		}
	}
	return &value{name: y, shape: shape, nchw: nchw}, nil
}

func (c *converter) reshape(n *Node) (*value, error) {
	x, err := c.get1(n)
	if err != nil {
		return nil, err
	}
	s, err := c.weight(n, 1)
	if err != nil {
		return nil, err
	}
	if s.DType != "int32" {
		return nil, fmt.Errorf("node %s (Reshape): shape %s is %s, want int32", n.Name, s.Name, s.DType)
	}
	in := x.name
	if x.nchw {
		in = c.b.Op("Transpose", []string{in}, onnx.AInts("perm", 0, 2, 3, 1))
	}
	total, free := int64(1), false
	for _, d := range x.shape {
		if d < 0 {
			free = true
		} else {
			total *= d
		}
	}
	shape := make([]int64, len(s.I))
	known, unknown := int64(1), -1
	for i, d := range s.I {
		shape[i] = int64(d)
		if d < 0 {
			unknown = i
		} else {
			known *= int64(d)
		}
	}
	if unknown >= 0 && !free && known > 0 {
		shape[unknown] = total / known
	}
	target := slices.Clone(shape)
	if c.free && x.nchw {
		if len(target) != 3 || unknown == 0 || unknown == 2 {
			return nil, fmt.Errorf("node %s (Reshape): reshaping an image to %v cannot follow a free input size; want [batch, N, C]", n.Name, s.I)
		}
		target[1] = -1
	}
	y := c.b.Op("Reshape", []string{in, c.b.Ints("shape", []int64{int64(len(target))}, target)})
	if free && unknown >= 0 {
		shape[unknown] = -1
	}
	if len(shape) == 4 {
		y = c.b.Op("Transpose", []string{y}, onnx.AInts("perm", 0, 3, 1, 2))
		return &value{name: y, shape: shape, nchw: true}, nil
	}
	return &value{name: y, shape: shape}, nil
}

func (c *converter) matmul(n *Node) (*value, error) {
	x, err := c.get1(n)
	if err != nil {
		return nil, err
	}
	if x.nchw || len(x.shape) != 2 {
		return nil, fmt.Errorf("node %s (%s): input of shape %v, want a matrix", n.Name, n.Op, x.shape)
	}
	w, err := c.weight(n, 1)
	if err != nil {
		return nil, err
	}
	if len(w.Shape) != 2 {
		return nil, fmt.Errorf("node %s (%s): weight %s of shape %v, want a matrix", n.Name, n.Op, w.Name, w.Shape)
	}
	if a, ok := n.Attr["transpose_a"]; ok && a.B != nil && *a.B {
		return nil, fmt.Errorf("node %s (%s): transpose_a is not supported", n.Name, n.Op)
	}
	transB := int64(0)
	k, out := int64(w.Shape[0]), int64(w.Shape[1])
	if a, ok := n.Attr["transpose_b"]; ok && a.B != nil && *a.B {
		transB, k, out = 1, out, k
	}
	if k != x.shape[1] {
		return nil, fmt.Errorf("node %s (%s): weight %s of shape %v does not take %d inputs", n.Name, n.Op, w.Name, w.Shape, x.shape[1])
	}
	inputs := []string{x.name, c.b.Floats("w", []int64{int64(w.Shape[0]), int64(w.Shape[1])}, w.F)}
	fused, err := n.Strings("fused_ops")
	if err != nil {
		return nil, err
	}
	var post []string
	for i, op := range fused {
		switch {
		case op == "BiasAdd" && i == 0:
			bias, err := c.weight(n, 2)
			if err != nil {
				return nil, err
			}
			if int64(bias.Numel()) != out {
				return nil, fmt.Errorf("node %s (%s): bias %s has %d values, want %d", n.Name, n.Op, bias.Name, bias.Numel(), out)
			}
			inputs = append(inputs, c.b.Floats("b", []int64{out}, bias.F))
		case i > 0 && (op == "Relu" || op == "Relu6" || op == "Elu" || op == "Sigmoid" || op == "Tanh"):
			post = append(post, op)
		default:
			return nil, fmt.Errorf("node %s (%s): fused op %s (in %v) is not supported", n.Name, n.Op, op, fused)
		}
	}
	y := c.b.Op("Gemm", inputs, onnx.AInt("transB", transB))
	for _, op := range post {
		y = c.activation(op, y)
	}
	return &value{name: y, shape: []int64{x.shape[0], out}}, nil
}

// ConvertFile converts the TF.js graph model at modelJSON (weights beside
// it) and writes the ONNX model to out.
func ConvertFile(modelJSON, out string, opts ConvertOptions) error {
	m, err := Open(modelJSON)
	if err != nil {
		return err
	}
	om, err := Convert(m, opts)
	if err != nil {
		return fmt.Errorf("converting %s: %w", modelJSON, err)
	}
	if err := onnx.WriteFile(out, om); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}
