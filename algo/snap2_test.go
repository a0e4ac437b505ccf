package algo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
)

// On a sparse W_hh, SnAp-2's memory model is the expectation over random masks: within
// a few per cent of what a drawn mask gives. (TestMemoryModel pins it exactly on dense
// ones.)
func TestSnAp2SparseMemoryModel(t *testing.T) {
	spec := algo.MustParse("snap2")
	for _, kind := range cell.Kinds() {
		if kind == cell.Orthogonal {
			continue // its W_hh = exp(A) takes no mask
		}
		for _, density := range []float64{0.05, 0.1, 0.3} {
			m := newModel(t, kind, 64, 6, 2, 1)
			if err := m.Sparsify(density, cell.MaskRandom, rand.New(rand.NewPCG(5, 6))); err != nil {
				t.Fatal(err)
			}
			o := algo.Options{Steps: 5}
			a, err := spec.New(m, o)
			if err != nil {
				t.Fatal(err)
			}
			run(t, a, 6, 2, 5, 1)
			got, want := float64(a.Bytes()), float64(spec.Bytes(algo.DimsOfModel(m), o))
			a.Close()
			t.Logf("%v density %v: %.0f vs %.0f (%.1f%%)", kind, density, got, want, 100*(want-got)/got)
			if math.Abs(got-want) > 0.1*got {
				t.Errorf("%v density %v: Bytes %.0f, the model expects %.0f (%.1f%% off)", kind, density, got, want, 100*(want-got)/got)
			}
		}
	}
}

// SnAp-2's FLOP model is exact RTRL's on a dense W_hh (plus forming J_t, which exact
// RTRL also does but its model leaves out), and falls steeply with the density.
func TestSnAp2FLOPModel(t *testing.T) {
	snap2, rtrl := algo.MustParse("snap2"), algo.MustParse("rtrl")
	for _, kind := range cell.Kinds() {
		d := algo.DimsOf(kind, 64, 64, 1)
		dense, exact := snap2.FLOPsPerStep(d), rtrl.FLOPsPerStep(d)
		if r := dense / exact; r < 1 || r > 1.01 {
			t.Errorf("%v: dense SnAp-2 costs %.4g× exact RTRL", kind, r)
		}
		d.Density = 0.1
		if r := snap2.FLOPsPerStep(d) / dense; r > 0.05 {
			t.Errorf("%v: at density 0.1 SnAp-2 costs %.3g× its dense cost", kind, r)
		}
	}
}
