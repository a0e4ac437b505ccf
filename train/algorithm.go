package train

// Algorithm is the streaming shape every credit-assignment algorithm shares (package
// bptt's full, checkpointed and truncated BPTT; package rtrl's exact RTRL, SnAp-1, UORO,
// RFLO and e-prop): feed a step, get its loss, and read the gradient the algorithm has
// accumulated. An online algorithm has its gradient after every Step; truncated BPTT
// every k1 steps; full and checkpointed BPTT after Finish.
type Algorithm interface {
	// Reset starts a sequence from state s0 (nil for zeros); gradients are kept.
	Reset(s0 []float32) error
	// Step feeds x_t and the target y_t (nil: no target at this step) and returns the
	// step's loss.
	Step(x, y []float32) (float32, error)
	// Finish ends the sequence, backpropagating whatever is still pending.
	Finish() error
	// GradCell and GradHead are the accumulated gradients of the cell's and the readout's
	// parameters, in their flat layouts; ZeroGrad clears both.
	GradCell() []float32
	GradHead() []float32
	ZeroGrad()
	// State is the current recurrent state s_t.
	State() []float32
	// Bytes is the memory the algorithm holds: caches, checkpoints, influence matrices,
	// traces and scratch.
	Bytes() int64
}
