package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// ---------- encoding ----------

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendPackedInt64(b []byte, num protowire.Number, vs []int64) []byte {
	if len(vs) == 0 {
		return b
	}
	var p []byte
	for _, v := range vs {
		p = protowire.AppendVarint(p, uint64(v))
	}
	return appendBytesField(b, num, p)
}

func appendPackedFloat(b []byte, num protowire.Number, vs []float32) []byte {
	if len(vs) == 0 {
		return b
	}
	p := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(p[4*i:], math.Float32bits(v))
	}
	return appendBytesField(b, num, p)
}

// Encode serialises the model to ONNX protobuf bytes.
func (m *Model) Encode() []byte {
	var b []byte
	if m.IRVersion != 0 {
		b = appendVarintField(b, 1, uint64(m.IRVersion))
	}
	b = appendString(b, 2, m.ProducerName)
	b = appendString(b, 3, m.ProducerVersion)
	b = appendString(b, 4, m.Domain)
	if m.ModelVersion != 0 {
		b = appendVarintField(b, 5, uint64(m.ModelVersion))
	}
	b = appendString(b, 6, m.DocString)
	if m.Graph != nil {
		b = appendMessage(b, 7, m.Graph.encode())
	}
	for _, o := range m.OpsetImport {
		var p []byte
		p = appendString(p, 1, o.Domain)
		p = appendVarintField(p, 2, uint64(o.Version))
		b = appendMessage(b, 8, p)
	}
	for _, kv := range m.Metadata {
		var p []byte
		p = appendString(p, 1, kv.Key)
		p = appendString(p, 2, kv.Value)
		b = appendMessage(b, 14, p)
	}
	return append(b, m.unknown...)
}

func (g *Graph) encode() []byte {
	var b []byte
	for _, n := range g.Nodes {
		b = appendMessage(b, 1, n.encode())
	}
	b = appendString(b, 2, g.Name)
	for _, t := range g.Initializers {
		b = appendMessage(b, 5, t.encode())
	}
	b = appendString(b, 10, g.DocString)
	for _, v := range g.Inputs {
		b = appendMessage(b, 11, v.encode())
	}
	for _, v := range g.Outputs {
		b = appendMessage(b, 12, v.encode())
	}
	for _, v := range g.ValueInfo {
		b = appendMessage(b, 13, v.encode())
	}
	return append(b, g.unknown...)
}

func (n *Node) encode() []byte {
	var b []byte
	for _, s := range n.Inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = appendString(b, 3, n.Name)
	b = appendString(b, 4, n.OpType)
	for _, a := range n.Attrs {
		b = appendMessage(b, 5, a.encode())
	}
	b = appendString(b, 6, n.DocString)
	b = appendString(b, 7, n.Domain)
	return append(b, n.unknown...)
}

func (a *Attribute) encode() []byte {
	var b []byte
	b = appendString(b, 1, a.Name)
	switch a.Type {
	case AttrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrInt:
		b = appendVarintField(b, 3, uint64(a.I))
	case AttrString:
		b = appendBytesField(b, 4, a.S)
	case AttrTensor:
		if a.T != nil {
			b = appendMessage(b, 5, a.T.encode())
		}
	case AttrGraph:
		if a.G != nil {
			b = appendMessage(b, 6, a.G.encode())
		}
	case AttrFloats:
		b = appendPackedFloat(b, 7, a.Floats)
	case AttrInts:
		b = appendPackedInt64(b, 8, a.Ints)
	case AttrStrings:
		for _, s := range a.Strings {
			b = appendBytesField(b, 9, s)
		}
	}
	if a.Type != 0 {
		b = appendVarintField(b, 20, uint64(a.Type))
	}
	return append(b, a.unknown...)
}

func (t *Tensor) encode() []byte {
	var b []byte
	if len(t.Dims) > 0 {
		b = appendPackedInt64(b, 1, t.Dims)
	}
	b = appendVarintField(b, 2, uint64(t.DataType))
	b = appendPackedFloat(b, 4, t.FloatData)
	if len(t.Int32Data) > 0 {
		var p []byte
		for _, v := range t.Int32Data {
			p = protowire.AppendVarint(p, uint64(int64(v)))
		}
		b = appendBytesField(b, 5, p)
	}
	b = appendPackedInt64(b, 7, t.Int64Data)
	b = appendString(b, 8, t.Name)
	if t.Raw != nil {
		b = appendBytesField(b, 9, t.Raw)
	}
	b = appendString(b, 12, t.DocString)
	return append(b, t.unknown...)
}

func (v *ValueInfo) encode() []byte {
	var b []byte
	b = appendString(b, 1, v.Name)
	if v.HasType {
		var shape []byte
		for _, d := range v.Shape {
			var dm []byte
			if d.Param != "" {
				dm = appendString(dm, 2, d.Param)
			} else if d.Value >= 0 {
				dm = appendVarintField(dm, 1, uint64(d.Value))
			}
			shape = appendMessage(shape, 1, dm)
		}
		var tt []byte
		tt = appendVarintField(tt, 1, uint64(v.ElemType))
		if v.Shape != nil {
			tt = appendMessage(tt, 2, shape)
		}
		var typ []byte
		typ = appendMessage(typ, 1, tt)
		b = appendMessage(b, 2, typ)
	}
	return append(b, v.unknown...)
}

// ---------- decoding ----------

var errTruncated = errors.New("truncated or malformed protobuf")

// field is one decoded protobuf field.
type field struct {
	num  protowire.Number
	typ  protowire.Type
	v    uint64 // varint / fixed value
	data []byte // bytes value
	raw  []byte // the whole field, for unknown-field preservation
}

// walk calls fn for every field of msg.
func walk(msg []byte, fn func(f field) error) error {
	for len(msg) > 0 {
		start := msg
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return errTruncated
		}
		msg = msg[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(msg)
			if m < 0 {
				return errTruncated
			}
			f.v, n = v, m
		case protowire.Fixed32Type:
			v, m := protowire.ConsumeFixed32(msg)
			if m < 0 {
				return errTruncated
			}
			f.v, n = uint64(v), m
		case protowire.Fixed64Type:
			v, m := protowire.ConsumeFixed64(msg)
			if m < 0 {
				return errTruncated
			}
			f.v, n = v, m
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				return errTruncated
			}
			f.data, n = v, m
		default:
			m := protowire.ConsumeFieldValue(num, typ, msg)
			if m < 0 {
				return errTruncated
			}
			n = m
		}
		msg = msg[n:]
		f.raw = start[:len(start)-len(msg)]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// Decode parses ONNX protobuf bytes into a Model.
func Decode(b []byte) (*Model, error) {
	if len(b) == 0 {
		return nil, errors.New("empty file")
	}
	m := &Model{}
	err := walk(b, func(f field) error {
		switch f.num {
		case 1:
			m.IRVersion = int64(f.v)
		case 2:
			m.ProducerName = string(f.data)
		case 3:
			m.ProducerVersion = string(f.data)
		case 4:
			m.Domain = string(f.data)
		case 5:
			m.ModelVersion = int64(f.v)
		case 6:
			m.DocString = string(f.data)
		case 7:
			g, err := decodeGraph(f.data)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			m.Graph = g
		case 8:
			var o OpsetID
			if err := walk(f.data, func(f field) error {
				switch f.num {
				case 1:
					o.Domain = string(f.data)
				case 2:
					o.Version = int64(f.v)
				}
				return nil
			}); err != nil {
				return err
			}
			m.OpsetImport = append(m.OpsetImport, o)
		case 14:
			var kv StringPair
			if err := walk(f.data, func(f field) error {
				switch f.num {
				case 1:
					kv.Key = string(f.data)
				case 2:
					kv.Value = string(f.data)
				}
				return nil
			}); err != nil {
				return err
			}
			m.Metadata = append(m.Metadata, kv)
		default:
			m.unknown = append(m.unknown, f.raw...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m.Graph == nil || m.IRVersion == 0 {
		return nil, errors.New("no graph or IR version: not an ONNX model")
	}
	return m, nil
}

func decodeGraph(b []byte) (*Graph, error) {
	g := &Graph{}
	err := walk(b, func(f field) error {
		switch f.num {
		case 1:
			n, err := decodeNode(f.data)
			if err != nil {
				return err
			}
			g.Nodes = append(g.Nodes, n)
		case 2:
			g.Name = string(f.data)
		case 5:
			t, err := decodeTensor(f.data)
			if err != nil {
				return err
			}
			g.Initializers = append(g.Initializers, t)
		case 10:
			g.DocString = string(f.data)
		case 11, 12, 13:
			v, err := decodeValueInfo(f.data)
			if err != nil {
				return err
			}
			switch f.num {
			case 11:
				g.Inputs = append(g.Inputs, v)
			case 12:
				g.Outputs = append(g.Outputs, v)
			default:
				g.ValueInfo = append(g.ValueInfo, v)
			}
		default:
			g.unknown = append(g.unknown, f.raw...)
		}
		return nil
	})
	return g, err
}

func decodeNode(b []byte) (*Node, error) {
	n := &Node{}
	err := walk(b, func(f field) error {
		switch f.num {
		case 1:
			n.Inputs = append(n.Inputs, string(f.data))
		case 2:
			n.Outputs = append(n.Outputs, string(f.data))
		case 3:
			n.Name = string(f.data)
		case 4:
			n.OpType = string(f.data)
		case 5:
			a, err := decodeAttr(f.data)
			if err != nil {
				return err
			}
			n.Attrs = append(n.Attrs, a)
		case 6:
			n.DocString = string(f.data)
		case 7:
			n.Domain = string(f.data)
		default:
			n.unknown = append(n.unknown, f.raw...)
		}
		return nil
	})
	return n, err
}

func decodeAttr(b []byte) (*Attribute, error) {
	a := &Attribute{}
	err := walk(b, func(f field) error {
		var err error
		switch f.num {
		case 1:
			a.Name = string(f.data)
		case 2:
			a.F = math.Float32frombits(uint32(f.v))
		case 3:
			a.I = int64(f.v)
		case 4:
			a.S = append([]byte(nil), f.data...)
		case 5:
			a.T, err = decodeTensor(f.data)
		case 6:
			a.G, err = decodeGraph(f.data)
		case 7:
			a.Floats, err = appendFloats(a.Floats, f)
		case 8:
			a.Ints, err = appendInt64s(a.Ints, f)
		case 9:
			a.Strings = append(a.Strings, append([]byte(nil), f.data...))
		case 20:
			a.Type = int32(f.v)
		default:
			a.unknown = append(a.unknown, f.raw...)
		}
		return err
	})
	return a, err
}

func decodeTensor(b []byte) (*Tensor, error) {
	t := &Tensor{}
	err := walk(b, func(f field) error {
		var err error
		switch f.num {
		case 1:
			t.Dims, err = appendInt64s(t.Dims, f)
		case 2:
			t.DataType = int32(f.v)
		case 4:
			t.FloatData, err = appendFloats(t.FloatData, f)
		case 5:
			var vs []int64
			vs, err = appendInt64s(nil, f)
			for _, v := range vs {
				t.Int32Data = append(t.Int32Data, int32(v))
			}
		case 7:
			t.Int64Data, err = appendInt64s(t.Int64Data, f)
		case 8:
			t.Name = string(f.data)
		case 9:
			t.Raw = append([]byte{}, f.data...)
		case 12:
			t.DocString = string(f.data)
		default:
			t.unknown = append(t.unknown, f.raw...)
		}
		return err
	})
	return t, err
}

func decodeValueInfo(b []byte) (*ValueInfo, error) {
	v := &ValueInfo{}
	err := walk(b, func(f field) error {
		switch f.num {
		case 1:
			v.Name = string(f.data)
		case 2:
			isTensor := false
			_ = walk(f.data, func(t field) error {
				if t.num == 1 {
					isTensor = true
				}
				return nil
			})
			if !isTensor { // sequence, map, ...: kept verbatim
				v.unknown = append(v.unknown, f.raw...)
				return nil
			}
			v.HasType = true
			return walk(f.data, func(f field) error { // TypeProto
				if f.num != 1 {
					return nil
				}
				return walk(f.data, func(f field) error { // TypeProto.Tensor
					switch f.num {
					case 1:
						v.ElemType = int32(f.v)
					case 2:
						v.Shape = []Dim{}
						return walk(f.data, func(f field) error { // TensorShapeProto
							if f.num != 1 {
								return nil
							}
							d := Dim{Value: -1}
							err := walk(f.data, func(f field) error {
								switch f.num {
								case 1:
									d.Value = int64(f.v)
								case 2:
									d.Param = string(f.data)
								}
								return nil
							})
							v.Shape = append(v.Shape, d)
							return err
						})
					}
					return nil
				})
			})
		default:
			v.unknown = append(v.unknown, f.raw...)
		}
		return nil
	})
	return v, err
}

func appendInt64s(dst []int64, f field) ([]int64, error) {
	if f.typ == protowire.VarintType {
		return append(dst, int64(f.v)), nil
	}
	p := f.data
	for len(p) > 0 {
		v, n := protowire.ConsumeVarint(p)
		if n < 0 {
			return nil, errTruncated
		}
		dst = append(dst, int64(v))
		p = p[n:]
	}
	return dst, nil
}

func appendFloats(dst []float32, f field) ([]float32, error) {
	if f.typ == protowire.Fixed32Type {
		return append(dst, math.Float32frombits(uint32(f.v))), nil
	}
	if len(f.data)%4 != 0 {
		return nil, errTruncated
	}
	for i := 0; i < len(f.data); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(f.data[i:])))
	}
	return dst, nil
}
