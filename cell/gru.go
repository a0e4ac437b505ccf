package cell

import "github.com/chronograd/chronograd/kernels"

// GRU, PyTorch's nn.GRU (gate order r, z, n):
//
//	r = σ(W_ir x + b_ir + W_hr h + b_hr)
//	z = σ(W_iz x + b_iz + W_hz h + b_hz)
//	n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//	h' = (1-z) ⊙ n + z ⊙ h
//
// The cache keeps r, z, n and W_hn h + b_hn.

// forwardGRU finishes the step whose input pre-activations W_ih x + b_ih are in k.gates
// (see inputPart); the gates overwrite them.
func (c *rnnCell) forwardGRU(k *Cache, next []float32) {
	h := c.lay.Hidden
	copy(c.preIH, k.gates)
	copy(c.preHH, c.bhh)
	kernels.MatVecAdd(c.preHH, c.whh, k.prev)
	r, z, n := k.gates[:h], k.gates[h:2*h], k.gates[2*h:3*h]
	hn := k.aux
	// The activations run over whole gate blocks (r and z are adjacent).
	rz := k.gates[:2*h]
	kernels.Add(rz, c.preIH[:2*h], c.preHH[:2*h])
	kernels.Sigmoid(rz, rz)
	for u := range h {
		hn[u] = c.preHH[2*h+u]
		n[u] = c.preIH[2*h+u] + r[u]*hn[u]
	}
	kernels.Tanh(n, n)
	for u := range h {
		next[u] = (1-z[u])*n[u] + z[u]*k.prev[u]
	}
}

func (c *rnnCell) coefGRU(k *Cache, coefIH, coefHH []float32) {
	for u := range c.lay.Hidden {
		cr, cz, dn, r := gruDerivs(k, c.lay.Hidden, u)
		coefIH[3*u], coefHH[3*u] = cr, cr
		coefIH[3*u+1], coefHH[3*u+1] = cz, cz
		coefIH[3*u+2], coefHH[3*u+2] = dn, dn*r // r scales only the hh term of n
	}
}

// gruDerivs returns unit u's ∂h'/∂ of the r, z and n pre-activations, and r: the one
// place these formulas live (coefGRU and gateGradients read them).
func gruDerivs(k *Cache, h, u int) (cr, cz, dn, r float32) {
	r, z, n := k.gates[u], k.gates[h+u], k.gates[2*h+u]
	dn = (1 - z) * (1 - n*n)
	cr = dn * k.aux[u] * r * (1 - r) // aux: W_hn h + b_hn
	cz = (k.prev[u] - n) * z * (1 - z)
	return cr, cz, dn, r
}
