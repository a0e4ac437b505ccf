package cell

// AlgorithmState is what a credit-assignment algorithm holds between two steps besides
// its gradients (its recurrent state, its influence matrix, traces or cached steps, its
// counters and its random stream), as named vectors that a checkpoint stores: package
// train writes them into a learner's checkpoint file as tensors named "algorithm.NAME".
// An algorithm's SaveState returns copies of its buffers; LoadState, given the state of
// an algorithm built alike (the same kind, model shape and options), copies them back,
// after which the algorithm continues bit for bit as the one that was saved. float64
// values (statistics, a NaN that means "not estimated yet") travel in I64 as their IEEE
// 754 bits, so that they round-trip exactly.
type AlgorithmState struct {
	// F32 holds float32 vectors by name.
	F32 map[string][]float32
	// I64 holds integer vectors by name: counters, flags, random-number generator words
	// and float64 bits.
	I64 map[string][]int64
}
