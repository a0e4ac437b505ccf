package cell

import (
	"errors"
	"fmt"
	"math"
)

// IgnoreClass is the class of a step whose class target contributes nothing: PyTorch's
// CrossEntropyLoss ignore_index default, −100.
const IgnoreClass = -100

// Target is what one step is trained toward, and with it the loss: squared error
// ½‖ŷ − y‖² against Values, or softmax cross-entropy −log softmax(ŷ)[c] against the
// integer class c in Classes. The zero Target is a step without a target (loss 0, no
// gradient); setting both fields is an error.
type Target struct {
	// Values is y, one value per output (O of them), for the squared error.
	Values []float32
	// Classes holds the class c in [0, O), or IgnoreClass, for the cross-entropy: one
	// entry per sequence.
	Classes []int32
}

// Values is the squared-error target y (nil: no target).
func Values(y []float32) Target { return Target{Values: y} }

// Classes is the cross-entropy target of the given classes (one per sequence; IgnoreClass
// for none).
func Classes(c ...int32) Target { return Target{Classes: c} }

// None reports a step without a target: neither values nor classes.
func (t Target) None() bool { return t.Values == nil && t.Classes == nil }

// Check returns an error when t cannot be the target of a readout with out outputs for
// batch sequences: both fields set, the wrong length, a class out of range, a value that
// is NaN or infinite.
func (t Target) Check(out, batch int) error {
	switch {
	case t.Values != nil && t.Classes != nil:
		return errors.New("cell: a target has both values and classes; give one (values: squared error, classes: cross-entropy)")
	case t.Values != nil:
		if len(t.Values) != out*batch {
			if batch == 1 {
				return fmt.Errorf("cell: target has %d values, the readout has %d outputs", len(t.Values), out)
			}
			return fmt.Errorf("cell: target has %d values, want %d sequences × %d outputs", len(t.Values), batch, out)
		}
		for i, v := range t.Values {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("cell: target value %d is %v", i, v)
			}
		}
	case t.Classes != nil:
		if len(t.Classes) != batch {
			return fmt.Errorf("cell: %d class targets for %d sequences", len(t.Classes), batch)
		}
		for _, c := range t.Classes {
			if c != IgnoreClass && (c < 0 || int(c) >= out) {
				return fmt.Errorf("cell: class target %d out of range [0, %d) (%d ignores a step)", c, out, IgnoreClass)
			}
		}
	}
	return nil
}

// Loss is the loss of the head's outputs yhat (one sequence) against t, and writes its
// gradient ∂ℓ/∂ŷ into dy. It reports whether the step has a target; without one the loss
// is 0 and dy is zeroed. t must have passed Check for len(yhat) outputs and one sequence.
func (t Target) Loss(dy, yhat []float32) (loss float32, has bool) {
	switch {
	case t.Values != nil:
		return SquaredError(dy, yhat, t.Values), true
	case t.Classes != nil && t.Classes[0] != IgnoreClass:
		return softmaxCrossEntropy(dy, yhat, int(t.Classes[0])), true
	}
	clear(dy)
	return 0, false
}

// SquaredError returns ½‖ŷ − y‖² and overwrites dy with its gradient ŷ − y. A nil y is a
// step without a target: the loss is 0 and dy is zeroed. The sum is kept in float64.
func SquaredError(dy, yhat, y []float32) float32 {
	checkLen("SquaredError", "dy", len(dy), len(yhat))
	if y == nil {
		clear(dy)
		return 0
	}
	checkLen("SquaredError", "y", len(y), len(yhat))
	var sum float64
	for i, p := range yhat {
		d := p - y[i]
		dy[i] = d
		sum += float64(d) * float64(d)
	}
	return float32(sum / 2)
}

// SoftmaxCrossEntropy returns −log softmax(logits)[class] and overwrites dlogits with its
// gradient softmax(logits) − onehot(class). It subtracts the largest logit before
// exponentiating (log-sum-exp), in float64, so no logit overflows or underflows the sum.
// class == IgnoreClass is a step without a target: the loss is 0 and dlogits is zeroed.
// Any other class outside [0, len(logits)) is an error (dlogits is then zeroed too).
func SoftmaxCrossEntropy(dlogits, logits []float32, class int) (float32, error) {
	checkLen("SoftmaxCrossEntropy", "dlogits", len(dlogits), len(logits))
	if class == IgnoreClass {
		clear(dlogits)
		return 0, nil
	}
	if class < 0 || class >= len(logits) {
		clear(dlogits)
		return 0, fmt.Errorf("cell: class target %d out of range [0, %d)", class, len(logits))
	}
	return softmaxCrossEntropy(dlogits, logits, class), nil
}

func softmaxCrossEntropy(dlogits, logits []float32, class int) float32 {
	maxLogit := float64(logits[0])
	for _, z := range logits[1:] {
		if z := float64(z); z > maxLogit || z != z {
			maxLogit = z // a NaN logit makes the loss and every gradient NaN
		}
	}
	// One exponential per logit: e_i = exp(z_i − max) ∈ (0, 1] is kept in dlogits (its
	// float32 rounding, 2⁻²⁴ relative, is below what the quotient's rounding adds anyway)
	// while the sum is taken in float64.
	var sum float64
	for i, z := range logits {
		e := math.Exp(float64(z) - maxLogit)
		dlogits[i] = float32(e)
		sum += e
	}
	inv := 1 / sum
	for i := range dlogits {
		dlogits[i] = float32(float64(dlogits[i]) * inv)
	}
	dlogits[class]--
	return float32(math.Log(sum) + maxLogit - float64(logits[class]))
}

// Row is sequence b's part of a minibatch's target (out values, or one class), or the
// zero Target when t has none.
func (t Target) Row(b, out int) Target {
	switch {
	case t.Values != nil:
		return Target{Values: t.Values[b*out : (b+1)*out]}
	case t.Classes != nil:
		return Target{Classes: t.Classes[b : b+1]}
	}
	return Target{}
}
