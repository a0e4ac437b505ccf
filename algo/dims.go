package algo

import "github.com/chronograd/chronograd/cell"

// Dims are the sizes the cost models need: the cell kind, G gates, H hidden units,
// S = H or 2H state entries, I inputs, O outputs and P = G·H·(I+H+2) cell parameters.
type Dims struct {
	Kind             cell.Kind // the cell kind
	G, H, S, I, O, P int       // gates, hidden units, state entries, inputs, outputs, parameters
}

// DimsOf returns the dimensions of a model whose cell is of the given kind with h hidden
// units and in inputs, read by a readout of out outputs.
func DimsOf(kind cell.Kind, h, in, out int) Dims {
	g := kind.Gates()
	return Dims{Kind: kind, G: g, H: h, S: h * kind.StateFactor(), I: in, O: out, P: g * h * (in + h + 2)}
}

// forward is F = 2·G·H·(I+H), the FLOPs of the cell's forward matrix-vector products.
func (d Dims) forward() float64 { return 2 * float64(d.G*d.H) * float64(d.I+d.H) }

// readout is R = 2·O·H, the readout's.
func (d Dims) readout() float64 { return 2 * float64(d.O*d.H) }

// layout is the cell layout of these dimensions.
func (d Dims) layout() cell.Layout { return cell.LayoutOf(d.Kind, d.H, d.I) }
