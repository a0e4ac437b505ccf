// Package train holds the optimizers, gradient clipping and the loop that trains a
// recurrent network with any of chronograd's credit-assignment algorithms.
package train

import (
	"fmt"
	"math"

	"github.com/chronograd/chronograd/kernels"
)

// Optimizer updates parameter groups in place from their gradients. Groups are matched
// by position: grads[i] is the gradient of params[i]. State is allocated on the first
// step; later steps allocate nothing. An optimizer belongs to one set of parameters.
type Optimizer interface {
	Step(params, grads [][]float32) error
	// Reset forgets the optimizer's state (momentum, moment estimates, step count).
	Reset()
}

func checkGroups(name string, params, grads [][]float32, state [][]float32) error {
	if len(params) != len(grads) {
		return fmt.Errorf("%s: %d parameter groups but %d gradient groups", name, len(params), len(grads))
	}
	if state != nil && len(state) != len(params) {
		return fmt.Errorf("%s: %d parameter groups, but the optimizer was started with %d", name, len(params), len(state))
	}
	for i := range params {
		if len(params[i]) != len(grads[i]) {
			return fmt.Errorf("%s: group %d has %d parameters but %d gradients", name, i, len(params[i]), len(grads[i]))
		}
		if state != nil && len(state[i]) != len(params[i]) {
			return fmt.Errorf("%s: group %d changed size from %d to %d parameters", name, i, len(state[i]), len(params[i]))
		}
	}
	return nil
}

func zerosLike(groups [][]float32) [][]float32 {
	s := make([][]float32, len(groups))
	for i, g := range groups {
		s[i] = make([]float32, len(g))
	}
	return s
}

// SGD is stochastic gradient descent with momentum as PyTorch defines it:
// v ← μ·v + g, θ ← θ − lr·v (plain SGD when Momentum is 0).
type SGD struct {
	LR, Momentum float32
	velocity     [][]float32
}

func (o *SGD) Step(params, grads [][]float32) error {
	if err := checkGroups("sgd", params, grads, o.velocity); err != nil {
		return err
	}
	if o.Momentum != 0 && o.velocity == nil {
		o.velocity = zerosLike(params)
	}
	for i, p := range params {
		g := grads[i]
		if o.Momentum == 0 {
			kernels.Axpy(-o.LR, g, p)
			continue
		}
		v := o.velocity[i]
		kernels.Scale(o.Momentum, v)
		kernels.Axpy(1, g, v)
		kernels.Axpy(-o.LR, v, p)
	}
	return nil
}

func (o *SGD) Reset() { o.velocity = nil }

// Adam is Kingma & Ba's optimizer with PyTorch's defaults and bias correction:
// m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − lr·m̂/(√v̂ + ε) with m̂ = m/(1−β1ᵗ),
// v̂ = v/(1−β2ᵗ). Zero Beta1, Beta2 and Eps take the defaults 0.9, 0.999 and 1e-8.
type Adam struct {
	LR, Beta1, Beta2, Eps float32
	m, v                  [][]float32
	t                     int
}

func (o *Adam) Step(params, grads [][]float32) error {
	if err := checkGroups("adam", params, grads, o.m); err != nil {
		return err
	}
	if o.m == nil {
		o.m, o.v = zerosLike(params), zerosLike(params)
	}
	b1, b2, eps := float64(o.Beta1), float64(o.Beta2), float64(o.Eps)
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	o.t++
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := math.Sqrt(1 - math.Pow(b2, float64(o.t)))
	step := float32(float64(o.LR) / c1)
	for i, p := range params {
		g, m, v := grads[i], o.m[i], o.v[i]
		for j := range p {
			m[j] = float32(b1)*m[j] + float32(1-b1)*g[j]
			v[j] = float32(b2)*v[j] + float32(1-b2)*g[j]*g[j]
			// PyTorch's order: denom = √v / √(1−β2ᵗ) + ε, θ −= (lr/(1−β1ᵗ))·m/denom.
			denom := float32(math.Sqrt(float64(v[j])))/float32(c2) + float32(eps)
			p[j] -= step * m[j] / denom
		}
	}
	return nil
}

func (o *Adam) Reset() { o.m, o.v, o.t = nil, nil, 0 }

// GlobalNorm returns the Euclidean norm of all gradient groups together, in float64.
func GlobalNorm(grads [][]float32) float64 {
	var s float64
	for _, g := range grads {
		for _, v := range g {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

// ClipGlobalNorm scales every group by maxNorm/(norm+1e-6) when the global norm exceeds
// maxNorm (PyTorch's clip_grad_norm_), and returns the norm before clipping. A NaN or
// infinite norm is returned unclipped for the caller to report.
func ClipGlobalNorm(grads [][]float32, maxNorm float64) float64 {
	norm := GlobalNorm(grads)
	if math.IsNaN(norm) || math.IsInf(norm, 0) || maxNorm <= 0 {
		return norm
	}
	if coef := maxNorm / (norm + 1e-6); coef < 1 {
		for _, g := range grads {
			kernels.Scale(float32(coef), g)
		}
	}
	return norm
}
