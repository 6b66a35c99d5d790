// Package onnx reads and writes the subset of the ONNX protobuf format that
// ferlive needs: models, graphs, nodes, tensors, attributes and value infos.
//
// It is a hand-written protowire codec (no generated protobuf types are
// available from the module proxy). Fields it does not model are kept as raw
// bytes and written back unchanged, so a model can be decoded, edited and
// re-encoded without losing anything.
package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
)

// Tensor element types (TensorProto.DataType).
const (
	Float  int32 = 1
	Uint8  int32 = 2
	Int8   int32 = 3
	Int32  int32 = 6
	Int64  int32 = 7
	String int32 = 8
	Bool   int32 = 9
)

// Attribute types (AttributeProto.AttributeType).
const (
	AttrFloat   int32 = 1
	AttrInt     int32 = 2
	AttrString  int32 = 3
	AttrTensor  int32 = 4
	AttrGraph   int32 = 5
	AttrFloats  int32 = 6
	AttrInts    int32 = 7
	AttrStrings int32 = 8
)

// Model is an ONNX ModelProto.
type Model struct {
	IRVersion       int64
	OpsetImport     []OpsetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	Graph           *Graph
	Metadata        []StringPair
	unknown         []byte
}

// OpsetID is an OperatorSetIdProto.
type OpsetID struct {
	Domain  string
	Version int64
}

// StringPair is a StringStringEntryProto (metadata_props entry).
type StringPair struct {
	Key, Value string
}

// Graph is a GraphProto.
type Graph struct {
	Nodes        []*Node
	Name         string
	Initializers []*Tensor
	DocString    string
	Inputs       []*ValueInfo
	Outputs      []*ValueInfo
	ValueInfo    []*ValueInfo
	unknown      []byte
}

// Node is a NodeProto.
type Node struct {
	Inputs    []string
	Outputs   []string
	Name      string
	OpType    string
	Domain    string
	Attrs     []*Attribute
	DocString string
	unknown   []byte
}

// Attribute is an AttributeProto.
type Attribute struct {
	Name    string
	Type    int32
	F       float32
	I       int64
	S       []byte
	T       *Tensor
	G       *Graph
	Floats  []float32
	Ints    []int64
	Strings [][]byte
	unknown []byte
}

// Tensor is a TensorProto. Data is normally held in Raw (little endian);
// FloatData/Int64Data/Int32Data are filled when a file uses the typed fields.
type Tensor struct {
	Dims      []int64
	DataType  int32
	Name      string
	Raw       []byte
	FloatData []float32
	Int32Data []int32
	Int64Data []int64
	DocString string
	unknown   []byte
}

// ValueInfo is a ValueInfoProto restricted to tensor types.
type ValueInfo struct {
	Name     string
	ElemType int32
	// Shape holds one entry per axis; a Dim with Param set is symbolic.
	Shape   []Dim
	HasType bool
	unknown []byte
}

// Dim is one axis of a tensor shape: a fixed value or a symbolic name.
type Dim struct {
	Value int64
	Param string
}

// ReadFile decodes the ONNX model stored at path.
func ReadFile(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid ONNX model: %w", path, err)
	}
	return m, nil
}

// WriteFile encodes m and writes it to path atomically (via a temporary file).
func WriteFile(path string, m *Model) error {
	b := m.Encode()
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, b, 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp) // no half-written file is left behind
	}
	return err
}

// Meta returns the metadata value for key and whether it is present.
func (m *Model) Meta(key string) (string, bool) {
	for _, p := range m.Metadata {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// SetMeta sets (or replaces) a metadata_props entry.
func (m *Model) SetMeta(key, value string) {
	for i := range m.Metadata {
		if m.Metadata[i].Key == key {
			m.Metadata[i].Value = value
			return
		}
	}
	m.Metadata = append(m.Metadata, StringPair{key, value})
}

// DeleteMeta removes the metadata_props entry key, if present.
func (m *Model) DeleteMeta(key string) {
	var out []StringPair
	for _, p := range m.Metadata {
		if p.Key != key {
			out = append(out, p)
		}
	}
	m.Metadata = out
}

// MetaMap returns all metadata as a map.
func (m *Model) MetaMap() map[string]string {
	out := make(map[string]string, len(m.Metadata))
	for _, p := range m.Metadata {
		out[p.Key] = p.Value
	}
	return out
}

// Opset returns the version of the default ("" or "ai.onnx") operator set, or 0.
func (m *Model) Opset() int64 {
	for _, o := range m.OpsetImport {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			return o.Version
		}
	}
	return 0
}

// Initializer returns the graph initializer with that name, or nil.
func (g *Graph) Initializer(name string) *Tensor {
	for _, t := range g.Initializers {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Attr returns the node attribute with that name, or nil.
func (n *Node) Attr(name string) *Attribute {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// MaxElements bounds the element count of one tensor (2^31, 8 GB of
// float32): dims that claim more, or that are negative, make Floats and
// Int64s fail before anything is allocated.
const MaxElements = 1 << 31

// NumElements is the product of the tensor's dims (1 for a scalar), or -1
// when a dim is negative or the product exceeds MaxElements.
func (t *Tensor) NumElements() int64 {
	n, err := t.elements()
	if err != nil {
		return -1
	}
	return n
}

// elements is NumElements with the reason when the dims are not a usable
// shape. The product is checked at every step, so it cannot overflow.
func (t *Tensor) elements() (int64, error) {
	n := int64(1)
	for _, d := range t.Dims {
		if d < 0 {
			return 0, fmt.Errorf("tensor %q: dims %v have a negative side", t.Name, t.Dims)
		}
		if d > 0 && n > MaxElements/d {
			return 0, fmt.Errorf("tensor %q: dims %v claim more than %d elements", t.Name, t.Dims, int64(MaxElements))
		}
		n *= d
	}
	return n, nil
}

// Floats returns the tensor's values as float32 (only for float tensors).
// The values must be exactly what the dims claim: a tensor whose dims claim
// more than the file holds fails here, before anything is allocated.
func (t *Tensor) Floats() ([]float32, error) {
	if t.DataType != Float {
		return nil, fmt.Errorf("tensor %q has data type %d, want float", t.Name, t.DataType)
	}
	n, err := t.elements()
	if err != nil {
		return nil, err
	}
	if len(t.FloatData) > 0 {
		if int64(len(t.FloatData)) != n {
			return nil, fmt.Errorf("tensor %q holds %d floats, want %d for dims %v", t.Name, len(t.FloatData), n, t.Dims)
		}
		return t.FloatData, nil
	}
	if int64(len(t.Raw)) != 4*n {
		return nil, fmt.Errorf("tensor %q holds %d bytes, want %d for dims %v", t.Name, len(t.Raw), 4*n, t.Dims)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Raw[4*i:]))
	}
	return out, nil
}

// Int64s returns the tensor's values as int64 (only for int64 tensors),
// checked against the dims like Floats.
func (t *Tensor) Int64s() ([]int64, error) {
	if t.DataType != Int64 {
		return nil, fmt.Errorf("tensor %q has data type %d, want int64", t.Name, t.DataType)
	}
	n, err := t.elements()
	if err != nil {
		return nil, err
	}
	if len(t.Int64Data) > 0 {
		if int64(len(t.Int64Data)) != n {
			return nil, fmt.Errorf("tensor %q holds %d int64s, want %d for dims %v", t.Name, len(t.Int64Data), n, t.Dims)
		}
		return t.Int64Data, nil
	}
	if int64(len(t.Raw)) != 8*n {
		return nil, fmt.Errorf("tensor %q holds %d bytes, want %d for dims %v", t.Name, len(t.Raw), 8*n, t.Dims)
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.Raw[8*i:]))
	}
	return out, nil
}

// FloatTensor builds a float32 initializer stored as raw data.
func FloatTensor(name string, dims []int64, data []float32) *Tensor {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &Tensor{Name: name, Dims: append([]int64(nil), dims...), DataType: Float, Raw: raw}
}

// Int64Tensor builds an int64 initializer stored as raw data.
func Int64Tensor(name string, dims []int64, data []int64) *Tensor {
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return &Tensor{Name: name, Dims: append([]int64(nil), dims...), DataType: Int64, Raw: raw}
}

// Int8Tensor builds an int8 initializer; Uint8Tensor a uint8 one.
func Int8Tensor(name string, dims []int64, data []int8) *Tensor {
	raw := make([]byte, len(data))
	for i, v := range data {
		raw[i] = byte(v)
	}
	return &Tensor{Name: name, Dims: append([]int64(nil), dims...), DataType: Int8, Raw: raw}
}

// Uint8Tensor builds a uint8 initializer stored as raw data.
func Uint8Tensor(name string, dims []int64, data []uint8) *Tensor {
	return &Tensor{Name: name, Dims: append([]int64(nil), dims...), DataType: Uint8, Raw: append([]byte(nil), data...)}
}

// Int32Tensor builds an int32 initializer stored as raw data.
func Int32Tensor(name string, dims []int64, data []int32) *Tensor {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], uint32(v))
	}
	return &Tensor{Name: name, Dims: append([]int64(nil), dims...), DataType: Int32, Raw: raw}
}

// AInt, AInts, AFloat, AFloats, AString and ATensor build node attributes.
func AInt(name string, v int64) *Attribute { return &Attribute{Name: name, Type: AttrInt, I: v} }

// AInts builds an INTS attribute.
func AInts(name string, v ...int64) *Attribute {
	return &Attribute{Name: name, Type: AttrInts, Ints: v}
}

// AFloat builds a FLOAT attribute.
func AFloat(name string, v float32) *Attribute {
	return &Attribute{Name: name, Type: AttrFloat, F: v}
}

// AFloats builds a FLOATS attribute.
func AFloats(name string, v ...float32) *Attribute {
	return &Attribute{Name: name, Type: AttrFloats, Floats: v}
}

// AString builds a STRING attribute.
func AString(name, v string) *Attribute {
	return &Attribute{Name: name, Type: AttrString, S: []byte(v)}
}

// ATensor builds a TENSOR attribute.
func ATensor(name string, t *Tensor) *Attribute {
	return &Attribute{Name: name, Type: AttrTensor, T: t}
}

// TensorValue describes a tensor-typed graph input or output. A negative dim
// or a non-empty param name makes the axis symbolic.
func TensorValue(name string, elem int32, dims ...Dim) *ValueInfo {
	return &ValueInfo{Name: name, ElemType: elem, Shape: dims, HasType: true}
}

// D is a fixed dimension; P a symbolic one.
func D(v int64) Dim { return Dim{Value: v} }

// P is a symbolic (named) dimension such as the dynamic batch axis.
func P(name string) Dim { return Dim{Param: name} }
