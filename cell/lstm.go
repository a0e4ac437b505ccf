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

// forwardLSTM finishes the step whose input part of the pre-activations (W_ih x + b_ih
// + b_hh) is in k.gates (see inputPart); the gates overwrite it.
func (c *rnnCell) forwardLSTM(k *Cache, next []float32) {
	h := c.lay.Hidden
	pre := c.preIH
	copy(pre, k.gates)
	kernels.MatVecAdd(pre, c.whh, k.prev[:h])
	ig, fg, gg, og := k.gates[:h], k.gates[h:2*h], k.gates[2*h:3*h], k.gates[3*h:]
	cPrev := k.prev[h:]
	tc := k.aux
	// The activations run over whole gate blocks (i and f are adjacent).
	kernels.Sigmoid(k.gates[:2*h], pre[:2*h])
	kernels.Tanh(gg, pre[2*h:3*h])
	kernels.Sigmoid(og, pre[3*h:4*h])
	for u := range h {
		cNew := fg[u]*cPrev[u] + ig[u]*gg[u]
		tc[u] = cNew
		next[h+u] = cNew
	}
	kernels.Tanh(tc, tc)
	kernels.Mul(next[:h], og, tc)
}

func (c *rnnCell) coefLSTM(k *Cache, coefIH, coefHH []float32) {
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

// lstmDerivs returns, from unit u's gates i, f, g, o, tc = tanh(c') and c = c_{t-1}, its
// ∂c'/∂ of the i, f and g pre-activations, ∂h'/∂c' and ∂h'/∂ of o's pre-activation: the
// one place these formulas live (coefLSTM and gateGradients read them). It takes values,
// not the cache, so that it inlines.
func lstmDerivs(i, f, g, o, tc, c float32) (di, df, dg, dhdc, do float32) {
	return g * i * (1 - i), c * f * (1 - f), i * (1 - g*g), o * (1 - tc*tc), tc * o * (1 - o)
}
