package cell

import (
	"fmt"

	"github.com/chronograd/chronograd/kernels"
)

// The model's step as one recurrent map on the joint state s = [s^0; …; s^{L−1}]:
//
//	s^0_t = F^0(s^0_{t−1}, x_t),   s^k_t = F^k(s^k_{t−1}, h^{k−1}_t)   (k > 0)
//
// so the joint state Jacobian is block lower-triangular: J_t[k][k] = J^k_t (layer k's own),
// J_t[k][j] = A^k_t·J_t[k−1][j]_h for j < k, with A^k_t = ∂s^k_t/∂x^k_t (the layer's input
// Jacobian) and ·_h the rows of h. With one layer every method is the layer's own, bit
// for bit. The methods share the model's scratch vectors: a Model must not be stepped by
// several goroutines at once (as a Cell must not).

// StepCache holds what one step of every layer records: one Cache per layer.
type StepCache struct {
	layers []*Cache
	batch  int
}

// SetWorkers splits the matrix products of the steps recorded in k, every layer's, over w
// (nil: the caller alone); see Cache.SetWorkers.
func (k *StepCache) SetWorkers(w *kernels.Workers) {
	for _, c := range k.layers {
		c.SetWorkers(w)
	}
}

// NewStepCache allocates a cache for one step of the model on one sequence; reuse it
// across steps.
func (m *Model) NewStepCache() *StepCache { return m.NewBatchStepCache(1) }

// NewBatchStepCache allocates a cache for one step of a minibatch of batch sequences.
// With it the model's step methods take the batch's joint vectors feature-major: element
// f·B + b is entry f of sequence b's joint state (so layer k's part, and its h, are
// contiguous blocks of B-wide rows).
func (m *Model) NewBatchStepCache(batch int) *StepCache {
	k := &StepCache{layers: make([]*Cache, len(m.Layers)), batch: batch}
	for i, l := range m.Layers {
		k.layers[i] = l.NewBatchCache(batch)
	}
	return k
}

// Batch is B, the number of sequences of the step.
func (k *StepCache) Batch() int { return k.batch }

// CopySequence copies sequence b of the batch step cache k into dst, a cache of one
// sequence of the same model (see Cache.CopySequence).
func (k *StepCache) CopySequence(dst *StepCache, b int) {
	for i, c := range k.layers {
		c.CopySequence(dst.layers[i], b)
	}
}

// Layer is layer i's cache.
func (k *StepCache) Layer(i int) *Cache { return k.layers[i] }

// Bytes is the memory the cache holds.
func (k *StepCache) Bytes() int {
	n := 0
	for _, c := range k.layers {
		n += c.Bytes()
	}
	return n
}

// stackScratch holds the vectors the joint step of a stack needs.
type stackScratch struct {
	v, dx, carry []float32   // a layer's adjoint, input adjoint and the one waiting for the layer below
	inJac        kernels.Mat // A^k_t, S×H
	batch        int         // the batch the vectors are sized for
}

// scratchFor sizes the joint step's vectors for a batch; they grow to the largest batch
// seen and are resliced after, so alternating batch sizes does not allocate.
func (m *Model) scratchFor(batch int) *stackScratch {
	s, h := m.Layers[0].StateSize(), m.HiddenSize()
	if m.scratch == nil {
		m.scratch = &stackScratch{inJac: kernels.NewMat(s, h)}
	}
	sc := m.scratch
	if sc.batch != batch {
		if cap(sc.v) < s*batch {
			sc.v, sc.dx, sc.carry = make([]float32, s*batch), make([]float32, h*batch), make([]float32, h*batch)
		}
		sc.v, sc.dx, sc.carry = sc.v[:s*batch], sc.dx[:h*batch], sc.carry[:h*batch]
		sc.batch = batch
	}
	return sc
}

// Forward runs one step of every layer: next = s_t from prev = s_{t−1} and x = x_t, into
// the cache. next may be the same slice as prev.
func (m *Model) Forward(k *StepCache, next, prev, x []float32) {
	m.checkStep("Forward", k, next, prev)
	off, b := 0, k.batch
	for i, l := range m.Layers {
		s := l.StateSize() * b
		in := x
		if i > 0 {
			// Layer i reads layer i−1's new h_t, already in next.
			below := off - m.Layers[i-1].StateSize()*b
			in = next[below : below+m.HiddenSize()*b]
		}
		l.Forward(k.layers[i], next[off:off+s], prev[off:off+s], in)
		off += s
	}
}

// ProjectInputs prepares the caches of several steps whose inputs xs are known, as
// Cell.ProjectInputs does for layer 0 (the layers above read states computed on the way);
// ForwardProjected then finishes each step like Forward, bit for bit.
func (m *Model) ProjectInputs(ks []*StepCache, xs [][]float32) {
	caches := m.scratchCaches(ks)
	m.Layers[0].ProjectInputs(caches, xs)
}

// scratchCaches lists layer 0's caches of ks (kept to avoid an allocation per call).
func (m *Model) scratchCaches(ks []*StepCache) []*Cache {
	if cap(m.layer0) < len(ks) {
		m.layer0 = make([]*Cache, len(ks))
	}
	l0 := m.layer0[:len(ks)]
	for j, k := range ks {
		l0[j] = k.layers[0]
	}
	return l0
}

// ForwardProjected finishes a step prepared by ProjectInputs.
func (m *Model) ForwardProjected(k *StepCache, next, prev []float32) {
	m.checkStep("ForwardProjected", k, next, prev)
	off, b := 0, k.batch
	for i, l := range m.Layers {
		s := l.StateSize() * b
		if i == 0 {
			l.ForwardProjected(k.layers[0], next[:s], prev[:s])
		} else {
			below := off - m.Layers[i-1].StateSize()*b
			l.Forward(k.layers[i], next[off:off+s], prev[off:off+s], next[below:below+m.HiddenSize()*b])
		}
		off += s
	}
}

func (m *Model) checkStep(op string, k *StepCache, vecs ...[]float32) {
	if k == nil || len(k.layers) != len(m.Layers) {
		panic(fmt.Sprintf("cell: Model.%s: a step cache for another model", op))
	}
	s := m.StateSize() * k.batch
	for _, v := range vecs {
		if len(v) != s {
			panic(fmt.Sprintf("cell: Model.%s: a state vector of %d values, the model's state has %d (×%d sequences)", op, len(v), m.StateSize(), k.batch))
		}
	}
}

// Backward is the vector-Jacobian product of the step recorded in k: given dNext =
// ∂L/∂s_t it overwrites dPrev with ∂L/∂s_{t−1} and ADDS ∂L/∂θ into grad (the flat cell
// layout, all layers) unless grad is nil. The adjoint of layer k's input (layer k−1's h_t)
// goes down to layer k−1 within the step. dPrev may be the same slice as dNext.
func (m *Model) Backward(k *StepCache, dPrev, grad, dNext []float32) {
	m.checkStep("Backward", k, dPrev, dNext)
	if len(m.Layers) == 1 {
		m.Layers[0].Backward(k.layers[0], dPrev, nil, grad, dNext)
		return
	}
	m.backward(k, dPrev, grad, nil, dNext)
}

// BackwardBatch is Backward with each layer's weight gradient deferred to its gradient
// batch (see Cell.BackwardBatch): batches holds one per layer (NewGradBatches). Call
// FlushGradBatches before reading grad.
func (m *Model) BackwardBatch(k *StepCache, dPrev, grad []float32, batches []*GradBatch, dNext []float32) {
	m.checkStep("BackwardBatch", k, dPrev, dNext)
	if len(batches) != len(m.Layers) {
		panic(fmt.Sprintf("cell: Model.BackwardBatch: %d gradient batches for %d layers", len(batches), len(m.Layers)))
	}
	if len(m.Layers) == 1 {
		m.Layers[0].BackwardBatch(k.layers[0], dPrev, nil, grad, batches[0], dNext)
		return
	}
	m.backward(k, dPrev, grad, batches, dNext)
}

// backward runs the layers top down; batches nil means Backward.
func (m *Model) backward(k *StepCache, dPrev, grad []float32, batches []*GradBatch, dNext []float32) {
	b := k.batch
	sc := m.scratchFor(b)
	h := m.HiddenSize() * b
	for i := len(m.Layers) - 1; i >= 0; i-- {
		l := m.Layers[i]
		off, s := m.StateOffset(i)*b, l.StateSize()*b
		v := dNext[off : off+s]
		if i < len(m.Layers)-1 {
			// Layer i's h_t also feeds layer i+1 at this step.
			copy(sc.v, v)
			kernels.Axpy(1, sc.carry, sc.v[:h])
			v = sc.v[:s]
		}
		var dx, g []float32
		if i > 0 {
			dx = sc.dx
		}
		if grad != nil {
			g = m.LayerVector(grad, i)
		}
		if batches != nil {
			l.BackwardBatch(k.layers[i], dPrev[off:off+s], dx, g, batches[i], v)
		} else {
			l.Backward(k.layers[i], dPrev[off:off+s], dx, g, v)
		}
		if i > 0 {
			copy(sc.carry, sc.dx)
		}
	}
}

// NewGradBatches returns one gradient batch of cols columns per layer.
func (m *Model) NewGradBatches(cols int) ([]*GradBatch, error) {
	bs := make([]*GradBatch, len(m.Layers))
	for i, l := range m.Layers {
		b, err := NewGradBatch(l, cols)
		if err != nil {
			return nil, err
		}
		bs[i] = b
	}
	return bs, nil
}

// FlushGradBatches adds what the layers' batches hold into grad (the flat cell layout).
func (m *Model) FlushGradBatches(batches []*GradBatch, grad []float32) {
	for i, b := range batches {
		b.Flush(m.LayerVector(grad, i))
	}
}

// StateJVP overwrites out with J_t·v for the joint state (forward mode) without forming
// J_t. out may be the same slice as v.
func (m *Model) StateJVP(k *StepCache, out, v []float32) {
	m.checkStep("StateJVP", k, out, v)
	off, h := 0, m.HiddenSize()
	for i, l := range m.Layers {
		s := l.StateSize()
		l.StateJVP(k.layers[i], out[off:off+s], v[off:off+s])
		if i > 0 {
			// (J·v)^i += A^i·(J·v)^{i−1}_h: the layer below's new h feeds this layer.
			below := off - m.Layers[i-1].StateSize()
			l.AddInputJVP(k.layers[i], out[off:off+s], out[below:below+h])
		}
		off += s
	}
}

// StateJacobian overwrites j (the joint S×S) with J_t, block lower-triangular (see the
// comment at the top of this file); the blocks above the diagonal are zero.
func (m *Model) StateJacobian(k *StepCache, j kernels.Mat) {
	n := m.StateSize()
	if j.Rows != n || j.Cols != n {
		panic(fmt.Sprintf("cell: Model.StateJacobian: J is %d×%d, want %d×%d", j.Rows, j.Cols, n, n))
	}
	if len(m.Layers) == 1 {
		m.Layers[0].StateJacobian(k.layers[0], j)
		return
	}
	for r := range n {
		clear(j.Row(r))
	}
	sc := m.scratchFor(1)
	h := m.HiddenSize()
	for i, l := range m.Layers {
		off, s := m.StateOffset(i), l.StateSize()
		l.StateJacobian(k.layers[i], j.Slice(off, off+s, off, off+s))
		if i == 0 {
			continue
		}
		a := sc.inJac.Slice(0, s, 0, h)
		l.InputJacobian(k.layers[i], a)
		below := m.StateOffset(i - 1)
		// Row block i, columns of layers < i: A^i · (row block i−1's h rows).
		kernels.MatMul(j.Slice(off, off+s, 0, off), a, j.Slice(below, below+h, 0, off))
	}
}

// AddImmediateVJP adds vᵀ·Ī_t into grad (the flat cell layout), for v of the joint
// state's length: the parameters' effect on s_t at fixed s_{t−1}, through the layers
// above them within the step too.
func (m *Model) AddImmediateVJP(k *StepCache, grad, v []float32) {
	m.checkStep("AddImmediateVJP", k, v)
	if len(m.Layers) == 1 {
		m.Layers[0].AddImmediateVJP(k.layers[0], grad, v)
		return
	}
	sc := m.scratchFor(1)
	h := m.HiddenSize()
	for i := len(m.Layers) - 1; i >= 0; i-- {
		l := m.Layers[i]
		off, s := m.StateOffset(i), l.StateSize()
		w := v[off : off+s]
		if i < len(m.Layers)-1 {
			copy(sc.v, w)
			kernels.Axpy(1, sc.carry, sc.v[:h])
			w = sc.v[:s]
		}
		l.AddImmediateVJP(k.layers[i], m.LayerVector(grad, i), w)
		if i > 0 {
			l.InputVJP(k.layers[i], sc.carry, w)
		}
	}
}
