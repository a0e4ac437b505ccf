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
func (e gru) forward(c *layer, k *Cache, next []float32) {
	if k.batch == 1 {
		copy(c.preHH, c.bhh)
	} else {
		broadcastRows(c.preHH, c.bhh, k.batch)
	}
	c.addRecurrent(c.preHH, k)
	c.forwardRest(e, k, next)
}

// forwardRange is forward's gates and state update on elements [lo, hi) of each block.
func (gru) forwardRange(c *layer, k *Cache, next []float32, lo, hi int) {
	h := k.block()
	// k.gates holds the input part of the pre-activations (W_ih x plus the input bias);
	// the gates overwrite it block by block once read. r and z are adjacent.
	r, z, n := k.gates[lo:hi], k.gates[h+lo:h+hi], k.gates[2*h+lo:2*h+hi]
	hn, pre := k.aux[lo:hi], c.preHH[2*h+lo:2*h+hi]
	kernels.Add(r, r, c.preHH[lo:hi])
	kernels.Add(z, z, c.preHH[h+lo:h+hi])
	sigmoidPair(k.gates, h, lo, hi)
	gruCandidateGo(hn, n, r, pre, gruCandidateSIMD(hn, n, r, pre))
	kernels.Tanh(n, n)
	st := next[lo:hi]
	gruStateGo(st, z, n, k.prev[lo:hi], gruStateSIMD(st, z, n, k.prev[lo:hi]))
}

// gruCandidateGo keeps W_hn h + b_hn of units [from, len(hn)) from pre in hn and adds
// r ⊙ hn into n, the candidate's pre-activation (on amd64 an avx2 routine takes eight units
// at a time before it, with the same roundings).
func gruCandidateGo(hn, n, r, pre []float32, from int) {
	hn = hn[from:]
	n, r, pre = n[from:][:len(hn)], r[from:][:len(hn)], pre[from:][:len(hn)]
	for u := range hn {
		hn[u] = pre[u]
		n[u] += r[u] * hn[u]
	}
}

// gruStateGo writes h' = (1 − z) ⊙ n + z ⊙ h of units [from, len(next)) (on amd64 an avx2
// routine takes eight units at a time before it, with the same roundings).
func gruStateGo(next, z, n, prev []float32, from int) {
	next = next[from:]
	z, n, prev = z[from:][:len(next)], n[from:][:len(next)], prev[from:][:len(next)]
	for u := range next {
		next[u] = (1-z[u])*n[u] + z[u]*prev[u]
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
// 5–10% of a step at n = 32. On amd64 eight units at a time go through an avx2 routine
// with the same roundings (8% of a minibatch step at n = 128, B = 32, before).
func (e gru) gateGradients(c *layer, k *Cache, v []float32) {
	e.gateGradientsRange(c, k, v, 0, k.block())
}

// gateGradientsRange is gateGradients on elements [lo, hi) of each block.
func (gru) gateGradientsRange(c *layer, k *Cache, v []float32, lo, hi int) {
	h := k.block()
	x, gi, gh := k.gates, c.gIH, c.gHH
	s := gruGradSlices{
		r: x[lo:hi], z: x[h+lo : h+hi], n: x[2*h+lo : 2*h+hi], aux: k.aux[lo:hi], prev: k.prev[lo:hi], v: v[lo:hi],
		ir: gi[lo:hi], iz: gi[h+lo : h+hi], in: gi[2*h+lo : 2*h+hi],
		hr: gh[lo:hi], hz: gh[h+lo : h+hi], hn: gh[2*h+lo : 2*h+hi],
	}
	gruGateGradsGo(&s, gruGateGradsSIMD(&s))
}

// gruGradSlices are gateGradients' operands, h values each: the gates r, z, n, the aux
// value W_hn h + b_hn, h_{t-1}, the state's adjoint v, and the six gate gradients it writes.
type gruGradSlices struct {
	r, z, n, aux, prev, v  []float32
	ir, iz, in, hr, hz, hn []float32
}

// gruGateGradsGo writes the gate gradients of units [from, h).
func gruGateGradsGo(s *gruGradSlices, from int) {
	vs := s.v[from:]
	// Every slice cut to len(vs) values, so that the loop runs without bounds checks.
	rg, zg, ng, aux, prev := s.r[from:][:len(vs)], s.z[from:][:len(vs)], s.n[from:][:len(vs)], s.aux[from:][:len(vs)], s.prev[from:][:len(vs)]
	ir, iz, in := s.ir[from:][:len(vs)], s.iz[from:][:len(vs)], s.in[from:][:len(vs)]
	hr, hz, hn := s.hr[from:][:len(vs)], s.hz[from:][:len(vs)], s.hn[from:][:len(vs)]
	for u, x := range vs {
		cr, cz, dn := gruUnitDerivs(rg[u], zg[u], ng[u], aux[u], prev[u])
		ir[u], hr[u] = x*cr, x*cr
		iz[u], hz[u] = x*cz, x*cz
		in[u], hn[u] = x*dn, x*(dn*rg[u])
	}
}

// gruDerivs returns unit u's ∂h'/∂ of the r, z and n pre-activations, and r.
func gruDerivs(k *Cache, h, u int) (cr, cz, dn, r float32) {
	r = k.gates[u]
	cr, cz, dn = gruUnitDerivs(r, k.gates[h+u], k.gates[2*h+u], k.aux[u], k.prev[u])
	return cr, cz, dn, r
}

// gruUnitDerivs is gruDerivs from a unit's gates r, z, n, its aux value W_hn h + b_hn and
// h_{t-1}: the one place these formulas live. It takes values so that it inlines.
func gruUnitDerivs(r, z, n, aux, prev float32) (cr, cz, dn float32) {
	dn = (1 - z) * (1 - n*n)
	cr = dn * aux * r * (1 - r)
	cz = (prev - n) * z * (1 - z)
	return cr, cz, dn
}

// D_t = diag(z): h' = ... + z ⊙ h.
func (e gru) directVJP(c *layer, k *Cache, dPrev, dNext []float32) {
	e.directVJPRange(c, k, dPrev, dNext, 0, k.block())
}

// directVJPRange is directVJP on elements [lo, hi).
func (gru) directVJPRange(_ *layer, k *Cache, dPrev, dNext []float32, lo, hi int) {
	h := k.block()
	kernels.Mul(dPrev[lo:hi], dNext[lo:hi], k.gates[h+lo:h+hi])
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
