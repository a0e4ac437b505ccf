package algo

import (
	"unsafe"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/memlimit"
	"github.com/chronograd/chronograd/kernels"
)

// The memory models: what each algorithm's Bytes reports after sequences of o.Steps
// steps, computed from the dimensions alone. TestMemoryModel pins every one of them to
// the Bytes of the algorithm built and run. The terms that grow with a sequence length,
// a window or a batch use memlimit's saturating arithmetic: a size that overflows an
// int64 is memlimit.Saturated, which no limit admits, and never a wrapped small number.
// The other terms are bounded by the model's parameter cap and cannot overflow.

// targetBytes is the size of a cell.Target (two slice headers).
const targetBytes = int(unsafe.Sizeof(cell.Target{}))

// f32 is the bytes of n float32s.
func f32(n int) int64 { return 4 * int64(n) }

// steps is the sequence length the model is evaluated at (at least 1).
func steps(o Options) int { return max(1, o.Steps) }

// batch is B (at least 1).
func batch(o Options) int { return max(1, o.Batch) }

// bpttScratch is what every bptt algorithm holds besides its caches: the running state,
// s_0, the adjoint δ, the readout's output and the gradient batch of cols columns; for a
// minibatch also one sequence's ŷ and ∂ℓ/∂ŷ, the state's rows and the packed weights.
func bpttScratch(d Dims, cols int, o Options) int64 {
	B := batch(o)
	n := f32((3*d.S + d.O) * B)
	if B > 1 {
		n += f32(2*d.O + d.S*B)
	}
	for k := range d.L {
		n += int64(cell.GradBatchBytes(d.layout(k), cols))
	}
	if B > 1 && !d.hasAttention() {
		n += packBytes(d, false, B)
	}
	return n
}

// packBytes is a minibatch's packed weights (cell.WeightPacks): every layer's W_hhᵀ and,
// above the first layer, W_ihᵀ, packed for the backward sweeps; with forward, also
// every layer's W_ih and W_hh, packed for a sequence's forward steps (full BPTT).
func packBytes(d Dims, forward bool, B int) int64 {
	var n int64
	gh := d.G * d.H
	for k := range d.L {
		in := d.layerInput(k)
		n += kernels.PackedBytes(d.H, gh, B)
		if k > 0 {
			n += kernels.PackedBytes(in, gh, B)
		}
		if forward {
			n += kernels.PackedBytes(gh, in, B) + kernels.PackedBytes(gh, d.H, B)
		}
	}
	return n
}

// batchCols is the BPTT family's default gradient-batch columns (bptt.BatchCols), a
// whole number of steps of the minibatch.
func batchCols(d Dims, o Options) int { return bptt.BatchCols(d.layout(0), batch(o)) }

// ring is n recorded steps: every layer's cache, ∂ℓ/∂ŷ and a has-target flag each.
func ring(d Dims, n int, o Options) int64 {
	B := int64(batch(o))
	return memlimit.Mul(int64(n), memlimit.Add(memlimit.Mul(B, d.stepCacheBytes()+f32(d.O)), 1))
}

func fullBytes(d Dims, _ []float64, o Options) int64 {
	if d.hasAttention() {
		// Full BPTT of an attention model keeps every step's record and every slot.
		T := steps(o)
		return memlimit.Add(memlimit.Mul(int64(T), attnRecordBytes(d))+memoryBytes(d, cell.MemoryCapacity(d.Attention.M, T/d.Attention.KAtt)),
			bpttScratch(d, cell.DefaultBatchCols(d.layout(0)), o))
	}
	n := memlimit.Add(ring(d, steps(o), o), bpttScratch(d, batchCols(d, o), o))
	if batch(o) > 1 {
		n = memlimit.Add(n, packBytes(d, true, batch(o))-packBytes(d, false, batch(o)))
	}
	return n
}

// attnRecordBytes is one step of an attention model as the algorithms record it: every
// layer's cache, the attention's record, ∂ℓ/∂ŷ and a has-target flag.
func attnRecordBytes(d Dims) int64 {
	return d.stepCacheBytes() + int64(cell.AttentionCacheBytes(d.H, d.Attention.KTop)) + f32(d.O) + 1
}

// memoryBytes is an attention memory of the given slot capacity.
func memoryBytes(d Dims, capacity int) int64 {
	return int64(cell.MemoryBytes(d.H, d.Attention.KTop, capacity))
}

// sabBytes is SAB's memory after sequences of o.Steps steps: the most step records in use
// at once (the window being run, and from the first kept window on the records to run a
// kept window again), the most windows kept at once (each its entering state and K_TRUNC
// inputs) and the memory's slot capacity, found by running its bookkeeping on the step
// counts alone (which steps write a slot, which windows it keeps and when it drops them
// does not depend on the data); and its scratch.
func sabBytes(d Dims, p []float64, o Options) int64 {
	kTrunc, a := int(p[0]), d.Attention
	oldest := func(writes int) int {
		if a.M > 0 {
			return max(0, writes-a.M)
		}
		return 0
	}
	type window struct{ lastSlot, minView int }
	var kept []window
	records, replay, windows, writes, capacity, keptFrom := 0, 0, 0, 0, 0, 0
	cur, curLast, curMinView := 0, -1, 0
	pass := func() {
		if curLast >= 0 {
			if replay == 0 {
				replay = kTrunc
				records = max(records, cur+replay)
			}
			kept = append(kept, window{curLast, curMinView})
			windows = max(windows, len(kept))
		}
		cur, curLast = 0, -1
		o := oldest(writes)
		for len(kept) > 0 && kept[0].lastSlot < o {
			kept = kept[1:]
		}
		keep := o
		if len(kept) > 0 {
			keep = min(keep, kept[0].minView)
		}
		keptFrom = max(keptFrom, keep)
		curMinView = o
	}
	for t := range steps(o) {
		cur++
		records = max(records, cur+replay)
		if (t+1)%a.KAtt == 0 {
			if held := writes - keptFrom; held == capacity {
				capacity = cell.MemoryCapacity(a.M, held+1)
			}
			curLast = writes
			writes++
		}
		if cur == kTrunc {
			pass()
		}
	}
	if cur > 0 {
		pass()
	}
	buf := f32(d.S + kTrunc*d.I)
	return int64(records)*attnRecordBytes(d) + int64(windows)*buf + f32(d.S) + memoryBytes(d, capacity) +
		bpttScratch(d, min(cell.DefaultBatchCols(d.layout(0)), kTrunc), o)
}

func truncatedBytes(d Dims, p []float64, o Options) int64 {
	k2 := int(p[1])
	return truncatedRing(d, int(p[0]), k2, o)
}

// truncatedRing is BPTT(k1, k2)'s ring as far as sequences of o.Steps fill it, and its
// scratch.
func truncatedRing(d Dims, _, k2 int, o Options) int64 {
	cols := batchCols(d, o)
	if int64(k2)*int64(batch(o)) < int64(cols) {
		cols = k2 * batch(o)
	}
	n := memlimit.Add(ring(d, min(k2, steps(o)), o), bpttScratch(d, cols, o))
	if B := batch(o); B > 1 && min(k2, steps(o)) < bptt.MinPackedSweep && !d.hasAttention() {
		n -= packBytes(d, false, B) // sweeps too short to pack the transposes
	}
	return n
}

func checkpointBytes(d Dims, p []float64, o Options) int64 {
	slots, T, B := int64(checkpointSlots(p, o)), int64(steps(o)), int64(batch(o))
	// Slots, the running state, ∂ℓ/∂ŷ and the tape's placeholder classes; one cache slot
	// (and a transposed input for it, for a minibatch); B gradient columns.
	perSeq := memlimit.Add(memlimit.Mul(4, memlimit.Add(memlimit.Mul(slots, int64(d.S)), int64(d.S+d.O+1))), d.stepCacheBytes())
	if B > 1 {
		perSeq = memlimit.Add(perSeq, f32(d.I))
	}
	own := memlimit.Add(memlimit.Mul(B, perSeq), bpttScratch(d, min(batchCols(d, o), int(B)), o))
	if B > 1 {
		own = memlimit.Add(own, f32(d.I*int(B))) // Step's x_t transposed, on its way to the tape
	}
	// The streaming tape: x_t and y_t (values, or classes, and the target's kind) of every
	// step, and an input slice header and a cell.Target per step, at twice their length:
	// append grows a slice to at most twice what it holds, so the bound is met whatever
	// the growth.
	tape := memlimit.Mul(T, memlimit.Add(memlimit.Product(4, B, int64(d.I+d.O+1)), 1+24+int64(targetBytes)))
	return memlimit.Add(own, memlimit.Mul(2, tape))
}

func adaptiveBytes(d Dims, _ []float64, o Options) int64 {
	kmax, k1 := adaptiveKMax(o), 1
	n := kmax + 1
	stats := memlimit.Add(8*int64(n+n+n*d.S+n+(n+1)+d.S+n+n), memlimit.Product(4, 2, int64(d.S), int64(batch(o))))
	return memlimit.Add(truncatedRing(d, k1, kmax+k1-1, o), stats)
}

// onlineBase is what every rtrl algorithm holds besides its traces: the state, ŷ, ∂ℓ/∂ŷ,
// ∂ℓ/∂s and one cache.
func onlineBase(d Dims) int64 {
	return f32(2*d.S+2*d.O) + d.stepCacheBytes()
}

func exactBytes(d Dims, _ []float64, _ Options) int64 {
	// Per layer: M^k (updated in place) with a gradient row over the P_{≤k} columns,
	// [J^k_t; wᵀ], and [A^k_t; w₂ᵀ] above the bottom layer.
	// In int64 and saturating: (S+1)·P overflows an int of 32 bits at n = 512.
	n, s, cols := onlineBase(d), int64(d.layerState()), int64(0)
	for k := range d.L {
		cols += int64(d.layerParams(k))
		n = memlimit.Add(n, memlimit.Product(4, s+1, cols+s)) // M (one buffer, updated in place) and [J; wᵀ]
		if k > 0 {
			n = memlimit.Add(n, memlimit.Product(4, s+1, int64(d.H)))
		}
	}
	return n
}

func snap1Bytes(d Dims, _ []float64, _ Options) int64 {
	k := d.S / d.L / d.H // kept state rows per unit
	s := d.layerState()
	// Traces of every parameter, one layer's unit blocks and coefficients, and the lower
	// layers' learning signals.
	return onlineBase(d) + f32(k*d.P+d.H*k*k+2*s*d.G+(d.L-1)*s)
}

func uoroBytes(d Dims, _ []float64, _ Options) int64 {
	return onlineBase(d) + f32(3*d.S+2*d.P)
}

func rfloBytes(d Dims, _ []float64, _ Options) int64 {
	cols := d.H + d.I + 1
	return onlineBase(d) + f32(d.H*cols+cols+d.H)
}

func epropBytes(d Dims, _ []float64, _ Options) int64 {
	cols := d.I + d.H + 1
	return onlineBase(d) + f32(3*d.H*cols+cols+2*d.S*4+d.H)
}

// kroneckerBytes is what both KF-RTRLs hold besides their factors: J_t, D_t (and the
// second coefficient vector) and â_t, of m = I+H+2 entries.
func kroneckerBytes(d Dims) int64 {
	return onlineBase(d) + f32(d.H*d.H+2*d.H+d.I+d.H+2)
}

func kfrtrlBytes(d Dims, _ []float64, _ Options) int64 {
	m := d.I + d.H + 2
	// K and its product buffer, a, K·q.
	return kroneckerBytes(d) + f32(2*d.H*d.H+m+d.H)
}

func rkfrtrlBytes(d Dims, _ []float64, _ Options) int64 {
	m := d.I + d.H + 2
	// b, B and its product buffer, ν, ν ⊙ D, Bᵀ·q.
	return kroneckerBytes(d) + f32(d.H+2*d.H*m+2*d.H+m)
}

func dniBytes(d Dims, _ []float64, _ Options) int64 {
	cols := d.S + d.O + 1
	// The module, ã_t and ã_{t−1}, the prediction, the signal and the target.
	return onlineBase(d) + f32(d.S*cols+2*cols+3*d.S)
}
