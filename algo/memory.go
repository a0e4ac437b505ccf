package algo

import "github.com/chronograd/chronograd/cell"

// The memory models: what each algorithm's Bytes reports after sequences of o.Steps
// steps, computed from the dimensions alone. TestMemoryModel pins every one of them to
// the Bytes of the algorithm built and run.

// f32 is the bytes of n float32s.
func f32(n int) int64 { return 4 * int64(n) }

// steps is the sequence length the model is evaluated at (at least 1).
func steps(o Options) int { return max(1, o.Steps) }

// bpttScratch is what every bptt algorithm holds besides its caches: the running state,
// s_0, the adjoint δ, the readout's output and the gradient batch of cols columns.
func bpttScratch(d Dims, cols int) int64 {
	return f32(3*d.S+d.O) + int64(cell.GradBatchBytes(d.layout(), cols))
}

// ring is n recorded steps: a cache, ∂ℓ/∂ŷ and a has-target flag each.
func ring(d Dims, n int) int64 {
	return int64(n) * (int64(d.layout().CacheBytes()) + f32(d.O) + 1)
}

func fullBytes(d Dims, _ []float64, o Options) int64 {
	return ring(d, steps(o)) + bpttScratch(d, cell.DefaultBatchCols(d.layout()))
}

func truncatedBytes(d Dims, p []float64, o Options) int64 {
	k2 := int(p[1])
	return truncatedRing(d, int(p[0]), k2, o)
}

// truncatedRing is BPTT(k1, k2)'s ring as far as sequences of o.Steps fill it, and its
// scratch.
func truncatedRing(d Dims, _, k2 int, o Options) int64 {
	cols := min(cell.DefaultBatchCols(d.layout()), k2)
	return ring(d, min(k2, steps(o))) + bpttScratch(d, cols)
}

func checkpointBytes(d Dims, p []float64, o Options) int64 {
	slots, T := checkpointSlots(p, o), steps(o)
	own := f32(slots*d.S+d.S+d.O) + int64(d.layout().CacheBytes()) + bpttScratch(d, 1)
	// The streaming tape: x_t and y_t of every step, a has-target flag, and two slice
	// headers per step, at twice their length: append grows a slice to at most twice what
	// it holds, so the bound is met whatever the growth.
	tape := f32(T*(d.I+d.O)) + int64(T) + 48*int64(T)
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
	return f32(2*d.S+2*d.O) + int64(d.layout().CacheBytes())
}

func exactBytes(d Dims, _ []float64, _ Options) int64 {
	// M_{t-1} and M_t with a gradient row each, and [J_t; wᵀ].
	return onlineBase(d) + f32(2*(d.S+1)*d.P+(d.S+1)*d.S)
}

func snap1Bytes(d Dims, _ []float64, _ Options) int64 {
	k := d.S / d.H // kept state rows per unit
	return onlineBase(d) + f32(k*d.P+d.H*k*k+2*d.S*d.G)
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
