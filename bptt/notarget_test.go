package bptt_test

import (
	"math"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
)

// A window of steps without a target has no loss to send back, so truncated (and
// adaptive) BPTT must not run its backward sweep: an event without a target costs a
// forward step. The sweep is seen through a poisoned weight: a NaN in W_hh makes every
// backward step produce NaN (0·NaN) in the gradient, so a gradient that stays exactly
// zero shows that no sweep ran.
func TestTruncatedSkipsSweepsWithoutTargets(t *testing.T) {
	build := map[string]func(m *cell.Model) (algo.Algorithm, error){
		"tbptt:3,5": func(m *cell.Model) (algo.Algorithm, error) {
			return bptt.NewTruncated(m, bptt.TruncatedOptions{K1: 3, K2: 5})
		},
		"tbptt-adaptive": func(m *cell.Model) (algo.Algorithm, error) {
			return bptt.NewAdaptive(m, bptt.AdaptiveOptions{Delta: 0.1, K1: 2, KMax: 4, ProbeEvery: 1, EstimateEvery: 3})
		},
	}
	for name, newAlg := range build {
		t.Run(name, func(t *testing.T) {
			m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 4, Input: 2}, 1)
			if err != nil {
				t.Fatal(err)
			}
			l := m.Layers[0].Layout()
			m.Layers[0].Params()[l.WeightHH] = float32(math.NaN())
			a, err := newAlg(m)
			if err != nil {
				t.Fatal(err)
			}
			x := []float32{0.5, -0.25}
			for step := range 12 {
				if _, err := a.Step(x, cell.Target{}); err != nil {
					t.Fatal(err)
				}
				for i, g := range a.GradCell() {
					if g != 0 {
						t.Fatalf("step %d without a target: gradient[%d] = %v, want 0 (a backward sweep ran)", step, i, g)
					}
				}
			}
			if err := a.Finish(); err != nil {
				t.Fatal(err)
			}
			for i, g := range a.GradCell() {
				if g != 0 {
					t.Fatalf("Finish after steps without a target: gradient[%d] = %v, want 0", i, g)
				}
			}
		})
	}
}
