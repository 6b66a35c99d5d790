//go:build torch

package torch

/*
#cgo CXXFLAGS: -std=c++17 -I/usr/include/torch/csrc/api/include
#cgo LDFLAGS: -ltorch -ltorch_cpu -lc10 -lm
#cgo CFLAGS: -O3 -ffast-math
#cgo amd64 CFLAGS: -mavx2
#include <stdlib.h>
#include "ctorch.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// Tensor is a handle to a libtorch tensor.
type Tensor struct {
	c     C.tensor
	scope *Scope
}

// Scope collects tensors so they can be dropped together.
type Scope struct {
	ts []*Tensor
}

// NewScope returns an empty scope.
func NewScope() *Scope { return &Scope{} }

// Add puts t in the scope (if it is not in one yet) and returns it.
func (s *Scope) Add(t *Tensor) *Tensor {
	if t != nil && t.scope == nil {
		t.scope = s
		s.ts = append(s.ts, t)
	}
	return t
}

// Len reports how many tensors the scope holds.
func (s *Scope) Len() int { return len(s.ts) }

// Drop frees every tensor of the scope.
func (s *Scope) Drop() {
	for _, t := range s.ts {
		t.free()
	}
	s.ts = s.ts[:0]
}

// Detach removes t from its scope: the caller then owns it.
func (t *Tensor) Detach() *Tensor {
	if s := t.scope; s != nil {
		for i, u := range s.ts {
			if u == t {
				s.ts = append(s.ts[:i], s.ts[i+1:]...)
				break
			}
		}
		t.scope = nil
	}
	return t
}

func (t *Tensor) free() {
	if t.c != nil {
		C.ct_free(t.c)
		t.c = nil
	}
}

// Drop frees the tensor now (it is also removed from its scope).
func (t *Tensor) Drop() {
	if t == nil {
		return
	}
	t.Detach()
	t.free()
}

func cerr(e *C.char) error {
	if e == nil {
		return nil
	}
	s := C.GoString(e)
	C.free(unsafe.Pointer(e))
	if i := strings.Index(s, "\nException raised from"); i > 0 {
		s = s[:i]
	}
	return errors.New("libtorch: " + strings.TrimSpace(s))
}

// result wraps the new C tensor that the call returning e stored in *c, in
// the scope of the first scoped input. It takes c's address, not its value:
// in result(c, C.ct_op(..., &c)) Go leaves unspecified whether c is read
// before or after the call stores into it.
func result(c *C.tensor, e *C.char, ins ...*Tensor) (*Tensor, error) {
	if err := cerr(e); err != nil {
		return nil, err
	}
	t := &Tensor{c: *c}
	for _, in := range ins {
		if in != nil && in.scope != nil {
			in.scope.Add(t)
			break
		}
	}
	return t, nil
}

func must(t *Tensor, err error) *Tensor {
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t *Tensor) C.tensor {
	if t == nil {
		return nil
	}
	if t.c == nil {
		panic("torch: use of a dropped tensor")
	}
	return t.c
}

func shapeArg(shape []int64) (*C.int64_t, C.int) {
	if len(shape) == 0 {
		return nil, 0
	}
	return (*C.int64_t)(unsafe.Pointer(&shape[0])), C.int(len(shape))
}

// FromFloat32 makes a float tensor of the given shape from data (copied).
func FromFloat32(data []float32, shape []int64, requiresGrad bool) (*Tensor, error) {
	if n := numel(shape); int64(len(data)) != n {
		return nil, fmt.Errorf("torch: %d values for shape %v", len(data), shape)
	}
	var c C.tensor
	p := unsafe.Pointer(nil)
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	sp, nd := shapeArg(shape)
	e := C.ct_from_float((*C.float)(p), sp, nd, cBool(requiresGrad), &c)
	runtime.KeepAlive(data)
	return result(&c, e)
}

// FromInt64 makes an int64 tensor of the given shape from data (copied).
func FromInt64(data []int64, shape []int64) (*Tensor, error) {
	if n := numel(shape); int64(len(data)) != n {
		return nil, fmt.Errorf("torch: %d values for shape %v", len(data), shape)
	}
	var c C.tensor
	p := unsafe.Pointer(nil)
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	sp, nd := shapeArg(shape)
	e := C.ct_from_int64((*C.int64_t)(p), sp, nd, &c)
	runtime.KeepAlive(data)
	return result(&c, e)
}

// Full makes a float tensor filled with v.
func Full(shape []int64, v float64) (*Tensor, error) {
	var c C.tensor
	sp, nd := shapeArg(shape)
	return result(&c, C.ct_full(sp, nd, C.double(v), &c))
}

// MustFromFloat32 is FromFloat32 that panics on error.
func MustFromFloat32(data []float32, shape []int64, requiresGrad bool) *Tensor {
	return must(FromFloat32(data, shape, requiresGrad))
}

// MustFromInt64 is FromInt64 that panics on error.
func MustFromInt64(data []int64, shape []int64) *Tensor { return must(FromInt64(data, shape)) }

func numel(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

// In puts t into scope s and returns t (for tensors made without a scope).
func (t *Tensor) In(s *Scope) *Tensor { return s.Add(t) }

// Defined reports whether the tensor holds data.
func (t *Tensor) Defined() bool { return t != nil && t.c != nil && C.ct_defined(t.c) != 0 }

// Shape returns the tensor's sizes.
func (t *Tensor) Shape() []int64 {
	n := int(C.ct_ndim(ptr(t)))
	s := make([]int64, n)
	if n > 0 {
		C.ct_shape(t.c, (*C.int64_t)(unsafe.Pointer(&s[0])))
	}
	return s
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int64 { return int64(C.ct_numel(ptr(t))) }

// Float32s copies the tensor's values (converted to float32).
func (t *Tensor) Float32s() ([]float32, error) {
	n := t.Numel()
	out := make([]float32, n)
	var p *C.float
	if n > 0 {
		p = (*C.float)(unsafe.Pointer(&out[0]))
	}
	if err := cerr(C.ct_copy_float(t.c, p, C.int64_t(n))); err != nil {
		return nil, err
	}
	return out, nil
}

// Int64s copies the tensor's values (converted to int64).
func (t *Tensor) Int64s() ([]int64, error) {
	n := t.Numel()
	out := make([]int64, n)
	var p *C.int64_t
	if n > 0 {
		p = (*C.int64_t)(unsafe.Pointer(&out[0]))
	}
	if err := cerr(C.ct_copy_int64(t.c, p, C.int64_t(n))); err != nil {
		return nil, err
	}
	return out, nil
}

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() (float64, error) {
	var v C.double
	if err := cerr(C.ct_item(ptr(t), &v)); err != nil {
		return 0, err
	}
	return float64(v), nil
}

// SetRequiresGrad switches gradient tracking for a leaf tensor.
func (t *Tensor) SetRequiresGrad(on bool) error {
	return cerr(C.ct_requires_grad(ptr(t), cBool(on)))
}

// RequiresGrad reports whether autograd tracks the tensor.
func (t *Tensor) RequiresGrad() bool { return C.ct_is_requires_grad(ptr(t)) != 0 }

func (t *Tensor) unary(op C.int) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_unary(op, ptr(t), &c), t)
}

func (t *Tensor) binary(op C.int, o *Tensor) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_binary(op, ptr(t), ptr(o), &c), t, o)
}

func (t *Tensor) scalar(op C.int, s float64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_scalar(op, ptr(t), C.double(s), &c), t)
}

// Relu is max(x, 0).
func (t *Tensor) Relu() (*Tensor, error) { return t.unary(C.U_RELU) }

// Tanh is the hyperbolic tangent.
func (t *Tensor) Tanh() (*Tensor, error) { return t.unary(C.U_TANH) }

// Sigmoid is 1/(1+exp(-x)).
func (t *Tensor) Sigmoid() (*Tensor, error) { return t.unary(C.U_SIGMOID) }

// Softplus is ln(1+exp(x)) (numerically stable).
func (t *Tensor) Softplus() (*Tensor, error) { return t.unary(C.U_SOFTPLUS) }

// Sqrt is the square root.
func (t *Tensor) Sqrt() (*Tensor, error) { return t.unary(C.U_SQRT) }

// Neg is -x.
func (t *Tensor) Neg() (*Tensor, error) { return t.unary(C.U_NEG) }

// Exp is e^x.
func (t *Tensor) Exp() (*Tensor, error) { return t.unary(C.U_EXP) }

// Log is the natural logarithm.
func (t *Tensor) Log() (*Tensor, error) { return t.unary(C.U_LOG) }

// Log1p is ln(1+x).
func (t *Tensor) Log1p() (*Tensor, error) { return t.unary(C.U_LOG1P) }

// Abs is |x|.
func (t *Tensor) Abs() (*Tensor, error) { return t.unary(C.U_ABS) }

// Contiguous returns a contiguous tensor with the same values.
func (t *Tensor) Contiguous() (*Tensor, error) { return t.unary(C.U_CONTIG) }

// DetachCopy returns a tensor sharing data but outside autograd.
func (t *Tensor) DetachCopy() (*Tensor, error) { return t.unary(C.U_DETACH) }

// Clone copies the tensor.
func (t *Tensor) Clone() (*Tensor, error) { return t.unary(C.U_CLONE) }

// Sum sums all elements.
func (t *Tensor) Sum() (*Tensor, error) { return t.unary(C.U_SUM) }

// Mean averages all elements.
func (t *Tensor) Mean() (*Tensor, error) { return t.unary(C.U_MEAN) }

// Add is t + o (broadcasting).
func (t *Tensor) Add(o *Tensor) (*Tensor, error) { return t.binary(C.B_ADD, o) }

// Sub is t - o (broadcasting).
func (t *Tensor) Sub(o *Tensor) (*Tensor, error) { return t.binary(C.B_SUB, o) }

// Mul is t * o (broadcasting).
func (t *Tensor) Mul(o *Tensor) (*Tensor, error) { return t.binary(C.B_MUL, o) }

// Div is t / o (broadcasting).
func (t *Tensor) Div(o *Tensor) (*Tensor, error) { return t.binary(C.B_DIV, o) }

// AddScalar is t + s.
func (t *Tensor) AddScalar(s float64) (*Tensor, error) { return t.scalar(C.S_ADD, s) }

// MulScalar is t * s.
func (t *Tensor) MulScalar(s float64) (*Tensor, error) { return t.scalar(C.S_MUL, s) }

// PowScalar is t ^ s.
func (t *Tensor) PowScalar(s float64) (*Tensor, error) { return t.scalar(C.S_POW, s) }

// RSubScalar is s - t.
func (t *Tensor) RSubScalar(s float64) (*Tensor, error) { return t.scalar(C.S_RSUB, s) }

// Conv2d is a 2-D convolution with square stride and padding; b may be nil.
func (t *Tensor) Conv2d(w, b *Tensor, stride, pad, groups int64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_conv2d(ptr(t), ptr(w), ptr(b), C.int64_t(stride), C.int64_t(pad), C.int64_t(groups), &c), t, w)
}

// BatchNorm normalises over (N, H, W); in training it uses batch statistics
// and updates the running mean and variance in place.
func (t *Tensor) BatchNorm(w, b, runMean, runVar *Tensor, training bool, momentum, eps float64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_batch_norm(ptr(t), ptr(w), ptr(b), ptr(runMean), ptr(runVar), cBool(training), C.double(momentum), C.double(eps), &c), t)
}

// GroupNorm normalises over channel groups; w and b may be nil.
func (t *Tensor) GroupNorm(groups int64, w, b *Tensor, eps float64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_group_norm(ptr(t), C.int64_t(groups), ptr(w), ptr(b), C.double(eps), &c), t)
}

// Linear is t @ w^T + b; b may be nil.
func (t *Tensor) Linear(w, b *Tensor) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_linear(ptr(t), ptr(w), ptr(b), &c), t, w)
}

// Reshape returns a tensor with the same data and a new shape (-1 allowed).
func (t *Tensor) Reshape(shape ...int64) (*Tensor, error) {
	var c C.tensor
	sp, nd := shapeArg(shape)
	return result(&c, C.ct_reshape(ptr(t), sp, nd, &c), t)
}

// Transpose swaps two dimensions.
func (t *Tensor) Transpose(d0, d1 int64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_transpose(ptr(t), C.int64_t(d0), C.int64_t(d1), &c), t)
}

// Pad2d zero-pads the last two dimensions: left and right columns, top
// and bottom rows (TensorFlow's asymmetric "SAME" padding).
func (t *Tensor) Pad2d(left, right, top, bottom int64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_pad2d(ptr(t), C.int64_t(left), C.int64_t(right), C.int64_t(top), C.int64_t(bottom), &c), t)
}

// MustPad2d panics on error.
func (t *Tensor) MustPad2d(left, right, top, bottom int64) *Tensor {
	return must(t.Pad2d(left, right, top, bottom))
}

// Relu6 is min(max(x, 0), 6) (MobileNet's activation).
func (t *Tensor) Relu6() (*Tensor, error) { return t.unary(C.U_RELU6) }

// MustRelu6 panics on error.
func (t *Tensor) MustRelu6() *Tensor { return must(t.Relu6()) }

// Narrow returns length elements of dimension dim from start (a view).
func (t *Tensor) Narrow(dim, start, length int64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_narrow(ptr(t), C.int64_t(dim), C.int64_t(start), C.int64_t(length), &c), t)
}

// Cat concatenates tensors along dim.
func Cat(ts []*Tensor, dim int64) (*Tensor, error) {
	if len(ts) == 0 {
		return nil, errors.New("torch: Cat of nothing")
	}
	s := cArray[C.tensor](len(ts))
	defer C.free(unsafe.Pointer(&s[0]))
	for i, t := range ts {
		s[i] = ptr(t)
	}
	var c C.tensor
	return result(&c, C.ct_cat(&s[0], C.int(len(ts)), C.int64_t(dim), &c), ts...)
}

// MeanDims averages over the given dimensions.
func (t *Tensor) MeanDims(dims []int64, keepDim bool) (*Tensor, error) {
	return t.reduceDims(dims, keepDim, true)
}

// SumDims sums over the given dimensions.
func (t *Tensor) SumDims(dims []int64, keepDim bool) (*Tensor, error) {
	return t.reduceDims(dims, keepDim, false)
}

// reduceDims averages (mean) or sums over dims, keeping them as size 1 if
// keepDim.
func (t *Tensor) reduceDims(dims []int64, keepDim, mean bool) (*Tensor, error) {
	var c C.tensor
	sp, nd := shapeArg(dims)
	return result(&c, C.ct_reduce_dims(ptr(t), sp, nd, cBool(keepDim), cBool(mean), &c), t)
}

// cBool is 1 for true and 0 for false.
func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Softmax along dim.
func (t *Tensor) Softmax(dim int64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_softmax(ptr(t), C.int64_t(dim), &c), t)
}

// LogSoftmax along dim.
func (t *Tensor) LogSoftmax(dim int64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_log_softmax(ptr(t), C.int64_t(dim), &c), t)
}

// Argmax along dim.
func (t *Tensor) Argmax(dim int64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_argmax(ptr(t), C.int64_t(dim), &c), t)
}

// CrossEntropy is the mean cross-entropy of logits [N,C] against int64
// targets [N], with label smoothing.
func (t *Tensor) CrossEntropy(target *Tensor, smoothing float64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_cross_entropy(ptr(t), ptr(target), C.double(smoothing), &c), t, target)
}

// BetaMish is the fused activation x * tanh(softplus(a*x / sqrt(b + x^2)))
// with an analytic gradient (float32 only).
func (t *Tensor) BetaMish(a, b float64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_betamish(ptr(t), C.double(a), C.double(b), &c), t)
}

// MustBetaMish panics on error.
func (t *Tensor) MustBetaMish(a, b float64) *Tensor { return must(t.BetaMish(a, b)) }

// MaxPool2d with a square kernel.
func (t *Tensor) MaxPool2d(k, stride, pad int64) (*Tensor, error) {
	var c C.tensor
	return result(&c, C.ct_max_pool2d(ptr(t), C.int64_t(k), C.int64_t(stride), C.int64_t(pad), &c), t)
}

// Backward computes gradients of a scalar tensor.
func (t *Tensor) Backward() error { return cerr(C.ct_backward(ptr(t))) }

// Grad returns the accumulated gradient (nil when there is none). The result
// is unscoped unless t has a scope.
func (t *Tensor) Grad() (*Tensor, error) {
	var c C.tensor
	if err := cerr(C.ct_grad(ptr(t), &c)); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, nil
	}
	return result(&c, nil, t)
}

// ZeroGrad zeroes the accumulated gradient.
func (t *Tensor) ZeroGrad() error { return cerr(C.ct_zero_grad(ptr(t))) }

// CopyFrom copies src's values into t in place (outside autograd).
func (t *Tensor) CopyFrom(src *Tensor) error { return cerr(C.ct_copy_(ptr(t), ptr(src))) }

// MustRelu etc. are the panicking variants used by model code.
func (t *Tensor) MustRelu() *Tensor { return must(t.Relu()) }

// MustTanh panics on error.
func (t *Tensor) MustTanh() *Tensor { return must(t.Tanh()) }

// MustSigmoid panics on error.
func (t *Tensor) MustSigmoid() *Tensor { return must(t.Sigmoid()) }

// MustSoftplus panics on error.
func (t *Tensor) MustSoftplus() *Tensor { return must(t.Softplus()) }

// MustSqrt panics on error.
func (t *Tensor) MustSqrt() *Tensor { return must(t.Sqrt()) }

// MustAdd panics on error.
func (t *Tensor) MustAdd(o *Tensor) *Tensor { return must(t.Add(o)) }

// MustSub panics on error.
func (t *Tensor) MustSub(o *Tensor) *Tensor { return must(t.Sub(o)) }

// MustMul panics on error.
func (t *Tensor) MustMul(o *Tensor) *Tensor { return must(t.Mul(o)) }

// MustDiv panics on error.
func (t *Tensor) MustDiv(o *Tensor) *Tensor { return must(t.Div(o)) }

// MustAddScalar panics on error.
func (t *Tensor) MustAddScalar(s float64) *Tensor { return must(t.AddScalar(s)) }

// MustMulScalar panics on error.
func (t *Tensor) MustMulScalar(s float64) *Tensor { return must(t.MulScalar(s)) }

// MustConv2d panics on error.
func (t *Tensor) MustConv2d(w, b *Tensor, stride, pad, groups int64) *Tensor {
	return must(t.Conv2d(w, b, stride, pad, groups))
}

// MustBatchNorm panics on error.
func (t *Tensor) MustBatchNorm(w, b, rm, rv *Tensor, training bool, momentum, eps float64) *Tensor {
	return must(t.BatchNorm(w, b, rm, rv, training, momentum, eps))
}

// MustGroupNorm panics on error.
func (t *Tensor) MustGroupNorm(groups int64, w, b *Tensor, eps float64) *Tensor {
	return must(t.GroupNorm(groups, w, b, eps))
}

// MustLinear panics on error.
func (t *Tensor) MustLinear(w, b *Tensor) *Tensor { return must(t.Linear(w, b)) }

// MustReshape panics on error.
func (t *Tensor) MustReshape(shape ...int64) *Tensor { return must(t.Reshape(shape...)) }

// MustTranspose panics on error.
func (t *Tensor) MustTranspose(d0, d1 int64) *Tensor { return must(t.Transpose(d0, d1)) }

// MustNarrow panics on error.
func (t *Tensor) MustNarrow(dim, start, length int64) *Tensor {
	return must(t.Narrow(dim, start, length))
}

// MustCat panics on error.
func MustCat(ts []*Tensor, dim int64) *Tensor { return must(Cat(ts, dim)) }

// MustMeanDims panics on error.
func (t *Tensor) MustMeanDims(dims []int64, keepDim bool) *Tensor {
	return must(t.MeanDims(dims, keepDim))
}

// MustSoftmax panics on error.
func (t *Tensor) MustSoftmax(dim int64) *Tensor { return must(t.Softmax(dim)) }

// MustCrossEntropy panics on error.
func (t *Tensor) MustCrossEntropy(target *Tensor, smoothing float64) *Tensor {
	return must(t.CrossEntropy(target, smoothing))
}

// MustMaxPool2d panics on error.
func (t *Tensor) MustMaxPool2d(k, stride, pad int64) *Tensor {
	return must(t.MaxPool2d(k, stride, pad))
}

// Recover turns a panic raised by a MustX call into an error; use it as
// `defer torch.Recover(&err)`.
func Recover(err *error) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok {
			*err = e
			return
		}
		*err = fmt.Errorf("torch: %v", r)
	}
}

// SetNumThreads sets libtorch's intra-op thread count.
func SetNumThreads(n int) { C.ct_set_num_threads(C.int(n)) }

// NumThreads returns libtorch's intra-op thread count.
func NumThreads() int { return int(C.ct_get_num_threads()) }

// ManualSeed seeds libtorch's generator.
func ManualSeed(seed uint64) { C.ct_manual_seed(C.uint64_t(seed)) }

// NoGrad runs f with autograd disabled. Grad mode is thread-local in
// libtorch, so the goroutine is locked to its OS thread meanwhile.
func NoGrad(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	prev := C.ct_is_grad_enabled()
	C.ct_set_grad_enabled(0)
	defer C.ct_set_grad_enabled(prev)
	return f()
}

// cArray allocates a C array of n elements of type T, zeroed; free it with
// C.free(unsafe.Pointer(&s[0])).
//
// It must be zeroed because the arrays hold pointers (C strings, tensor
// handles) stored from Go: every such store runs the GC's write barrier,
// which during marking also marks the value being overwritten. Memory fresh
// from malloc can still hold a Go pointer written there by the C code that
// freed it (libtorch's from_blob views of Go slices, ONNX Runtime tensors
// over Go memory); marking one whose object the GC has since freed aborts
// the program with "found pointer to free object".
func cArray[T any](n int) []T {
	var zero T
	p := C.calloc(C.size_t(max(n, 1)), C.size_t(unsafe.Sizeof(zero)))
	if p == nil {
		panic(fmt.Sprintf("torch: out of C memory for an array of %d", n))
	}
	return unsafe.Slice((*T)(p), max(n, 1))
}

func cstrings(names []string) (**C.char, func()) {
	s := cArray[*C.char](len(names) + 1)
	for i, n := range names {
		s[i] = C.CString(n)
	}
	return &s[0], func() {
		for i := range names {
			C.free(unsafe.Pointer(s[i]))
		}
		C.free(unsafe.Pointer(&s[0]))
	}
}

func handles(ts []*Tensor) (*C.tensor, func()) {
	s := cArray[C.tensor](len(ts) + 1)
	for i, t := range ts {
		s[i] = ptr(t)
	}
	return &s[0], func() { C.free(unsafe.Pointer(&s[0])) }
}

// Named is a tensor with the name it is saved under.
type Named struct {
	Name   string
	Tensor *Tensor
}

// Save writes named tensors to path in libtorch's archive format (readable
// by torch::load / torch.jit.load in Python).
func Save(path string, ts []Named) error {
	names, tensors := split(ts)
	np, fn := cstrings(names)
	defer fn()
	tp, ft := handles(tensors)
	defer ft()
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	if err := cerr(C.ct_save(np, tp, C.int(len(ts)), cp)); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// Load reads the named tensors from path into the given tensors (in place;
// shapes must match).
func Load(path string, ts []Named) error {
	names, tensors := split(ts)
	np, fn := cstrings(names)
	defer fn()
	tp, ft := handles(tensors)
	defer ft()
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	if err := cerr(C.ct_load(np, tp, C.int(len(ts)), cp)); err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	return nil
}

// Keys lists the tensor names stored at path.
func Keys(path string) ([]string, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var out *C.char
	if err := cerr(C.ct_load_names(cp, &out)); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	s := C.GoString(out)
	C.free(unsafe.Pointer(out))
	return strings.Fields(s), nil
}

func split(ts []Named) ([]string, []*Tensor) {
	names := make([]string, len(ts))
	tensors := make([]*Tensor, len(ts))
	for i, t := range ts {
		names[i], tensors[i] = t.Name, t.Tensor
	}
	return names, tensors
}
