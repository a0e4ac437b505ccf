package cell

import "github.com/chronograd/chronograd/kernels"

// Vanilla (leaky) RNN, PyTorch's nn.RNN when α = 1:
//
//	u_t = W_ih x_t + b_ih + W_hh s_{t-1} + b_hh
//	s_t = (1-α)·s_{t-1} + α·φ(u_t),  φ = tanh (rnn_tanh) or ReLU (rnn_relu)
//
// The cache keeps u_t and φ'(u_t) (RFLO's eligibility traces read both). ReLU's
// derivative at 0 is 0, as in PyTorch.

func init() {
	register(RNNTanh, kindSpec{name: "rnn_tanh", gates: 1, stateFactor: 1, leaky: true, eq: vanilla{relu: false}})
	register(RNNReLU, kindSpec{name: "rnn_relu", gates: 1, stateFactor: 1, leaky: true, eq: vanilla{relu: true}})
}

// vanilla holds the equations of both vanilla kinds; relu selects φ.
type vanilla struct{ relu bool }

// The two bias vectors enter u_t together.
func (vanilla) inputBias(c *layer, dst []float32, r0, r1, b int) {
	addBiases(c, dst, r0, r1, b)
}

// addBiases writes b_ih + b_hh, each row b times.
func addBiases(c *layer, dst []float32, r0, r1, b int) {
	if b == 1 {
		kernels.Add(dst, c.bih[r0:r1], c.bhh[r0:r1])
		return
	}
	// preIH is scratch that no caller of inputPart holds (Forward, ProjectInputs).
	sum := c.preIH[:r1-r0]
	kernels.Add(sum, c.bih[r0:r1], c.bhh[r0:r1])
	broadcastRows(dst, sum, b)
}

func (v vanilla) forward(c *layer, k *Cache, next []float32) {
	c.addRecurrent(k.gates, k)
	c.forwardRest(v, k, next)
}

// forwardRange is forward's activation and leaky update on elements [lo, hi).
func (v vanilla) forwardRange(c *layer, k *Cache, next []float32, lo, hi int) {
	u, deriv, prev := k.gates[lo:hi], k.aux[lo:hi], k.prev[lo:hi]
	next = next[lo:hi]
	a, beta := c.alpha, 1-c.alpha
	if !v.relu {
		kernels.Tanh(deriv, u) // φ(u), overwritten with φ'(u) below
		vanillaTanhStepGo(deriv, next, prev, a, beta, vanillaTanhStepSIMD(deriv, next, prev, a, beta))
		return
	}
	for i, ui := range u {
		phi, d := float32(0), float32(0)
		if ui > 0 { // PyTorch's ReLU has derivative 0 at 0
			phi, d = ui, 1
		}
		deriv[i] = d
		next[i] = beta*prev[i] + a*phi
	}
}

// vanillaTanhStepGo finishes the tanh step of units [from, len(deriv)) from φ = tanh(u)
// in deriv: φ'(u) = 1 − φ² into deriv and the leaky state β·s_{t-1} + α·φ into next. On
// amd64 eight units at a time go through an avx2 routine with the same roundings (the
// scalar loop was 5% of a minibatch step at n = 128, B = 32).
func vanillaTanhStepGo(deriv, next, prev []float32, a, beta float32, from int) {
	deriv = deriv[from:]
	next, prev = next[from:][:len(deriv)], prev[from:][:len(deriv)]
	for i, phi := range deriv {
		deriv[i] = 1 - phi*phi
		next[i] = beta*prev[i] + a*phi
	}
}

// ∂s_t[u]/∂u_t[u] = α·φ'(u_t[u]), for the ih and hh parameters alike.
func (vanilla) coefficients(c *layer, k *Cache, coefIH, coefHH []float32) {
	for i, d := range k.aux {
		coefIH[i] = c.alpha * d
		coefHH[i] = c.alpha * d
	}
}

// gateGradients sets g = v ⊙ (α·φ'(u)) with the SIMD kernels, the same two roundings per
// element as the scalar loop, at a fraction of its cost on a minibatch's blocks. Without
// a leak (α = 1, PyTorch's nn.RNN) α·φ'(u) is φ'(u) exactly, and one pass does it.
func (e vanilla) gateGradients(c *layer, k *Cache, v []float32) {
	e.gateGradientsRange(c, k, v, 0, k.block())
}

// gateGradientsRange is gateGradients on elements [lo, hi).
func (vanilla) gateGradientsRange(c *layer, k *Cache, v []float32, lo, hi int) {
	g := c.gIH[lo:hi]
	if c.alpha == 1 {
		kernels.Mul(g, v[lo:hi], k.aux[lo:hi])
		return
	}
	copy(g, k.aux[lo:hi])
	kernels.Scale(c.alpha, g)
	kernels.Mul(g, v[lo:hi], g)
}

// D_t = (1-α)·I: s_t = (1-α)·s_{t-1} + ...
func (e vanilla) directVJP(c *layer, k *Cache, dPrev, dNext []float32) {
	e.directVJPRange(c, k, dPrev, dNext, 0, len(dNext))
}

// directVJPRange is directVJP on elements [lo, hi).
func (vanilla) directVJPRange(c *layer, _ *Cache, dPrev, dNext []float32, lo, hi int) {
	copy(dPrev[lo:hi], dNext[lo:hi])
	kernels.Scale(1-c.alpha, dPrev[lo:hi])
}

func (vanilla) directJacobian(c *layer, _ *Cache, j kernels.Mat) {
	for u := range c.lay.Hidden {
		j.Data[u*j.Stride+u] += 1 - c.alpha
	}
}

func (vanilla) stateJVP(c *layer, _ *Cache, out, v, wv []float32) {
	beta := 1 - c.alpha
	for u := range c.lay.Hidden {
		out[u] = beta*v[u] + c.coefHH[u]*wv[u]
	}
}

func (vanilla) unitDirect(c *layer, _ *Cache, _ int, blk []float32) { blk[0] += 1 - c.alpha }

// PreActivation is the vanilla cell's u = W_ih x_t + b_ih + W_hh s_{t-1} + b_hh (nil for
// the other kinds).
func (c *Cache) PreActivation() []float32 {
	if c.kind.IsVanilla() {
		return c.gates
	}
	return nil
}

// ActivationDeriv is the vanilla cell's φ'(u) (nil for the other kinds). ReLU's
// derivative at 0 is 0, as in PyTorch.
func (c *Cache) ActivationDeriv() []float32 {
	if c.kind.IsVanilla() {
		return c.aux
	}
	return nil
}
