package cell

import (
	"fmt"

	"github.com/chronograd/chronograd/kernels"
)

// GradBatch defers the weight gradient of backward steps, one column per step up to its
// size, and adds it with matrix-matrix products.
//
// A backward step's ∂L/∂θ is two outer products and two vectors: with g_ih, g_hh the
// gradients w.r.t. the ih and hh gate pre-activations (see ImmediateCoefficients),
//
//	∂L/∂weight_ih_l0 += g_ih·x_tᵀ     ∂L/∂weight_hh_l0 += g_hh·h_{t-1}ᵀ
//	∂L/∂bias_ih_l0   += g_ih          ∂L/∂bias_hh_l0   += g_hh
//
// Cell.Backward adds them one step at a time, and a rank-one update reads and writes the
// whole G·H×(I+H) weight gradient every step. Cell.BackwardBatch adds the biases at once
// but records g_ih, g_hh, x_t and h_{t-1} as the batch's next column, and Flush adds the
// recorded columns together: ∂L/∂weight_ih_l0 += G_ih·X, with G_ih the G·H×n matrix of the
// columns and X the n×I matrix of the inputs, one kernels.GemmSeq, and likewise for the
// hh half.
//
// kernels.GemmSeq adds the terms of its inner dimension into C one at a time in order,
// each with one multiply-add, as Ger with α = 1 adds its one term; so the result does not
// depend on where the flushes fall, and it is bit for bit what Backward's step-by-step
// updates give. Two algorithms that run the same backward steps in the same order get
// the same bits whatever their batches' sizes (package bptt's full and checkpointed BPTT
// rely on it).
//
// A GradBatch belongs to one cell shape; it is not safe for concurrent use.
type GradBatch struct {
	lay      Layout
	cols     int
	gIH, gHH kernels.Mat // G·H × cols; gHH shares gIH's storage when the kind's coefficients agree
	shared   bool
	x, hp    kernels.Mat // cols × I and cols × H: row j is column j's x_t and h_{t-1}
	n        int         // recorded columns
	one      []float32   // a single column, gathered for Ger
	workers  *kernels.Workers
}

// SetWorkers splits Flush's products over w (nil: the caller alone); the gradient has
// the same bits for any number of workers.
func (b *GradBatch) SetWorkers(w *kernels.Workers) { b.workers = w }

// gradBatchBytes is what DefaultBatchCols aims a batch at: a quarter of a 1 MiB L2, so
// the recorded columns are still cached when Flush reads them. At n = 512 a 64 KiB batch
// (8 columns) left the flush's Gemm at half its speed, its inner dimension too short to
// amortise reading and writing the 2 MiB weight gradient: full BPTT took about 4% longer.
const gradBatchBytes = 256 << 10

// DefaultBatchCols is the number of columns full BPTT uses for a cell of layout l: as many as fit
// in about 256 KiB, a power of two between 8 and 32. More columns make the flush's Gemm
// more efficient (its inner dimension) and touch the G·H×(I+H) weight gradient less
// often; 8 already cuts that traffic eightfold, and beyond 32 the time per step did not
// move measurably (n = 128) while the memory grows.
func DefaultBatchCols(l Layout) int {
	cols := 8
	for cols < 32 && 2*cols*gradBatchColBytes(l) <= gradBatchBytes {
		cols *= 2
	}
	return cols
}

// gradBatchColBytes is the memory of one column.
func gradBatchColBytes(l Layout) int {
	per := l.Gates*l.Hidden + l.Input + l.Hidden
	if l.Kind == GRU {
		per += l.Gates * l.Hidden
	}
	return 4 * per
}

// NewGradBatch returns an empty batch of cols columns for the cell's shape.
func NewGradBatch(c Cell, cols int) (*GradBatch, error) {
	if c == nil {
		return nil, fmt.Errorf("cell: NewGradBatch: nil cell")
	}
	if cols < 1 || cols > 1<<16 {
		return nil, fmt.Errorf("cell: a gradient batch of %d columns is out of range [1, 65536]", cols)
	}
	l := c.Layout()
	gh := l.Gates * l.Hidden
	b := &GradBatch{lay: l, cols: cols, shared: l.Kind != GRU, one: make([]float32, gh)}
	b.gIH = kernels.NewMat(gh, cols)
	b.gHH = b.gIH
	if !b.shared {
		b.gHH = kernels.NewMat(gh, cols)
	}
	b.x = kernels.NewMat(cols, l.Input)
	b.hp = kernels.NewMat(cols, l.Hidden)
	return b, nil
}

// Bytes is the memory the batch holds.
func (b *GradBatch) Bytes() int { return GradBatchBytes(b.lay, b.cols) }

// GradBatchBytes is the memory of a gradient batch of cols columns for a cell of layout
// l (what GradBatch.Bytes reports).
func GradBatchBytes(l Layout, cols int) int { return cols*gradBatchColBytes(l) + 4*l.Gates*l.Hidden }

// ColBytes is the memory one more column would take.
func (b *GradBatch) ColBytes() int { return gradBatchColBytes(b.lay) }

// record adds the step's bias gradient to grad and stores the rest as the batch's next b
// columns (b sequences of a minibatch: gIH, gHH, x and hprev feature-major, G·H×b, I×b
// and H×b), flushing first when they would not fit.
func (b *GradBatch) record(grad, gIH, gHH, x, hprev []float32, seqs int) {
	if seqs > b.cols {
		panic(fmt.Sprintf("cell: a gradient batch of %d columns cannot hold a step of %d sequences", b.cols, seqs))
	}
	if b.n+seqs > b.cols {
		b.Flush(grad)
	}
	l := b.lay
	if seqs == 1 {
		kernels.Axpy(1, gIH, grad[l.BiasIH:l.BiasHH])
		kernels.Axpy(1, gHH, grad[l.BiasHH:])
	} else {
		addRowSums(grad[l.BiasIH:l.BiasHH], gIH, seqs)
		addRowSums(grad[l.BiasHH:], gHH, seqs)
	}
	storeColumns(b.gIH.Data, gIH, b.n, b.cols, seqs)
	if !b.shared {
		storeColumns(b.gHH.Data, gHH, b.n, b.cols, seqs)
	}
	// X and H are batch-major (row j is column j's x_t and h_{t-1}): a minibatch's
	// feature-major vectors are transposed straight into them.
	if seqs == 1 {
		copy(b.x.Data[b.n*l.Input:], x[:l.Input])
		copy(b.hp.Data[b.n*l.Hidden:], hprev[:l.Hidden])
	} else {
		transpose(b.x.Data[b.n*l.Input:(b.n+seqs)*l.Input], x[:seqs*l.Input], l.Input, seqs)
		transpose(b.hp.Data[b.n*l.Hidden:(b.n+seqs)*l.Hidden], hprev[:seqs*l.Hidden], l.Hidden, seqs)
	}
	b.n += seqs
}

// storeColumns writes src (rows of seqs values) into columns col … col+seqs−1 of dst,
// a matrix of stride cols. A short row is moved element by element: a call to copy
// per row cost a single sequence's step a quarter of a GRU's BPTT time at n = 128.
func storeColumns(dst, src []float32, col, cols, seqs int) {
	rows := len(src) / seqs
	switch {
	case seqs == 1:
		for r, v := range src {
			dst[r*cols+col] = v
		}
	case seqs < 16:
		for r := range rows {
			d, s := dst[r*cols+col:r*cols+col+seqs], src[r*seqs:(r+1)*seqs]
			for j := range d {
				d[j] = s[j]
			}
		}
	default:
		for r := range rows {
			copy(dst[r*cols+col:r*cols+col+seqs], src[r*seqs:(r+1)*seqs])
		}
	}
}

// Columns is the number of columns the batch holds.
func (b *GradBatch) Columns() int { return b.cols }

// Flush adds the recorded columns' weight gradient into grad (the cell's layout, length
// P), in the order they were recorded, and empties the batch.
func (b *GradBatch) Flush(grad []float32) {
	l := b.lay
	if len(grad) != l.NumParams() {
		panic(fmt.Sprintf("cell: GradBatch.Flush: len(grad) = %d, want %d", len(grad), l.NumParams()))
	}
	n := b.n
	if n == 0 {
		return
	}
	gh := l.Gates * l.Hidden
	if n == 1 {
		// One step: a rank-one update, which kernels.Ger does in a single pass (GemmSeq
		// would run its blocked driver for one term per tile). Ger with α = 1 rounds as
		// GemmSeq does with one term (see kernels' TestGerIsGemmSeqOfOneTerm).
		b.ger(grad[l.WeightIH:l.WeightHH], b.gIH, b.x.Row(0))
		b.ger(grad[l.WeightHH:l.BiasIH], b.gHH, b.hp.Row(0))
		b.n = 0
		return
	}
	kernels.GemmSeqOn(b.workers, kernels.MatOf(gh, l.Input, grad[l.WeightIH:l.WeightHH]), b.gIH.Slice(0, gh, 0, n), b.x.Slice(0, n, 0, l.Input))
	kernels.GemmSeqOn(b.workers, kernels.MatOf(gh, l.Hidden, grad[l.WeightHH:l.BiasIH]), b.gHH.Slice(0, gh, 0, n), b.hp.Slice(0, n, 0, l.Hidden))
	b.n = 0
}

// ger adds column 0 of g times vᵀ into the weight gradient dw.
func (b *GradBatch) ger(dw []float32, g kernels.Mat, v []float32) {
	for r := range b.one {
		b.one[r] = g.Data[r*b.cols]
	}
	kernels.Ger(kernels.MatOf(len(b.one), len(v), dw), 1, b.one, v)
}
