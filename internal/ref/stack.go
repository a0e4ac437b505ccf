package ref

import "math"

// Stack is a float64 stack of cells: layer 0 reads x_t, layer k > 0 reads layer k−1's h_t
// of the same step. Its state is the layers' states one after the other, and its
// parameters the layers' Params one after the other.
type Stack struct {
	Layers []*Cell
}

// StateSize is the joint state's size.
func (st *Stack) StateSize() int {
	n := 0
	for _, c := range st.Layers {
		n += StateSize(c.Kind, c.H)
	}
	return n
}

// NumParams is the number of parameters of all layers.
func (st *Stack) NumParams() int {
	n := 0
	for _, c := range st.Layers {
		n += len(c.Params)
	}
	return n
}

// Top is the top layer's h within a joint state.
func (st *Stack) Top(s []float64) []float64 {
	off := st.StateSize() - StateSize(st.Layers[len(st.Layers)-1].Kind, st.Layers[0].H)
	return s[off : off+st.Layers[0].H]
}

// Step returns the joint s_t for the joint s_{t-1} = prev and x_t = x.
func (st *Stack) Step(prev, x []float64) []float64 {
	next := make([]float64, 0, len(prev))
	off := 0
	in := x
	for _, c := range st.Layers {
		s := StateSize(c.Kind, c.H)
		n := c.Step(prev[off:off+s], in)
		next = append(next, n...)
		in = n[:c.H]
		off += s
	}
	return next
}

// StepDerivatives returns the joint s_t and its exact derivatives with respect to the
// joint s_{t-1}, x_t and every layer's parameters, by the chain rule over the layers'
// own (dual-number) derivatives: ∂s^k/∂v = A^k·∂h^{k−1}/∂v for anything v below layer k.
func (st *Stack) StepDerivatives(prev, x []float64) Derivatives {
	S, P, I := st.StateSize(), st.NumParams(), len(x)
	d := Derivatives{Next: make([]float64, 0, S), State: matrix(S, S), Input: matrix(S, I), Params: matrix(S, P)}
	soff, poff := 0, 0
	in := x
	var below []int // the joint rows of the layer below's h
	for _, c := range st.Layers {
		s := StateSize(c.Kind, c.H)
		ld := c.StepDerivatives(prev[soff:soff+s], in)
		d.Next = append(d.Next, ld.Next...)
		for r := range s {
			row := soff + r
			copy(d.State[row][soff:soff+s], ld.State[r])
			copy(d.Params[row][poff:poff+len(c.Params)], ld.Params[r])
			if below == nil {
				copy(d.Input[row], ld.Input[r])
				continue
			}
			for m, br := range below { // through the input h^{k−1}_t = rows below
				a := ld.Input[r][m]
				if a == 0 {
					continue
				}
				for j := range soff {
					d.State[row][j] += a * d.State[br][j]
				}
				for j := range I {
					d.Input[row][j] += a * d.Input[br][j]
				}
				for j := range poff {
					d.Params[row][j] += a * d.Params[br][j]
				}
			}
		}
		below = make([]int, c.H)
		for m := range below {
			below[m] = soff + m
		}
		in = ld.Next[:c.H]
		soff += s
		poff += len(c.Params)
	}
	return d
}

// IgnoreClass is the class that marks a step whose class target contributes nothing.
const IgnoreClass = -100

// Target is one step's target for the references: Values for the squared error, else
// Class for the softmax cross-entropy (IgnoreClass, or no target when HasClass is false).
type Target struct {
	Values   []float64
	Class    int
	HasClass bool
}

// Loss returns the step's loss and ∂ℓ/∂ŷ for the head's output yhat (nil without a
// target). The cross-entropy subtracts the largest logit first.
func (t Target) Loss(yhat []float64) (float64, []float64) {
	switch {
	case t.Values != nil:
		d := make([]float64, len(yhat))
		for i := range yhat {
			d[i] = yhat[i] - t.Values[i]
		}
		return SquaredError(yhat, t.Values), d
	case t.HasClass && t.Class != IgnoreClass:
		m := math.Inf(-1)
		for _, v := range yhat {
			m = math.Max(m, v)
		}
		var sum float64
		for _, v := range yhat {
			sum += math.Exp(v - m)
		}
		d := make([]float64, len(yhat))
		for i, v := range yhat {
			d[i] = math.Exp(v-m) / sum
		}
		d[t.Class]--
		return math.Log(sum) + m - yhat[t.Class], d
	}
	return 0, nil
}

// StackBPTT is float64 full backpropagation through time over a stack, with dense joint
// Jacobians: Grads.Cell in the layers' joint parameter layout. The loss reads the top
// layer's h_t.
func StackBPTT(st *Stack, head Head, s0 []float64, xs [][]float64, ys []Target) Grads {
	S, P := st.StateSize(), st.NumParams()
	h := st.Layers[0].H
	top := S - StateSize(st.Layers[len(st.Layers)-1].Kind, h)
	grads := Grads{Cell: make([]float64, P), Head: make([]float64, len(head.W)+len(head.B))}
	steps := make([]Derivatives, len(xs))
	dLds := make([][]float64, len(xs))
	state := append([]float64(nil), s0...)
	out := len(head.B)
	for t, x := range xs {
		steps[t] = st.StepDerivatives(state, x)
		state = steps[t].Next
		dLds[t] = make([]float64, S)
		hs := state[top : top+h]
		yhat := Linear(head.W, head.B, hs)
		l, dy := ys[t].Loss(yhat)
		if dy == nil {
			continue
		}
		grads.Loss += l
		for o := range out {
			for j := range h {
				grads.Head[o*h+j] += dy[o] * hs[j]
				dLds[t][top+j] += head.W[o*h+j] * dy[o]
			}
			grads.Head[out*h+o] += dy[o]
		}
	}
	delta := make([]float64, S)
	for t := len(xs) - 1; t >= 0; t-- {
		for i := range S {
			delta[i] += dLds[t][i]
		}
		d := steps[t]
		for row := range S {
			for col := range P {
				grads.Cell[col] += delta[row] * d.Params[row][col]
			}
		}
		prev := make([]float64, S)
		for row := range S {
			for k := range S {
				prev[k] += d.State[row][k] * delta[row]
			}
		}
		delta = prev
	}
	return grads
}

// StackSnAp1 is float64 SnAp-1 over a stack, by its definition: every layer keeps the
// influence of its own parameters on its own units only, M̃^k_t = (J^k_t·M̃^k_{t−1} +
// Ī^k_t) ⊙ mask with J^k_t and Ī^k_t the layer's own blocks (the mask keeps parameter p of
// gate row k·H+u on unit u's state rows), and its learning signal ∂ℓ_t/∂s^k_t comes from
// the loss through the layers above within the step, exactly: q^{k−1}_h = A^kᵀ·q^k.
func StackSnAp1(st *Stack, head Head, s0 []float64, xs [][]float64, ys []Target) Grads {
	h := st.Layers[0].H
	P := st.NumParams()
	grads := Grads{Cell: make([]float64, P), Head: make([]float64, len(head.W)+len(head.B))}
	traces := make([][][]float64, len(st.Layers))
	for k, c := range st.Layers {
		traces[k] = matrix(StateSize(c.Kind, h), len(c.Params))
	}
	state := append([]float64(nil), s0...)
	out := len(head.B)
	for t, x := range xs {
		var derivs []Derivatives
		soff, in := 0, x
		next := make([]float64, 0, len(state))
		for _, c := range st.Layers {
			s := StateSize(c.Kind, h)
			d := c.StepDerivatives(state[soff:soff+s], in)
			derivs = append(derivs, d)
			next = append(next, d.Next...)
			in = d.Next[:h]
			soff += s
		}
		state = next
		for k, c := range st.Layers {
			d, m := derivs[k], traces[k]
			s, p := len(m), len(c.Params)
			upd := matrix(s, p)
			for r := range s {
				for q := range p {
					v := d.Params[r][q]
					for j := range s {
						v += d.State[r][j] * m[j][q]
					}
					if r%h == unitOf(c, q) {
						upd[r][q] = v
					}
				}
			}
			traces[k] = upd
		}
		top := len(st.Layers) - 1
		hs := derivs[top].Next[:h]
		yhat := Linear(head.W, head.B, hs)
		l, dy := ys[t].Loss(yhat)
		if dy == nil {
			continue
		}
		grads.Loss += l
		q := make([]float64, len(derivs[top].Next))
		for o := range out {
			for j := range h {
				grads.Head[o*h+j] += dy[o] * hs[j]
				q[j] += head.W[o*h+j] * dy[o]
			}
			grads.Head[out*h+o] += dy[o]
		}
		poff := P
		for k := top; k >= 0; k-- {
			c := st.Layers[k]
			poff -= len(c.Params)
			for r, qr := range q {
				for p := range c.Params {
					grads.Cell[poff+p] += qr * traces[k][r][p]
				}
			}
			if k > 0 {
				below := make([]float64, StateSize(st.Layers[k-1].Kind, h))
				for r, qr := range q {
					for j := range h {
						below[j] += derivs[k].Input[r][j] * qr
					}
				}
				q = below
			}
		}
	}
	return grads
}

// unitOf is the unit whose gate row parameter p belongs to, in c's layout.
func unitOf(c *Cell, p int) int {
	g, h, in := Gates(c.Kind), c.H, c.I
	var r int
	switch {
	case p < g*h*in:
		r = p / in
	case p < g*h*(in+h):
		r = (p - g*h*in) / h
	case p < g*h*(in+h+1):
		r = p - g*h*(in+h)
	default:
		r = p - g*h*(in+h+1)
	}
	return r % h
}
