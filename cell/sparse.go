package cell

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/chronograd/chronograd/kernels"
)

// Sparse recurrent weights.
//
// A layer may carry a fixed mask on its weight_hh_l{k} (G·H×H): the entries the mask drops
// are not parameters. They hold exact zeros from the moment the mask is set, and
// everything that writes the weights keeps them so: the initialisers, Model.EnforceMasks
// (which package train runs after every optimizer step, whatever the optimizer does),
// and model loading, which refuses a file whose weight holds a non-zero where its mask
// drops the entry. A gradient of a masked model has no meaning at a dropped entry:
// Model.MaskGrad zeroes it there, and package train applies it before clipping, so the
// optimizer (and its momentum or moment estimates) never sees one. The forward and
// backward products with W_hh of one sequence read only the kept entries
// (kernels.SparseMatVecAdd) when the mask keeps few enough of them to pay; the Jacobians
// and the minibatch products read W_hh densely, zeros included, with the same result.
//
// In a model file the mask is the tensor weight_hh_l{k}_mask, float32 [G·H, H], 1 where
// the entry is kept and 0 where it is dropped (the name and the values of PyTorch's
// torch.nn.utils.prune buffer), beside weight_hh_l{k}, which holds exact zeros where the
// mask is 0. A layer without that tensor is dense.

// MaskMethod is how Sparsify chooses the entries of W_hh to keep.
type MaskMethod int

const (
	// MaskRandom keeps, in every row of W_hh, the same number of entries, chosen
	// uniformly at random.
	MaskRandom MaskMethod = iota
	// MaskMagnitude keeps, in every row of W_hh, the entries of largest magnitude (on a
	// tie, the lower column): pruning at initialisation.
	MaskMagnitude
)

// String is the method's name on the command line: random or magnitude.
func (m MaskMethod) String() string {
	switch m {
	case MaskRandom:
		return "random"
	case MaskMagnitude:
		return "magnitude"
	}
	return fmt.Sprintf("MaskMethod(%d)", int(m))
}

// ParseMaskMethod maps random or magnitude to its MaskMethod.
func ParseMaskMethod(name string) (MaskMethod, error) {
	for _, m := range []MaskMethod{MaskRandom, MaskMagnitude} {
		if m.String() == name {
			return m, nil
		}
	}
	return 0, fmt.Errorf("cell: unknown mask method %q (want random or magnitude)", name)
}

// CheckDensity returns an error unless 0 < density ≤ 1: the fraction of W_hh's entries
// a mask keeps.
func CheckDensity(density float64) error {
	if !(density > 0 && density <= 1) { // also rejects NaN
		return fmt.Errorf("cell: density %v out of range (0, 1]", density)
	}
	return nil
}

// MaskTensorName is the name of layer k's mask tensor in a model file:
// weight_hh_l{k}_mask.
func MaskTensorName(layer int) string { return fmt.Sprintf("weight_hh_l%d_mask", layer) }

// recurrentMask is a layer's fixed mask on W_hh.
type recurrentMask struct {
	keep    []bool             // G·H×H, row-major: true where the entry is kept
	pattern kernels.RowPattern // the kept entries
}

// sparse reports whether a sequence's products with W_hh should read it through the
// pattern (kernels.SparseMatVecAdd and SparseMatTVecAdd) on the active tier: where the
// kernels' measured crossover says it pays (kernels.SparsePays).
func (m *recurrentMask) sparse() bool {
	return m != nil && kernels.SparsePays(m.pattern.Rows, m.pattern.Cols, m.pattern.Kept())
}

func (m *recurrentMask) density() float64 {
	return float64(m.pattern.Kept()) / float64(len(m.keep))
}

// asLayer returns c's implementation, or an error for a Cell this package did not make.
func asLayer(c Cell, op string) (*layer, error) {
	l, ok := c.(*layer)
	if !ok || l == nil {
		return nil, fmt.Errorf("cell: %s: %T is not a cell made by cell.New", op, c)
	}
	return l, nil
}

// SetRecurrentMask fixes a mask on c's weight_hh_l0: keep (G·H×H, row-major) is true for
// the entries kept. The dropped entries are set to zero. A nil keep removes the mask
// (the weights stay as they are). It returns an error for a keep of the wrong length or
// a Cell not made by New, and for an orthogonal cell (its W_hh is the exponential of its
// parameter, dense by construction).
func SetRecurrentMask(c Cell, keep []bool) error {
	l, err := asLayer(c, "SetRecurrentMask")
	if err != nil {
		return err
	}
	if keep == nil {
		l.mask = nil
		return nil
	}
	if l.lay.Kind == Orthogonal {
		return fmt.Errorf("cell: %v: an orthogonal cell's W_hh = exp(A) is dense by construction and takes no mask", l)
	}
	rows, cols := l.whh.Rows, l.whh.Cols
	if len(keep) != rows*cols {
		return fmt.Errorf("cell: a mask of %d entries for the %d×%d weight_hh of %v", len(keep), rows, cols, l)
	}
	l.mask = &recurrentMask{keep: slices.Clone(keep), pattern: kernels.NewRowPattern(rows, cols, keep)}
	l.enforceMask()
	return nil
}

// Sparsify fixes a mask on c's weight_hh_l0 that keeps k = round(density·H) entries (at
// least one) of each of its G·H rows, chosen by method (rng, a math/rand/v2 generator,
// draws MaskRandom's choice; it may be nil for MaskMagnitude), and zeroes the others.
// Every row keeping the same count makes the number of kept entries, and so the cost of
// a product, independent of the draw. A density of 1 keeps everything (a mask that drops
// nothing). It returns an error for a density outside (0, 1], an unknown method, a nil
// rng with MaskRandom, or an orthogonal cell.
func Sparsify(c Cell, density float64, method MaskMethod, rng *rand.Rand) error {
	if err := CheckDensity(density); err != nil {
		return err
	}
	l, err := asLayer(c, "Sparsify")
	if err != nil {
		return err
	}
	if method == MaskRandom && rng == nil {
		return errors.New("cell: Sparsify: a random mask needs a random source")
	}
	rows, h := l.whh.Rows, l.whh.Cols
	k := min(h, max(1, int(math.Round(density*float64(h)))))
	keep := make([]bool, rows*h)
	cols := make([]int, h)
	for r := range rows {
		for j := range cols {
			cols[j] = j
		}
		switch method {
		case MaskRandom:
			// A partial Fisher–Yates shuffle: the first k of cols are a uniform k-subset.
			for j := range k {
				s := j + rng.IntN(h-j)
				cols[j], cols[s] = cols[s], cols[j]
			}
		case MaskMagnitude:
			w := l.whh.Row(r)
			slices.SortStableFunc(cols, func(a, b int) int {
				return cmp.Compare(math.Abs(float64(w[b])), math.Abs(float64(w[a])))
			})
		default:
			return fmt.Errorf("cell: unknown mask method %v", method)
		}
		for _, j := range cols[:k] {
			keep[r*h+j] = true
		}
	}
	return SetRecurrentMask(c, keep)
}

// RecurrentMask returns the mask on c's weight_hh_l0 (G·H×H, row-major, true where kept;
// the cell's own slice, not to be modified), or nil when W_hh is dense.
func RecurrentMask(c Cell) []bool {
	if l, ok := c.(*layer); ok && l != nil && l.mask != nil {
		return l.mask.keep
	}
	return nil
}

// RecurrentPattern returns the kept entries of c's weight_hh_l0 (the cell's own, not to
// be modified), or nil when W_hh is dense.
func RecurrentPattern(c Cell) *kernels.RowPattern {
	if l, ok := c.(*layer); ok && l != nil && l.mask != nil {
		return &l.mask.pattern
	}
	return nil
}

// RecurrentDensity is the fraction of the entries of c's weight_hh_l0 its mask keeps: 1
// when W_hh is dense.
func RecurrentDensity(c Cell) float64 {
	if l, ok := c.(*layer); ok && l != nil && l.mask != nil {
		return l.mask.density()
	}
	return 1
}

// enforceMask zeroes the dropped entries of c's W_hh, if c carries a mask.
func enforceMask(c Cell) {
	if l, ok := c.(*layer); ok && l != nil {
		l.enforceMask()
	}
}

// enforceMask zeroes the dropped entries of W_hh (nothing without a mask).
func (c *layer) enforceMask() {
	if c.mask != nil {
		zeroDropped(c.whh, &c.mask.pattern)
	}
}

// zeroDropped zeroes the entries of a that p does not keep, clearing the runs between
// kept entries row by row: O(kept + rows) calls.
func zeroDropped(a kernels.Mat, p *kernels.RowPattern) {
	for r := range a.Rows {
		row := a.Row(r)
		next := 0
		for _, j := range p.Row(r) {
			clear(row[next:j])
			next = int(j) + 1
		}
		clear(row[next:])
	}
}

// Sparsify fixes a mask on every layer's W_hh, as Sparsify does for one cell, drawing
// the layers' masks from rng (a math/rand/v2 generator) in order.
func (m *Model) Sparsify(density float64, method MaskMethod, rng *rand.Rand) error {
	if err := m.Check(); err != nil {
		return err
	}
	for k, l := range m.Layers {
		if err := Sparsify(l, density, method, rng); err != nil {
			return fmt.Errorf("layer %d: %w", k, err)
		}
	}
	return nil
}

// Sparse reports whether any layer carries a mask on its W_hh.
func (m *Model) Sparse() bool {
	for _, l := range m.Layers {
		if RecurrentMask(l) != nil {
			return true
		}
	}
	return false
}

// RecurrentDensity is the fraction of the layers' W_hh entries their masks keep, over
// all layers: 1 for a dense model.
func (m *Model) RecurrentDensity() float64 {
	var kept, all float64
	for _, l := range m.Layers {
		n := float64(l.Layout().Gates * l.HiddenSize() * l.HiddenSize())
		kept += RecurrentDensity(l) * n
		all += n
	}
	return kept / all
}

// MaskGrad zeroes the entries of a flat cell vector (GradCell's layout, every layer's)
// that the layers' masks drop: an algorithm's gradient has there the value the dense
// cell's would have, which is no parameter's. Package train applies it before every
// update, and chronograd grad before it writes a gradient. It does nothing for a dense
// model. It panics when cellVec has the wrong length.
func (m *Model) MaskGrad(cellVec []float32) {
	if len(cellVec) != m.NumParams() {
		panic(fmt.Sprintf("cell: MaskGrad: %d values for a model of %d parameters", len(cellVec), m.NumParams()))
	}
	for k, l := range m.Layers {
		if p := RecurrentPattern(l); p != nil {
			lay := l.Layout()
			v := m.LayerVector(cellVec, k)
			zeroDropped(kernels.MatOf(p.Rows, p.Cols, v[lay.WeightHH:lay.BiasIH]), p)
		}
	}
}

// EnforceMasks zeroes the weights the layers' masks drop, after anything that may have
// written them (an optimizer step, a copy of weights in place). Package train runs it
// after every update. It does nothing for a dense model.
func (m *Model) EnforceMasks() {
	for _, l := range m.Layers {
		enforceMask(l)
	}
}
