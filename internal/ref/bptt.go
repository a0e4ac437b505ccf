package ref

// BPTT is float64 full backpropagation through time with dense Jacobians: a forward sweep
// recording J_t and Ī_t, then δ_t = ∂L_t/∂s_t + J_{t+1}ᵀ·δ_{t+1} backwards, adding
// δ_tᵀ·Ī_t into ∂L/∂θ. A nil ys[t] is a step without a target.
func BPTT(c *Cell, head Head, s0 []float64, xs, ys [][]float64) Grads {
	h := c.H
	s := StateSize(c.Kind, h)
	p := NumParams(c.Kind, h, c.I)
	grads := Grads{Cell: make([]float64, p), Head: make([]float64, len(head.W)+len(head.B))}
	steps := make([]StepDerivs, len(xs))
	dLds := make([][]float64, len(xs))
	state := append([]float64(nil), s0...)
	for t, x := range xs {
		steps[t] = c.Derivs(state, x)
		state = steps[t].Next
		dLds[t] = stepLoss(&grads, head, state, ys[t], h)
	}
	delta := make([]float64, s)
	for t := len(xs) - 1; t >= 0; t-- {
		for i := range s {
			delta[i] += dLds[t][i]
		}
		d := steps[t]
		for row := range s {
			for col := range p {
				grads.Cell[col] += delta[row] * d.Imm[row][col]
			}
		}
		prev := make([]float64, s)
		for row := range s {
			for k := range s {
				prev[k] += d.J[row][k] * delta[row]
			}
		}
		delta = prev
	}
	return grads
}
