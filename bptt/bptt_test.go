package bptt_test

import (
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
)

func newFull(t testing.TB, p *problem) *bptt.Full {
	a, err := bptt.NewFull(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.FullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestFullMatchesFiniteDifferences(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		for _, cfg := range testConfigs {
			t.Run(configName(cfg), func(t *testing.T) {
				const T = 7
				p := newProblem(t, cfg, T, 1)
				a := newFull(t, p)
				loss := p.stream(t, a)
				gCell, gHead, wantLoss := p.ref().refGradient([]window{{cut: 0, from: 0, to: T}})
				if d := math.Abs(float64(loss) - wantLoss); d > 1e-4*(1+wantLoss) {
					t.Errorf("loss %v, want %v", loss, wantLoss)
				}
				closeTo(t, "GradCell", a.GradCell(), gCell, 2e-4, 2e-3)
				closeTo(t, "GradHead", a.GradHead(), gHead, 2e-4, 2e-3)
			})
		}
	})
}

func TestFullAccumulatesAndReusesItsSlab(t *testing.T) {
	p := newProblem(t, testConfigs[3], 9, 2)
	a := newFull(t, p)
	p.stream(t, a)
	once := slices.Clone(a.GradCell())
	bytes := a.Bytes()
	p.stream(t, a)
	for i, g := range a.GradCell() {
		if math.Abs(float64(g-2*once[i])) > 1e-5*(1+math.Abs(float64(g))) {
			t.Fatalf("second sequence: GradCell[%d] = %v, want 2×%v", i, g, once[i])
		}
	}
	if a.Bytes() != bytes {
		t.Errorf("Bytes grew from %d to %d for a sequence of the same length", bytes, a.Bytes())
	}
	a.ZeroGrad()
	if slices.ContainsFunc(a.GradCell(), func(v float32) bool { return v != 0 }) || slices.ContainsFunc(a.GradHead(), func(v float32) bool { return v != 0 }) {
		t.Error("ZeroGrad left a non-zero gradient")
	}
}

// checkpointed runs the problem through Sequence and returns the algorithm and Σ ℓ_t.
func checkpointed(t testing.TB, p *problem, slots, chunk int) (*bptt.Checkpointed, float32) {
	a, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: slots, Chunk: chunk})
	if err != nil {
		t.Fatal(err)
	}
	loss, err := a.RunSequence(p.s0, p.xs, p.targets)
	if err != nil {
		t.Fatal(err)
	}
	return a, loss
}

func TestCheckpointedBitIdenticalToFull(t *testing.T) {
	for _, cfg := range testConfigs {
		for _, T := range []int{1, 2, 3, 5, 8, 13, 31} {
			p := newProblem(t, cfg, T, uint64(T))
			full := newFull(t, p)
			wantLoss := p.stream(t, full)
			for _, sc := range [][2]int{{1, 1}, {2, 1}, {3, 1}, {4, 1}, {7, 1}, {T, 1}, {T + 3, 1}, {1, 2}, {2, 3}, {3, 5}, {2, T}, {1, T + 1}} {
				slots, chunk := sc[0], sc[1]
				a, loss := checkpointed(t, p, slots, chunk)
				name := configName(cfg) + "/sequence"
				if loss != wantLoss {
					t.Fatalf("%s T=%d s=%d K=%d: loss %v, want %v", name, T, slots, chunk, loss, wantLoss)
				}
				sameBits(t, name+" GradCell", a.GradCell(), full.GradCell())
				sameBits(t, name+" GradHead", a.GradHead(), full.GradHead())
				sameBits(t, name+" State", a.State(), full.State())

				s, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: slots, Chunk: chunk})
				if err != nil {
					t.Fatal(err)
				}
				if l := p.stream(t, s); l != wantLoss {
					t.Fatalf("stream T=%d s=%d K=%d: loss %v, want %v", T, slots, chunk, l, wantLoss)
				}
				sameBits(t, configName(cfg)+"/stream GradCell", s.GradCell(), full.GradCell())
				sameBits(t, configName(cfg)+"/stream GradHead", s.GradHead(), full.GradHead())
				sameBits(t, configName(cfg)+"/stream State", s.State(), full.State())
			}
		}
	}
}

// optimalAdvances is the least number of advancing forward steps that reverse l steps
// from a stored state with s state slots, by dynamic programming over the first
// checkpoint's position m (Griewank's recursion, written out plainly).
func optimalAdvances(maxL, maxS int) [][]int {
	c := make([][]int, maxL+1)
	for l := range c {
		c[l] = make([]int, maxS+1)
	}
	for l := 2; l <= maxL; l++ {
		c[l][1] = l * (l - 1) / 2 // rerun from s_0 before every step
		for s := 2; s <= maxS; s++ {
			best := math.MaxInt
			for m := 1; m < l; m++ {
				best = min(best, m+c[l-m][s-1]+c[m][s])
			}
			c[l][s] = best
		}
	}
	return c
}

func TestCheckpointedRecomputesTheMinimum(t *testing.T) {
	const maxT, maxS = 130, 14
	opt := optimalAdvances(maxT, maxS)
	p := newProblem(t, cell.Config{Kind: cell.RNNTanh, Hidden: 1, Input: testI}, maxT, 3)
	head, _ := cell.NewReadout(testO, 1)
	p.head = head
	for s := 1; s <= maxS; s++ {
		a, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: s})
		if err != nil {
			t.Fatal(err)
		}
		for T := 1; T <= maxT; T++ {
			if _, err := a.RunSequence(p.s0, p.xs[:T], p.targets[:T]); err != nil {
				t.Fatal(err)
			}
			if got := a.Recomputations(); got != opt[T][s] {
				t.Errorf("T=%d s=%d: %d recomputed forward steps, the optimum is %d", T, s, got, opt[T][s])
			}
		}
		// The streaming form reruns every step once more.
		q := &problem{cfg: p.cfg, c: p.c, head: p.head, s0: p.s0, xs: p.xs[:97], ys: p.ys[:97], targets: p.targets[:97]}
		q.stream(t, a)
		if got := a.Recomputations(); got != 97+opt[97][s] {
			t.Errorf("stream T=97 s=%d: %d recomputed forward steps, want %d", s, got, 97+opt[97][s])
		}
	}
}

// optimalChunkAdvances is the least number of advancing forward steps that reverse T
// steps in chunks of k (the last one shorter) with s state slots: the recursion of
// optimalAdvances over chunk boundaries, where advancing costs the steps passed.
func optimalChunkAdvances(T, k, s int) int {
	n := (T + k - 1) / k
	bound := func(i int) int { return min(i*k, T) }
	memo := map[[3]int]int{}
	var cost func(a, b, s int) int
	cost = func(a, b, s int) int {
		if b-a == 1 {
			return 0
		}
		key := [3]int{a, b, s}
		if v, ok := memo[key]; ok {
			return v
		}
		best := math.MaxInt
		if s == 1 {
			best = 0
			for j := a + 1; j < b; j++ {
				best += bound(j) - bound(a)
			}
		} else {
			for m := a + 1; m < b; m++ {
				best = min(best, bound(m)-bound(a)+cost(m, b, s-1)+cost(a, m, s))
			}
		}
		memo[key] = best
		return best
	}
	return cost(0, n, min(s, n))
}

// For sequences too long for the dynamic program, the count must match Griewank's
// closed form r·T − β(s+1, r−1), evaluated here with math/big.
func TestCheckpointedRecomputesTheClosedForm(t *testing.T) {
	beta := func(s, r int64) *big.Int { // β(s, r) = (s+r)! / (s!·r!)
		if r < 0 {
			return big.NewInt(0)
		}
		return new(big.Int).Binomial(s+r, r)
	}
	p := newProblem(t, cell.Config{Kind: cell.RNNTanh, Hidden: 1, Input: testI}, 4096, 12)
	p.head, _ = cell.NewReadout(testO, 1)
	for _, T := range []int{500, 1000, 4096} {
		for _, s := range []int{2, 5, 25, 200} {
			r := int64(0)
			for beta(int64(s), r).Cmp(big.NewInt(int64(T))) < 0 {
				r++
			}
			want := new(big.Int).Sub(big.NewInt(r*int64(T)), beta(int64(s)+1, r-1))
			a, _ := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: s})
			if _, err := a.RunSequence(p.s0, p.xs[:T], p.targets[:T]); err != nil {
				t.Fatal(err)
			}
			if got := a.Recomputations(); int64(got) != want.Int64() {
				t.Errorf("T=%d s=%d: %d recomputed forward steps, the closed form gives %v", T, s, got, want)
			}
		}
	}
}

func TestCheckpointedChunksRecomputeTheMinimum(t *testing.T) {
	const maxT = 45
	p := newProblem(t, cell.Config{Kind: cell.RNNTanh, Hidden: 1, Input: testI}, maxT, 3)
	p.head, _ = cell.NewReadout(testO, 1)
	for k := 2; k <= 6; k++ {
		for s := 1; s <= 6; s++ {
			a, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: s, Chunk: k})
			if err != nil {
				t.Fatal(err)
			}
			for T := 1; T <= maxT; T++ {
				if _, err := a.RunSequence(p.s0, p.xs[:T], p.targets[:T]); err != nil {
					t.Fatal(err)
				}
				if got, want := a.Recomputations(), optimalChunkAdvances(T, k, s); got != want {
					t.Errorf("T=%d K=%d s=%d: %d recomputed forward steps, the optimum is %d", T, k, s, got, want)
				}
			}
		}
	}
}

func TestCheckpointedBytesBudget(t *testing.T) {
	const T = 50
	p := newProblem(t, testConfigs[4], T, 4)
	full := newFull(t, p)
	p.stream(t, full)
	for _, share := range []int64{3, 5, 10, 20} {
		budget := full.Bytes() / share
		a, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Budget: budget, Steps: T})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.RunSequence(p.s0, p.xs, p.targets); err != nil {
			t.Fatal(err)
		}
		if a.Bytes() > budget {
			t.Errorf("1/%d: Bytes %d over the budget %d", share, a.Bytes(), budget)
		}
		sameBits(t, "GradCell", a.GradCell(), full.GradCell())
		full.ZeroGrad()
		p.stream(t, full)
		chosen := a.Recomputations()
		// No other split of the budget recomputes less.
		for k := 1; k <= T; k++ {
			for s := 1; ; s++ {
				b, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: s, Chunk: k})
				if err != nil {
					t.Fatal(err)
				}
				if b.Bytes() > budget {
					break
				}
				b.RunSequence(p.s0, p.xs, p.targets)
				if b.Recomputations() < chosen {
					t.Errorf("1/%d: chose s=%d K=%d with %d recomputations, but s=%d K=%d fits with %d", share, a.Slots(), a.Chunk(), chosen, s, k, b.Recomputations())
				}
			}
		}
		a.ZeroGrad()
	}
	if _, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Budget: 100, Steps: T}); err == nil || !strings.Contains(err.Error(), "budget of 100 bytes") {
		t.Errorf("tiny budget: error %v", err)
	}
}

func TestTruncatedWithWholeWindowIsFull(t *testing.T) {
	for _, cfg := range testConfigs {
		const T = 12
		p := newProblem(t, cfg, T, 5)
		full := newFull(t, p)
		wantLoss := p.stream(t, full)
		for _, k := range [][2]int{{T, T}, {T + 5, T + 5}, {T, 40}} {
			a, err := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: k[0], K2: k[1]})
			if err != nil {
				t.Fatal(err)
			}
			if l := p.stream(t, a); l != wantLoss {
				t.Fatalf("loss %v, want %v", l, wantLoss)
			}
			sameBits(t, configName(cfg)+" GradCell", a.GradCell(), full.GradCell())
			sameBits(t, configName(cfg)+" GradHead", a.GradHead(), full.GradHead())
			sameBits(t, configName(cfg)+" State", a.State(), full.State())
		}
	}
}

func TestTruncatedMatchesReference(t *testing.T) {
	const T = 11 // a multiple of none of the k1 below but 1
	for _, cfg := range testConfigs {
		p := newProblem(t, cfg, T, 6)
		r := p.ref()
		for _, k := range [][2]int{{1, 1}, {1, 3}, {2, 2}, {2, 5}, {3, 4}, {4, 9}, {5, 5}} {
			a, err := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: k[0], K2: k[1]})
			if err != nil {
				t.Fatal(err)
			}
			loss := p.stream(t, a)
			gCell, gHead, wantLoss := r.refGradient(tbpttWindows(T, k[0], k[1]))
			if d := math.Abs(float64(loss) - wantLoss); d > 1e-4*(1+wantLoss) {
				t.Errorf("%s k=%v: loss %v, want %v", configName(cfg), k, loss, wantLoss)
			}
			closeTo(t, configName(cfg)+" GradCell", a.GradCell(), gCell, 2e-4, 2e-3)
			closeTo(t, configName(cfg)+" GradHead", a.GradHead(), gHead, 2e-4, 2e-3)
			if t.Failed() {
				t.Fatalf("k1=%d k2=%d", k[0], k[1])
			}
		}
	}
}

func TestTruncatedDiffersFromFull(t *testing.T) {
	// The reference test could pass with any truncation if the windows did nothing;
	// here a short window must give a different gradient from the whole sequence.
	p := newProblem(t, testConfigs[3], 11, 7)
	full := newFull(t, p)
	p.stream(t, full)
	a, _ := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: 2, K2: 3})
	p.stream(t, a)
	if slices.Equal(a.GradCell(), full.GradCell()) {
		t.Error("BPTT(2, 3) gave the full gradient")
	}
}

func TestTruncatedMemoryIsBounded(t *testing.T) {
	p := newProblem(t, testConfigs[4], 200, 8)
	a, _ := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: 3, K2: 7})
	a.Reset(p.s0)
	var after7 int64
	for i, x := range p.xs {
		if _, err := a.Step(x, cell.Values(p.ys[i])); err != nil {
			t.Fatal(err)
		}
		if i == 6 {
			after7 = a.Bytes()
		}
	}
	if a.Bytes() != after7 {
		t.Errorf("Bytes went from %d after k2 steps to %d after %d", after7, a.Bytes(), len(p.xs))
	}
}

func TestSteadyStateAllocatesNothing(t *testing.T) {
	for _, cfg := range testConfigs {
		p := newProblem(t, cfg, 20, 9)
		full := newFull(t, p)
		ck, _ := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: 4})
		tr, _ := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: 3, K2: 5})
		for name, a := range map[string]algo.Algorithm{"full": full, "checkpoint": ck, "tbptt": tr} {
			p.stream(t, a) // size every buffer
			if n := testing.AllocsPerRun(20, func() { p.stream(t, a) }); n != 0 {
				t.Errorf("%s %s: %v allocations per sequence", configName(cfg), name, n)
			}
			a.Reset(p.s0)
			i := 0
			if n := testing.AllocsPerRun(100, func() {
				a.Step(p.xs[i%20], cell.Values(p.ys[i%20]))
				i++
				if i%20 == 0 {
					a.Finish()
				}
			}); n != 0 {
				t.Errorf("%s %s: %v allocations per Step", configName(cfg), name, n)
			}
		}
		ck.RunSequence(p.s0, p.xs, p.targets)
		if n := testing.AllocsPerRun(20, func() { ck.RunSequence(p.s0, p.xs, p.targets) }); n != 0 {
			t.Errorf("%s Sequence: %v allocations", configName(cfg), n)
		}
	}
}

func TestBadInput(t *testing.T) {
	p := newProblem(t, testConfigs[4], 3, 10)
	if _, err := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: 0, K2: 3}); err == nil || !strings.Contains(err.Error(), "k1 ≥ 1") {
		t.Errorf("k1=0: %v", err)
	}
	if _, err := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: 4, K2: 3}); err == nil || !strings.Contains(err.Error(), "k2 ≥ k1") {
		t.Errorf("k2<k1: %v", err)
	}
	if _, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: 0}); err == nil || !strings.Contains(err.Error(), "slots 0") {
		t.Errorf("0 slots: %v", err)
	}
	if _, err := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: 2, Chunk: -1}); err == nil || !strings.Contains(err.Error(), "chunk of -1 steps") {
		t.Errorf("0 chunk: %v", err)
	}
	wrongHead, _ := cell.NewReadout(testO, testH+1)
	if _, err := bptt.NewFull(&cell.Model{Layers: []cell.Cell{p.c}, Head: wrongHead}, bptt.FullOptions{}); err == nil || !strings.Contains(err.Error(), "readout reads 6 hidden units") {
		t.Errorf("mismatched head: %v", err)
	}
	full := newFull(t, p)
	ck, _ := bptt.NewCheckpointed(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.CheckpointedOptions{Slots: 2})
	tr, _ := bptt.NewTruncated(&cell.Model{Layers: []cell.Cell{p.c}, Head: p.head}, bptt.TruncatedOptions{K1: 1, K2: 2})
	for name, a := range map[string]algo.Algorithm{"full": full, "checkpoint": ck, "tbptt": tr} {
		if err := a.Reset(make([]float32, 3)); err == nil || !strings.Contains(err.Error(), "initial state has 3 values") {
			t.Errorf("%s: short s0: %v", name, err)
		}
		a.Reset(nil)
		if _, err := a.Step(make([]float32, testI+1), cell.Target{}); err == nil || !strings.Contains(err.Error(), "input has 4 values") {
			t.Errorf("%s: long x: %v", name, err)
		}
		if _, err := a.Step(make([]float32, testI), cell.Values(make([]float32, 1))); err == nil || !strings.Contains(err.Error(), "target has 1 values") {
			t.Errorf("%s: short y: %v", name, err)
		}
		if slices.ContainsFunc(a.State(), func(v float32) bool { return v != 0 }) {
			t.Errorf("%s: a rejected step changed the state", name)
		}
	}
	if _, err := ck.RunSequence(nil, p.xs, p.targets[:2]); err == nil || !strings.Contains(err.Error(), "2 targets for 3 inputs") {
		t.Errorf("Sequence with short ys: %v", err)
	}
	xs := slices.Clone(p.xs)
	xs[1] = make([]float32, 1)
	if _, err := ck.RunSequence(nil, xs, nil); err == nil || !strings.Contains(err.Error(), "step 1") {
		t.Errorf("Sequence with a bad x: %v", err)
	}
}
