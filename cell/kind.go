package cell

import (
	"fmt"
	"strings"

	"github.com/chronograd/chronograd/kernels"
)

// Kind names a cell's equations.
type Kind int

// The cell kinds. Each is defined, with its equations, in a file of its own (vanilla.go,
// gru.go, lstm.go, orthogonal.go), which registers it. OrthoMap documents the orthogonal
// cell: its equations, its parameters and how they map to expRNN's.
const (
	RNNTanh    Kind = iota // nn.RNN(nonlinearity="tanh"), with an optional leak α
	RNNReLU                // nn.RNN(nonlinearity="relu"), with an optional leak α
	GRU                    // nn.GRU: gates r, z, n; state h
	LSTM                   // nn.LSTM: gates i, f, g, o; state [h; c]
	Orthogonal             // expRNN: W_hh = exp(A) (or Cayley) of a skew-symmetric A, modReLU; state h
)

// kindSpec is what a cell kind registers: its name, its shape and its equations.
type kindSpec struct {
	// name is used on the command line and in model-file metadata (PyTorch's mode string).
	name string
	// gates is G, the number of H-row blocks in weight_ih_l0 and weight_hh_l0.
	gates int
	// stateFactor is S/H: 2 when the state is [h; c], 1 when it is h.
	stateFactor int
	// leaky kinds accept a leak α < 1.
	leaky bool
	eq    equations
	// setup, when set, finishes a new layer of the kind (the orthogonal cell derives its
	// recurrent matrix from its parameters).
	setup func(c *layer, cfg Config) error
}

// kinds holds every registered kind, indexed by Kind.
var kinds []*kindSpec

// register adds kind k; each kind's file calls it from an init function.
func register(k Kind, s kindSpec) {
	for int(k) >= len(kinds) {
		kinds = append(kinds, nil)
	}
	if kinds[k] != nil {
		panic(fmt.Sprintf("cell: kind %d registered twice (%s, %s)", int(k), kinds[k].name, s.name))
	}
	kinds[k] = &s
}

// spec returns k's registration, or nil for an unknown kind.
func (k Kind) spec() *kindSpec {
	if k < 0 || int(k) >= len(kinds) {
		return nil
	}
	return kinds[k]
}

// equations is what a kind defines besides its shape: the arithmetic of one step around
// the layer's two matrix products W_ih·x and W_hh·h, and the derivatives of that
// arithmetic. The layer (layer.go) does the products and everything derived from them.
// Every method may use the layer's scratch vectors; none allocates.
type equations interface {
	// inputBias writes rows [r0, r1) of the biases that enter a step with W_ih·x_t into
	// dst, each row b times (one per sequence of a batch): b_ih + b_hh for kinds whose
	// two bias vectors add before any gate arithmetic, b_ih alone otherwise.
	inputBias(c *layer, dst []float32, r0, r1, b int)
	// forward finishes a step whose input part (W_ih·x_t plus inputBias) is in k.gates:
	// it computes W_hh·h_{t-1}, the gates and the new state into next, and records in k
	// what the backward step needs. forward, gateGradients and directVJP run on a batch:
	// its vectors are feature-major, so each block of H (one per gate and state part) is
	// H·B long, k.block().
	forward(c *layer, k *Cache, next []float32)
	// gateGradients turns v = ∂L/∂s_t into the gradients with respect to the ih and hh
	// gate pre-activations, c.gIH and c.gHH (G·H each): for unit u's gate k, the sum over
	// unit u's state rows s of v[s]·coef[s·G+k] with the coefficients of coefficients.
	// Kinds whose two are the same values (vanilla, LSTM) write c.gIH alone; readers go
	// through c.hhGrad and c.biasHHGrad.
	gateGradients(c *layer, k *Cache, v []float32)
	// coefficients writes the factored immediate Jacobian (see Cell.ImmediateCoefficients).
	coefficients(c *layer, k *Cache, coefIH, coefHH []float32)
	// directVJP overwrites dPrev with D_tᵀ·dNext, D_t being the part of J_t that does not
	// pass through W_hh. dPrev may alias dNext.
	directVJP(c *layer, k *Cache, dPrev, dNext []float32)
	// directJacobian adds D_t to j (S×S).
	directJacobian(c *layer, k *Cache, j kernels.Mat)
	// stateJVP overwrites out with J_t·v, given wv = W_hh·v[:H] and the coefficients of
	// the step in c.coefHH. out may alias v.
	stateJVP(c *layer, k *Cache, out, v, wv []float32)
	// unitDirect adds D_t's entries on unit u's state rows and columns to blk (F×F,
	// F = S/H; see Cell.UnitJacobian).
	unitDirect(c *layer, k *Cache, u int, blk []float32)
}

// String is the kind's name, as on the command line and in model files ("gru").
func (k Kind) String() string {
	if s := k.spec(); s != nil {
		return s.name
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Kinds lists every cell kind, in the order of their constants.
func Kinds() []Kind {
	var ks []Kind
	for k, s := range kinds {
		if s != nil {
			ks = append(ks, Kind(k))
		}
	}
	return ks
}

// KindNames lists the registered kinds' names, comma-separated ("rnn_tanh, rnn_relu,
// gru, lstm"), for help texts and error messages.
func KindNames() string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}

// ParseKind maps a kind's name (rnn_tanh, rnn_relu, gru, lstm, orthogonal) to the Kind.
func ParseKind(name string) (Kind, error) {
	for _, k := range Kinds() {
		if k.String() == name {
			return k, nil
		}
	}
	return 0, fmt.Errorf("cell: unknown cell kind %q (want one of %s)", name, KindNames())
}

// Valid reports whether k is a registered kind.
func (k Kind) Valid() bool { return k.spec() != nil }

// Gates is G, the number of H-row blocks stacked in weight_ih_l0 and weight_hh_l0:
// 1 for the vanilla cells, 3 for GRU (r, z, n), 4 for LSTM (i, f, g, o). It is 0 for an
// unknown kind.
func (k Kind) Gates() int {
	if s := k.spec(); s != nil {
		return s.gates
	}
	return 0
}

// IsVanilla reports whether k is one of the two (leaky) vanilla RNN cells, the kinds with
// a leak α.
func (k Kind) IsVanilla() bool {
	s := k.spec()
	return s != nil && s.leaky
}

// StateFactor is S/H: 2 for LSTM (state [h; c]), 1 otherwise (and for an unknown kind).
func (k Kind) StateFactor() int {
	if s := k.spec(); s != nil {
		return s.stateFactor
	}
	return 1
}
