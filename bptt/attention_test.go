package bptt_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/ref"
	"github.com/chronograd/chronograd/internal/testutil"
)

// attnProblem is a stacked model with an attention component, seeded random parameters
// (the attention's large enough that the scores differ and the sparse case arises), a
// non-zero initial state and a sequence (testutil.StackProblem's).
type attnProblem struct {
	*testutil.StackProblem
	cfg cell.AttentionConfig
}

func newAttnProblem(t testing.TB, kind cell.Kind, layers int, classes bool, cfg cell.AttentionConfig, steps int, seed uint64) *attnProblem {
	t.Helper()
	p := testutil.NewStackProblem(t, cell.Config{Kind: kind, Hidden: testH, Input: testI}, layers, testO, steps, classes, seed)
	if err := p.M.AddAttention(cfg); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 77))
	for i, v := range p.M.Attention.Params() {
		_ = v
		p.M.Attention.Params()[i] = float32(rng.NormFloat64() * 0.8)
	}
	return &attnProblem{StackProblem: p, cfg: cfg}
}

func (p *attnProblem) name() string {
	return fmt.Sprintf("%s/attention=%s", p.Name(), p.cfg)
}

// ref is the problem as a float64 model.
func (p *attnProblem) ref() *ref.Attn {
	st, head := p.Ref()
	a := p.M.Attention.Params()
	h := testH
	return &ref.Attn{Stack: st, Head: head,
		Wq: testutil.To64(a[:h*h]), Bq: testutil.To64(a[h*h : h*h+h]), Wk: testutil.To64(a[h*h+h:]),
		KAtt: p.cfg.KAtt, KTop: p.cfg.KTop, M: p.cfg.M}
}

// fdGradient is the central finite-difference gradient (the flat cell vector, then the
// head's) of the sum over windows of k steps of each window's losses in the truncated
// graph: the state entering every window is a constant of the base run, and for window n
// the slots below floor(n) are read as the base run's constants. It fails the test if a
// perturbation changed any step's choice of slots (the loss is not differentiable there).
func (p *attnProblem) fdGradient(t *testing.T, window int, floor func(n int) int) (gCell, gHead []float64) {
	t.Helper()
	m := p.ref()
	s0, xs := testutil.To64(p.S0), p.Xs64()
	base := m.Run(s0, xs, p.RefYs, nil)
	T := len(xs)
	windows := (T + window - 1) / window
	changed := false
	total := func() float64 {
		var sum float64
		runs := map[int]*ref.AttnRun{} // windows with the same floor share a run
		for n := range windows {
			f := floor(n)
			r := runs[f]
			if r == nil {
				r = m.Run(s0, xs, p.RefYs, &ref.Surgery{Window: window, Base: base, Const: func(id int) bool { return id < f }})
				runs[f] = r
				for j := range r.Chosen {
					if !slices.Equal(r.Chosen[j], base.Chosen[j]) || r.Thr[j] != base.Thr[j] {
						changed = true
					}
				}
			}
			for tt := n * window; tt < min(T, (n+1)*window); tt++ {
				sum += r.Losses[tt]
			}
		}
		return sum
	}
	cellPs, headPs := m.Params()
	const eps = 1e-6
	gCell = ref.GradientFD(total, cellPs, eps)
	gHead = ref.GradientFD(total, headPs, eps)
	if changed {
		t.Fatalf("%s: a finite-difference step changed the slots chosen; the check needs another seed", p.name())
	}
	sparse := false
	for j := range base.Thr {
		sparse = sparse || base.Thr[j] >= 0
	}
	if !sparse && p.cfg.M != p.cfg.KTop { // M = k_top: every step weights its slots alike
		t.Fatalf("%s: no step attended sparsely; the check would miss the scores' gradient", p.name())
	}
	return gCell, gHead
}

var attnCases = []struct {
	kind    cell.Kind
	layers  int
	classes bool
	cfg     cell.AttentionConfig
}{
	{cell.RNNTanh, 1, false, cell.AttentionConfig{KAtt: 1, KTop: 2}},
	{cell.GRU, 1, true, cell.AttentionConfig{KAtt: 2, KTop: 1, M: 3}},
	{cell.LSTM, 1, false, cell.AttentionConfig{KAtt: 1, KTop: 3, M: 4}},
	{cell.LSTM, 2, true, cell.AttentionConfig{KAtt: 2, KTop: 2}},
	{cell.GRU, 2, false, cell.AttentionConfig{KAtt: 3, KTop: 1, M: 2}},
	{cell.RNNTanh, 1, true, cell.AttentionConfig{KAtt: 1, KTop: 2, M: 2}},
}

// Full BPTT of an attention model is the exact gradient: central finite differences of
// the float64 model's loss.
func TestFullAttentionMatchesFiniteDifferences(t *testing.T) {
	for i, c := range attnCases {
		p := newAttnProblem(t, c.kind, c.layers, c.classes, c.cfg, 17, uint64(40+i))
		t.Run(p.name(), func(t *testing.T) {
			a, err := bptt.NewFullAttention(p.M, bptt.FullOptions{})
			if err != nil {
				t.Fatal(err)
			}
			loss := p.Run(t, a)
			T := len(p.Xs)
			gCell, gHead := p.fdGradient(t, T, func(int) int { return 0 })
			closeScaled(t, "GradCell", a.GradCell(), gCell)
			closeScaled(t, "GradHead", a.GradHead(), gHead)
			var want float64
			for _, l := range p.ref().Run(testutil.To64(p.S0), p.Xs64(), p.RefYs, nil).Losses {
				want += l
			}
			if math.Abs(loss-want) > 1e-4*math.Abs(want)+1e-5 {
				t.Errorf("loss %v, the float64 model's %v", loss, want)
			}
		})
	}
}

// With k_trunc ≥ T nothing is cut: SAB's gradient is full BPTT's, bit for bit, for every
// memory size (the backward pass comes at Finish, before any slot's window is dropped).
func TestSABCoveringWindowIsFullBPTT(t *testing.T) {
	for i, c := range attnCases {
		p := newAttnProblem(t, c.kind, c.layers, c.classes, c.cfg, 23, uint64(60+i))
		t.Run(p.name(), func(t *testing.T) {
			full, err := bptt.NewFullAttention(p.M, bptt.FullOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p.Run(t, full)
			for _, k := range []int{23, 24, 100} {
				s, err := bptt.NewSAB(p.M, bptt.SABOptions{KTrunc: k})
				if err != nil {
					t.Fatal(err)
				}
				p.Run(t, s)
				sameBits(t, fmt.Sprintf("k_trunc=%d GradCell", k), s.GradCell(), full.GradCell())
				sameBits(t, fmt.Sprintf("k_trunc=%d GradHead", k), s.GradHead(), full.GradHead())
			}
		})
	}
}

// With small windows SAB computes the gradient of the truncated graph, built explicitly
// in float64: every window's losses, with the state entering each window a constant of
// the base run and, for window n, the slots that left the memory's view before the
// backward pass of window n−1 ended read as constants; summed over the windows and
// differentiated by central finite differences.
func TestSABMatchesTruncatedGraph(t *testing.T) {
	windows := []int{1, 2, 3, 5}
	if testing.Short() {
		windows = []int{1, 3} // a window of one step and one that spans a write
	}
	for i, c := range attnCases {
		for _, k := range windows {
			p := newAttnProblem(t, c.kind, c.layers, c.classes, c.cfg, 19, uint64(80+i))
			t.Run(fmt.Sprintf("%s/k_trunc=%d", p.name(), k), func(t *testing.T) {
				s, err := bptt.NewSAB(p.M, bptt.SABOptions{KTrunc: k})
				if err != nil {
					t.Fatal(err)
				}
				p.Run(t, s)
				gCell, gHead := p.fdGradient(t, k, func(n int) int {
					// Slots written before window n began: ⌊n·k/k_att⌋; those more than M
					// back had left the view when the pass of window n−1 ended.
					if c.cfg.M == 0 {
						return 0
					}
					return max(0, n*k/c.cfg.KAtt-c.cfg.M)
				})
				closeScaled(t, "GradCell", s.GradCell(), gCell)
				closeScaled(t, "GradHead", s.GradHead(), gHead)
			})
		}
	}
}

// The truncation matters: with small windows SAB's gradient differs from full BPTT's,
// and with windows but no memory read (k_att > T) it is truncated BPTT(k, k)'s on the
// layers, bit for bit, with a zero attention gradient.
func TestSABWithoutSlotsIsTruncatedBPTT(t *testing.T) {
	for _, kind := range []cell.Kind{cell.RNNTanh, cell.GRU, cell.LSTM} {
		p := newAttnProblem(t, kind, 2, false, cell.AttentionConfig{KAtt: 50, KTop: 1}, 20, 9)
		s, err := bptt.NewSAB(p.M, bptt.SABOptions{KTrunc: 4})
		if err != nil {
			t.Fatal(err)
		}
		p.Run(t, s)
		plain := &cell.Model{Layers: p.M.Layers, Head: p.M.Head}
		tr, err := bptt.NewTruncated(plain, bptt.TruncatedOptions{K1: 4})
		if err != nil {
			t.Fatal(err)
		}
		p.Run(t, tr)
		sameBits(t, kind.String()+" layers", p.M.LayersVector(s.GradCell()), tr.GradCell())
		sameBits(t, kind.String()+" head", s.GradHead(), tr.GradHead())
		for i, g := range p.M.AttentionVector(s.GradCell()) {
			if g != 0 {
				t.Fatalf("%v: attention gradient %d is %v without a slot read", kind, i, g)
			}
		}
	}
	p := newAttnProblem(t, cell.LSTM, 1, false, cell.AttentionConfig{KAtt: 1, KTop: 2}, 20, 3)
	full, _ := bptt.NewFullAttention(p.M, bptt.FullOptions{})
	p.Run(t, full)
	s, _ := bptt.NewSAB(p.M, bptt.SABOptions{KTrunc: 3})
	p.Run(t, s)
	if testutil.RelErr(s.GradCell(), testutil.To64(full.GradCell())) < 1e-3 {
		t.Fatal("SAB with k_trunc=3 gives full BPTT's gradient: the truncation cuts nothing")
	}
}

// The other algorithms refuse a model with an attention component instead of ignoring its
// memory; the attention algorithms refuse a model without one, a batch, and k_trunc < 1.
func TestAttentionRefusals(t *testing.T) {
	p := newAttnProblem(t, cell.GRU, 1, false, cell.AttentionConfig{KAtt: 1, KTop: 1}, 3, 1)
	if _, err := bptt.NewFull(p.M, bptt.FullOptions{}); err == nil {
		t.Error("NewFull accepted an attention model")
	}
	if _, err := bptt.NewTruncated(p.M, bptt.TruncatedOptions{K1: 2}); err == nil {
		t.Error("NewTruncated accepted an attention model")
	}
	if _, err := bptt.NewCheckpointed(p.M, bptt.CheckpointedOptions{Slots: 2}); err == nil {
		t.Error("NewCheckpointed accepted an attention model")
	}
	if _, err := bptt.NewAdaptive(p.M, bptt.AdaptiveOptions{Delta: 0.1, KMax: 5}); err == nil {
		t.Error("NewAdaptive accepted an attention model")
	}
	plain := &cell.Model{Layers: p.M.Layers, Head: p.M.Head}
	for _, err := range []error{
		second(bptt.NewSAB(plain, bptt.SABOptions{KTrunc: 2})),
		second(bptt.NewFullAttention(plain, bptt.FullOptions{})),
		second(bptt.NewSAB(p.M, bptt.SABOptions{KTrunc: 0})),
		second(bptt.NewSAB(p.M, bptt.SABOptions{KTrunc: 2, Batch: 3})),
	} {
		if err == nil {
			t.Error("an attention algorithm accepted a bad model or option")
		}
	}
}

func second[A any](_ A, err error) error { return err }

// A steady-state step allocates nothing: SAB with a bounded memory on a stream (the
// records and the memory stop growing), and full BPTT once its buffers fit the sequence.
func TestAttentionZeroAllocs(t *testing.T) {
	p := newAttnProblem(t, cell.LSTM, 1, false, cell.AttentionConfig{KAtt: 2, KTop: 2, M: 3}, 40, 5)
	s, err := bptt.NewSAB(p.M, bptt.SABOptions{KTrunc: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(nil); err != nil {
		t.Fatal(err)
	}
	stream := func() {
		for i, x := range p.Xs {
			if _, err := s.Step(x, p.Ys[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	stream()
	stream()
	held := s.Bytes()
	if n := testing.AllocsPerRun(5, stream); n != 0 {
		t.Errorf("SAB: %v allocations per %d steps", n, len(p.Xs))
	}
	if s.Bytes() != held {
		t.Errorf("SAB with M=3 grew from %d to %d bytes on a stream", held, s.Bytes())
	}
	full, _ := bptt.NewFullAttention(p.M, bptt.FullOptions{})
	seq := func() { p.Run(t, full) }
	seq()
	if n := testing.AllocsPerRun(5, seq); n != 0 {
		t.Errorf("FullAttention: %v allocations per sequence", n)
	}
	ssab := func() { p.Run(t, s) }
	ssab()
	if n := testing.AllocsPerRun(5, ssab); n != 0 {
		t.Errorf("SAB: %v allocations per sequence", n)
	}
}

// closeScaled is closeTo with the absolute tolerance scaled to the gradient's largest
// entry: the attention's sums of slots make some entries tens of times larger than
// others, and float32 cancellation leaves the small ones an error relative to the large.
func closeScaled(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	scale := 1.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	closeTo(t, what, got, want, 2e-4*scale, 2e-3)
}

// A forward-only Runner (what evaluation uses) runs an attention model exactly as the
// training algorithms do: the same losses, bit for bit, with a bounded memory too.
func TestRunnerMatchesAttentionForward(t *testing.T) {
	for i, c := range attnCases {
		p := newAttnProblem(t, c.kind, c.layers, c.classes, c.cfg, 21, uint64(100+i))
		full, err := bptt.NewFullAttention(p.M, bptt.FullOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := full.Reset(p.S0); err != nil {
			t.Fatal(err)
		}
		r := p.M.NewRunner()
		r.Reset(p.S0)
		yhat, dy := make([]float32, testO), make([]float32, testO)
		for j, x := range p.Xs {
			want, err := full.Step(x, p.Ys[j])
			if err != nil {
				t.Fatal(err)
			}
			s := r.Step(x)
			p.M.Head.Forward(yhat, p.M.TopHidden(s))
			got, _ := p.Ys[j].Loss(dy, yhat)
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("%s step %d: runner's loss %v, FullAttention's %v", p.name(), j, got, want)
			}
		}
	}
}
