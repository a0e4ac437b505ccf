package cell

import "fmt"

// Kind names a cell's equations.
type Kind int

const (
	RNNTanh Kind = iota // nn.RNN(nonlinearity="tanh"), with an optional leak α
	RNNReLU             // nn.RNN(nonlinearity="relu"), with an optional leak α
	GRU                 // nn.GRU: gates r, z, n
	LSTM                // nn.LSTM: gates i, f, g, o; state [h; c]
)

// kindNames are the names used on the command line and in model-file metadata; they are
// PyTorch's mode strings.
var kindNames = [...]string{RNNTanh: "rnn_tanh", RNNReLU: "rnn_relu", GRU: "gru", LSTM: "lstm"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind maps rnn_tanh, rnn_relu, gru or lstm to its Kind.
func ParseKind(name string) (Kind, error) {
	for k, n := range kindNames {
		if n == name {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("cell: unknown cell kind %q (want one of rnn_tanh, rnn_relu, gru, lstm)", name)
}

// Gates is G, the number of H-row blocks stacked in weight_ih_l0 and weight_hh_l0:
// 1 for the vanilla cells, 3 for GRU (r, z, n), 4 for LSTM (i, f, g, o).
func (k Kind) Gates() int {
	switch k {
	case GRU:
		return 3
	case LSTM:
		return 4
	}
	return 1
}

// IsVanilla reports whether k is one of the two (leaky) vanilla RNN cells.
func (k Kind) IsVanilla() bool { return k == RNNTanh || k == RNNReLU }

// StateFactor is S/H: 2 for LSTM (state [h; c]), 1 otherwise.
func (k Kind) StateFactor() int {
	if k == LSTM {
		return 2
	}
	return 1
}
