package task

import (
	"math"
	"math/rand/v2"
)

// Adding is the adding problem (Hochreiter & Schmidhuber 1997, in the form of Le et al.
// 2015): two input channels, a value drawn from U(0, 1) and a marker that is 1 at exactly
// two steps, one in each half of the sequence. The only target, at the last step, is the
// sum of the two marked values. Predicting 1 always gives a mean squared error of 1/6 ≈
// 0.167 (loss ½·MSE ≈ 0.083); anything clearly below that has used the markers.
type Adding struct {
	// T is the sequence length, at least 2.
	T int
}

// Name is "adding".
func (Adding) Name() string { return "adding" }

// InputSize is 2: the value and the marker.
func (Adding) InputSize() int { return 2 }

// OutputSize is 1: the sum.
func (Adding) OutputSize() int { return 1 }

// Classification is false: the target is a real number.
func (Adding) Classification() bool { return false }

// Baseline is predicting the mean sum, 1: ½·Var(U₁ + U₂) = 1/12 ≈ 0.083.
func (Adding) Baseline() Baseline {
	return Baseline{Loss: 1.0 / 12, Accuracy: math.NaN(), What: "always predicting the mean sum 1"}
}

// Fill draws a sequence of T steps from rng (a math/rand/v2 generator).
func (a Adding) Fill(seq *Sequence, rng *rand.Rand) {
	seq.resize(a.T, 2, 1, false)
	half := a.T / 2
	first := rng.IntN(half)
	second := half + rng.IntN(a.T-half)
	var sum float32
	for t := 0; t < a.T; t++ {
		v := float32(rng.Float64())
		seq.Inputs[2*t] = v
		if t == first || t == second {
			seq.Inputs[2*t+1] = 1
			sum += v
		}
	}
	seq.Targets[a.T-1] = sum
	seq.Mask[a.T-1] = true
}
