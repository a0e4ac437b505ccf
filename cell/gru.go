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

func init() {
	register(GRU, kindSpec{name: "gru", gates: 3, stateFactor: 1, eq: gru{}})
}

type gru struct{}

// b_hh stays apart from b_ih: r multiplies W_hn h + b_hn.
func (gru) inputBias(c *layer, dst []float32, r0, r1, b int) {
	if b == 1 {
		copy(dst, c.bih[r0:r1])
		return
	}
	broadcastRows(dst, c.bih[r0:r1], b)
}

// forward finishes the step whose input pre-activations W_ih x + b_ih are in k.gates; the
// gates overwrite them.
func (gru) forward(c *layer, k *Cache, next []float32) {
	h := k.block()
	copy(c.preIH, k.gates)
	if k.batch == 1 {
		copy(c.preHH, c.bhh)
	} else {
		broadcastRows(c.preHH, c.bhh, k.batch)
	}
	c.addRecurrent(c.preHH, k)
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

func (gru) coefficients(c *layer, k *Cache, coefIH, coefHH []float32) {
	for u := range c.lay.Hidden {
		cr, cz, dn, r := gruDerivs(k, c.lay.Hidden, u)
		coefIH[3*u], coefHH[3*u] = cr, cr
		coefIH[3*u+1], coefHH[3*u+1] = cz, cz
		coefIH[3*u+2], coefHH[3*u+2] = dn, dn*r // r scales only the hh term of n
	}
}

// gateGradients takes each unit's derivatives straight from gruDerivs rather than
// through the coefficient arrays: it runs in every backward step, and the detour cost
// 5–10% of a step at n = 32.
func (gru) gateGradients(c *layer, k *Cache, v []float32) {
	h := k.block()
	gIH, gHH := c.gIH, c.gHH
	for u, vs := range v[:h] {
		cr, cz, dn, r := gruDerivs(k, h, u)
		gIH[u], gHH[u] = vs*cr, vs*cr
		gIH[h+u], gHH[h+u] = vs*cz, vs*cz
		gIH[2*h+u], gHH[2*h+u] = vs*dn, vs*(dn*r)
	}
}

// gruDerivs returns unit u's ∂h'/∂ of the r, z and n pre-activations, and r: the one
// place these formulas live.
func gruDerivs(k *Cache, h, u int) (cr, cz, dn, r float32) {
	r, z, n := k.gates[u], k.gates[h+u], k.gates[2*h+u]
	dn = (1 - z) * (1 - n*n)
	cr = dn * k.aux[u] * r * (1 - r) // aux: W_hn h + b_hn
	cz = (k.prev[u] - n) * z * (1 - z)
	return cr, cz, dn, r
}

// D_t = diag(z): h' = ... + z ⊙ h.
func (gru) directVJP(c *layer, k *Cache, dPrev, dNext []float32) {
	h := k.block()
	z := k.gates[h : 2*h]
	kernels.Mul(dPrev, dNext, z)
}

func (gru) directJacobian(c *layer, k *Cache, j kernels.Mat) {
	h := c.lay.Hidden
	for u := range h {
		j.Data[u*j.Stride+u] += k.gates[h+u]
	}
}

func (gru) stateJVP(c *layer, k *Cache, out, v, wv []float32) {
	h := c.lay.Hidden
	z := k.gates[h : 2*h]
	for u := range h {
		cf := c.coefHH[3*u : 3*u+3]
		out[u] = z[u]*v[u] + cf[0]*wv[u] + cf[1]*wv[h+u] + cf[2]*wv[2*h+u]
	}
}

func (gru) unitDirect(c *layer, k *Cache, u int, blk []float32) {
	blk[0] += k.gates[c.lay.Hidden+u]
}

// GRUHiddenN is GRU's W_hn h_{t-1} + b_hn, the term r multiplies (nil for other kinds).
func (c *Cache) GRUHiddenN() []float32 {
	if c.kind == GRU {
		return c.aux
	}
	return nil
}
