package task

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MackeyGlassTask is one-step-ahead prediction of the Mackey-Glass series (τ = 17, see
// DefaultMackeyGlass): the input at step t is x(t), the target x(t+1), both mapped
// linearly from the series' range to [−1, 1]. Each sequence is a window of T+1 samples
// at a random offset into a fixed series of mackeyGlassSamples samples, generated once.
type MackeyGlassTask struct {
	// T is the sequence length.
	T      int
	series []float32
}

const mackeyGlassSamples = 20000

func newMackeyGlassTask(T int) (*MackeyGlassTask, error) {
	if T+1 > mackeyGlassSamples {
		return nil, fmt.Errorf("task mackey-glass: T = %d exceeds the %d-sample series", T, mackeyGlassSamples-1)
	}
	raw, err := DefaultMackeyGlass().Generate(mackeyGlassSamples)
	if err != nil {
		return nil, err
	}
	lo, hi := raw[0], raw[0]
	for _, v := range raw {
		lo, hi = min(lo, v), max(hi, v)
	}
	series := make([]float32, len(raw))
	for i, v := range raw {
		series[i] = float32(2*(v-lo)/(hi-lo) - 1)
	}
	return &MackeyGlassTask{T: T, series: series}, nil
}

// Name is "mackey-glass".
func (*MackeyGlassTask) Name() string { return "mackey-glass" }

// InputSize is 1: x(t).
func (*MackeyGlassTask) InputSize() int { return 1 }

// OutputSize is 1: x(t+1).
func (*MackeyGlassTask) OutputSize() int { return 1 }

// Classification is false: the target is a real number.
func (*MackeyGlassTask) Classification() bool { return false }

// Baseline is predicting the series' mean: ½ of its variance.
func (m *MackeyGlassTask) Baseline() Baseline {
	var mean, sq float64
	for _, v := range m.series {
		mean += float64(v)
	}
	mean /= float64(len(m.series))
	for _, v := range m.series {
		d := float64(v) - mean
		sq += d * d
	}
	return Baseline{Loss: sq / float64(len(m.series)) / 2, Accuracy: math.NaN(), What: "always predicting the series' mean"}
}

// Fill copies a window of T+1 samples at an offset drawn from rng (a math/rand/v2
// generator): inputs x(t), targets x(t+1).
func (m *MackeyGlassTask) Fill(seq *Sequence, rng *rand.Rand) {
	seq.resize(m.T, 1, 1, false)
	off := rng.IntN(len(m.series) - m.T)
	copy(seq.Inputs, m.series[off:off+m.T])
	copy(seq.Targets, m.series[off+1:off+m.T+1])
	for t := range seq.Mask {
		seq.Mask[t] = true
	}
}
