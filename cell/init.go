package cell

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chronograd/chronograd/internal/expm"
)

// InitDefault draws every parameter from U(-1/√H, 1/√H), PyTorch's reset_parameters for
// nn.RNN, nn.GRU and nn.LSTM, taking its numbers from rng (a math/rand/v2 generator).
// (For an orthogonal cell, weight_hh_l0's skew-symmetric part becomes A; InitHenaff is
// expRNN's initialisation.) The entries a mask drops from W_hh (see SetRecurrentMask) stay
// zero, as after every initialiser here.
func InitDefault(c Cell, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(c.HiddenSize()))
	uniform(c.Params(), bound, rng)
	enforceMask(c)
	paramsChanged(c)
}

// paramsChanged tells c that an initialiser wrote its parameters; an initialiser's
// parameters are finite and moderate, so the orthogonal cell's W always exists.
func paramsChanged(c Cell) {
	if err := c.ParamsChanged(); err != nil {
		panic(fmt.Sprintf("cell: after initialising %v: %v", c.Kind(), err))
	}
}

func uniform(p []float32, bound float64, rng *rand.Rand) {
	for i := range p {
		p[i] = float32((2*rng.Float64() - 1) * bound)
	}
}

// InitOrthogonal is InitDefault, then every H×H gate block of weight_hh_l0 is replaced by
// an independent random orthogonal matrix: the Q of the QR factorisation of a standard
// Gaussian matrix, with the sign correction (R's diagonal made positive) that makes Q
// uniformly (Haar) distributed. rng is a math/rand/v2 generator.
func InitOrthogonal(c Cell, rng *rand.Rand) {
	InitDefault(c, rng)
	l := c.Layout()
	h := l.Hidden
	whh := c.Params()[l.WeightHH:l.BiasIH]
	a := make([]float64, h*h)
	for gate := range l.Gates {
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		q := orthogonalFactor(a, h)
		block := whh[gate*h*h : (gate+1)*h*h]
		for i, v := range q {
			block[i] = float32(v)
		}
	}
	enforceMask(c)
	paramsChanged(c)
}

// InitIdentity is the IRNN initialisation (Le, Jaitly and Hinton 2015): every H×H gate
// block of weight_hh_l0 is scale·I, the biases are zero, and weight_ih_l0 is drawn from
// PyTorch's default U(-1/√H, 1/√H). It is meant for rnn_relu (scale 1); for the gated
// cells it applies the same recipe to every gate block. rng is a math/rand/v2 generator.
func InitIdentity(c Cell, rng *rand.Rand, scale float32) {
	l := c.Layout()
	p := c.Params()
	uniform(p[l.WeightIH:l.WeightHH], 1/math.Sqrt(float64(l.Hidden)), rng)
	clear(p[l.WeightHH:])
	h := l.Hidden
	for gate := range l.Gates {
		for u := range h {
			p[l.WeightHH+(gate*h+u)*h+u] = scale
		}
	}
	enforceMask(c)
	paramsChanged(c)
}

// orthogonalFactor returns Q (n×n, row-major) of a = QR with R's diagonal positive, by
// Householder reflections in float64. a is not modified.
func orthogonalFactor(a []float64, n int) []float64 {
	r := append([]float64(nil), a...)
	q := make([]float64, n*n)
	for i := range n {
		q[i*n+i] = 1
	}
	v := make([]float64, n)
	for k := range n {
		// Reflect column k below the diagonal onto e_k: H = I - 2vvᵀ/vᵀv.
		var norm float64
		for i := k; i < n; i++ {
			norm += r[i*n+k] * r[i*n+k]
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			continue
		}
		alpha := -norm
		if r[k*n+k] < 0 {
			alpha = norm
		}
		clear(v)
		for i := k; i < n; i++ {
			v[i] = r[i*n+k]
		}
		v[k] -= alpha
		var vv float64
		for i := k; i < n; i++ {
			vv += v[i] * v[i]
		}
		if vv == 0 {
			continue
		}
		// R ← H·R
		for j := range n {
			var d float64
			for i := k; i < n; i++ {
				d += v[i] * r[i*n+j]
			}
			d *= 2 / vv
			for i := k; i < n; i++ {
				r[i*n+j] -= d * v[i]
			}
		}
		// Q ← Q·H, so that at the end A = Q·R.
		for i := range n {
			var d float64
			for j := k; j < n; j++ {
				d += q[i*n+j] * v[j]
			}
			d *= 2 / vv
			for j := k; j < n; j++ {
				q[i*n+j] -= d * v[j]
			}
		}
	}
	// Sign correction: flip column j of Q (and row j of R) where R_jj < 0.
	for j := range n {
		if r[j*n+j] < 0 {
			for i := range n {
				q[i*n+j] = -q[i*n+j]
			}
		}
	}
	return q
}

// Init initialises the model: every layer with init (InitDefault, InitOrthogonal,
// InitHenaff, InitCayley, or a closure around InitIdentity), bottom first, then the
// readout with nn.Linear's default, then the attention component (if any) with
// nn.Linear's default, all drawing from rng in that order (for one layer, the order of
// calling InitDefault on the cell and then Head.InitDefault). rng is a math/rand/v2
// generator. Masked W_hh entries are zeroed after init, whatever it wrote.
func (m *Model) Init(rng *rand.Rand, init func(Cell, *rand.Rand)) {
	for _, l := range m.Layers {
		init(l, rng)
		// A closure that wrote a NaN leaves an orthogonal layer's W NaN; the algorithms
		// built for the model report it (they call ParamsChanged).
		_ = l.ParamsChanged()
	}
	m.EnforceMasks()
	m.Head.InitDefault(rng)
	if m.Attention != nil {
		m.Attention.InitDefault(rng)
	}
}

// AddForgetBias adds v to the forget gate's input bias (rows H … 2H−1 of bias_ih) of every
// LSTM layer of m: a forget gate that starts open keeps the cell state, and credit, over
// more steps early in training (Gers, Schmidhuber & Cummins 2000; Jozefowicz, Zaremba &
// Sutskever 2015 recommend v = 1). It refuses other kinds.
func (m *Model) AddForgetBias(v float32) error {
	if err := m.Check(); err != nil {
		return err
	}
	if m.Kind() != LSTM {
		return fmt.Errorf("cell: a forget-gate bias needs an lstm model, not %v", m.Kind())
	}
	for _, l := range m.Layers {
		lay, p := l.Layout(), l.Params()
		forget := p[lay.BiasIH+lay.Hidden : lay.BiasIH+2*lay.Hidden]
		for i := range forget {
			forget[i] += v
		}
	}
	return nil
}

// InitHenaff is expRNN's initialisation of an orthogonal cell (it panics for any other
// kind): A = weight_hh_l0 block diagonal with ⌊H/2⌋ blocks [[0, θ_i], [−θ_i, 0]], θ_i drawn
// uniformly from [−π, π) (Henaff, Szlam & LeCun 2016), so W = exp(A) is a block diagonal
// of rotations whose eigenvalues spread uniformly over the unit circle; weight_ih_l0 from
// N(0, 2/I) (PyTorch's kaiming_normal_ for ReLU, as expRNN's input kernel); bias_ih_l0
// zero (expRNN's input kernel has no bias); bias_hh_l0, modReLU's bias, from
// U(−0.01, 0.01). The draws come from rng (a math/rand/v2 generator) in that order:
// weight_ih_l0 row by row, the angles, the modReLU biases.
func InitHenaff(c Cell, rng *rand.Rand) { initExpRNN(c, rng, expm.HenaffInit) }

// InitCayley is InitHenaff with expRNN's (and scoRNN's) Cayley initialisation of A: the
// same 2×2 block structure with entries −tan(u_i/2), u_i uniform in [0, π/2), so that the
// Cayley transform of A (OrthoCayley) has eigenvalues e^(±iu_i), drawn from rng (a
// math/rand/v2 generator). It panics for a kind other than orthogonal.
func InitCayley(c Cell, rng *rand.Rand) { initExpRNN(c, rng, expm.CayleyInit) }

func initExpRNN(c Cell, rng *rand.Rand, skew func(a []float64, n int, r *rand.Rand)) {
	if c.Kind() != Orthogonal {
		panic(fmt.Sprintf("cell: expRNN's initialisation is for the orthogonal cell, not %v", c.Kind()))
	}
	l := c.Layout()
	p := c.Params()
	std := math.Sqrt(2 / float64(l.Input))
	for i := range p[l.WeightIH:l.WeightHH] {
		p[l.WeightIH+i] = float32(std * rng.NormFloat64())
	}
	a := make([]float64, l.Hidden*l.Hidden)
	skew(a, l.Hidden, rng)
	for i, v := range a {
		p[l.WeightHH+i] = float32(v)
	}
	clear(p[l.BiasIH:l.BiasHH])
	uniform(p[l.BiasHH:], 0.01, rng)
	paramsChanged(c)
}
