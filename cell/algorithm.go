package cell

// Algorithm is the streaming shape every credit-assignment algorithm shares (package
// bptt's full, checkpointed, truncated and adaptive BPTT; package rtrl's exact RTRL,
// SnAp-1, UORO, RFLO and e-prop), each built for a Model's cell and readout: feed a step,
// get its loss ½‖head(h_t) − y_t‖², and read the gradient the algorithm has accumulated.
// An online algorithm has its gradient after every Step; truncated BPTT every k1 steps;
// full and checkpointed BPTT after Finish. It is declared here, below both algorithm
// packages, so that they and package train share one definition.
type Algorithm interface {
	// Reset starts a sequence from state s0 (nil for zeros); gradients are kept.
	Reset(s0 []float32) error
	// Step feeds x_t and the target y_t (nil: no target at this step, loss 0) and
	// returns the step's loss.
	Step(x, y []float32) (float32, error)
	// Finish ends the sequence, backpropagating whatever is still pending (nothing for
	// the online algorithms).
	Finish() error
	// GradCell and GradHead are the accumulated gradients of the cell's and the readout's
	// parameters, in their flat layouts; ZeroGrad clears both.
	GradCell() []float32
	GradHead() []float32
	ZeroGrad()
	// State is the current recurrent state s_t, owned by the algorithm.
	State() []float32
	// Bytes is the memory the algorithm holds: caches, checkpoints, influence matrices,
	// traces and scratch.
	Bytes() int64
}
