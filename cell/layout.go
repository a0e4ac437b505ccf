package cell

import (
	"fmt"
	"strconv"
)

// Layout says where PyTorch's tensors live in the flat parameter vector.
type Layout struct {
	Kind                               Kind // the cell kind
	Hidden, Input, Gates               int  // H, I and G
	WeightIH, WeightHH, BiasIH, BiasHH int  // offsets of the four tensors
}

// LayoutOf is the layout of a cell of the given kind with hidden units and input size
// (it does not check the sizes; New does).
func LayoutOf(kind Kind, hidden, input int) Layout {
	g := kind.Gates()
	gh := g * hidden
	l := Layout{Kind: kind, Hidden: hidden, Input: input, Gates: g}
	l.WeightHH = gh * input
	l.BiasIH = l.WeightHH + gh*hidden
	l.BiasHH = l.BiasIH + gh
	return l
}

// StateSize is S: H, or 2H when the state is [h; c].
func (l Layout) StateSize() int { return l.Hidden * l.Kind.StateFactor() }

// CacheBytes is the memory of one Cache of this layout (what Cache.Bytes reports).
func (l Layout) CacheBytes() int { return 4 * (l.StateSize() + l.Input + l.Gates*l.Hidden + l.Hidden) }

// NumParams is P = G·H·(I+H+2).
func (l Layout) NumParams() int { return l.BiasHH + l.Gates*l.Hidden }

// GateRow returns the gate row r = k·H + u that parameter p belongs to (see
// Cell.ImmediateCoefficients): the unit u = r mod H is the only one p feeds directly.
func (l Layout) GateRow(p int) int {
	switch {
	case p < 0 || p >= l.NumParams():
		panic(fmt.Sprintf("cell: GateRow(%d) of %d parameters", p, l.NumParams()))
	case p < l.WeightHH:
		return (p - l.WeightIH) / l.Input
	case p < l.BiasIH:
		return (p - l.WeightHH) / l.Hidden
	case p < l.BiasHH:
		return p - l.BiasIH
	}
	return p - l.BiasHH
}

// Tensors lists the named views in storage order, with PyTorch's names for layer k of a
// stack and shapes: weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}.
func (l Layout) Tensors(layer int) []Tensor {
	gh := l.Gates * l.Hidden
	k := strconv.Itoa(layer)
	return []Tensor{
		{Name: "weight_ih_l" + k, Shape: []int{gh, l.Input}, Offset: l.WeightIH},
		{Name: "weight_hh_l" + k, Shape: []int{gh, l.Hidden}, Offset: l.WeightHH},
		{Name: "bias_ih_l" + k, Shape: []int{gh}, Offset: l.BiasIH},
		{Name: "bias_hh_l" + k, Shape: []int{gh}, Offset: l.BiasHH},
	}
}

// Tensor is a named view of a flat parameter (or gradient) vector.
type Tensor struct {
	Name   string // PyTorch's name, such as weight_ih_l0
	Shape  []int  // PyTorch's shape, row-major
	Offset int    // where its first element is in the flat vector
}

// Size is the number of elements, the product of Shape.
func (t Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Of returns the tensor's elements within flat (a parameter or gradient vector).
func (t Tensor) Of(flat []float32) []float32 { return flat[t.Offset : t.Offset+t.Size()] }
