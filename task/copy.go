package task

import (
	"math"
	"math/rand/v2"
)

// Copy is the copy-memory task (Hochreiter & Schmidhuber 1997, as in Arjovsky et al.
// 2016): Symbols symbols drawn from 1..8, then Delay blanks with a delimiter in the last
// of them, then Symbols more blanks during which the network must recall the symbols in
// order. Inputs and targets are one-hot over 10 classes: 0 blank, 1..8 symbols, 9 the
// delimiter. Every step has a target (blank until the recall), so T = Delay + 2·Symbols.
// The copy task trains with the softmax cross-entropy. Always predicting blank, then
// uniform over the symbols, gives the baseline cross-entropy Symbols·ln 8 / T per step and
// the chance accuracy (Delay + Symbols + Symbols/8) / T.
type Copy struct {
	// Delay is the number of blank steps between the symbols and their recall, and
	// Symbols the number of symbols to recall.
	Delay, Symbols int
}

const (
	copyBlank     = 0
	copyDelimiter = 9
	copyClasses   = 10
)

// Name is "copy".
func (Copy) Name() string { return "copy" }

// InputSize is 10: a one-hot blank, symbol or delimiter.
func (Copy) InputSize() int { return copyClasses }

// OutputSize is 10: a one-hot class.
func (Copy) OutputSize() int { return copyClasses }

// Classification is true: every target is one of 10 classes.
func (Copy) Classification() bool { return true }

// Baseline is predicting blank until the recall and any symbol during it.
func (c Copy) Baseline() Baseline {
	T := float64(c.Len())
	s := float64(c.Symbols)
	return Baseline{
		Loss:     s * math.Log(8) / T,
		Accuracy: (T - s + s/8) / T,
		What:     "blank until the recall, then a uniform guess among the 8 symbols",
	}
}

// Len is the sequence length T.
func (c Copy) Len() int { return c.Delay + 2*c.Symbols }

// Fill draws the symbols from rng (a math/rand/v2 generator) and writes the
// T = Delay + 2·Symbols steps.
func (c Copy) Fill(seq *Sequence, rng *rand.Rand) {
	T := c.Len()
	seq.resize(T, copyClasses, copyClasses, true)
	for t := 0; t < T; t++ {
		in := copyBlank
		switch {
		case t < c.Symbols:
			in = 1 + rng.IntN(8)
		case t == c.Symbols+c.Delay-1:
			in = copyDelimiter
		}
		seq.Inputs[t*copyClasses+in] = 1
		out := copyBlank
		if t >= c.Symbols+c.Delay {
			out = argmaxOneHot(seq.Input(t - c.Symbols - c.Delay))
		}
		seq.Targets[t*copyClasses+out] = 1
		seq.Classes[t] = int32(out)
		seq.Mask[t] = true
	}
}

func argmaxOneHot(v []float32) int {
	for i, x := range v {
		if x == 1 {
			return i
		}
	}
	return copyBlank
}
