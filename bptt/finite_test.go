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
// lanes and the tail past a multiple of four; in an input longer than the check's chunk
// of zeros, either side of a chunk's edge), naming its position, and takes every finite
// value, the largest and the subnormal ones included.
func TestStepRefusesNonFiniteInput(t *testing.T) {
	for _, tc := range []struct {
		in int
		at []int
	}{{7, []int{0, 1, 2, 3, 4, 5, 6}}, {5000, []int{0, 2047, 2048, 4999}}} {
		m, err := cell.NewStack(cell.Config{Kind: cell.GRU, Hidden: 3, Input: tc.in}, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		full := must(bptt.NewFull(m, bptt.FullOptions{}))
		y := cell.Values([]float32{0.5, -0.5})
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
			for _, at := range tc.at {
				x := make([]float32, tc.in)
				x[at] = bad
				_, err := full.Step(x, y)
				if !errors.Is(err, cell.ErrNonFinite) || !strings.Contains(err.Error(), fmt.Sprintf("input value %d is", at)) {
					t.Errorf("%v at %d of %d: %v, want an error naming input value %d", bad, at, tc.in, err, at)
				}
			}
		}
		x := make([]float32, tc.in)
		copy(x, []float32{math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 0, float32(math.Copysign(0, -1)), 1e-40, 3})
		if _, err := full.Step(x, y); err != nil {
			t.Errorf("finite values of an input of %d refused: %v", tc.in, err)
		}
	}
}
