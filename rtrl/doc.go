// Package rtrl holds the forward-mode credit-assignment algorithms: exact real-time
// recurrent learning (RTRL) and its cheap online approximations SnAp-1, UORO, RFLO and
// e-prop. One file per algorithm, written to read like its paper.
//
// Every algorithm has the same streaming shape as package bptt: Reset starts a sequence,
// Step feeds one (input, target) pair, runs the cell and the readout, returns the step's
// loss ½‖head(h_t) − y_t‖² and adds the step's gradient contribution at once (these are
// online algorithms), and GradCell / GradHead expose the accumulated gradients in the
// cell's and the readout's parameter layouts. A steady-state Step allocates nothing.
//
// Notation shared by the files: s_t is the cell's state (h_t, or [h_t; c_t] for LSTM; S
// values), θ the cell's P parameters, J_t = ∂s_t/∂s_{t-1} the state Jacobian and Ī_t =
// ∂s_t/∂θ the immediate (one-step) parameter Jacobian. The influence matrix M_t = ds_t/dθ
// (S×P) obeys M_t = J_t·M_{t-1} + Ī_t, and the loss gradient is Σ_t (∂L_t/∂s_t)ᵀ·M_t.
// Exact RTRL carries M_t; the approximations carry a cheaper stand-in for it.
package rtrl

import (
	"errors"
	"fmt"

	"github.com/chronograd/chronograd/cell"
)

// Algorithm is the streaming shape every algorithm of this package implements; see
// cell.Algorithm.
type Algorithm = cell.Algorithm

// Names are the algorithm names New accepts, as the command line spells them.
var Names = []string{"rtrl", "snap1", "uoro", "rflo", "eprop"}

// New builds the algorithm called name (one of Names) for cell c and readout head.
func New(name string, c cell.Cell, head *cell.Readout, opts ...Option) (Algorithm, error) {
	var (
		a   Algorithm
		err error
	)
	// Each case assigns through err first so that a failed constructor yields a nil
	// Algorithm, not an interface holding a nil pointer.
	switch name {
	case "rtrl":
		var r *RTRL
		if r, err = NewRTRL(c, head, opts...); err == nil {
			a = r
		}
	case "snap1":
		var r *SnAp1
		if r, err = NewSnAp1(c, head, opts...); err == nil {
			a = r
		}
	case "uoro":
		var r *UORO
		if r, err = NewUORO(c, head, opts...); err == nil {
			a = r
		}
	case "rflo":
		var r *RFLO
		if r, err = NewRFLO(c, head, opts...); err == nil {
			a = r
		}
	case "eprop":
		var r *EProp
		if r, err = NewEProp(c, head, opts...); err == nil {
			a = r
		}
	default:
		err = fmt.Errorf("rtrl: unknown algorithm %q (want one of rtrl, snap1, uoro, rflo, eprop)", name)
	}
	return a, err
}

// Option configures a constructor. An option that the algorithm does not use is an
// error, so that a typo on a command line is not silently ignored.
type Option func(*options) error

type options struct {
	workers  int
	seed     uint64
	epsilon  float32
	feedback bool

	set map[string]bool // names of the options given, to reject the ones that do not apply
}

func (o *options) mark(name string) { o.set[name] = true }

// Workers splits exact RTRL's sensitivity update M_t = J_t·M_{t-1} + Ī_t and its
// gradient product across n goroutines, each owning a block of M's columns (default 1).
// The helper goroutines persist between steps; Close (or garbage collection) stops them.
// After a step they spin for some tens of microseconds, ready for the next one, before
// they park, so an RTRL stepped flat out keeps n cores busy, and one stepped now and then
// costs a wake-up per step instead. The result is the same, bit for bit, for every n.
func Workers(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("rtrl: Workers(%d): need at least 1", n)
		}
		o.workers = n
		o.mark("Workers")
		return nil
	}
}

// Seed seeds the random source: UORO's random signs, or the fixed random feedback matrix
// of RFLO and e-prop with FeedbackAlignment. The default seed is 1.
func Seed(seed uint64) Option {
	return func(o *options) error {
		o.seed = seed
		o.mark("Seed")
		return nil
	}
}

// Epsilon is the small constant UORO adds to both norms of each balancing factor
// (default 1e-7), so that a zero tangent does not divide by zero.
func Epsilon(eps float32) Option {
	return func(o *options) error {
		if !(eps > 0) {
			return fmt.Errorf("rtrl: Epsilon(%v): must be positive", eps)
		}
		o.epsilon = eps
		o.mark("Epsilon")
		return nil
	}
}

// FeedbackAlignment makes RFLO and e-prop send the output error e_t back through a fixed
// random matrix B (H×O, drawn once from U(−1/√H, 1/√H) with Seed, the readout's own
// initial scale) instead of the readout's weights: q = B·e_t replaces Wᵀ·e_t (Murray
// 2019's random feedback; Bellec et al. 2020's random e-prop).
func FeedbackAlignment() Option {
	return func(o *options) error {
		o.feedback = true
		o.mark("FeedbackAlignment")
		return nil
	}
}

// parseOptions applies opts and rejects any whose name is not in allowed.
func parseOptions(algo string, opts []Option, allowed ...string) (options, error) {
	o := options{workers: 1, seed: 1, epsilon: 1e-7, set: map[string]bool{}}
	for _, opt := range opts {
		if opt == nil {
			return o, errors.New("rtrl: nil option")
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
next:
	for name := range o.set {
		for _, a := range allowed {
			if a == name {
				continue next
			}
		}
		return o, fmt.Errorf("rtrl: option %s does not apply to %s", name, algo)
	}
	return o, nil
}
