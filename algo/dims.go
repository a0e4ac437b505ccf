package algo

import "github.com/chronograd/chronograd/cell"

// Dims are the sizes the cost models need: the cell kind, L layers, G gates, H hidden
// units per layer, S state entries in all (L·H, or L·2H for LSTM), I inputs, O outputs and
// P cell parameters in all (Σ_k G·H·(I_k+H+2), I_0 = I and I_k = H above it).
type Dims struct {
	Kind             cell.Kind // the cell kind
	L                int       // layers
	G, H, S, I, O, P int       // gates, hidden units, state entries, inputs, outputs, parameters
	// Attention is the model's attention component (the zero value: none); P does not
	// count its 2H² + H parameters.
	Attention cell.AttentionConfig
	// Density is the fraction of W_hh's entries a mask keeps (see cell.Sparsify); 0 means
	// 1, a dense W_hh. P still counts every entry of the flat layout.
	Density float64
}

// DimsOf returns the dimensions of a one-layer model whose cell is of the given kind with
// h hidden units and in inputs, read by a readout of out outputs.
func DimsOf(kind cell.Kind, h, in, out int) Dims { return StackDims(kind, 1, h, in, out) }

// StackDims returns the dimensions of a model of the given number of layers.
func StackDims(kind cell.Kind, layers, h, in, out int) Dims {
	g := kind.Gates()
	d := Dims{Kind: kind, L: layers, G: g, H: h, I: in, O: out}
	d.S = layers * h * kind.StateFactor()
	for k := range layers {
		d.P += d.layerParams(k)
	}
	return d
}

// DimsOfModel returns m's dimensions, with the density its W_hh masks keep.
func DimsOfModel(m *cell.Model) Dims {
	d := StackDims(m.Kind(), m.NumLayers(), m.HiddenSize(), m.InputSize(), m.OutSize())
	if m.Attention != nil {
		d.Attention = m.Attention.Config()
	}
	if m.Sparse() {
		d.Density = m.RecurrentDensity()
	}
	return d
}

// density is the fraction of W_hh kept, 1 when Density is unset.
func (d Dims) density() float64 {
	if d.Density > 0 && d.Density < 1 {
		return d.Density
	}
	return 1
}

// hasAttention reports whether the model has an attention component.
func (d Dims) hasAttention() bool { return d.Attention.KAtt > 0 }

// attentionParams is the attention component's 2H² + H parameters (0 without one).
func (d Dims) attentionParams() int {
	if !d.hasAttention() {
		return 0
	}
	return 2*d.H*d.H + d.H
}

// layerInput is I_k, the input size of layer k.
func (d Dims) layerInput(k int) int {
	if k == 0 {
		return d.I
	}
	return d.H
}

// layerParams is P_k = G·H·(I_k+H+2).
func (d Dims) layerParams(k int) int { return d.G * d.H * (d.layerInput(k) + d.H + 2) }

// layerState is S_k, one layer's state entries.
func (d Dims) layerState() int { return d.S / d.L }

// layout is layer k's cell layout.
func (d Dims) layout(k int) cell.Layout { return cell.LayoutOf(d.Kind, d.H, d.layerInput(k)) }

// forward is F = Σ_k 2·G·H·(I_k+H), the FLOPs of the layers' forward matrix-vector
// products.
func (d Dims) forward() float64 {
	var f float64
	for k := range d.L {
		f += 2 * float64(d.G*d.H) * float64(d.layerInput(k)+d.H)
	}
	return f
}

// readout is R = 2·O·H, the readout's.
func (d Dims) readout() float64 { return 2 * float64(d.O*d.H) }

// stepCacheBytes is one step's caches, every layer's.
func (d Dims) stepCacheBytes() int64 {
	var n int64
	for k := range d.L {
		n += int64(d.layout(k).CacheBytes())
	}
	return n
}

// slotsInView is the number of slots the attention scores at a step: M, or 0 for M = ∞
// (unbounded, it grows with the sequence, and the FLOP model leaves it out).
func (d Dims) slotsInView() float64 { return float64(d.Attention.M) }

// attentionForward is the attention's forward FLOPs per step (0 without one): the query
// 2H², the scores 2H per slot in view, the summary 2H·k_top, and a key 2H² every k_att
// steps.
func (d Dims) attentionForward() float64 {
	if !d.hasAttention() {
		return 0
	}
	h, a := float64(d.H), d.Attention
	return 2*h*h*(1+1/float64(a.KAtt)) + 2*h*(d.slotsInView()+float64(a.KTop))
}

// attentionBackward is its backward FLOPs per step: W_qᵀ·∂q and ∂q·ĥᵀ (4H²), the weights'
// and scores' products over k_top + 1 slots (8H each), and at a write W_kᵀ·∂k and ∂k·mᵀ
// (4H² every k_att steps).
func (d Dims) attentionBackward() float64 {
	if !d.hasAttention() {
		return 0
	}
	h, a := float64(d.H), d.Attention
	return 4*h*h*(1+1/float64(a.KAtt)) + 8*h*float64(a.KTop+1)
}
