package ref

// Head is a float64 linear readout ŷ = W·h + B with W row-major [len(B), H].
type Head struct{ W, B []float64 }

// Grads is a sequence's total loss Σ_t ½‖ŷ_t − y_t‖² and its gradients with respect to
// the cell's parameters (the cell's layout) and the head's ([W; B]).
type Grads struct {
	Loss       float64
	Cell, Head []float64
}

// Influence names how a forward-mode reference propagates the influence matrix.
type Influence int

const (
	// Exact is RTRL: M_t = J_t·M_{t-1} + Ī_t.
	Exact Influence = iota
	// SnAp1 keeps M_t only where Ī_t can be non-zero (parameter p of gate row k·H+u on
	// unit u's state rows): M_t = (J_t·M_{t-1} + Ī_t) ⊙ mask.
	SnAp1
	// DirectOnly replaces J_t by its part that does not pass through weight_hh_l0:
	// RFLO for the vanilla cell, e-prop for the LSTM.
	DirectOnly
)

// stepLoss adds the step's loss and head gradient into g and returns ∂L_t/∂s_t.
func stepLoss(g *Grads, head Head, s, y []float64, h int) []float64 {
	dLds := make([]float64, len(s))
	if y == nil {
		return dLds
	}
	hs := s[:h]
	yhat := Linear(head.W, head.B, hs)
	g.Loss += SquaredError(yhat, y)
	out := len(head.B)
	for o := range out {
		e := yhat[o] - y[o]
		for j := range h {
			g.Head[o*h+j] += e * hs[j]
			dLds[j] += head.W[o*h+j] * e
		}
		g.Head[out*h+o] += e
	}
	return dLds
}

// RTRL is float64 forward-mode credit assignment with dense matrices: for each step the
// influence matrix is updated as inf says, then ∂L/∂θ += (∂L_t/∂s_t)ᵀ·M_t. A nil ys[t]
// is a step without a target.
func RTRL(c *Cell, head Head, s0 []float64, xs, ys [][]float64, inf Influence) Grads {
	h := c.H
	s := StateSize(c.Kind, h)
	p := NumParams(c.Kind, h, c.I)
	grads := Grads{Cell: make([]float64, p), Head: make([]float64, len(head.W)+len(head.B))}
	m := matrix(s, p)
	state := append([]float64(nil), s0...)
	for t, x := range xs {
		d := c.Derivs(state, x)
		state = d.Next
		jac := d.J
		if inf == DirectOnly {
			jac = d.Direct
		}
		next := matrix(s, p)
		for row := range s {
			for col := range p {
				v := d.Imm[row][col]
				for k := range s {
					v += jac[row][k] * m[k][col]
				}
				next[row][col] = v
			}
		}
		if inf == SnAp1 {
			for row := range s {
				for col := range p {
					if row%h != gateRowOf(c, col)%h {
						next[row][col] = 0
					}
				}
			}
		}
		m = next
		dLds := stepLoss(&grads, head, state, ys[t], h)
		for row := range s {
			for col := range p {
				grads.Cell[col] += dLds[row] * m[row][col]
			}
		}
	}
	return grads
}

// gateRowOf is the gate row k·H+u that parameter p belongs to.
func gateRowOf(c *Cell, p int) int {
	h, in, g := c.H, c.I, Gates(c.Kind)
	switch oWHH, oBIH, oBHH := g*h*in, g*h*(in+h), g*h*(in+h+1); {
	case p < oWHH:
		return p / in
	case p < oBIH:
		return (p - oWHH) / h
	case p < oBHH:
		return p - oBIH
	default:
		return p - oBHH
	}
}
