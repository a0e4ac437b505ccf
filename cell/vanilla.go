package cell

import "github.com/chronograd/chronograd/kernels"

// Vanilla (leaky) RNN, PyTorch's nn.RNN when α = 1:
//
//	u_t = W_ih x_t + b_ih + W_hh s_{t-1} + b_hh
//	s_t = (1-α)·s_{t-1} + α·φ(u_t),  φ = tanh or ReLU
//
// The cache keeps u_t and φ'(u_t) (RFLO's eligibility traces read both).

// forwardVanilla finishes the step whose input part of u_t (W_ih x_t + b_ih + b_hh) is
// already in k.gates (see inputPart).
func (c *rnnCell) forwardVanilla(k *Cache, next []float32) {
	u, deriv := k.gates, k.aux
	kernels.MatVecAdd(u, c.whh, k.prev)
	a, beta := c.alpha, 1-c.alpha
	if c.lay.Kind == RNNTanh {
		kernels.Tanh(deriv, u) // φ(u), overwritten with φ'(u) below
		for i, phi := range deriv {
			deriv[i] = 1 - phi*phi
			next[i] = beta*k.prev[i] + a*phi
		}
		return
	}
	for i, ui := range u {
		phi, d := float32(0), float32(0)
		if ui > 0 { // PyTorch's ReLU has derivative 0 at 0
			phi, d = ui, 1
		}
		deriv[i] = d
		next[i] = beta*k.prev[i] + a*phi
	}
}

// ∂s_t[u]/∂u_t[u] = α·φ'(u_t[u]), for the ih and hh parameters alike.
func (c *rnnCell) coefVanilla(k *Cache, coefIH, coefHH []float32) {
	for i, d := range k.aux {
		coefIH[i] = c.alpha * d
		coefHH[i] = c.alpha * d
	}
}
