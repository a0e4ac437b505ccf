// Package ref holds float64 reference implementations, written as plain loops straight
// from the equations, used only by tests to check the float32 code (and, through central
// finite differences, its derivatives).
package ref

import (
	"fmt"
	"math"
)

// Cell is a float64 recurrent cell with chronograd's (PyTorch's) parameter layout:
// weight_ih_l0 [G·H, I], weight_hh_l0 [G·H, H], bias_ih_l0 [G·H], bias_hh_l0 [G·H],
// flattened in that order. Kind is rnn_tanh, rnn_relu, gru, lstm or orthogonal. The state
// is h, or [h; c] for lstm. For orthogonal, weight_hh_l0 holds M and the recurrent matrix
// is W = exp((M − Mᵀ)/2), or its Cayley transform when Cayley is set (see OrthoWeights),
// and bias_hh_l0 is modReLU's bias.
type Cell struct {
	Kind   string
	H, I   int
	Alpha  float64 // leak of the vanilla cells (1 = nn.RNN)
	Params []float64
	Cayley bool // orthogonal: W = (I + A)⁻¹(I − A) instead of exp(A)
}

// Gates is the number of H-row blocks of the weight matrices.
func Gates(kind string) int {
	switch kind {
	case "rnn_tanh", "rnn_relu", "orthogonal":
		return 1
	case "gru":
		return 3
	case "lstm":
		return 4
	}
	panic(fmt.Sprintf("ref: unknown cell kind %q", kind))
}

// NumParams is G·H·(I+H+2).
func NumParams(kind string, h, i int) int { return Gates(kind) * h * (i + h + 2) }

// StateSize is H, or 2H for lstm.
func StateSize(kind string, h int) int {
	if kind == "lstm" {
		return 2 * h
	}
	return h
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Step returns s_t for s_{t-1} = prev and x_t = x.
func (c *Cell) Step(prev, x []float64) []float64 {
	h, in, g := c.H, c.I, Gates(c.Kind)
	if len(prev) != StateSize(c.Kind, h) || len(x) != in || len(c.Params) != NumParams(c.Kind, h, in) {
		panic("ref: Step: size mismatch")
	}
	wih := c.Params[:g*h*in]
	whh := c.Params[g*h*in : g*h*(in+h)]
	bih := c.Params[g*h*(in+h) : g*h*(in+h+1)]
	bhh := c.Params[g*h*(in+h+1):]
	hp := prev[:h]
	if c.Kind == "orthogonal" {
		return c.orthogonalStep(hp, x)
	}
	// ai[r] = (W_ih x + b_ih)[r], ah[r] = (W_hh h + b_hh)[r]
	ai := make([]float64, g*h)
	ah := make([]float64, g*h)
	for r := 0; r < g*h; r++ {
		ai[r] = bih[r]
		for m := 0; m < in; m++ {
			ai[r] += wih[r*in+m] * x[m]
		}
		ah[r] = bhh[r]
		for m := 0; m < h; m++ {
			ah[r] += whh[r*h+m] * hp[m]
		}
	}
	next := make([]float64, len(prev))
	switch c.Kind {
	case "rnn_tanh", "rnn_relu":
		for u := 0; u < h; u++ {
			pre := ai[u] + ah[u]
			var phi float64
			if c.Kind == "rnn_tanh" {
				phi = math.Tanh(pre)
			} else {
				phi = math.Max(pre, 0)
			}
			next[u] = (1-c.Alpha)*prev[u] + c.Alpha*phi
		}
	case "gru":
		for u := 0; u < h; u++ {
			r := sigmoid(ai[u] + ah[u])
			z := sigmoid(ai[h+u] + ah[h+u])
			n := math.Tanh(ai[2*h+u] + r*ah[2*h+u])
			next[u] = (1-z)*n + z*hp[u]
		}
	case "lstm":
		for u := 0; u < h; u++ {
			i := sigmoid(ai[u] + ah[u])
			f := sigmoid(ai[h+u] + ah[h+u])
			gg := math.Tanh(ai[2*h+u] + ah[2*h+u])
			o := sigmoid(ai[3*h+u] + ah[3*h+u])
			cn := f*prev[h+u] + i*gg
			next[h+u] = cn
			next[u] = o * math.Tanh(cn)
		}
	default:
		panic(fmt.Sprintf("ref: unknown cell kind %q", c.Kind))
	}
	return next
}

// Run returns the states s_1..s_T for inputs xs[t] from s_0 = s0.
func (c *Cell) Run(s0 []float64, xs [][]float64) [][]float64 {
	out := make([][]float64, len(xs))
	s := s0
	for t, x := range xs {
		s = c.Step(s, x)
		out[t] = s
	}
	return out
}

// Gradient returns the central finite-difference gradient of f at p (p is restored).
func Gradient(f func() float64, p []float64, eps float64) []float64 {
	g := make([]float64, len(p))
	for i := range p {
		orig := p[i]
		p[i] = orig + eps
		fp := f()
		p[i] = orig - eps
		fm := f()
		p[i] = orig
		g[i] = (fp - fm) / (2 * eps)
	}
	return g
}

// Jacobian returns the central finite-difference Jacobian ∂f/∂p (len(f()) rows, len(p)
// columns, row-major) of a vector function f at p (p is restored).
func Jacobian(f func() []float64, p []float64, eps float64) [][]float64 {
	rows := len(f())
	jac := make([][]float64, rows)
	for r := range jac {
		jac[r] = make([]float64, len(p))
	}
	for i := range p {
		orig := p[i]
		p[i] = orig + eps
		fp := f()
		p[i] = orig - eps
		fm := f()
		p[i] = orig
		for r := range rows {
			jac[r][i] = (fp[r] - fm[r]) / (2 * eps)
		}
	}
	return jac
}

// Dot is the inner product of two equal-length vectors.
func Dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Linear returns W·h + b for W stored row-major as [len(b), len(h)].
func Linear(w, b, h []float64) []float64 {
	y := make([]float64, len(b))
	for o := range b {
		y[o] = b[o]
		for j := range h {
			y[o] += w[o*len(h)+j] * h[j]
		}
	}
	return y
}

// SquaredError is ½‖yhat − y‖².
func SquaredError(yhat, y []float64) float64 {
	var s float64
	for i := range y {
		d := yhat[i] - y[i]
		s += d * d
	}
	return s / 2
}

// SoftmaxCrossEntropy is −log(exp(z[class]) / Σ_k exp(z[k])), computed directly (the
// tests use moderate logits).
func SoftmaxCrossEntropy(z []float64, class int) float64 {
	var s float64
	for _, v := range z {
		s += math.Exp(v)
	}
	return math.Log(s) - z[class]
}
