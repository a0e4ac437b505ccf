package rtrl

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/internal/testutil"
)

const (
	testH   = 7
	testI   = 5
	testOut = 3
)

// testConfigs covers every kind at odd sizes, the vanilla ones with a leak too.
var testConfigs = []cell.Config{
	{Kind: cell.RNNTanh, Hidden: testH, Input: testI},
	{Kind: cell.RNNTanh, Hidden: testH, Input: testI, Alpha: 0.6},
	{Kind: cell.RNNReLU, Hidden: testH, Input: testI},
	{Kind: cell.RNNReLU, Hidden: testH, Input: testI, Alpha: 0.4},
	{Kind: cell.GRU, Hidden: testH, Input: testI},
	{Kind: cell.LSTM, Hidden: testH, Input: testI},
}

// problem is a cell and readout with seeded random parameters, a non-zero initial state
// and a sequence in which every fourth step (from the second) has no target.
type problem struct {
	cfg    cell.Config
	c      cell.Cell
	head   *cell.Readout
	s0     []float32
	xs, ys [][]float32
}

func newProblem(t testing.TB, cfg cell.Config, steps int, seed uint64) *problem {
	t.Helper()
	c, err := cell.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	head, err := cell.NewReadout(testOut, cfg.Hidden)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	// Wide enough that gates saturate unevenly and every derivative term matters, narrow
	// enough that 50 steps neither explode nor vanish.
	fill(c.Params(), rng, 0.45)
	fill(head.Params(), rng, 0.5)
	p := &problem{cfg: cfg, c: c, head: head, s0: make([]float32, c.StateSize())}
	fill(p.s0, rng, 0.5)
	for i := range steps {
		x := make([]float32, cfg.Input)
		fill(x, rng, 1)
		p.xs = append(p.xs, x)
		var y []float32
		if i%4 != 1 {
			y = make([]float32, testOut)
			fill(y, rng, 1)
		}
		p.ys = append(p.ys, y)
	}
	return p
}

func fill(v []float32, rng *rand.Rand, scale float64) {
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
	}
}

// run feeds the whole sequence from s0 and returns the total loss.
func (p *problem) run(t testing.TB, a Algorithm) float64 {
	t.Helper()
	return testutil.Stream(t, a, p.s0, p.xs, p.ys)
}

// bptt is a plain float32 full BPTT through the cell's own Forward and Backward: the
// reference exact RTRL must match (package bptt lives on another branch).
func (p *problem) bptt() (loss float64, gradCell, gradHead []float32) {
	c, head := p.c, p.head
	s, h := c.StateSize(), c.HiddenSize()
	caches := make([]*cell.Cache, len(p.xs))
	states := make([][]float32, len(p.xs))
	prev := p.s0
	for i, x := range p.xs {
		caches[i], states[i] = c.NewCache(), make([]float32, s)
		c.Forward(caches[i], states[i], prev, x)
		prev = states[i]
	}
	gradCell = make([]float32, c.NumParams())
	gradHead = make([]float32, head.NumParams())
	delta := make([]float32, s)
	yhat, dy := make([]float32, testOut), make([]float32, testOut)
	for i := len(p.xs) - 1; i >= 0; i-- {
		head.Forward(yhat, states[i][:h])
		loss += float64(cell.SquaredError(dy, yhat, p.ys[i]))
		head.Backward(delta[:h], gradHead, states[i][:h], dy)
		c.Backward(caches[i], delta, nil, gradCell, delta)
	}
	return loss, gradCell, gradHead
}

// reference runs the float64 forward-mode reference with the given influence rule.
func (p *problem) reference(inf ref.Influence) ref.Grads {
	rc := &ref.Cell{Kind: p.cfg.Kind.String(), H: p.c.HiddenSize(), I: p.c.InputSize(),
		Alpha: float64(p.c.Alpha()), Params: to64(p.c.Params())}
	hp := to64(p.head.Params())
	head := ref.Head{W: hp[:testOut*p.c.HiddenSize()], B: hp[testOut*p.c.HiddenSize():]}
	xs := make([][]float64, len(p.xs))
	ys := make([][]float64, len(p.ys))
	for i := range p.xs {
		xs[i] = to64(p.xs[i])
		if p.ys[i] != nil {
			ys[i] = to64(p.ys[i])
		}
	}
	return ref.RTRL(rc, head, to64(p.s0), xs, ys, inf)
}

// to64 and relErr are testutil's, under the short names these tests use.
var (
	to64   = testutil.To64
	relErr = testutil.RelErr
)

// Algorithm is what these tests use of an algorithm (algo.Algorithm, which they cannot
// import: algo imports rtrl; its registry checks that every algorithm implements it).
type Algorithm interface {
	testutil.Streamer
	GradCell() []float32
	GradHead() []float32
	ZeroGrad()
	State() []float32
	Bytes() int64
	Close() error
}

// names are the algorithms build constructs.
var names = []string{"rtrl", "snap1", "snap2", "uoro", "rflo", "eprop", "kfrtrl", "rkfrtrl", "dni"}

// testOptions are the constructor settings a test asks for; Option sets one of them.
type testOptions struct {
	workers  int
	seed     uint64
	feedback bool
}

type Option func(*testOptions)

func Workers(n int) Option            { return func(o *testOptions) { o.workers = n } }
func Seed(s uint64) Option            { return func(o *testOptions) { o.seed = s } }
func FeedbackAlignment() Option       { return func(o *testOptions) { o.feedback = true } }
func (p *problem) model() *cell.Model { return &cell.Model{Layers: []cell.Cell{p.c}, Head: p.head} }

// build constructs the algorithm the tests call name, with the seed 1 unless opts say
// otherwise (the tests' expectations were drawn with it).
func build(name string, m *cell.Model, opts ...Option) (Algorithm, error) {
	o := testOptions{seed: 1}
	for _, opt := range opts {
		opt(&o)
	}
	fb := FeedbackOptions{FeedbackAlignment: o.feedback, Seed: o.seed}
	switch name {
	case "rtrl":
		return NewExact(m, ExactOptions{Workers: o.workers})
	case "snap1":
		return NewSnAp1(m, SnAp1Options{})
	case "snap2":
		return NewSnAp2(m, SnAp2Options{})
	case "uoro":
		return NewUORO(m, UOROOptions{Seed: o.seed})
	case "rflo":
		return NewRFLO(m, fb)
	case "eprop":
		return NewEProp(m, fb)
	case "kfrtrl":
		return NewKFRTRL(m, KFRTRLOptions{Seed: o.seed})
	case "rkfrtrl":
		return NewReverseKFRTRL(m, KFRTRLOptions{Seed: o.seed})
	case "dni":
		return NewDNI(m, DNIOptions{})
	}
	return nil, fmt.Errorf("no test constructor for %q", name)
}

func mustNew(t testing.TB, name string, p *problem, opts ...Option) Algorithm {
	t.Helper()
	a, err := build(name, p.model(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Shared with the other packages' tests.
var (
	forEachTier = testutil.ForEachTier
	configName  = testutil.ConfigName
)
