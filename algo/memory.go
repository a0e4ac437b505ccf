package algo

import (
	"unsafe"

	"github.com/chronograd/chronograd/cell"
)

// The memory models: what each algorithm's Bytes reports after sequences of o.Steps
// steps, computed from the dimensions alone. TestMemoryModel pins every one of them to
// the Bytes of the algorithm built and run.

// targetBytes is the size of a cell.Target (two slice headers).
const targetBytes = int(unsafe.Sizeof(cell.Target{}))

// f32 is the bytes of n float32s.
func f32(n int) int64 { return 4 * int64(n) }

// steps is the sequence length the model is evaluated at (at least 1).
func steps(o Options) int { return max(1, o.Steps) }

// bpttScratch is what every bptt algorithm holds besides its caches: the running state,
// s_0, the adjoint δ, the readout's output and the gradient batch of cols columns.
func bpttScratch(d Dims, cols int) int64 {
	n := f32(3*d.S + d.O)
	for k := range d.L {
		n += int64(cell.GradBatchBytes(d.layout(k), cols))
	}
	return n
}

// ring is n recorded steps: every layer's cache, ∂ℓ/∂ŷ and a has-target flag each.
func ring(d Dims, n int) int64 {
	return int64(n) * (d.stepCacheBytes() + f32(d.O) + 1)
}

func fullBytes(d Dims, _ []float64, o Options) int64 {
	return ring(d, steps(o)) + bpttScratch(d, cell.DefaultBatchCols(d.layout(0)))
}

func truncatedBytes(d Dims, p []float64, o Options) int64 {
	k2 := int(p[1])
	return truncatedRing(d, int(p[0]), k2, o)
}

// truncatedRing is BPTT(k1, k2)'s ring as far as sequences of o.Steps fill it, and its
// scratch.
func truncatedRing(d Dims, _, k2 int, o Options) int64 {
	cols := min(cell.DefaultBatchCols(d.layout(0)), k2)
	return ring(d, min(k2, steps(o))) + bpttScratch(d, cols)
}

func checkpointBytes(d Dims, p []float64, o Options) int64 {
	slots, T := checkpointSlots(p, o), steps(o)
	own := f32(slots*d.S+d.S+d.O) + d.stepCacheBytes() + bpttScratch(d, 1)
	// The streaming tape: x_t and y_t (values, or a class and the target's kind) of every
	// step, and an input slice header and a cell.Target per step, at twice their length:
	// append grows a slice to at most twice what it holds, so the bound is met whatever
	// the growth.
	tape := f32(T*(d.I+d.O+1)) + int64(T) + int64(24+targetBytes)*int64(T)
	return own + 2*tape
}

func adaptiveBytes(d Dims, _ []float64, o Options) int64 {
	kmax, k1 := adaptiveKMax(o), 1
	n := kmax + 1
	stats := 8*int64(n+n+n*d.S+n+(n+1)+d.S+n+n) + f32(2*d.S)
	return truncatedRing(d, k1, kmax+k1-1, o) + stats
}

// onlineBase is what every rtrl algorithm holds besides its traces: the state, ŷ, ∂ℓ/∂ŷ,
// ∂ℓ/∂s and one cache.
func onlineBase(d Dims) int64 {
	return f32(2*d.S+2*d.O) + d.stepCacheBytes()
}

func exactBytes(d Dims, _ []float64, _ Options) int64 {
	// Per layer: M^k (updated in place) with a gradient row over the P_{≤k} columns,
	// [J^k_t; wᵀ], and [A^k_t; w₂ᵀ] above the bottom layer.
	n, s, cols := onlineBase(d), d.layerState(), 0
	for k := range d.L {
		cols += d.layerParams(k)
		n += f32((s+1)*cols + (s+1)*s)
		if k > 0 {
			n += f32((s + 1) * d.H)
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
