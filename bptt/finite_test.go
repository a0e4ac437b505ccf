package bptt_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
)

// A step refuses an input holding NaN or ±Inf wherever it sits (each of the check's four
// lanes and the tail past a multiple of four), naming its position, and takes every
// finite value, the largest and the subnormal ones included.
func TestStepRefusesNonFiniteInput(t *testing.T) {
	const in = 7
	m, err := cell.NewStack(cell.Config{Kind: cell.GRU, Hidden: 5, Input: in}, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	full := must(bptt.NewFull(m, bptt.FullOptions{}))
	y := cell.Values([]float32{0.5, -0.5})
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		for at := range in {
			x := make([]float32, in)
			x[at] = bad
			_, err := full.Step(x, y)
			if !errors.Is(err, cell.ErrNonFinite) || !strings.Contains(err.Error(), fmt.Sprintf("input value %d is", at)) {
				t.Errorf("%v at %d: %v, want an error naming input value %d", bad, at, err, at)
			}
		}
	}
	x := []float32{math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 0, float32(math.Copysign(0, -1)), 1e-40, 3}
	if _, err := full.Step(x, y); err != nil {
		t.Errorf("finite values refused: %v", err)
	}
}

// An input longer than the check's chunk of zeros is checked in every chunk.
func TestStepRefusesNonFiniteLongInput(t *testing.T) {
	const in = 5000
	m, err := cell.NewStack(cell.Config{Kind: cell.RNNTanh, Hidden: 3, Input: in}, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	full := must(bptt.NewFull(m, bptt.FullOptions{}))
	for _, at := range []int{0, 2047, 2048, 4999} {
		x := make([]float32, in)
		x[at] = float32(math.Inf(1))
		if _, err := full.Step(x, cell.Values([]float32{1})); !errors.Is(err, cell.ErrNonFinite) || !strings.Contains(err.Error(), fmt.Sprintf("input value %d is", at)) {
			t.Errorf("+Inf at %d of %d: %v", at, in, err)
		}
	}
}
