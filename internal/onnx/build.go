package onnx

import "fmt"

// Builder assembles a graph node by node, naming intermediate values.
type Builder struct {
	G *Graph
	n int
}

// NewModel returns an empty model for the given default-domain opset, with
// IR version 8 and ferlive as producer, and a builder for its graph.
func NewModel(name string, opset int64) (*Model, *Builder) {
	g := &Graph{Name: name}
	m := &Model{
		IRVersion:    8,
		OpsetImport:  []OpsetID{{Version: opset}},
		ProducerName: "ferlive",
		Graph:        g,
	}
	return m, &Builder{G: g}
}

// Input declares a graph input.
func (b *Builder) Input(name string, elem int32, dims ...Dim) string {
	b.G.Inputs = append(b.G.Inputs, TensorValue(name, elem, dims...))
	return name
}

// Output declares a graph output (the value must be produced by a node).
func (b *Builder) Output(name string, elem int32, dims ...Dim) {
	b.G.Outputs = append(b.G.Outputs, TensorValue(name, elem, dims...))
}

// Init adds an initializer and returns its name.
func (b *Builder) Init(t *Tensor) string {
	b.G.Initializers = append(b.G.Initializers, t)
	return t.Name
}

// Floats adds a float initializer with a unique name derived from prefix.
func (b *Builder) Floats(prefix string, dims []int64, data []float32) string {
	b.n++
	return b.Init(FloatTensor(fmt.Sprintf("%s_%d", prefix, b.n), dims, data))
}

// Ints adds an int64 initializer with a unique name derived from prefix.
func (b *Builder) Ints(prefix string, dims []int64, data []int64) string {
	b.n++
	return b.Init(Int64Tensor(fmt.Sprintf("%s_%d", prefix, b.n), dims, data))
}

// Op appends a node with one output and returns the output's name.
func (b *Builder) Op(op string, inputs []string, attrs ...*Attribute) string {
	b.n++
	out := fmt.Sprintf("%s_%d", op, b.n)
	b.G.Nodes = append(b.G.Nodes, &Node{
		Name: fmt.Sprintf("%s_n%d", op, b.n), OpType: op,
		Inputs: inputs, Outputs: []string{out}, Attrs: attrs,
	})
	return out
}

// OpTo appends a node that writes to the named output.
func (b *Builder) OpTo(out, op string, inputs []string, attrs ...*Attribute) string {
	b.n++
	b.G.Nodes = append(b.G.Nodes, &Node{
		Name: fmt.Sprintf("%s_n%d", op, b.n), OpType: op,
		Inputs: inputs, Outputs: []string{out}, Attrs: attrs,
	})
	return out
}
