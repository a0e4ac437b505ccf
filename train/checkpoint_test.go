package train_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/safetensors"
	"github.com/chronograd/chronograd/train"
)

// streamEvent is one Observe call's input and target (nil: no target).
type streamEvent struct{ x, y []float32 }

// events draws n events for a model with in inputs and out outputs; every fourth has no
// target.
func events(seed uint64, n, in, out int) []streamEvent {
	rng := rand.New(rand.NewPCG(seed, 19))
	evs := make([]streamEvent, n)
	for i := range evs {
		evs[i].x = make([]float32, in)
		for j := range evs[i].x {
			evs[i].x[j] = float32(rng.NormFloat64())
		}
		if i%4 == 3 {
			continue
		}
		evs[i].y = make([]float32, out)
		for j := range evs[i].y {
			evs[i].y[j] = float32(rng.NormFloat64())
		}
	}
	return evs
}

// feed observes the events and returns every loss and prediction, in order.
func feed(t *testing.T, l *train.Online, evs []streamEvent, out int) []float32 {
	t.Helper()
	var trace []float32
	pred := make([]float32, out)
	for _, e := range evs {
		loss, err := l.Observe(pred, e.x, e.y)
		if err != nil {
			t.Fatal(err)
		}
		trace = append(trace, loss)
		trace = append(trace, pred...)
	}
	return trace
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// learnerSetup is one learner configuration of the checkpoint tests.
type learnerSetup struct {
	spec   string
	kind   cell.Kind
	layers int
	opt    func() train.Optimizer
	cfg    train.OnlineConfig
}

func (s learnerSetup) name() string {
	return fmt.Sprintf("%s/%v/L=%d/%T/every=%d", s.spec, s.kind, s.layers, s.opt(), s.cfg.UpdateEvery)
}

func (s learnerSetup) newAlgorithm(m *cell.Model) (algo.Algorithm, error) {
	return algo.MustParse(s.spec).New(m, algo.Options{Seed: 3})
}

// newLearner builds the setup's learner on a freshly initialised model.
func (s learnerSetup) newLearner(t *testing.T, hidden int) *train.Online {
	t.Helper()
	m, err := cell.NewStack(cell.Config{Kind: s.kind, Hidden: hidden, Input: 2}, s.layers, 2)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for _, l := range m.Layers {
		cell.InitDefault(l, rng)
	}
	m.Head.InitDefault(rng)
	alg, err := s.newAlgorithm(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alg.Close() })
	l, err := train.NewOnline(m, alg, s.opt(), s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func adam() train.Optimizer { return &train.Adam{LR: 0.01} }
func sgd() train.Optimizer  { return &train.SGD{LR: 0.05, Momentum: 0.9} }

var checkpointSetups = []learnerSetup{
	{"snap1", cell.GRU, 1, adam, train.OnlineConfig{ClipNorm: 1}},
	{"snap1", cell.LSTM, 2, sgd, train.OnlineConfig{UpdateEvery: 3}},
	{"rtrl", cell.GRU, 2, adam, train.OnlineConfig{UpdateEvery: 2, ClipNorm: 0.5}},
	{"uoro", cell.LSTM, 1, adam, train.OnlineConfig{ClipNorm: 1}},
	{"uoro", cell.RNNTanh, 1, sgd, train.OnlineConfig{}},
	{"rflo", cell.RNNTanh, 1, sgd, train.OnlineConfig{UpdateEvery: 2}},
	{"eprop", cell.LSTM, 1, adam, train.OnlineConfig{}},
	{"tbptt:3,6", cell.GRU, 1, adam, train.OnlineConfig{UpdateEvery: 3, ClipNorm: 1}},
	{"tbptt:2,5", cell.LSTM, 2, sgd, train.OnlineConfig{UpdateEvery: 2}},
	{"tbptt-adaptive:0.3", cell.RNNTanh, 1, adam, train.OnlineConfig{}},
	{"kfrtrl", cell.RNNTanh, 1, adam, train.OnlineConfig{ClipNorm: 1}},
	{"rkfrtrl", cell.RNNTanh, 1, adam, train.OnlineConfig{UpdateEvery: 2}},
	{"dni", cell.GRU, 2, adam, train.OnlineConfig{UpdateEvery: 3}},
}

// A learner resumed from a checkpoint, by Resume or by Restore into a learner built
// alike, continues bit for bit as the learner that never stopped: the same losses and
// predictions event after event, and at the end the same weights, optimizer moments,
// algorithm state and counts (a second checkpoint of each is the same file, byte for
// byte).
func TestCheckpointResumesBitIdentically(t *testing.T) {
	for _, s := range checkpointSetups {
		t.Run(s.name(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "learner.ckpt")
			// 230 events: adaptive TBPTT has probed and estimated its window (every 200).
			before, after := events(1, 230, 2, 2), events(2, 120, 2, 2)
			original := s.newLearner(t, 4)
			feed(t, original, before, 2)
			if err := original.Checkpoint(path); err != nil {
				t.Fatal(err)
			}
			want := feed(t, original, after, 2)

			resumed, err := train.Resume(path, s.newAlgorithm, s.opt(), s.cfg)
			if err != nil {
				t.Fatal(err)
			}
			restored := s.newLearner(t, 4)
			feed(t, restored, events(9, 17, 2, 2), 2) // a past of its own, replaced
			if err := restored.Restore(path); err != nil {
				t.Fatal(err)
			}
			final := filepath.Join(dir, "original.ckpt")
			if err := original.Checkpoint(final); err != nil {
				t.Fatal(err)
			}
			wantFile, _ := os.ReadFile(final)
			for name, l := range map[string]*train.Online{"resumed": resumed, "restored": restored} {
				if l.Events() != len(before) {
					t.Fatalf("%s: %d events, want %d", name, l.Events(), len(before))
				}
				if got := feed(t, l, after, 2); !sameBits(got, want) {
					i := 0
					for i < len(got) && math.Float32bits(got[i]) == math.Float32bits(want[i]) {
						i++
					}
					t.Fatalf("%s: after resuming, value %d (event %d) is %v, the original's %v", name, i, i/3, got[i], want[i])
				}
				p := filepath.Join(dir, name+".ckpt")
				if err := l.Checkpoint(p); err != nil {
					t.Fatal(err)
				}
				if got, _ := os.ReadFile(p); !bytes.Equal(got, wantFile) {
					t.Fatalf("%s: its final checkpoint differs from the original's", name)
				}
				if l.Updates() != original.Updates() || l.Events() != original.Events() {
					t.Fatalf("%s: %d updates, %d events; the original %d and %d", name, l.Updates(), l.Events(), original.Updates(), original.Events())
				}
			}
		})
	}
}

// The checkpoint keeps the weights under the model file's names, so PyTorch tools (and
// Resume) read them, and its other tensors under the documented prefixes.
func TestCheckpointLayout(t *testing.T) {
	s := learnerSetup{"snap1", cell.GRU, 1, adam, train.OnlineConfig{UpdateEvery: 2}}
	l := s.newLearner(t, 3)
	feed(t, l, events(1, 5, 2, 2), 2)
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := l.Checkpoint(path); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"algorithm.state", "algorithm.trace_l0",
		"bias_hh_l0", "bias_ih_l0",
		"grad.bias_hh_l0", "grad.bias_ih_l0", "grad.head.bias", "grad.head.weight", "grad.weight_hh_l0", "grad.weight_ih_l0",
		"head.bias", "head.weight",
		"learner.events", "learner.targets", "learner.updates",
		"optimizer.exp_avg.bias_hh_l0", "optimizer.exp_avg.bias_ih_l0", "optimizer.exp_avg.head.bias", "optimizer.exp_avg.head.weight",
		"optimizer.exp_avg.weight_hh_l0", "optimizer.exp_avg.weight_ih_l0",
		"optimizer.exp_avg_sq.bias_hh_l0", "optimizer.exp_avg_sq.bias_ih_l0", "optimizer.exp_avg_sq.head.bias", "optimizer.exp_avg_sq.head.weight",
		"optimizer.exp_avg_sq.weight_hh_l0", "optimizer.exp_avg_sq.weight_ih_l0",
		"optimizer.steps",
		"weight_hh_l0", "weight_ih_l0",
	}
	if got := strings.Join(f.Names(), " "); got != strings.Join(want, " ") {
		t.Fatalf("tensors\n%s\nwant\n%s", got, strings.Join(want, " "))
	}
	if f.Metadata["format"] != "chronograd-checkpoint/1" || f.Metadata["cell"] != "gru" || f.Metadata["algorithm"] != "*rtrl.SnAp1" || f.Metadata["optimizer"] != "adam" {
		t.Fatalf("metadata %v", f.Metadata)
	}
	if ev := f.Tensors["learner.events"]; ev.I64[0] != 5 || f.Tensors["optimizer.steps"].I64[0] != 2 || f.Tensors["learner.targets"].I64[0] != 0 {
		t.Fatalf("events %v, steps %v, targets %v", ev.I64, f.Tensors["optimizer.steps"].I64, f.Tensors["learner.targets"].I64)
	}
	if sh := f.Tensors["optimizer.exp_avg.weight_hh_l0"].Shape; fmt.Sprint(sh) != "[9 3]" {
		t.Fatalf("exp_avg of weight_hh_l0 has shape %v", sh)
	}
}

// hiddenState is an online algorithm without SaveState and LoadState.
type hiddenState struct{ algo.Algorithm }

// plainSGD is an optimizer without SaveState and LoadState.
type plainSGD struct{ sgd train.SGD }

func (p *plainSGD) Step(params, grads [][]float32) error { return p.sgd.Step(params, grads) }
func (p *plainSGD) Reset()                               { p.sgd.Reset() }

// A checkpoint that does not fit the learner is refused with one line that names what
// differs, and the learner is left as it was (its own checkpoint afterwards is the same
// file). So is a corrupt file, and a learner whose algorithm or optimizer cannot save its
// state refuses to checkpoint.
func TestRestoreRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(s learnerSetup, hidden int) string {
		t.Helper()
		l := s.newLearner(t, hidden)
		feed(t, l, events(1, 11, 2, 2), 2)
		path := filepath.Join(dir, fmt.Sprintf("%d.ckpt", len(must(os.ReadDir(dir)))))
		if err := l.Checkpoint(path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	base := learnerSetup{"tbptt:3,6", cell.GRU, 1, adam, train.OnlineConfig{UpdateEvery: 3}}
	good := write(base, 4)
	goodBytes := must(os.ReadFile(good))
	variant := func(f func(s *learnerSetup)) learnerSetup { s := base; f(&s); return s }
	corrupt := func(name string, edit func(b []byte) []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, edit(bytes.Clone(goodBytes)), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// rewrite re-encodes the good checkpoint with one change to its tensors.
	rewrite := func(name string, edit func(f *safetensors.File)) string {
		f := must(safetensors.ReadFile(good))
		edit(f)
		path := filepath.Join(dir, name)
		if err := safetensors.WriteFile(path, f); err != nil {
			t.Fatal(err)
		}
		return path
	}
	snapshot := func() string {
		l := base.newLearner(t, 4)
		path := filepath.Join(dir, "model.safetensors")
		if err := l.Snapshot(path); err != nil {
			t.Fatal(err)
		}
		return path
	}()
	cases := []struct {
		name, path, want string
		resumes          bool // Resume, which takes the model from the checkpoint, accepts it
	}{
		{"a model file", snapshot, "not a learner checkpoint", false},
		{"another cell", write(variant(func(s *learnerSetup) { s.kind = cell.LSTM }), 4), `model has cell "lstm", this learner's "gru"`, true},
		{"another size", write(base, 5), `tensor "weight_ih_l0" has shape [15 2], this learner's is [12 2]`, true},
		{"another algorithm", write(variant(func(s *learnerSetup) { s.spec = "snap1" }), 4), "running *rtrl.SnAp1, this one runs *bptt.Truncated", false},
		{"other windows", write(variant(func(s *learnerSetup) { s.spec = "tbptt:2,6" }), 4), `"k1" is 2, this algorithm's is 3`, false},
		{"another optimizer", write(variant(func(s *learnerSetup) { s.opt = sgd }), 4), `optimizer is "sgd", this learner's "adam"`, false},
		{"a truncated file", corrupt("truncated.ckpt", func(b []byte) []byte { return b[:len(b)-7] }), "safetensors", false},
		{"a garbled header", corrupt("garbled.ckpt", func(b []byte) []byte { b[12] = '!'; return b }), "safetensors", false},
		{"a missing counter", rewrite("missing.ckpt", func(f *safetensors.File) { delete(f.Tensors, "learner.events") }), `tensor "learner.events" is missing`, false},
		{"an extra tensor", rewrite("extra.ckpt", func(f *safetensors.File) {
			f.Tensors["extra"] = &safetensors.Tensor{DType: safetensors.F32, Shape: []int{1}, F32: []float32{1}}
		}), `unexpected tensor "extra"`, false},
		{"a negative count", rewrite("negative.ckpt", func(f *safetensors.File) { f.Tensors["learner.targets"].I64[0] = -1 }), "negative count", false},
		{"a missing moment", rewrite("moment.ckpt", func(f *safetensors.File) {
			for _, name := range f.Names() {
				if strings.HasPrefix(name, "optimizer.exp_avg_sq.") {
					delete(f.Tensors, name)
				}
			}
		}), `no buffer "exp_avg_sq"`, false},
		{"a missing algorithm part", rewrite("algpart.ckpt", func(f *safetensors.File) { delete(f.Tensors, "algorithm.ring") }), `state "ring" is missing`, false},
		{"no format", rewrite("noformat.ckpt", func(f *safetensors.File) { delete(f.Metadata, "format") }), "not a learner checkpoint", false},
		{"a directory", dir, "directory", false},
	}
	l := base.newLearner(t, 4)
	feed(t, l, events(3, 8, 2, 2), 2)
	mine := filepath.Join(dir, "mine.ckpt")
	if err := l.Checkpoint(mine); err != nil {
		t.Fatal(err)
	}
	mineBytes := must(os.ReadFile(mine))
	for _, c := range cases {
		err := l.Restore(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Restore error %v, want one containing %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: the error is not one line: %q", c.name, err)
		}
		if err := l.Checkpoint(mine); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(must(os.ReadFile(mine)), mineBytes) {
			t.Fatalf("%s: the refused checkpoint changed the learner", c.name)
		}
		r, err := train.Resume(c.path, base.newAlgorithm, adam(), base.cfg)
		switch {
		case c.resumes && err != nil:
			t.Errorf("%s: Resume: %v", c.name, err)
		case !c.resumes && (err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%s: Resume error %v, want one line containing %q", c.name, err, c.want)
		case r != nil && r.Events() != 11:
			t.Errorf("%s: resumed with %d events, want 11", c.name, r.Events())
		}
	}

	// Learners that cannot save their state refuse to checkpoint, writing nothing.
	hm, _ := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 2}, 2)
	inner, _ := algo.MustParse("snap1").New(hm, algo.Options{})
	hidden, err := train.NewOnline(hm, hiddenState{inner}, &train.Adam{LR: 0.1}, train.OnlineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	none := filepath.Join(dir, "none.ckpt")
	if err := hidden.Checkpoint(none); err == nil || !strings.Contains(err.Error(), "does not implement algo.Resumable") {
		t.Errorf("an algorithm without state saving: %v", err)
	}
	pm, _ := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 2}, 2)
	snap, _ := algo.MustParse("snap1").New(pm, algo.Options{})
	plain, err := train.NewOnline(pm, snap, &plainSGD{train.SGD{LR: 0.1}}, train.OnlineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Checkpoint(none); err == nil || !strings.Contains(err.Error(), "does not implement train.ResumableOptimizer") {
		t.Errorf("an optimizer without state saving: %v", err)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("a refused checkpoint left a file: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Checkpoints written while another goroutine observes events are consistent snapshots
// (run with -race): each resumes, and the last one, written after the events, equals the
// learner.
func TestCheckpointWhileObserving(t *testing.T) {
	s := learnerSetup{"snap1", cell.LSTM, 1, adam, train.OnlineConfig{ClipNorm: 1}}
	l := s.newLearner(t, 5)
	dir := t.TempDir()
	evs := events(4, 1500, 2, 2)
	var wg sync.WaitGroup
	wg.Go(func() { feed(t, l, evs, 2) })
	for i := range 10 {
		path := filepath.Join(dir, fmt.Sprintf("%d.ckpt", i))
		if err := l.Checkpoint(path); err != nil {
			t.Fatal(err)
		}
		r, err := train.Resume(path, s.newAlgorithm, adam(), s.cfg)
		if err != nil {
			t.Fatalf("checkpoint %d: %v", i, err)
		}
		if r.Events() > len(evs) {
			t.Fatalf("checkpoint %d: %d events", i, r.Events())
		}
	}
	wg.Wait()
}

// CopyWeights gives another model the learner's weights, and refuses a model of another
// shape, the learner's own model and nil with one line.
func TestCopyWeights(t *testing.T) {
	s := learnerSetup{"snap1", cell.GRU, 2, adam, train.OnlineConfig{}}
	l := s.newLearner(t, 3)
	feed(t, l, events(1, 20, 2, 2), 2)
	snap := filepath.Join(t.TempDir(), "m.safetensors")
	if err := l.Snapshot(snap); err != nil {
		t.Fatal(err)
	}
	want := must(cell.LoadModel(snap))
	dst := must(cell.NewStack(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 2}, 2, 2))
	if err := l.CopyWeights(dst); err != nil {
		t.Fatal(err)
	}
	for k := range dst.Layers {
		if !sameBits(dst.Layers[k].Params(), want.Layers[k].Params()) {
			t.Fatalf("layer %d's weights differ from the learner's", k)
		}
	}
	if !sameBits(dst.Head.Params(), want.Head.Params()) {
		t.Fatal("the readout's weights differ from the learner's")
	}
	if allocs := testing.AllocsPerRun(10, func() { _ = l.CopyWeights(dst) }); allocs != 0 {
		t.Errorf("CopyWeights allocates %v times", allocs)
	}
	for name, m := range map[string]*cell.Model{
		"one layer":   must(cell.NewStack(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 2}, 1, 2)),
		"an LSTM":     must(cell.NewStack(cell.Config{Kind: cell.LSTM, Hidden: 3, Input: 2}, 2, 2)),
		"wider":       must(cell.NewStack(cell.Config{Kind: cell.GRU, Hidden: 4, Input: 2}, 2, 2)),
		"more inputs": must(cell.NewStack(cell.Config{Kind: cell.GRU, Hidden: 3, Input: 3}, 2, 2)),
		"nil":         nil,
	} {
		if err := l.CopyWeights(m); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
