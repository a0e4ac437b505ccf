package diagnose

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/linalg"
	"github.com/chronograd/chronograd/kernels"
)

// linearModel is a tanh RNN whose recurrent matrix is β·Q (Q Haar-orthogonal) driven by
// inputs of size 1e-3: its activations stay near zero, where tanh' = 1 − O(1e-6), so the
// state Jacobians are β·Q to float32 precision and ∂L_t/∂s_{t−k} = (β·Qᵀ)^k·d_t with
// d_t = ∂L_t/∂s_t. Its targets have mean 1 so that the mean adjoint (and ‖g‖) is not
// averaged away.
type linearModel struct {
	c    cell.Cell
	head *cell.Readout
	q    []float64 // Q, H×H row-major
	seq  Data
}

func newLinearModel(t *testing.T, beta float64, H, T int, seed uint64) *linearModel {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	const I, O = 3, 2
	c, err := cell.New(cell.Config{Kind: cell.RNNTanh, Hidden: H, Input: I})
	if err != nil {
		t.Fatal(err)
	}
	cell.InitOrthogonal(c, rng)
	l := c.Layout()
	p := c.Params()
	m := &linearModel{c: c, q: make([]float64, H*H)}
	for i := range H * H {
		m.q[i] = float64(p[l.WeightHH+i])
		p[l.WeightHH+i] = float32(beta * m.q[i])
	}
	clear(p[l.BiasIH:]) // both biases: the state stays at the origin up to the inputs
	head, err := cell.NewReadout(O, H)
	if err != nil {
		t.Fatal(err)
	}
	head.InitDefault(rng)
	m.head = head
	m.seq = Data{T: T, Inputs: make([]float32, T*I), Targets: make([]float32, T*O)}
	for i := range m.seq.Inputs {
		m.seq.Inputs[i] = float32(1e-3 * rng.NormFloat64())
	}
	for i := range m.seq.Targets {
		m.seq.Targets[i] = float32(1 + 0.3*rng.NormFloat64())
	}
	return m
}

// exact returns, in float64 and independently of the package, φ_τ and ‖g‖ of the
// linearised model over the origins t ≥ maxLag−1: φ_τ = β^τ·mean‖d_t‖ and
// ‖g‖ = ‖Σ_{k≥0} (β·Qᵀ)^k·mean d_t‖ (summed until the terms vanish).
func (m *linearModel) exact(beta float64, maxLag, tau int) (phiTau, gradNorm float64) {
	H, I, O := m.c.HiddenSize(), m.c.InputSize(), m.head.OutSize()
	p := m.c.Params()
	l := m.c.Layout()
	hp := m.head.Params()
	h, next := make([]float64, H), make([]float64, H)
	dMean := make([]float64, H)
	var normSum float64
	n := 0
	for t := range m.seq.T {
		for i := range H {
			u := 0.0
			for j := range I {
				u += float64(p[l.WeightIH+i*I+j]) * float64(m.seq.Inputs[t*I+j])
			}
			for j := range H {
				u += float64(p[l.WeightHH+i*H+j]) * h[j]
			}
			next[i] = math.Tanh(u)
		}
		h, next = next, h
		if t < maxLag-1 {
			continue
		}
		d := make([]float64, H)
		for o := range O {
			y := float64(hp[O*H+o])
			for j := range H {
				y += float64(hp[o*H+j]) * h[j]
			}
			dy := y - float64(m.seq.Targets[t*O+o])
			for j := range H {
				d[j] += float64(hp[o*H+j]) * dy
			}
		}
		var s float64
		for j := range H {
			dMean[j] += d[j]
			s += d[j] * d[j]
		}
		normSum += math.Sqrt(s)
		n++
	}
	for j := range dMean {
		dMean[j] /= float64(n)
	}
	phiTau = math.Pow(beta, float64(tau)) * normSum / float64(n)
	sum, term, tmp := append([]float64(nil), dMean...), append([]float64(nil), dMean...), make([]float64, H)
	for range 5000 {
		for j := range H { // tmp = β·Qᵀ·term
			s := 0.0
			for i := range H {
				s += m.q[i*H+j] * term[i]
			}
			tmp[j] = beta * s
		}
		term, tmp = tmp, term
		for j := range H {
			sum[j] += term[j]
		}
	}
	return phiTau, linalg.Norm(sum)
}

func TestLinearDecayKnown(t *testing.T) {
	for _, beta := range []float64{0.5, 0.8, 0.9, 0.95} {
		const H, T, maxLag, tau = 16, 700, 200, 3
		m := newLinearModel(t, beta, H, T, uint64(1000*beta))
		r, err := Run(&cell.Model{Layers: []cell.Cell{m.c}, Head: m.head}, m.seq, Options{MaxLag: maxLag, Tau: new(tau), Delta: 0.5, JacobianOrigins: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, delta := range []float64{0.5, 0.1, 0.01} {
			if rel := math.Abs(r.Beta-beta) / beta; rel > 0.02 {
				t.Errorf("β=%v: fitted β̂=%v, relative error %.3g > 2%%", beta, r.Beta, rel)
			}
			phiTau, gradNorm := m.exact(beta, maxLag, tau)
			// The closed form: smallest K ≥ τ with φ_τ·β^{K−τ}/((1−β)‖g‖) ≤ δ.
			want := tau + int(math.Ceil(math.Log(delta*(1-beta)*gradNorm/phiTau)/math.Log(beta)))
			want = max(want, tau)
			if got, _ := r.WindowFor(delta); got < want-1 || got > want+1 {
				t.Errorf("β=%v δ=%v: K=%d, closed form %d (φ_τ=%.4g vs measured %.4g, ‖g‖=%.4g vs bound %.4g)",
					beta, delta, got, want, phiTau, r.Phi[tau], gradNorm, r.GradNorm)
			}
			if got := ClosedFormWindow(phiTau, beta, tau, gradNorm, delta); got != want {
				t.Errorf("ClosedFormWindow = %d, test's closed form %d", got, want)
			}
		}
	}
}

func TestLinearJacobianLyapunovSpectral(t *testing.T) {
	const beta, H, T = 0.9, 12, 300
	m := newLinearModel(t, beta, H, T, 7)
	r, err := Run(&cell.Model{Layers: []cell.Cell{m.c}, Head: m.head}, m.seq, Options{MaxLag: 60, Tau: new(2)})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.JacobianNorm {
		if want := math.Pow(beta, float64(k)); math.Abs(v-want) > 1e-3*want {
			t.Errorf("‖J_t⋯J_{t−%d+1}‖₂ = %v, want β^k = %v", k, v, want)
		}
	}
	if math.Abs(r.JacobianBeta-beta) > 0.02*beta {
		t.Errorf("β from Jacobian norms %v, want %v", r.JacobianBeta, beta)
	}
	if len(r.Lyapunov) != 4 {
		t.Fatalf("%d Lyapunov exponents, want 4", len(r.Lyapunov))
	}
	for i, l := range r.Lyapunov { // every direction shrinks by exactly β under β·Q
		if math.Abs(l-math.Log(beta)) > 1e-3 {
			t.Errorf("Lyapunov exponent %d = %v, want log β = %v", i, l, math.Log(beta))
		}
	}
	if math.Abs(r.SpectralRadius-beta) > 1e-4 {
		t.Errorf("spectral radius %v, want %v", r.SpectralRadius, beta)
	}
}

// randomModel is a nonlinear model: a cell with orthogonal recurrent blocks scaled by
// gain, random readout, inputs and targets.
func randomModel(t *testing.T, kind cell.Kind, H, T int, gain float32, seed uint64) (cell.Cell, *cell.Readout, Data) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	const I, O = 4, 3
	c, err := cell.New(cell.Config{Kind: kind, Hidden: H, Input: I})
	if err != nil {
		t.Fatal(err)
	}
	cell.InitOrthogonal(c, rng)
	l := c.Layout()
	for i := l.WeightHH; i < l.BiasIH; i++ {
		c.Params()[i] *= gain
	}
	head, _ := cell.NewReadout(O, H)
	head.InitDefault(rng)
	seq := Data{T: T, Inputs: make([]float32, T*I), Targets: make([]float32, T*O)}
	for i := range seq.Inputs {
		seq.Inputs[i] = float32(rng.NormFloat64())
	}
	for i := range seq.Targets {
		seq.Targets[i] = float32(0.5 + rng.NormFloat64())
	}
	return c, head, seq
}

func TestWindowGrowsAsDeltaShrinks(t *testing.T) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		c, head, seq := randomModel(t, kind, 20, 400, 1.1, uint64(kind)+3)
		prev := 0
		var first int
		deltas := []float64{0.9, 0.5, 0.2, 0.1, 0.05, 0.01, 0.001, 1e-4}
		r, err := Run(&cell.Model{Layers: []cell.Cell{c}, Head: head}, seq, Options{MaxLag: 100, Delta: 0.05, JacobianOrigins: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !(r.Beta > 0 && r.Beta < 1) {
			t.Fatalf("%v: fitted β = %v; the test needs a decaying model", kind, r.Beta)
		}
		if K, _ := r.WindowFor(0.05); r.K != K {
			t.Errorf("%v: Run's K = %d, WindowFor(its δ) = %d", kind, r.K, K)
		}
		for i, delta := range deltas {
			K, _ := r.WindowFor(delta)
			if K < prev {
				t.Errorf("%v: K(δ=%v) = %d < K(δ=%v) = %d", kind, delta, K, deltas[i-1], prev)
			}
			if i == 0 {
				first = K
			}
			prev = K
		}
		if prev <= first {
			t.Errorf("%v: K did not grow from δ=%v to δ=%v (%d → %d)", kind, deltas[0], deltas[len(deltas)-1], first, prev)
		}
		t.Logf("%v: K from %d (δ=%v) to %d (δ=%v)", kind, first, deltas[0], prev, deltas[len(deltas)-1])
	}
}

// TestPhiMatchesJacobianProducts checks the VJP chain (its indexing above all) against
// ∂L_t/∂s_{t−k} = (J_t⋯J_{t−k+1})ᵀ·∂L_t/∂s_t formed from dense state Jacobians in
// float64, for the gated cells.
func TestPhiMatchesJacobianProducts(t *testing.T) {
	for _, kind := range []cell.Kind{cell.GRU, cell.LSTM, cell.RNNTanh} {
		c, head, seq := randomModel(t, kind, 6, 30, 1.0, 11)
		const K = 8
		r, err := Run(&cell.Model{Layers: []cell.Cell{c}, Head: head}, seq, Options{MaxLag: K, Tau: new(1)})
		if err != nil {
			t.Fatal(err)
		}
		S, H, I, O := c.StateSize(), c.HiddenSize(), c.InputSize(), head.OutSize()
		caches := make([]*cell.Cache, seq.T)
		d := make([][]float64, seq.T)
		s := make([]float32, S)
		yhat, dy, dh := make([]float32, O), make([]float32, O), make([]float32, H)
		for tt := range seq.T {
			caches[tt] = c.NewCache()
			c.Forward(caches[tt], s, s, seq.Inputs[tt*I:(tt+1)*I])
			head.Forward(yhat, s[:H])
			cell.SquaredError(dy, yhat, seq.Targets[tt*O:(tt+1)*O])
			clear(dh)
			head.Backward(dh, nil, s[:H], dy)
			d[tt] = make([]float64, S)
			for i, v := range dh {
				d[tt][i] = float64(v)
			}
		}
		jac := make([]float32, S*S)
		want := make([]float64, K+1)
		for tt := K - 1; tt < seq.T; tt++ {
			v := append([]float64(nil), d[tt]...)
			want[0] += linalg.Norm(v)
			for k := 1; k <= K; k++ {
				c.StateJacobian(caches[tt-k+1], matOf(S, jac))
				w := make([]float64, S) // w = J_{t−k+1}ᵀ·v
				for i := range S {
					for j := range S {
						w[j] += float64(jac[i*S+j]) * v[i]
					}
				}
				v = w
				want[k] += linalg.Norm(v)
			}
		}
		for k := range want {
			want[k] /= float64(seq.T - K + 1)
			if math.Abs(r.Phi[k]-want[k]) > 1e-4*want[k] {
				t.Errorf("%v: φ_%d = %v, from Jacobian products %v", kind, k, r.Phi[k], want[k])
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	c, head, seq := randomModel(t, cell.GRU, 5, 20, 1, 1)
	bad := []struct {
		name string
		seq  Data
		opt  Options
	}{
		{"short", Data{T: 1, Inputs: seq.Inputs[:4], Targets: seq.Targets[:3]}, Options{}},
		{"inputs", Data{T: 20, Inputs: seq.Inputs[:10], Targets: seq.Targets}, Options{}},
		{"targets", Data{T: 20, Inputs: seq.Inputs, Targets: seq.Targets[:5]}, Options{}},
		{"s0", Data{T: 20, Inputs: seq.Inputs, Targets: seq.Targets, S0: make([]float32, 3)}, Options{}},
		{"maxlag", seq, Options{MaxLag: 20}},
		{"tau", seq, Options{MaxLag: 5, Tau: new(5)}},
		{"delta", seq, Options{Delta: 1.5}},
		{"lyapunov", seq, Options{LyapunovVectors: 6}},
	}
	for _, b := range bad {
		if _, err := Run(&cell.Model{Layers: []cell.Cell{c}, Head: head}, b.seq, b.opt); err == nil {
			t.Errorf("%s: no error", b.name)
		}
	}
	nan := Data{T: 20, Inputs: append([]float32(nil), seq.Inputs...), Targets: append([]float32(nil), seq.Targets...)}
	nan.Inputs[9] = float32(math.Inf(1))
	if _, err := Run(&cell.Model{Layers: []cell.Cell{c}, Head: head}, nan, Options{}); err == nil {
		t.Error("infinite input: no error")
	}
	nan.Inputs[9] = 0
	nan.Targets[7] = float32(math.NaN())
	if _, err := Run(&cell.Model{Layers: []cell.Cell{c}, Head: head}, nan, Options{}); err == nil {
		t.Error("NaN target: no error")
	}
}

func matOf(s int, data []float32) kernels.Mat { return kernels.MatOf(s, s, data) }
