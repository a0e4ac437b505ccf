package cell

import "github.com/chronograd/chronograd/kernels"

// LSTM, PyTorch's nn.LSTM (gate order i, f, g, o), state s = [h; c]:
//
//	a = W_ih x + b_ih + W_hh h + b_hh
//	i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
//	c' = f ⊙ c + i ⊙ g
//	h' = o ⊙ tanh(c')
//
// The cache keeps i, f, g, o and tanh(c'); c is in the cache's copy of s_{t-1}.

func init() {
	register(LSTM, kindSpec{name: "lstm", gates: 4, stateFactor: 2, eq: lstm{}})
}

type lstm struct{}

// The two bias vectors enter a together.
func (lstm) inputBias(c *layer, dst []float32, r0, r1, b int) {
	addBiases(c, dst, r0, r1, b)
}

// forward finishes the step whose input part of the pre-activations (W_ih x + b_ih +
// b_hh) is in k.gates; the gates overwrite it.
func (l lstm) forward(c *layer, k *Cache, next []float32) {
	// The pre-activations are the input part plus W_hh·h_{t-1}, added in place: the
	// activations then overwrite them with the gates the backward step reads.
	c.addRecurrent(k.gates, k)
	c.forwardRest(l, k, next)
}

// forwardRange is forward's activations and state update on elements [lo, hi) of each
// block.
func (lstm) forwardRange(_ *layer, k *Cache, next []float32, lo, hi int) {
	h := k.block()
	ig, fg, gg, og := k.gates[lo:hi], k.gates[h+lo:h+hi], k.gates[2*h+lo:2*h+hi], k.gates[3*h+lo:3*h+hi]
	cPrev, nc := k.prev[h+lo:h+hi], next[h+lo:h+hi]
	tc := k.aux[lo:hi]
	sigmoidPair(k.gates, h, lo, hi) // i and f are adjacent
	kernels.Tanh(gg, gg)
	kernels.Sigmoid(og, og)
	lstmCellGo(tc, nc, fg, cPrev, ig, gg, lstmCellSIMD(tc, nc, fg, cPrev, ig, gg))
	kernels.Tanh(tc, tc)
	kernels.Mul(next[lo:hi], og, tc)
}

// lstmCellGo writes c' = f ⊙ c + i ⊙ g of units [from, len(tc)) into tc and nc (on amd64
// an avx2 routine takes eight units at a time before it, with the same roundings).
func lstmCellGo(tc, nc, f, c, i, g []float32, from int) {
	tc = tc[from:]
	nc, f, c, i, g = nc[from:][:len(tc)], f[from:][:len(tc)], c[from:][:len(tc)], i[from:][:len(tc)], g[from:][:len(tc)]
	for u := range tc {
		cNew := f[u]*c[u] + i[u]*g[u]
		tc[u] = cNew
		nc[u] = cNew
	}
}

func (lstm) coefficients(c *layer, k *Cache, coefIH, coefHH []float32) {
	h := c.lay.Hidden
	ig, fg, gg, og := k.gates[:h], k.gates[h:2*h], k.gates[2*h:3*h], k.gates[3*h:4*h]
	tc, cPrev := k.aux[:h], k.prev[h:2*h]
	for u := range h {
		di, df, dg, dhdc, do := lstmDerivs(ig[u], fg[u], gg[u], og[u], tc[u], cPrev[u])
		hrow := coefIH[4*u : 4*u+4]
		hrow[0], hrow[1], hrow[2], hrow[3] = dhdc*di, dhdc*df, dhdc*dg, do
		crow := coefIH[4*(h+u) : 4*(h+u)+4]
		crow[0], crow[1], crow[2], crow[3] = di, df, dg, 0
	}
	copy(coefHH, coefIH)
}

// gateGradients takes each unit's derivatives straight from lstmDerivs rather than
// through the coefficient arrays: it runs in every backward step, and the detour cost
// 5–10% of a step at n = 32. On amd64 eight units at a time go through an avx2 routine
// with the same roundings (8% of a minibatch step at n = 128, B = 32, before).
func (l lstm) gateGradients(c *layer, k *Cache, v []float32) {
	l.gateGradientsRange(c, k, v, 0, k.block())
}

// gateGradientsRange is gateGradients on elements [lo, hi) of each block.
func (lstm) gateGradientsRange(c *layer, k *Cache, v []float32, lo, hi int) {
	h := k.block()
	g, x := c.gIH, k.gates
	s := lstmGradSlices{
		i: x[lo:hi], f: x[h+lo : h+hi], g: x[2*h+lo : 2*h+hi], o: x[3*h+lo : 3*h+hi],
		tc: k.aux[lo:hi], c: k.prev[h+lo : h+hi], vh: v[lo:hi], vc: v[h+lo : h+hi],
		gi: g[lo:hi], gf: g[h+lo : h+hi], gc: g[2*h+lo : 2*h+hi], gout: g[3*h+lo : 3*h+hi],
	}
	lstmGateGradsGo(&s, lstmGateGradsSIMD(&s))
}

// lstmGradSlices are gateGradients' operands, h values each: the gates i, f, g, o, tanh(c')
// and c_{t-1}, the state's adjoint (vh, vc), and the four gate gradients it writes.
type lstmGradSlices struct {
	i, f, g, o, tc, c, vh, vc []float32
	gi, gf, gc, gout          []float32
}

// lstmGateGradsGo writes the gate gradients of units [from, h).
func lstmGateGradsGo(s *lstmGradSlices, from int) {
	ig := s.i[from:]
	// Every slice cut to len(ig) values, so that the loop runs without bounds checks.
	fg, gg, og, tc, cPrev := s.f[from:][:len(ig)], s.g[from:][:len(ig)], s.o[from:][:len(ig)], s.tc[from:][:len(ig)], s.c[from:][:len(ig)]
	vh, vc := s.vh[from:][:len(ig)], s.vc[from:][:len(ig)]
	gi, gf, gc, gout := s.gi[from:][:len(ig)], s.gf[from:][:len(ig)], s.gc[from:][:len(ig)], s.gout[from:][:len(ig)]
	for u, i := range ig {
		di, df, dg, dhdc, do := lstmDerivs(i, fg[u], gg[u], og[u], tc[u], cPrev[u])
		gi[u] = vh[u]*(dhdc*di) + vc[u]*di
		gf[u] = vh[u]*(dhdc*df) + vc[u]*df
		gc[u] = vh[u]*(dhdc*dg) + vc[u]*dg
		gout[u] = vh[u] * do
	}
}

// lstmDerivs returns, from unit u's gates i, f, g, o, tc = tanh(c') and c = c_{t-1}, its
// ∂c'/∂ of the i, f and g pre-activations, ∂h'/∂c' and ∂h'/∂ of o's pre-activation: the
// one place these formulas live. It takes values, not the cache, so that it inlines.
func lstmDerivs(i, f, g, o, tc, c float32) (di, df, dg, dhdc, do float32) {
	return g * i * (1 - i), c * f * (1 - f), i * (1 - g*g), o * (1 - tc*tc), tc * o * (1 - o)
}

// c_t = f ⊙ c_{t-1} + ..., h_t = o ⊙ tanh(c_t): c_{t-1} reaches both directly; h_{t-1}
// enters only through W_hh. On amd64 eight units at a time go through an avx2 routine with
// the same roundings (the scalar loop was 3% of a minibatch step at n = 128, B = 32).
func (l lstm) directVJP(c *layer, k *Cache, dPrev, dNext []float32) {
	l.directVJPRange(c, k, dPrev, dNext, 0, k.block())
}

// directVJPRange is directVJP on elements [lo, hi) of each block.
func (lstm) directVJPRange(_ *layer, k *Cache, dPrev, dNext []float32, lo, hi int) {
	h := k.block()
	s := lstmDirectSlices{
		f: k.gates[h+lo : h+hi], o: k.gates[3*h+lo : 3*h+hi], tc: k.aux[lo:hi],
		vh: dNext[lo:hi], vc: dNext[h+lo : h+hi], dh: dPrev[lo:hi], dc: dPrev[h+lo : h+hi],
	}
	lstmDirectVJPGo(&s, lstmDirectVJPSIMD(&s))
}

// lstmDirectSlices are directVJP's operands, h values each: the gates f and o, tanh(c'),
// the adjoint of the state (vh, vc) and the adjoint of the previous state it writes (dh,
// dc), which may alias vh and vc.
type lstmDirectSlices struct {
	f, o, tc, vh, vc, dh, dc []float32
}

// lstmDirectVJPGo writes the direct VJP of units [from, h).
func lstmDirectVJPGo(s *lstmDirectSlices, from int) {
	f := s.f[from:]
	o, tc, vh, vc := s.o[from:][:len(f)], s.tc[from:][:len(f)], s.vh[from:][:len(f)], s.vc[from:][:len(f)]
	dh, dc := s.dh[from:][:len(f)], s.dc[from:][:len(f)]
	for u, fu := range f {
		x, y, t := vh[u], vc[u], tc[u]
		dc[u] = fu * (y + x*o[u]*(1-t*t))
		dh[u] = 0
	}
}

func (lstm) directJacobian(c *layer, k *Cache, j kernels.Mat) {
	h := c.lay.Hidden
	f, o := k.gates[h:2*h], k.gates[3*h:4*h]
	for u := range h {
		tc := k.aux[u]
		j.Data[u*j.Stride+h+u] += o[u] * (1 - tc*tc) * f[u]
		j.Data[(h+u)*j.Stride+h+u] += f[u]
	}
}

func (lstm) stateJVP(c *layer, k *Cache, out, v, wv []float32) {
	h, g := c.lay.Hidden, c.lay.Gates
	f, o := k.gates[h:2*h], k.gates[3*h:4*h]
	for u := range h {
		vc := v[h+u]
		tc := k.aux[u]
		ch := c.coefHH[4*u : 4*u+4]
		cc := c.coefHH[4*(h+u) : 4*(h+u)+4]
		var sh, sc float32
		for gate := range g {
			sh += ch[gate] * wv[gate*h+u]
			sc += cc[gate] * wv[gate*h+u]
		}
		out[u] = sh + o[u]*(1-tc*tc)*f[u]*vc
		out[h+u] = sc + f[u]*vc
	}
}

func (lstm) unitDirect(c *layer, k *Cache, u int, blk []float32) {
	h := c.lay.Hidden
	f, o, tc := k.gates[h+u], k.gates[3*h+u], k.aux[u]
	blk[1] += o * (1 - tc*tc) * f
	blk[3] += f
}

// CellTanh is LSTM's tanh(c_t) (nil for other kinds).
func (c *Cache) CellTanh() []float32 {
	if c.kind == LSTM {
		return c.aux
	}
	return nil
}
