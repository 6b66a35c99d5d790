// Package torch is a thin cgo binding to libtorch's C++ API (Debian
// libtorch-dev 1.13): tensors, autograd, the operations ferlive's models
// need, optimizers and save/load of named tensors. Its Go API follows gotch
// (Tensor with methods, MustX variants that panic) so the choice stays
// reversible. It builds only with the build tag "torch".
//
// Tensors own C++ memory and must be released with Drop; a Scope collects
// the tensors made during one step so they are freed together. The result of
// an operation joins the scope of its receiver (or, when the receiver has
// none, of its first scoped argument).
package torch
