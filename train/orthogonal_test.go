package train_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/rtrl"
	"github.com/chronograd/chronograd/train"
)

// Ten thousand Adam updates of an online learner (SnAp-1, an update every event, a large
// learning rate so that A travels far) keep the orthogonal cell's W orthogonal to
// ‖WᵀW − I‖_F ≤ 1e-5 (float64 arithmetic on the float32 W), keep weight_hh_l0 exactly
// skew-symmetric (Adam's elementwise update of a skew gradient), and after every single
// update W is the exact derivation of the current parameters (never stale). -short (the
// race detector, purego and emulated runs, where float64 arithmetic is slow) makes 2000
// updates; the full run makes the ten thousand.
func TestOrthogonalStaysOrthogonalUnder10000AdamUpdates(t *testing.T) {
	const h, in, out = 32, 4, 2
	m, err := cell.NewModel(cell.Config{Kind: cell.Orthogonal, Hidden: h, Input: in}, out)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(10, 10))
	m.Init(rng, cell.InitHenaff)
	l := m.Layers[0].Layout()
	a0 := slices.Clone(m.Layers[0].Params()[l.WeightHH:l.BiasIH])
	alg, err := rtrl.NewSnAp1(m, rtrl.SnAp1Options{})
	if err != nil {
		t.Fatal(err)
	}
	learner, err := train.NewOnline(m, alg, &train.Adam{LR: 0.01}, train.OnlineConfig{ClipNorm: 1})
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := cell.New(cell.Config{Kind: cell.Orthogonal, Hidden: h, Input: in})
	x, y, pred := make([]float32, in), make([]float32, out), make([]float32, out)
	updates := 10000
	if testing.Short() {
		updates = 2000
	}
	for event := range updates {
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		y[0], y[1] = float32(math.Sin(float64(event)/7)), x[0]*x[1]
		if _, err := learner.Observe(pred, x, y); err != nil {
			t.Fatalf("event %d: %v", event, err)
		}
		if event%97 == 0 || event >= updates-10 {
			copy(fresh.Params(), m.Layers[0].Params())
			if err := fresh.ParamsChanged(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fresh.RecurrentWeights().Data, m.Layers[0].RecurrentWeights().Data) {
				t.Fatalf("event %d: W is not the derivation of the current parameters", event)
			}
		}
	}
	a := m.Layers[0].Params()[l.WeightHH:l.BiasIH]
	var moved, norm1 float64
	for i := range h {
		var col float64
		for j := range h {
			if a[i*h+j] != -a[j*h+i] {
				t.Fatalf("weight_hh_l0 is no longer skew-symmetric at [%d][%d]: %v, %v", i, j, a[i*h+j], a[j*h+i])
			}
			d := float64(a[i*h+j] - a0[i*h+j])
			moved += d * d
			col += math.Abs(float64(a[j*h+i]))
		}
		norm1 = math.Max(norm1, col)
	}
	if math.Sqrt(moved) < 1 {
		t.Errorf("A moved only %.3g in %d updates: the test does not exercise training", math.Sqrt(moved), updates)
	}
	w := m.Layers[0].RecurrentWeights()
	var defect float64
	for i := range h {
		for j := range h {
			var s float64
			for k := range h {
				s += float64(w.At(k, i)) * float64(w.At(k, j))
			}
			if i == j {
				s--
			}
			defect += s * s
		}
	}
	defect = math.Sqrt(defect)
	t.Logf("after 10000 updates: ‖A − A₀‖_F = %.3g, ‖A‖₁ = %.3g, ‖WᵀW − I‖_F = %.3g", math.Sqrt(moved), norm1, defect)
	if defect > 1e-5 {
		t.Errorf("‖WᵀW − I‖_F = %.3g after 10000 Adam updates, want ≤ 1e-5", defect)
	}
}

// Training an orthogonal model allocates nothing per step or per update once set up: the
// exponential, its adjoint and the gradient map reuse their buffers.
func TestOrthogonalRunAllocatesNothingPerStep(t *testing.T) {
	for _, mp := range []cell.OrthoMap{cell.OrthoExp, cell.OrthoCayley} {
		model := func() *cell.Model {
			m, _ := cell.NewModel(cell.Config{Kind: cell.Orthogonal, Hidden: 8, Input: 1, OrthoMap: mp}, 1)
			m.Init(rand.New(rand.NewPCG(9, 9)), cell.InitHenaff)
			return m
		}
		short, long := runMallocs(t, model, 20), runMallocs(t, model, 220)
		if long > short+20 {
			t.Fatalf("%v: %d allocations for 20 sequences, %d for 220", mp, short, long)
		}
	}
}
