// Package bench is chronograd's cost profiler: for each algorithm × cell × hidden size ×
// sequence length it measures the time per step (median of repeats), the bytes the
// algorithm holds, the allocations per step and the achieved GFLOP/s, fits each
// algorithm's cost exponent in n, and writes a text table, CSV, JSON and SVG plots.
package bench

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/cell"
)

// Dims are the sizes the FLOP model needs: G gates, H hidden units, S = H or 2H state
// entries, I inputs, O outputs and P = G·H·(I+H+2) cell parameters.
type Dims struct {
	G, H, S, I, O, P int
}

// DimsOf returns the dimensions of a kind of cell with h hidden units, in inputs and out
// outputs.
func DimsOf(kind cell.Kind, h, in, out int) Dims {
	g := kind.Gates()
	return Dims{G: g, H: h, S: h * kind.StateFactor(), I: in, O: out, P: g * h * (in + h + 2)}
}

// FLOPsPerStep is the stated FLOP model: the floating-point operations per time step an
// algorithm must do, counting a multiply-add as two. Only the dominant dense products are
// counted; elementwise gate arithmetic is left out, which flatters no algorithm by more
// than a few percent. With F = 2·G·H·(I+H) the cell's forward matrix-vector products and
// R = 2·O·H the readout's:
//
//	forward step                      F + R
//	bptt, bptt-checkpoint             3(F + R)   backward = two products per forward one
//	tbptt-adaptive:δ                  3(F + R)   its window varies; credited as full BPTT
//	tbptt:K1,K2                       F + R + (2F·K2 + 2R·K1)/K1
//	rtrl                              F + R + 2·S²·P (J·M) + 2·S·P (gradient)
//	snap1                             F + R + 4·k·P  with k = S/H state rows per unit
//	uoro                              3F + R + 2·S² + 8·P
//	rflo                              F + R + 2·H·(I+H+1) (traces) + 2·P (gradient)
//	eprop                             F + R + 8·P (traces of the four gates and the cell)
//
// Checkpointed BPTT is credited with full BPTT's FLOPs: its recomputation is overhead,
// and it shows as a lower GFLOP/s. An unknown algorithm is an error.
func FLOPsPerStep(algo string, d Dims) (float64, error) {
	F := 2 * float64(d.G*d.H) * float64(d.I+d.H)
	R := 2 * float64(d.O*d.H)
	P, S := float64(d.P), float64(d.S)
	name, param, _ := strings.Cut(algo, ":")
	switch name {
	case "bptt", "bptt-checkpoint", "checkpoint", "full", "tbptt-adaptive":
		return 3 * (F + R), nil
	case "tbptt":
		k1, k2, err := ParseWindows(param)
		if err != nil {
			return 0, err
		}
		return F + R + (2*F*float64(k2)+2*R*float64(k1))/float64(k1), nil
	case "rtrl":
		return F + R + 2*S*S*P + 2*S*P, nil
	case "snap1":
		return F + R + 4*float64(d.S/d.H)*P, nil
	case "uoro":
		return 3*F + R + 2*S*S + 8*P, nil
	case "rflo":
		return F + R + 2*float64(d.H*(d.I+d.H+1)) + 2*P, nil
	case "eprop":
		return F + R + 8*P, nil
	}
	return 0, fmt.Errorf("bench: no FLOP model for algorithm %q", algo)
}

// ParseWindows parses TBPTT's "K1,K2" (1 ≤ K1 ≤ K2); a single "K" means K1 = K2 = K.
func ParseWindows(s string) (k1, k2 int, err error) {
	a, b, two := strings.Cut(s, ",")
	k1, err = strconv.Atoi(a)
	if err != nil {
		return 0, 0, fmt.Errorf("tbptt window %q: K1 is not a whole number", s)
	}
	k2 = k1
	if two {
		if k2, err = strconv.Atoi(b); err != nil {
			return 0, 0, fmt.Errorf("tbptt window %q: K2 is not a whole number", s)
		}
	}
	if k1 < 1 || k2 < k1 {
		return 0, 0, fmt.Errorf("tbptt window %q: need 1 ≤ K1 ≤ K2", s)
	}
	return k1, k2, nil
}
