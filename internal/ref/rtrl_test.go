package ref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

type refCase struct {
	kind  string
	alpha float64
}

var refCases = []refCase{
	{"rnn_tanh", 1}, {"rnn_tanh", 0.6}, {"rnn_relu", 1}, {"rnn_relu", 0.4}, {"gru", 1}, {"lstm", 1},
}

func (rc refCase) String() string { return fmt.Sprintf("%s/alpha=%g", rc.kind, rc.alpha) }

// problem is a random cell, head and sequence at odd sizes with a non-zero s_0 and a few
// steps without a target.
func problem(rc refCase, steps int, seed uint64) (*Cell, Head, []float64, [][]float64, [][]float64) {
	const h, in, out = 5, 3, 2
	rng := rand.New(rand.NewPCG(seed, 11))
	norm := func(n int, scale float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64() * scale
		}
		return v
	}
	c := &Cell{Kind: rc.kind, H: h, I: in, Alpha: rc.alpha, Params: norm(NumParams(rc.kind, h, in), 0.5)}
	head := Head{W: norm(out*h, 0.5), B: norm(out, 0.5)}
	xs := make([][]float64, steps)
	ys := make([][]float64, steps)
	for t := range xs {
		xs[t] = norm(in, 1)
		if t%4 != 1 {
			ys[t] = norm(out, 1)
		}
	}
	return c, head, norm(StateSize(rc.kind, h), 0.5), xs, ys
}

func maxRelDiff(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / den
}

// TestDerivsMatchFiniteDifferences pins J_t, its direct part and Ī_t to central
// differences of Step.
func TestDerivsMatchFiniteDifferences(t *testing.T) {
	for _, rc := range refCases {
		t.Run(rc.String(), func(t *testing.T) {
			c, _, s0, xs, _ := problem(rc, 1, 3)
			d := c.Derivs(s0, xs[0])
			if diff := maxRelDiff(d.Next, c.Step(s0, xs[0])); diff > 1e-14 { // arm64 fuses differently
				t.Errorf("Derivs' s_t differs from Step's by %g", diff)
			}
			prev := append([]float64(nil), s0...)
			fdJ := Jacobian(func() []float64 { return c.Step(prev, xs[0]) }, prev, 1e-6)
			fdI := Jacobian(func() []float64 { return c.Step(s0, xs[0]) }, c.Params, 1e-6)
			for row := range d.J {
				if diff := maxAbs(d.J[row], fdJ[row]); diff > 1e-7 {
					t.Errorf("J row %d off by %g", row, diff)
				}
				if diff := maxAbs(d.Imm[row], fdI[row]); diff > 1e-7 {
					t.Errorf("Ī row %d off by %g", row, diff)
				}
			}
			// The direct part is J with weight_hh_l0 zeroed in the derivative only:
			// check it as J minus the W_hh path, by finite differences of a cell whose
			// W_hh is zero but whose pre-activations are kept by moving W_hh·h_{t-1}
			// into the hh bias.
			g := Gates(rc.kind)
			h, in := c.H, c.I
			frozen := &Cell{Kind: c.Kind, H: h, I: in, Alpha: c.Alpha, Params: append([]float64(nil), c.Params...)}
			oWHH, oBHH := g*h*in, g*h*(in+h+1)
			for r := range g * h {
				for m := range h {
					frozen.Params[oBHH+r] += c.Params[oWHH+r*h+m] * s0[m]
					frozen.Params[oWHH+r*h+m] = 0
				}
			}
			fdD := Jacobian(func() []float64 { return frozen.Step(prev, xs[0]) }, prev, 1e-6)
			for row := range d.Direct {
				if diff := maxAbs(d.Direct[row], fdD[row]); diff > 1e-7 {
					t.Errorf("direct row %d off by %g", row, diff)
				}
			}
		})
	}
}

func maxAbs(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// TestRTRLEqualsBPTT: the two exact algorithms agree to rounding in float64 over 50
// steps, so any float32 disagreement elsewhere is rounding, not algebra.
func TestRTRLEqualsBPTT(t *testing.T) {
	for _, rc := range refCases {
		t.Run(rc.String(), func(t *testing.T) {
			c, head, s0, xs, ys := problem(rc, 50, 5)
			fwd := RTRL(c, head, s0, xs, ys, Exact)
			bwd := BPTT(c, head, s0, xs, ys)
			if math.Abs(fwd.Loss-bwd.Loss) > 1e-12*bwd.Loss {
				t.Errorf("loss %v vs %v", fwd.Loss, bwd.Loss)
			}
			if diff := maxRelDiff(fwd.Cell, bwd.Cell); diff > 1e-10 {
				t.Errorf("∂L/∂θ: RTRL and BPTT differ by %g (relative)", diff)
			}
			if diff := maxRelDiff(fwd.Head, bwd.Head); diff > 1e-10 {
				t.Errorf("∂L/∂head: differ by %g", diff)
			}
			// And both are the derivative of the loss: finite differences over a short
			// prefix (long sequences amplify the difference quotient's error).
			short := 6
			total := func() float64 {
				var l float64
				for i, st := range c.Run(s0, xs[:short]) {
					if ys[i] != nil {
						l += SquaredError(Linear(head.W, head.B, st[:c.H]), ys[i])
					}
				}
				return l
			}
			fd := Gradient(total, c.Params, 1e-6)
			if diff := maxRelDiff(RTRL(c, head, s0, xs[:short], ys[:short], Exact).Cell, fd); diff > 1e-6 {
				t.Errorf("RTRL vs finite differences: %g", diff)
			}
		})
	}
}

// TestApproximationsDiffer checks that SnAp1 and DirectOnly really drop terms: on a cell
// with recurrent weights their gradients differ from the exact one.
func TestApproximationsDiffer(t *testing.T) {
	for _, rc := range refCases {
		c, head, s0, xs, ys := problem(rc, 20, 9)
		exact := RTRL(c, head, s0, xs, ys, Exact).Cell
		for _, inf := range []Influence{SnAp1, DirectOnly} {
			if diff := maxRelDiff(RTRL(c, head, s0, xs, ys, inf).Cell, exact); diff < 1e-3 {
				t.Errorf("%v: approximation %d equals the exact gradient (%g)", rc, inf, diff)
			}
		}
	}
}

// TestDerivsMatchDualNumbers: the hand-derived Derivs and the forward-mode
// StepDerivatives agree to rounding.
func TestDerivsMatchDualNumbers(t *testing.T) {
	for _, rc := range refCases {
		c, _, s0, xs, _ := problem(rc, 1, 4)
		d, dual := c.Derivs(s0, xs[0]), c.StepDerivatives(s0, xs[0])
		for row := range d.J {
			if diff := maxAbs(d.J[row], dual.State[row]); diff > 1e-14 {
				t.Errorf("%v: J row %d differs by %g", rc, row, diff)
			}
			if diff := maxAbs(d.Imm[row], dual.Params[row]); diff > 1e-14 {
				t.Errorf("%v: Ī row %d differs by %g", rc, row, diff)
			}
		}
	}
}
