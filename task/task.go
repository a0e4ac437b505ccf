// Package task generates the synthetic sequence tasks recurrent networks are measured
// on: the adding problem, the copy task, sine-wave generation and Mackey-Glass. Every
// generator is deterministic given its seeded source, and fills a caller-owned
// Sequence, so a training loop generates examples without allocating.
package task

import (
	"fmt"
	"math/rand/v2"

	"github.com/chronograd/chronograd/cell"
)

// Sequence is one example: T steps of In-dimensional inputs and Out-dimensional targets.
// A step without a target (a masked step) has Mask[t] false. Classification tasks also
// give Classes[t], the index of the hot entry of Targets at step t (cell.IgnoreClass where
// masked), which is what they train on.
type Sequence struct {
	// T is the number of steps, In and Out the sizes of an input and a target.
	T, In, Out int
	Inputs     []float32 // T×In, row t is step t
	Targets    []float32 // T×Out
	Mask       []bool    // T
	Classes    []int32   // T, cell.IgnoreClass where masked; nil for regression tasks
}

// Input returns x_t.
func (s *Sequence) Input(t int) []float32 { return s.Inputs[t*s.In : (t+1)*s.In] }

// Values returns y_t, or nil when step t has no target.
func (s *Sequence) Values(t int) []float32 {
	if !s.Mask[t] {
		return nil
	}
	return s.Targets[t*s.Out : (t+1)*s.Out]
}

// Target is what step t is trained toward: its class for a classification task
// (cross-entropy), its values otherwise (squared error); the zero Target when the step
// has no target. It does not allocate.
func (s *Sequence) Target(t int) cell.Target {
	switch {
	case !s.Mask[t]:
		return cell.Target{}
	case s.Classes != nil:
		return cell.Classes(s.Classes[t : t+1]...)
	}
	return cell.Values(s.Targets[t*s.Out : (t+1)*s.Out])
}

// resize makes s a zeroed T×in / T×out sequence, reusing its buffers when they are large
// enough.
func (s *Sequence) resize(T, in, out int, classes bool) {
	s.T, s.In, s.Out = T, in, out
	s.Inputs = grow(s.Inputs, T*in)
	s.Targets = grow(s.Targets, T*out)
	if cap(s.Mask) < T {
		s.Mask = make([]bool, T)
	}
	s.Mask = s.Mask[:T]
	clear(s.Mask)
	if classes {
		if cap(s.Classes) < T {
			s.Classes = make([]int32, T)
		}
		s.Classes = s.Classes[:T]
		for i := range s.Classes {
			s.Classes[i] = cell.IgnoreClass
		}
	} else {
		s.Classes = nil
	}
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// Task is a generator of sequences of one kind.
type Task interface {
	// Name is the task's name, as New takes it.
	Name() string
	// InputSize and OutputSize are the sizes of x_t and of the readout's output.
	InputSize() int
	OutputSize() int
	// Classification reports whether targets are classes (Sequence.Classes; trained with
	// the softmax cross-entropy) rather than real values (squared error).
	Classification() bool
	// Baseline is what a model that ignores its inputs achieves, the bar a trained model
	// must clear.
	Baseline() Baseline
	// Fill overwrites seq with a fresh example drawn from rng, a math/rand/v2 generator.
	Fill(seq *Sequence, rng *rand.Rand)
}

// Baseline is what the best input-blind predictor achieves on a task, per target step.
type Baseline struct {
	// Loss is its mean loss per target step: for a regression task the squared-error loss
	// ½‖y − ȳ‖² of predicting the mean, for a classification task the cross-entropy of
	// predicting each step's class frequencies.
	Loss float64
	// Accuracy is, for a classification task, the chance accuracy: the fraction of
	// target steps that predicting each step's most frequent class gets right (NaN for
	// regression tasks).
	Accuracy float64
	// What says in words what the predictor does.
	What string
}

// New returns the task with the given name (adding, copy, sine, mackey-glass) and length
// parameter: the sequence length T for adding, sine and mackey-glass, and the delay L for
// copy.
func New(name string, length int) (Task, error) {
	if length <= 0 {
		return nil, fmt.Errorf("task %s: length %d must be positive", name, length)
	}
	switch name {
	case "adding":
		if length < 2 {
			return nil, fmt.Errorf("task adding: T = %d, need at least 2 steps for two markers", length)
		}
		return Adding{T: length}, nil
	case "copy":
		return Copy{Delay: length, Symbols: 10}, nil
	case "sine":
		return Sine{T: length}, nil
	case "mackey-glass":
		return newMackeyGlassTask(length)
	}
	return nil, fmt.Errorf("unknown task %q (want adding, copy, sine or mackey-glass)", name)
}
