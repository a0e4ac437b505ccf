package train

import (
	"math"
	"testing"
)

// The expected parameters come from PyTorch 1.13 (torch.optim.SGD / Adam, three steps of
// the gradients below from p0, float32).
var (
	p0    = []float32{0.5, -1.25, 2.0, 0.1}
	steps = [][]float32{{0.3, -0.2, 0.5, -1.0}, {0.1, 0.4, -0.3, 0.2}, {-0.6, 0.05, 0.0, 0.7}}
)

func runOptimizer(t *testing.T, o Optimizer) []float32 {
	t.Helper()
	p := append([]float32(nil), p0...)
	for _, g := range steps {
		if err := o.Step([][]float32{p}, [][]float32{append([]float32(nil), g...)}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func assertClose(t *testing.T, got, want []float32, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("got %v\nwant %v", got, want)
		}
	}
}

func TestSGDMomentumMatchesPyTorch(t *testing.T) {
	got := runOptimizer(t, &SGD{LR: 0.1, Momentum: 0.9})
	assertClose(t, got, []float32{0.45969998836517334, -1.2767999172210693, 1.9215000867843628, 0.2630000114440918}, 1e-6)
}

func TestAdamMatchesPyTorch(t *testing.T) {
	got := runOptimizer(t, &Adam{LR: 0.01})
	assertClose(t, got, []float32{0.48380470275878906, -1.2471836805343628, 1.9866046905517578, 0.1147485077381134}, 1e-6)
	got = runOptimizer(t, &Adam{LR: 0.01, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6})
	assertClose(t, got, []float32{0.4849584996700287, -1.2480310201644897, 1.9876735210418701, 0.11336859315633774}, 1e-6)
}

func TestClipGlobalNormMatchesPyTorch(t *testing.T) {
	g1, g2 := []float32{3, 0}, []float32{4, 0}
	norm := ClipGlobalNorm([][]float32{g1, g2}, 1)
	if norm != 5 {
		t.Fatalf("norm %v, want 5", norm)
	}
	assertClose(t, []float32{g1[0], g2[0]}, []float32{0.5999999046325684, 0.7999998331069946}, 1e-7)
	small := []float32{0.1, 0.2}
	ClipGlobalNorm([][]float32{small}, 1)
	assertClose(t, small, []float32{0.1, 0.2}, 0)
	nan := []float32{float32(math.NaN())}
	if n := ClipGlobalNorm([][]float32{nan}, 1); !math.IsNaN(n) {
		t.Fatalf("NaN gradient gave norm %v", n)
	}
}

func TestOptimizerErrorsAndAllocations(t *testing.T) {
	for _, o := range []Optimizer{&SGD{LR: 0.1, Momentum: 0.9}, &Adam{LR: 0.1}} {
		p, g := make([]float32, 10), make([]float32, 10)
		if err := o.Step([][]float32{p}, [][]float32{g[:9]}); err == nil {
			t.Errorf("%T accepted a gradient of the wrong length", o)
		}
		if err := o.Step([][]float32{p}, [][]float32{g}); err != nil {
			t.Fatal(err)
		}
		if err := o.Step([][]float32{p, p}, [][]float32{g, g}); err == nil {
			t.Errorf("%T accepted a changed number of groups", o)
		}
		pg, gg := [][]float32{p}, [][]float32{g}
		if allocs := testing.AllocsPerRun(10, func() { _ = o.Step(pg, gg) }); allocs != 0 {
			t.Errorf("%T: %v allocations per step", o, allocs)
		}
	}
}
