package rtrl

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/cell"
)

// Every algorithm refuses an input or an initial state that holds NaN or ±Inf with an
// error wrapping cell.ErrNonFinite, and the refusal changes neither the state nor the
// gradient: one bad event cannot poison the stream.
func TestNonFiniteRefused(t *testing.T) {
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, cfg := range []cell.Config{testConfigs[1], testConfigs[4], testConfigs[5]} {
		p := newProblem(t, cfg, 3, 5)
		for _, name := range names {
			for _, workers := range []int{1, 3} {
				if workers > 1 && name != "rtrl" {
					continue
				}
				a, err := build(name, p.model(), Workers(workers))
				if err != nil {
					continue // rflo and eprop take one kind each
				}
				if err := a.Reset(p.s0); err != nil {
					t.Fatal(err)
				}
				if _, err := a.Step(p.xs[0], cell.Values(p.ys[0])); err != nil {
					t.Fatal(err)
				}
				state := slices.Clone(a.State())
				grad := slices.Clone(a.GradCell())
				unchanged := func(what string) {
					t.Helper()
					if !slices.Equal(a.State(), state) || !slices.Equal(a.GradCell(), grad) {
						t.Errorf("%s %v: %s changed the state or the gradient", name, cfg.Kind, what)
					}
				}
				for _, v := range bad {
					x := slices.Clone(p.xs[1])
					x[len(x)-1] = v
					if _, err := a.Step(x, cell.Values(p.ys[1])); !errors.Is(err, cell.ErrNonFinite) {
						t.Errorf("%s %v: Step with input %v: %v, want cell.ErrNonFinite", name, cfg.Kind, v, err)
					}
					unchanged("a refused Step")
					s0 := slices.Clone(p.s0)
					s0[0] = v
					if err := a.Reset(s0); !errors.Is(err, cell.ErrNonFinite) {
						t.Errorf("%s %v: Reset with state %v: %v, want cell.ErrNonFinite", name, cfg.Kind, v, err)
					}
					unchanged("a refused Reset")
				}
				if _, err := a.Step(p.xs[1], cell.Values(p.ys[1])); err != nil {
					t.Errorf("%s %v: a good step after refusals: %v", name, cfg.Kind, err)
				}
				a.Close()
			}
		}
	}
}
