package ref

import "math"

// dual is a forward-mode dual number: a value and its derivatives with respect to every
// seeded variable. It lets StepDerivatives differentiate the cell equations exactly,
// written once more in the same plain form as Step.
type dual struct {
	v float64
	d []float64
}

func constant(n int, v float64) dual { return dual{v: v, d: make([]float64, n)} }

func variable(n, i int, v float64) dual {
	x := constant(n, v)
	x.d[i] = 1
	return x
}

func (a dual) add(b dual) dual {
	r := constant(len(a.d), a.v+b.v)
	for i := range r.d {
		r.d[i] = a.d[i] + b.d[i]
	}
	return r
}

func (a dual) mul(b dual) dual {
	r := constant(len(a.d), a.v*b.v)
	for i := range r.d {
		r.d[i] = a.d[i]*b.v + a.v*b.d[i]
	}
	return r
}

// apply is f(a) for an elementwise f with f(a.v) = fv and f'(a.v) = df.
func (a dual) apply(fv, df float64) dual {
	r := constant(len(a.d), fv)
	for i := range r.d {
		r.d[i] = df * a.d[i]
	}
	return r
}

func (a dual) scale(s float64) dual { return a.apply(s*a.v, s) }

func (a dual) tanh() dual {
	t := math.Tanh(a.v)
	return a.apply(t, 1-t*t)
}

func (a dual) sigmoid() dual {
	s := sigmoid(a.v)
	return a.apply(s, s*(1-s))
}

func (a dual) relu() dual {
	if a.v > 0 {
		return a.apply(a.v, 1)
	}
	return a.apply(0, 0) // PyTorch's derivative at 0
}

// Derivatives of one step, from StepDerivatives: row s of each matrix is the gradient of
// s_t[s].
type Derivatives struct {
	Next   []float64
	State  [][]float64 // J_t = ∂s_t/∂s_{t-1}, S×S
	Input  [][]float64 // ∂s_t/∂x_t, S×I
	Params [][]float64 // Ī_t = ∂s_t/∂θ, S×P
}

// StepDerivatives returns s_t and its exact (forward-mode) derivatives with respect to
// s_{t-1}, x_t and θ, for float64 RTRL and BPTT references.
func (c *Cell) StepDerivatives(prev, x []float64) Derivatives {
	h, in, g := c.H, c.I, Gates(c.Kind)
	ns, np := len(prev), len(c.Params)
	if ns != StateSize(c.Kind, h) || len(x) != in || np != NumParams(c.Kind, h, in) {
		panic("ref: StepDerivatives: size mismatch")
	}
	if c.Kind == "orthogonal" {
		panic("ref: StepDerivatives: not written for the orthogonal cell (its tests use finite differences of Step)")
	}
	n := ns + in + np // variables: [s_{t-1}; x_t; θ]
	sv := make([]dual, ns)
	for i, v := range prev {
		sv[i] = variable(n, i, v)
	}
	xv := make([]dual, in)
	for i, v := range x {
		xv[i] = variable(n, ns+i, v)
	}
	pv := make([]dual, np)
	for i, v := range c.Params {
		pv[i] = variable(n, ns+in+i, v)
	}
	wih := pv[:g*h*in]
	whh := pv[g*h*in : g*h*(in+h)]
	bih := pv[g*h*(in+h) : g*h*(in+h+1)]
	bhh := pv[g*h*(in+h+1):]
	ai := make([]dual, g*h)
	ah := make([]dual, g*h)
	for r := 0; r < g*h; r++ {
		ai[r] = bih[r]
		for m := 0; m < in; m++ {
			ai[r] = ai[r].add(wih[r*in+m].mul(xv[m]))
		}
		ah[r] = bhh[r]
		for m := 0; m < h; m++ {
			ah[r] = ah[r].add(whh[r*h+m].mul(sv[m]))
		}
	}
	next := make([]dual, ns)
	switch c.Kind {
	case "rnn_tanh", "rnn_relu":
		for u := 0; u < h; u++ {
			pre := ai[u].add(ah[u])
			phi := pre.tanh()
			if c.Kind == "rnn_relu" {
				phi = pre.relu()
			}
			next[u] = sv[u].scale(1 - c.Alpha).add(phi.scale(c.Alpha))
		}
	case "gru":
		for u := 0; u < h; u++ {
			r := ai[u].add(ah[u]).sigmoid()
			z := ai[h+u].add(ah[h+u]).sigmoid()
			nn := ai[2*h+u].add(r.mul(ah[2*h+u])).tanh()
			oneMinusZ := z.scale(-1).add(constant(n, 1))
			next[u] = oneMinusZ.mul(nn).add(z.mul(sv[u]))
		}
	case "lstm":
		for u := 0; u < h; u++ {
			i := ai[u].add(ah[u]).sigmoid()
			f := ai[h+u].add(ah[h+u]).sigmoid()
			gg := ai[2*h+u].add(ah[2*h+u]).tanh()
			o := ai[3*h+u].add(ah[3*h+u]).sigmoid()
			cn := f.mul(sv[h+u]).add(i.mul(gg))
			next[h+u] = cn
			next[u] = o.mul(cn.tanh())
		}
	}
	d := Derivatives{Next: make([]float64, ns)}
	for s, v := range next {
		d.Next[s] = v.v
		d.State = append(d.State, v.d[:ns])
		d.Input = append(d.Input, v.d[ns:ns+in])
		d.Params = append(d.Params, v.d[ns+in:])
	}
	return d
}
