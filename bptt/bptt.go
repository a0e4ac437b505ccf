// Package bptt holds the reverse-mode credit-assignment algorithms: exact backpropagation
// through time (Full), the same gradient under a memory budget by binomial checkpointing
// (Checkpointed), truncated BPTT(k1, k2) on unbounded streams (Truncated), and truncated
// BPTT whose window adapts to a tolerated gradient bias (Adaptive); and for models with an
// attention component (cell.Model.Attention), exact BPTT (FullAttention) and Sparse
// Attentive Backtracking (SAB), which the other algorithms refuse.
//
// All of them run the same backward step. For a sequence of T steps of a model (a stack of
// layers whose joint state is s_t, read by a linear head through the top layer's h_t) with
//
//	s_t = F(s_{t-1}, x_t; θ),  ŷ_t = W·h_t + b,  L = Σ_t ℓ_t(ŷ_t, y_t)                 (1)
//
// (ℓ_t the squared error ½‖ŷ_t − y_t‖² or the softmax cross-entropy −log softmax(ŷ_t)[c_t],
// as the step's cell.Target says), the forward pass records caches, and the backward pass
// runs the adjoint recursion downwards from δ = 0 after the last step:
//
//	δ_t  ← δ_t + (∂h_t/∂s_t)ᵀ·Wᵀ·∂ℓ_t/∂ŷ_t              (the loss of step t)      (2)
//	∂L/∂W += ∂ℓ_t/∂ŷ_t·h_tᵀ,  ∂L/∂b += ∂ℓ_t/∂ŷ_t                                 (3)
//	∂L/∂θ += δ_tᵀ·∂s_t/∂θ|_{s_{t-1}},  δ_{t-1} = J_tᵀ·δ_t,  J_t = ∂s_t/∂s_{t-1}   (4)
//
// ((4) is the model's Backward: every layer's VJP, top down, each passing the adjoint of
// its input to the layer below within the step). The types' documentation refers to these
// equations by number.
//
// Every algorithm has the streaming shape shared with package rtrl (the interface
// algo.Algorithm): Reset starts a sequence, Step feeds (x_t, y_t) and returns the step's
// loss ℓ_t, Finish ends the sequence, the gradients accumulate until ZeroGrad, and Close
// ends the algorithm's life (after it, every method that steps returns cell.ErrClosed).
// Gradients use the flat layouts of cell.Model.ParamOffset (every layer's parameters) and
// cell.Readout.Params. Every constructor takes the model the algorithm differentiates and
// an options struct whose zero value is the algorithm's default configuration. Buffers are
// allocated at construction or grown on first use and then reused, so a steady-state Step
// allocates nothing.
//
// Bytes reports the memory an algorithm holds to assign credit: caches, checkpoints,
// tapes and scratch vectors. It leaves out the two gradient accumulators, which every
// algorithm has and which have the size of the parameters, so that the figure compares
// what the algorithms differ in.
package bptt

import (
	"fmt"
	"math"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
)

// base is what every algorithm here holds besides its caches: the model, the running
// state, the adjoint δ = ∂L/∂s_t of the backward sweep, readout scratch and the gradients.
// States and adjoints are the model's joint state (every layer's, bottom first).
type base struct {
	model              *cell.Model
	closed             bool
	head               *cell.Readout
	out                int
	batch              int       // B, the sequences stepped together
	state, s0          []float32 // the joint state, feature-major for a batch (S·B)
	delta              []float32
	top                int // where the top layer's h_t starts in the joint state
	yhat               []float32
	gradCell, gradHead []float32
	// A batch's scratch: x_t feature-major (checkpointed BPTT's), one sequence's ŷ and
	// ∂ℓ/∂ŷ, the state batch-major for State.
	xT, col, dcol, rows []float32
	// batches hold, per layer, the weight-gradient factors of the backward steps not yet
	// added to gradCell (see backStep); each algorithm sizes them (setBatch).
	batches []*cell.GradBatch
	// workers split the matrix products of the caches and batches (nil: one).
	workers *kernels.Workers
	// packs hold packed copies of the weights for a minibatch's products (nil for one
	// sequence): the backward sweep's transposes always (packed at its first step), the
	// forward matrices for the algorithms that keep the weights fixed over a sequence.
	packs *cell.WeightPacks
	// sweepSteps is the number of backward steps the sweep under way will run (an algorithm
	// sets it before its first backStep); shorter sweeps than MinPackedSweep do not pack.
	sweepSteps int
	// paramGrad is GradCell's ∂L/∂θ when the model derives a layer's recurrent matrix
	// from its parameters (the orthogonal cell): gradCell then holds ∂L/∂W there, and
	// GradCell maps it (nil otherwise: GradCell is gradCell).
	paramGrad []float32
}

// maxBatch bounds B: a typo should not ask for a million sequences' buffers.
const maxBatch = 1 << 16

// maxWorkers bounds the Workers option.
const maxWorkers = 256

func newBase(m *cell.Model, batch, workers int) (base, error) {
	if m != nil && m.Attention != nil {
		return base{}, fmt.Errorf("bptt: the %v model has an attention component, whose memory this algorithm does not differentiate (NewFullAttention and NewSAB do)", m.Kind())
	}
	return newModelBase(m, batch, workers)
}

// newModelBase is newBase for every model, with an attention component or not.
func newModelBase(m *cell.Model, batch, workers int) (base, error) {
	if err := m.Check(); err != nil {
		return base{}, fmt.Errorf("bptt: %w", err)
	}
	if err := m.ParamsChanged(); err != nil {
		return base{}, fmt.Errorf("bptt: %w", err)
	}
	if batch == 0 {
		batch = 1
	}
	if batch < 1 || batch > maxBatch {
		return base{}, fmt.Errorf("bptt: a batch of %d sequences is out of range [1, %d]", batch, maxBatch)
	}
	if workers < 0 || workers > maxWorkers {
		return base{}, fmt.Errorf("bptt: %d workers is out of range [1, %d]", workers, maxWorkers)
	}
	s := m.StateSize() * batch
	b := base{
		model: m, head: m.Head, out: m.OutSize(), batch: batch,
		state:    make([]float32, s),
		s0:       make([]float32, s),
		delta:    make([]float32, s),
		top:      m.StateOffset(m.NumLayers()-1) * batch,
		yhat:     make([]float32, m.OutSize()*batch),
		gradCell: make([]float32, m.NumParams()),
		gradHead: make([]float32, m.Head.NumParams()),
	}
	if workers > 1 {
		b.workers = kernels.NewWorkers(workers)
	}
	if m.DerivedWeights() {
		b.paramGrad = make([]float32, m.NumParams())
	}
	if batch > 1 {
		b.col, b.dcol = make([]float32, m.OutSize()), make([]float32, m.OutSize())
		b.rows = make([]float32, s)
		b.packs = m.NewWeightPacks(batch)
	}
	return b, nil
}

// Batch is B, the number of sequences stepped together.
func (b *base) Batch() int { return b.batch }

// newStepCache is a step cache for the algorithm's batch, its products on the workers.
func (b *base) newStepCache() *cell.StepCache {
	k := b.model.NewBatchStepCache(b.batch)
	k.SetWorkers(b.workers)
	k.SetWeightPacks(b.packs)
	return k
}

// input returns x_t in the model's layout: a batch's B rows of I (as Step takes them)
// feature-major, in b.xT, which only checkpointed BPTT allocates (the others transpose a
// step's input straight into its cache: inputInto).
func (b *base) input(x []float32) []float32 { return b.inputTo(b.xT, x) }

// inputInto is input for a step recorded in k: a batch's x_t is transposed straight into
// k's layer-0 input, where Forward then leaves it (a copy fewer of every step's input).
func (b *base) inputInto(k *cell.StepCache, x []float32) []float32 {
	return b.inputTo(k.Layer(0).Input(), x)
}

// inputTo is x itself for one sequence, and a batch's x transposed into dst.
func (b *base) inputTo(dst, x []float32) []float32 {
	if b.batch == 1 {
		return x
	}
	transposeRows(dst, x, b.batch, len(x)/b.batch)
	return dst
}

// transposeRows writes the rows×cols row-major src into dst as cols×rows.
func transposeRows(dst, src []float32, rows, cols int) {
	kernels.Transpose(kernels.MatOf(cols, rows, dst), kernels.MatOf(rows, cols, src))
}

// Model is the model the algorithm was built for.
func (b *base) Model() *cell.Model { return b.model }

// Close ends the algorithm's life; later calls that step or reset it return
// cell.ErrClosed. It holds no goroutine or file, so Close only marks it.
func (b *base) Close() error {
	b.closed = true
	b.workers.Close()
	return nil
}

// errClosed is the error of a method called after Close.
func (b *base) errClosed() error {
	if b.closed {
		return fmt.Errorf("bptt: %w", cell.ErrClosed)
	}
	return nil
}

// GradCell is the accumulated gradient of the model's cell parameters, every layer's, in
// the flat layout of cell.Model.ParamOffset. For a model with orthogonal layers it maps
// the accumulated ∂L/∂W to the parameters (cell.Model.ParamGrad, O(H³) when the gradient
// has changed since the last call) into a buffer of its own: call GradCell after the
// steps whose gradient you want, its slice stays the same.
func (b *base) GradCell() []float32 {
	if b.paramGrad == nil {
		return b.gradCell
	}
	b.model.ParamGrad(b.paramGrad, b.gradCell)
	return b.paramGrad
}

// GradHead is the accumulated gradient of the readout's parameters.
func (b *base) GradHead() []float32 { return b.gradHead }

// State is the current joint state s_t, owned by the algorithm; for a batch, B rows (one
// per sequence).
func (b *base) State() []float32 {
	if b.batch == 1 {
		return b.state
	}
	transposeRows(b.rows, b.state, len(b.state)/b.batch, b.batch)
	return b.rows
}

// ZeroGrad clears both gradients. It also tells the model its parameters may have
// changed (cell.Model.ParamsChanged), as they do between an update's gradient and the
// next: an orthogonal layer re-derives its W if they did.
func (b *base) ZeroGrad() {
	clear(b.gradCell)
	clear(b.gradHead)
	clear(b.paramGrad)
	_ = b.model.ParamsChanged() // an error leaves W NaN, which the next step's loss shows
}

// setBatch gives the algorithm gradient batches of cols ≥ 1 columns, one per layer.
func (b *base) setBatch(cols int) error {
	batches, err := b.model.NewGradBatches(cols)
	if err != nil {
		return fmt.Errorf("bptt: %w", err)
	}
	for _, g := range batches {
		g.SetWorkers(b.workers)
	}
	b.batches = batches
	return nil
}

// defaultBatchCols is the columns full BPTT's gradient batches take: BatchCols of the
// bottom layer (whose input is widest).
func (b *base) defaultBatchCols() int {
	return BatchCols(b.model.Layers[0].Layout(), b.batch)
}

// BatchCols is the number of columns the BPTT family's gradient batches (cell.GradBatch)
// take for a model whose bottom layer has layout l, stepped on minibatches of batch
// sequences: cell.DefaultBatchCols for one sequence; for a minibatch four times that,
// so that the flush's Gemm has an inner dimension of at least 32 and the weight gradient
// is read and written at most every fourth step, and at least 256 when the layer's weight
// gradient (G·H·(I+H) floats) is past 1 MiB, which a flush reads and writes from beyond
// L2; always rounded up to a whole number of steps. The columns do not change the
// gradient's bits (cell.GradBatch), only when its Gemm runs and how long its inner
// dimension is; Bytes counts them.
func BatchCols(l cell.Layout, batch int) int {
	batch = max(1, batch)
	cols := cell.DefaultBatchCols(l)
	if batch > 1 {
		cols *= 4
		if 4*l.Gates*l.Hidden*(l.Input+l.Hidden) > flushBytes {
			cols = max(cols, flushInner)
		}
	}
	return (cols + batch - 1) / batch * batch
}

// flushInner and flushBytes: a minibatch's weight gradient past flushBytes (L2) is read
// and written from L3 by every flush, and a flush of 64 columns (LSTM, n = 512, B = 32:
// two steps, 8 MiB of gradient) ran its Gemm at about 78% of the micro-kernel's rate;
// 256 columns (a whole K block of the micro-kernel) made full BPTT 3.5–10% faster in
// alternating runs (LSTM and GRU, n = 512, B = 32; 6% at B = 8), at 3 MiB of columns. At
// n = 128 (weights in L2) 128 against 256 columns moved nothing the machine resolves.
const (
	flushInner = 256
	flushBytes = 1 << 20
)

// batchBytes counts the gradient batches.
func (b *base) batchBytes() int64 {
	var n int64
	for _, bb := range b.batches {
		n += int64(bb.Bytes())
	}
	return n
}

// scratchBytes counts the vectors of base that are not gradients.
func (b *base) scratchBytes() int64 {
	n := len(b.state) + len(b.s0) + len(b.delta) + len(b.yhat) + len(b.xT) + len(b.col) + len(b.dcol) + len(b.rows)
	return 4*int64(n) + b.batchBytes() + b.packBytes()
}

// packBytes is the packed weights' memory (0 for one sequence).
func (b *base) packBytes() int64 {
	if b.packs == nil {
		return 0
	}
	return b.packs.Bytes()
}

// packForward snapshots the weights for a sequence's forward steps (a minibatch's; for
// one sequence it does nothing).
func (b *base) packForward() {
	if b.packs != nil {
		b.packs.PackForward()
	}
}

// weightsMoved reports an error if the weights changed since packForward (a minibatch
// whose forward steps used the snapshot) and drops the snapshot.
func (b *base) weightsMoved() error {
	if b.packs == nil || !b.packs.Forward() {
		return nil
	}
	moved := b.packs.Changed()
	b.packs.Unpack()
	if moved {
		return fmt.Errorf("bptt: Finish: the weights changed during the sequence (after its first step); a minibatch's forward steps use the weights of its first step, so the sequence is dropped: change the weights between Finish and the next sequence's first step")
	}
	return nil
}

// setStart copies s0 (nil: zeros) into both the running state and b.s0, after telling
// the model that its parameters may have changed since the last sequence.
func (b *base) setStart(s0 []float32) error {
	if err := b.errClosed(); err != nil {
		return err
	}
	if err := b.model.ParamsChanged(); err != nil {
		return fmt.Errorf("bptt: %w", err)
	}
	if s0 == nil {
		clear(b.s0)
	} else {
		if len(s0) != len(b.s0) {
			if b.batch > 1 {
				return fmt.Errorf("bptt: initial state has %d values, the batch's is %d sequences × %d (%d layers of %v)", len(s0), b.batch, b.model.StateSize(), b.model.NumLayers(), b.model.Kind())
			}
			return fmt.Errorf("bptt: initial state has %d values, the model's state has %d (%d layers of %v)", len(s0), len(b.s0), b.model.NumLayers(), b.model.Kind())
		}
		if err := finite("initial state", s0); err != nil {
			return err
		}
		if b.batch == 1 {
			copy(b.s0, s0)
		} else {
			transposeRows(b.s0, s0, b.batch, len(s0)/b.batch)
		}
	}
	copy(b.state, b.s0)
	return nil
}

// checkStep validates a step's input and target before anything is changed.
func (b *base) checkStep(x []float32, y cell.Target) error {
	if err := b.errClosed(); err != nil {
		return err
	}
	if in := b.model.InputSize(); len(x) != in*b.batch {
		if b.batch > 1 {
			return fmt.Errorf("bptt: input has %d values, the batch's is %d sequences × %d", len(x), b.batch, in)
		}
		return fmt.Errorf("bptt: input has %d values, the model takes %d", len(x), in)
	}
	if err := finite("input", x); err != nil {
		return err
	}
	if err := y.Check(b.out, b.batch); err != nil {
		return fmt.Errorf("bptt: %w", err)
	}
	return nil
}

// finite refuses a vector holding NaN or ±Inf, naming the first. Every step checks its
// input, so the common case is one SIMD pass: Σ x_i·0 is 0 for finite values and NaN as
// soon as one is NaN or infinite (0·∞ is NaN), whatever their size.
func finite(what string, v []float32) error {
	clean := true
	for c0 := 0; c0 < len(v) && clean; c0 += len(finiteZeros) {
		chunk := v[c0:min(len(v), c0+len(finiteZeros))]
		clean = kernels.Dot(chunk, finiteZeros[:len(chunk)]) == 0
	}
	if clean {
		return nil
	}
	for i, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return fmt.Errorf("bptt: %s value %d is %v: %w", what, i, x, cell.ErrNonFinite)
		}
	}
	return nil
}

// topHidden is the top layer's h_t within the joint state s (a batch's, feature-major).
func (b *base) topHidden(s []float32) []float32 {
	return s[b.top : b.top+b.model.HiddenSize()*b.batch]
}

// readoutLoss computes ŷ_t = W·h_t + b for the top layer's h_t and returns ℓ_t and
// whether the step has a target, leaving ∂ℓ_t/∂ŷ_t in dy (zero without a target).
func (b *base) readoutLoss(dy, h []float32, y cell.Target) (float32, bool) {
	b.head.Forward(b.yhat, h)
	if b.batch == 1 {
		return y.Loss(dy, b.yhat)
	}
	// Sequence by sequence: ŷ and ∂ℓ/∂ŷ are feature-major, the targets one row each.
	var loss float32
	any := false
	for j := range b.batch {
		for o := range b.col {
			b.col[o] = b.yhat[o*b.batch+j]
		}
		l, has := y.Row(j, b.out).Loss(b.dcol, b.col)
		for o, v := range b.dcol {
			dy[o*b.batch+j] = v
		}
		loss += l
		any = any || has
	}
	return loss, any
}

// recordedTop is the top layer's h_t as the cache of step t+1 recorded it (its s_{t}).
func (b *base) recordedTop(next *cell.StepCache) []float32 {
	return next.Layer(b.model.NumLayers() - 1).Prev()[:b.model.HiddenSize()*b.batch]
}

// backStep is one step of the backward sweep, shared by every algorithm so that they
// perform the same floating-point operations in the same order. On entry δ = ∂L/∂s_t
// from the steps after t; the loss ℓ_t (when the step has a target) adds Wᵀ·dy_t to
// the top layer's δ_h and dy_t·h_tᵀ to the readout gradient; then the model's VJP turns
// δ into ∂L/∂s_{t-1} (through every layer, top down), and ∂L/∂θ through step t goes to
// the gradient, its weight part by way of the gradient batches, which endSweep empties.
// The batches' size does not change the result (see cell.GradBatch), so algorithms with
// different batches agree bit for bit.
func (b *base) backStep(k *cell.StepCache, ht, dy []float32, hasTarget bool) {
	if b.packs != nil && !b.packs.Backward() && b.sweepSteps >= MinPackedSweep {
		b.packs.PackBackward() // the weights cannot change within the sweep
	}
	if hasTarget {
		b.head.Backward(b.topHidden(b.delta), b.gradHead, ht, dy)
	}
	b.model.BackwardBatch(k, b.delta, b.gradCell, b.batches, b.delta)
}

// MinPackedSweep is the fewest backward steps a minibatch's sweep takes for the BPTT
// family to pack the weights' transposes for it (cell.WeightPacks): PackT costs about
// one of a step's transposed products read in place (LSTM, n = 512, B = 32: 2.6 ms,
// against 2.6 ms in place and 1.1 ms packed per step), so a sweep of one step would lose
// and one of two breaks even. Shorter sweeps (tbptt:K1,1) hold no backward packs, and
// Bytes and algo's memory model count none.
const MinPackedSweep = 2

// endSweep adds what the gradient batches still hold to the gradient.
func (b *base) endSweep() {
	b.model.FlushGradBatches(b.batches, b.gradCell)
	if b.packs != nil {
		b.packs.UnpackBackward()
	}
}

// finiteZeros is finite's vector of zeros (read only).
var finiteZeros [2048]float32
