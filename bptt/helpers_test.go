package bptt_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/internal/testutil"
)

// Odd sizes so that no kernel runs only its vector body.
const (
	testH = 5
	testI = 3
	testO = 2
)

var testConfigs = []cell.Config{
	{Kind: cell.RNNTanh, Hidden: testH, Input: testI},
	{Kind: cell.RNNTanh, Hidden: testH, Input: testI, Alpha: 0.6},
	{Kind: cell.RNNReLU, Hidden: testH, Input: testI},
	{Kind: cell.GRU, Hidden: testH, Input: testI},
	{Kind: cell.LSTM, Hidden: testH, Input: testI},
}

// problem is a model with seeded random parameters, a non-zero initial state and a
// sequence whose every third step has no target.
type problem struct {
	cfg  cell.Config
	c    cell.Cell
	head *cell.Readout
	s0   []float32
	xs   [][]float32
	ys   [][]float32
	// targets are ys as squared-error targets (the zero Target where ys[t] is nil).
	targets []cell.Target
}

func newProblem(t testing.TB, cfg cell.Config, steps int, seed uint64) *problem {
	t.Helper()
	c, err := cell.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	head, err := cell.NewReadout(testO, cfg.Hidden)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	fill := func(v []float32, scale float64) {
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
	}
	fill(c.Params(), 0.5)
	fill(head.Params(), 0.5)
	p := &problem{cfg: cfg, c: c, head: head, s0: make([]float32, c.StateSize())}
	fill(p.s0, 0.4)
	for t := range steps {
		x := make([]float32, cfg.Input)
		fill(x, 1)
		p.xs = append(p.xs, x)
		var y []float32
		if t%3 != 1 {
			y = make([]float32, testO)
			fill(y, 1)
		}
		p.ys = append(p.ys, y)
		p.targets = append(p.targets, cell.Values(y))
	}
	return p
}

// stream feeds the whole sequence through a streaming algorithm and returns Σ ℓ_t
// (summed in float64, as Checkpointed.Sequence does).
func (p *problem) stream(t testing.TB, a algo.Algorithm) float32 {
	t.Helper()
	return float32(testutil.StreamTargets(t, a, p.s0, p.xs, p.targets))
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// refModel is the problem in float64: the cell parameters and the head [W | b].
type refModel struct {
	p        *problem
	cellP    []float64
	headP    []float64
	kindName string
	alpha    float64
}

func (p *problem) ref() *refModel {
	return &refModel{p: p, cellP: to64(p.c.Params()), headP: to64(p.head.Params()),
		kindName: p.cfg.Kind.String(), alpha: float64(p.c.Alpha())}
}

// truncatedLoss is the objective whose gradient window w of TBPTT computes: the losses of
// steps from+1 … to (1-based), with the cell parameters cellP used only from step cut+1
// on and base parameters before, so that s_cut is a constant of cellP.
func (m *refModel) truncatedLoss(base, cellP, headP []float64, cut, from, to int) float64 {
	h, o := m.p.cfg.Hidden, testO
	early := &ref.Cell{Kind: m.kindName, H: h, I: m.p.cfg.Input, Alpha: m.alpha, Params: base}
	late := &ref.Cell{Kind: m.kindName, H: h, I: m.p.cfg.Input, Alpha: m.alpha, Params: cellP}
	s := to64(m.p.s0)
	var loss float64
	for t := 1; t <= to; t++ {
		c := early
		if t > cut {
			c = late
		}
		s = c.Step(s, to64(m.p.xs[t-1]))
		if t > from && m.p.ys[t-1] != nil {
			yhat := ref.Linear(headP[:o*h], headP[o*h:], s[:h])
			loss += ref.SquaredError(yhat, to64(m.p.ys[t-1]))
		}
	}
	return loss
}

// window is one backward sweep of TBPTT: losses from+1 … to, truncated at cut.
type window struct{ cut, from, to int }

// tbpttWindows lists the windows of BPTT(k1, k2) over steps 1 … T aligned at step 1.
func tbpttWindows(T, k1, k2 int) []window {
	var ws []window
	for from := 0; from < T; from += k1 {
		to := min(from+k1, T)
		ws = append(ws, window{cut: max(0, to-k2), from: from, to: to})
	}
	return ws
}

// refGradient is Σ over windows of the central finite-difference gradient of each
// window's truncated loss, for the cell and the head parameters, and the full loss.
func (m *refModel) refGradient(ws []window) (gCell, gHead []float64, loss float64) {
	base := m.cellP
	cellP := append([]float64(nil), m.cellP...)
	headP := append([]float64(nil), m.headP...)
	total := func() float64 {
		var sum float64
		for _, w := range ws {
			sum += m.truncatedLoss(base, cellP, headP, w.cut, w.from, w.to)
		}
		return sum
	}
	const eps = 1e-6
	gCell = ref.Gradient(total, cellP, eps)
	gHead = ref.Gradient(total, headP, eps)
	return gCell, gHead, m.truncatedLoss(base, cellP, headP, 0, 0, len(m.p.xs))
}

func closeTo(t *testing.T, what string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		d := math.Abs(float64(got[i]) - want[i])
		if !(d <= atol+rtol*math.Abs(want[i])) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.7g, want %.7g (diff %.2g)", what, i, got[i], want[i], d)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values off", what, bad, len(got))
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want bit-identical %v", what, i, got[i], want[i])
		}
	}
}

// Shared with the other packages' tests.
var (
	forEachTier = testutil.ForEachTier
	configName  = testutil.ConfigName
)
