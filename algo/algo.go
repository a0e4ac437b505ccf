// Package algo is chronograd's algorithm layer: the one interface every
// credit-assignment algorithm implements (Algorithm) and the registry of every algorithm
// by name. A registry entry holds the algorithm's name, its parameters and their parsing
// and validation, the cell kinds it applies to, whether it is online, its FLOP and memory
// models, and its constructor; the command line, the profiler and the trainer all go
// through it, and no other list of algorithm names exists.
//
// A specification such as "tbptt:10,20" names an algorithm and its parameters:
//
//	spec, err := algo.Parse("tbptt:10,20")     // validated, without a model
//	a, err := spec.New(model, algo.Options{})   // built for one model
//	defer a.Close()
//	loss, err := a.Step(x, y)                   // one (input, target) step
//
// Parse rejects an unknown name or bad parameters with one line that names the form
// (for example "tbptt:5,2: K2=2 must be at least K1=5 (the form is tbptt:K1,K2)").
package algo

import (
	"io"

	"github.com/chronograd/chronograd/cell"
)

// Algorithm is the streaming shape every credit-assignment algorithm shares (package
// bptt's full, checkpointed, truncated and adaptive BPTT; package rtrl's exact RTRL,
// SnAp-1, UORO, KF-RTRL, reverse KF-RTRL, RFLO, e-prop and DNI), each built for one
// cell.Model: feed a step, get its loss (squared error or cross-entropy, as the step's
// cell.Target says), and read the gradient the algorithm has accumulated. An online algorithm has its gradient after every
// Step; truncated BPTT every K1 steps; full and checkpointed BPTT after Finish.
//
// Its life cycle is build, Reset, Steps (and Finish) any number of times, Close. Close
// releases what the algorithm holds (exact RTRL's helper goroutines); after it, Reset,
// Step and Finish return an error wrapping cell.ErrClosed.
type Algorithm interface {
	// Reset starts a sequence from the joint state s0 of every layer (nil for zeros);
	// gradients are kept.
	Reset(s0 []float32) error
	// Step feeds x_t and the target y_t (the zero Target: no target at this step, loss 0)
	// and returns the step's loss.
	Step(x []float32, y cell.Target) (float32, error)
	// Finish ends the sequence, backpropagating whatever is still pending (nothing for
	// the online algorithms).
	Finish() error
	// GradCell and GradHead are the accumulated gradients of the model's cell parameters
	// (every layer's, in the flat layout of cell.Model.ParamOffset) and of the readout's;
	// ZeroGrad clears both.
	GradCell() []float32
	GradHead() []float32
	ZeroGrad()
	// State is the current joint state s_t of every layer, owned by the algorithm.
	State() []float32
	// Bytes is the memory the algorithm holds to assign credit: caches, checkpoints,
	// influence matrices, traces and scratch, but not the two gradient accumulators,
	// which every algorithm has.
	Bytes() int64
	// Model is the model the algorithm was built for; its gradients are that model's.
	Model() *cell.Model
	// Online reports whether the algorithm assigns credit as the stream goes, in memory
	// that does not grow with the stream: RTRL and its approximations after every step,
	// truncated BPTT every K1 steps. Full and checkpointed BPTT are not online.
	Online() bool
	io.Closer
}

// Sequencer is implemented by algorithms that do better when handed a whole sequence at
// once (checkpointed BPTT reads the inputs again instead of copying them to a tape).
// RunSequence starts from s0 (nil: zeros), runs xs with targets ys (nil, or zero Targets,
// for steps without one), adds the gradient and returns the summed loss.
type Sequencer interface {
	RunSequence(s0 []float32, xs [][]float32, ys []cell.Target) (float32, error)
}
