package train

import (
	"fmt"
	"slices"
	"strings"
)

// OptimizerState is an optimizer's state between steps, as a learner's checkpoint holds
// it: the optimizer's kind, the steps it has taken and its per-parameter buffers under
// PyTorch's names ("momentum_buffer" for SGD with momentum, "exp_avg" and "exp_avg_sq"
// for Adam), each one vector per parameter group. An optimizer that has not stepped yet
// has no buffers.
type OptimizerState struct {
	// Kind names the optimizer: "sgd" or "adam".
	Kind string
	// Steps counts the steps taken (Adam's t, which its bias corrections read).
	Steps int64
	// Buffers holds, per buffer name, one vector per parameter group.
	Buffers map[string][][]float32
}

// ResumableOptimizer is an Optimizer whose state a checkpoint can hold and put back, so
// that a learner resumed from the checkpoint continues bit for bit. SGD and Adam are
// resumable; a learner with an optimizer that is not refuses to checkpoint.
type ResumableOptimizer interface {
	Optimizer
	// SaveState returns a copy of the optimizer's state.
	SaveState() OptimizerState
	// LoadState replaces the optimizer's state with a copy of s, which must be of the
	// same kind; an inconsistent state is refused with an error, changing nothing. The
	// hyperparameters (learning rate, momentum, betas, ε) stay the optimizer's own.
	LoadState(s OptimizerState) error
}

func cloneGroups(groups [][]float32) [][]float32 {
	if groups == nil {
		return nil
	}
	out := make([][]float32, len(groups))
	for i, g := range groups {
		out[i] = slices.Clone(g)
	}
	return out
}

// checkBuffers refuses a state of another kind, with buffers other than names (all of
// them or none), with groups that disagree between buffers, or with a negative step
// count.
func checkBuffers(s OptimizerState, kind string, names ...string) error {
	switch {
	case s.Kind != kind:
		return fmt.Errorf("train: %s: the state is of a %q optimizer", kind, s.Kind)
	case s.Steps < 0:
		return fmt.Errorf("train: %s: the state has %d steps", kind, s.Steps)
	case len(s.Buffers) == 0:
		return nil
	}
	var shape []int
	for _, name := range names {
		groups, ok := s.Buffers[name]
		if !ok {
			return fmt.Errorf("train: %s: the state has no buffer %q (want %s, or none)", kind, name, strings.Join(names, " and "))
		}
		sizes := make([]int, len(groups))
		for i, g := range groups {
			sizes[i] = len(g)
		}
		if shape == nil {
			shape = sizes
		} else if !slices.Equal(shape, sizes) {
			return fmt.Errorf("train: %s: buffers %q and %q have groups of different sizes (%v, %v)", kind, names[0], name, shape, sizes)
		}
	}
	if len(s.Buffers) != len(names) {
		for name := range s.Buffers {
			if !slices.Contains(names, name) {
				return fmt.Errorf("train: %s: the state has an unexpected buffer %q (want %s)", kind, name, strings.Join(names, " and "))
			}
		}
	}
	return nil
}

// SaveState returns a copy of the velocity as "momentum_buffer" (absent before the first
// step with momentum). SGD counts no steps.
func (o *SGD) SaveState() OptimizerState {
	s := OptimizerState{Kind: "sgd", Buffers: map[string][][]float32{}}
	if o.velocity != nil {
		s.Buffers["momentum_buffer"] = cloneGroups(o.velocity)
	}
	return s
}

// LoadState replaces the velocity with a copy of s's "momentum_buffer" (none: zero
// velocity); see ResumableOptimizer.
func (o *SGD) LoadState(s OptimizerState) error {
	if err := checkBuffers(s, "sgd", "momentum_buffer"); err != nil {
		return err
	}
	o.velocity = cloneGroups(s.Buffers["momentum_buffer"])
	return nil
}

// SaveState returns a copy of the moments as "exp_avg" and "exp_avg_sq" (absent before
// the first step) and the step count t.
func (o *Adam) SaveState() OptimizerState {
	s := OptimizerState{Kind: "adam", Steps: int64(o.t), Buffers: map[string][][]float32{}}
	if o.m != nil {
		s.Buffers["exp_avg"] = cloneGroups(o.m)
		s.Buffers["exp_avg_sq"] = cloneGroups(o.v)
	}
	return s
}

// LoadState replaces the moments and the step count with a copy of s's; see
// ResumableOptimizer. A state with steps must have both moments, and one without steps
// none.
func (o *Adam) LoadState(s OptimizerState) error {
	if err := checkBuffers(s, "adam", "exp_avg", "exp_avg_sq"); err != nil {
		return err
	}
	if (s.Steps > 0) != (len(s.Buffers) > 0) {
		return fmt.Errorf("train: adam: the state has %d steps and %d moment buffers (steps come with both moments)", s.Steps, len(s.Buffers))
	}
	o.m, o.v, o.t = cloneGroups(s.Buffers["exp_avg"]), cloneGroups(s.Buffers["exp_avg_sq"]), int(s.Steps)
	return nil
}
