//go:build torch

package torch

/*
#include <stdlib.h>
#include "ctorch.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Optimizer updates parameters from their gradients (SGD with momentum and
// weight decay, or AdamW). The learning rate is given at each step so that
// any schedule can drive it.
type Optimizer struct {
	c    C.optim
	kind string
	n    int
}

// Param is a parameter with its own weight decay.
type Param struct {
	Tensor      *Tensor
	WeightDecay float64
}

func newOptim(kind C.int, name string, ps []Param, a, b, eps float64) (*Optimizer, error) {
	ts := make([]*Tensor, len(ps))
	wd := make([]C.double, len(ps)+1)
	for i, p := range ps {
		ts[i] = p.Tensor
		wd[i] = C.double(p.WeightDecay)
	}
	tp, free := handles(ts)
	defer free()
	var o C.optim
	if err := cerr(C.ct_optim_new(kind, tp, (*C.double)(unsafe.Pointer(&wd[0])), C.int(len(ps)), C.double(a), C.double(b), C.double(eps), &o)); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Optimizer{c: o, kind: name, n: len(ps)}, nil
}

// NewSGD makes SGD with momentum (and Nesterov momentum when nesterov);
// weight decay is L2 added to the gradient, per parameter.
func NewSGD(ps []Param, momentum float64, nesterov bool) (*Optimizer, error) {
	nv := 0.0
	if nesterov {
		nv = 1
	}
	return newOptim(0, "sgd", ps, momentum, nv, 0)
}

// NewAdamW makes AdamW (decoupled weight decay, per parameter).
func NewAdamW(ps []Param, beta1, beta2, eps float64) (*Optimizer, error) {
	return newOptim(1, "adamw", ps, beta1, beta2, eps)
}

// Step applies one update with learning rate lr.
func (o *Optimizer) Step(lr float64) error { return cerr(C.ct_optim_step(o.c, C.double(lr))) }

// ZeroGrad zeroes every parameter's gradient.
func (o *Optimizer) ZeroGrad() error { return cerr(C.ct_optim_zero_grad(o.c)) }

// State returns the optimizer's state tensors (momentum buffers, moments)
// named for saving, plus the step count; the caller drops them.
func (o *Optimizer) State() []Named {
	n := int(C.ct_optim_nstate(o.c))
	out := make([]Named, n)
	for i := 0; i < n; i++ {
		out[i] = Named{Name: fmt.Sprintf("%s.state.%d", o.kind, i), Tensor: &Tensor{c: C.ct_optim_state(o.c, C.int(i))}}
	}
	return out
}

// Steps returns how many steps were taken.
func (o *Optimizer) Steps() int64 { return int64(C.ct_optim_steps(o.c)) }

// SetSteps restores the step count (for AdamW bias correction on resume).
func (o *Optimizer) SetSteps(s int64) { C.ct_optim_set_steps(o.c, C.int64_t(s)) }

// Close frees the optimizer.
func (o *Optimizer) Close() {
	if o.c != nil {
		C.ct_optim_free(o.c)
		o.c = nil
	}
}
