package task

import (
	"math"
	"math/rand/v2"
)

// Sine is sine-wave generation (as in Sussillo & Abbott 2009, and Murray 2019's RFLO
// experiments): a constant input cue selects a frequency ω drawn from [0.1, 0.6] radians per
// step, and the target at every step is sin(ω·t + φ) with a random phase φ that the
// network sees through a one-step start pulse on a second channel. The network must
// generate the oscillation from its own dynamics.
type Sine struct {
	// T is the sequence length.
	T int
}

// Name is "sine".
func (Sine) Name() string { return "sine" }

// InputSize is 1: the frequency cue.
func (Sine) InputSize() int { return 1 }

// OutputSize is 1: the wave's value.
func (Sine) OutputSize() int { return 1 }

// Classification is false: the target is a real number.
func (Sine) Classification() bool { return false }

// Baseline is predicting 0, the mean over phases: ½·E[sin²(ω·t)] over the steps and
// ω ~ U(0.1, 0.6), integrated in closed form.
func (s Sine) Baseline() Baseline {
	// E_ω[sin²(ωt)] = ½ − (sin(1.2t) − sin(0.2t)) / (2·t·(1.2−0.2)) for t > 0, 0 at t = 0.
	var sum float64
	for t := 1; t < s.T; t++ {
		ft := float64(t)
		sum += 0.5 - (math.Sin(1.2*ft)-math.Sin(0.2*ft))/(2*ft)
	}
	return Baseline{Loss: sum / 2 / float64(max(s.T, 1)), Accuracy: math.NaN(), What: "always predicting 0, the wave's mean"}
}

// Fill draws a frequency from rng (a math/rand/v2 generator) and writes T steps of the
// cue and the wave.
func (s Sine) Fill(seq *Sequence, rng *rand.Rand) {
	seq.resize(s.T, 1, 1, false)
	omega := 0.1 + 0.5*rng.Float64()
	cue := float32((omega - 0.35) / 0.25) // the cue spans [-1, 1]
	for t := 0; t < s.T; t++ {
		seq.Inputs[t] = cue
		seq.Targets[t] = float32(math.Sin(omega * float64(t)))
		seq.Mask[t] = true
	}
}
