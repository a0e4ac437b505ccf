// Package testutil holds the helpers that the cell, bptt and rtrl tests share.
package testutil

import (
	"fmt"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
)

// ForEachTier runs f as a subtest under every kernel tier this CPU and build support,
// restoring the active tier afterwards.
func ForEachTier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, tier := range kernels.Tiers() {
		t.Run("tier="+tier.String(), func(t *testing.T) {
			restore, err := kernels.UseTier(tier)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			f(t)
		})
	}
}

// ConfigName names a cell configuration for a subtest: kind and leak.
func ConfigName(cfg cell.Config) string {
	a := cfg.Alpha
	if a == 0 {
		a = 1
	}
	return fmt.Sprintf("%v/alpha=%g", cfg.Kind, a)
}

// Streamer is the part of algo.Algorithm that Stream uses (this package cannot import
// algo, which the algorithm packages' internal tests would then import in a cycle).
type Streamer interface {
	Reset(s0 []float32) error
	Step(x []float32, y cell.Target) (float32, error)
	Finish() error
}

// Stream feeds one sequence through a streaming algorithm (Reset from s0, a Step per
// input, Finish) and returns the sum of the step losses, added in float64.
func Stream(t testing.TB, a Streamer, s0 []float32, xs, ys [][]float32) float64 {
	t.Helper()
	targets := make([]cell.Target, len(ys))
	for i, y := range ys {
		targets[i] = cell.Values(y)
	}
	return StreamTargets(t, a, s0, xs, targets)
}

// StreamTargets is Stream with any targets (values, classes or none).
func StreamTargets(t testing.TB, a Streamer, s0 []float32, xs [][]float32, ys []cell.Target) float64 {
	t.Helper()
	if err := a.Reset(s0); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i, x := range xs {
		l, err := a.Step(x, ys[i])
		if err != nil {
			t.Fatal(err)
		}
		sum += float64(l)
	}
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	return sum
}
