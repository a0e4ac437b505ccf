package ref

import "math"

// StepDerivs is one step of a cell with its analytic derivatives, dense and in float64.
type StepDerivs struct {
	Next []float64 // s_t
	// J is ∂s_t/∂s_{t-1} (S×S) and Direct the part of it that does not pass through
	// weight_hh_l0: the leak (1−α)·I, GRU's z ⊙ h_{t-1}, LSTM's f ⊙ c_{t-1}.
	J, Direct [][]float64
	// Imm is the immediate Jacobian Ī_t = ∂s_t/∂θ at fixed s_{t-1} (S×P).
	Imm [][]float64
}

// Derivs runs one step from prev with input x and returns s_t, J_t and Ī_t, written
// straight from the equations (every kind's chain rule by hand; the tests check them
// against finite differences of Step).
func (c *Cell) Derivs(prev, x []float64) StepDerivs {
	h, in, g := c.H, c.I, Gates(c.Kind)
	s := StateSize(c.Kind, h)
	p := NumParams(c.Kind, h, in)
	if len(prev) != s || len(x) != in || len(c.Params) != p {
		panic("ref: Derivs: size mismatch")
	}
	if c.Kind == "orthogonal" {
		panic("ref: Derivs: not written for the orthogonal cell (its tests use finite differences of Step)")
	}
	oWHH, oBIH, oBHH := g*h*in, g*h*(in+h), g*h*(in+h+1)
	whh := c.Params[oWHH:oBIH]
	hp := prev[:h]
	ai := make([]float64, g*h)
	ah := make([]float64, g*h)
	for r := range g * h {
		ai[r] = c.Params[oBIH+r]
		for m := range in {
			ai[r] += c.Params[r*in+m] * x[m]
		}
		ah[r] = c.Params[oBHH+r]
		for m := range h {
			ah[r] += whh[r*h+m] * hp[m]
		}
	}
	// dIH[s][r] = ∂s_t[s]/∂ai[r], dHH[s][r] = ∂s_t[s]/∂ah[r]: the pre-activation
	// gradients through which every parameter acts.
	dIH, dHH := matrix(s, g*h), matrix(s, g*h)
	direct := matrix(s, s)
	next := make([]float64, s)
	switch c.Kind {
	case "rnn_tanh", "rnn_relu":
		for u := range h {
			pre := ai[u] + ah[u]
			var phi, dphi float64
			if c.Kind == "rnn_tanh" {
				phi = math.Tanh(pre)
				dphi = 1 - phi*phi
			} else if pre > 0 {
				phi, dphi = pre, 1
			}
			next[u] = (1-c.Alpha)*prev[u] + c.Alpha*phi
			dIH[u][u] = c.Alpha * dphi
			dHH[u][u] = c.Alpha * dphi
			direct[u][u] = 1 - c.Alpha
		}
	case "gru":
		for u := range h {
			r := sigmoid(ai[u] + ah[u])
			z := sigmoid(ai[h+u] + ah[h+u])
			n := math.Tanh(ai[2*h+u] + r*ah[2*h+u])
			next[u] = (1-z)*n + z*hp[u]
			dn := (1 - z) * (1 - n*n)          // ∂h_t/∂(n's pre-activation)
			dr := dn * ah[2*h+u] * r * (1 - r) // through r ⊙ (W_hn h + b_hn)
			dz := (hp[u] - n) * z * (1 - z)
			dIH[u][u], dHH[u][u] = dr, dr
			dIH[u][h+u], dHH[u][h+u] = dz, dz
			dIH[u][2*h+u], dHH[u][2*h+u] = dn, dn*r
			direct[u][u] = z
		}
	case "lstm":
		for u := range h {
			i := sigmoid(ai[u] + ah[u])
			f := sigmoid(ai[h+u] + ah[h+u])
			gg := math.Tanh(ai[2*h+u] + ah[2*h+u])
			o := sigmoid(ai[3*h+u] + ah[3*h+u])
			cp := prev[h+u]
			cn := f*cp + i*gg
			tc := math.Tanh(cn)
			next[h+u] = cn
			next[u] = o * tc
			dhdc := o * (1 - tc*tc)
			dc := [4]float64{gg * i * (1 - i), cp * f * (1 - f), i * (1 - gg*gg), 0}
			for k, d := range dc {
				dIH[h+u][k*h+u] = d
				dIH[u][k*h+u] = dhdc * d
			}
			dIH[u][3*h+u] = tc * o * (1 - o)
			copy(dHH[u], dIH[u])
			copy(dHH[h+u], dIH[h+u])
			direct[h+u][h+u] = f
			direct[u][h+u] = dhdc * f
		}
	default:
		panic("ref: unknown cell kind " + c.Kind)
	}
	j := matrix(s, s)
	imm := matrix(s, p)
	for row := range s {
		for col := range s {
			j[row][col] = direct[row][col]
		}
		for r := range g * h {
			if dHH[row][r] != 0 {
				for m := range h {
					j[row][m] += dHH[row][r] * whh[r*h+m]
				}
			}
			for m := range in {
				imm[row][r*in+m] = dIH[row][r] * x[m]
			}
			for m := range h {
				imm[row][oWHH+r*h+m] = dHH[row][r] * hp[m]
			}
			imm[row][oBIH+r] = dIH[row][r]
			imm[row][oBHH+r] = dHH[row][r]
		}
	}
	return StepDerivs{Next: next, J: j, Direct: direct, Imm: imm}
}

func matrix(rows, cols int) [][]float64 {
	m := make([][]float64, rows)
	for i := range m {
		m[i] = make([]float64, cols)
	}
	return m
}
