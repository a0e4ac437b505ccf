package algo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/chronograd/chronograd/bptt"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/internal/memlimit"
	"github.com/chronograd/chronograd/rtrl"
)

// registry is the one list of algorithms, in the order help texts show them.
var registry = []*entry{
	{
		Info: Info{Name: "bptt", Summary: "exact, at the sequence end (models with attention too)",
			Time: "O(P)", Memory: "O(T·S) caches", Attention: true},
		flops: func(d Dims, _ []float64) float64 {
			return 3*(d.forward()+d.readout()) + d.attentionForward() + d.attentionBackward()
		},
		bytes:   fullBytes,
		batched: true,
		build: func(m *cell.Model, _ []float64, o Options) (Algorithm, error) {
			if m != nil && m.Attention != nil {
				// One sequence: a minibatch of an attention model runs one per sequence.
				return as(bptt.NewFullAttention(m, bptt.FullOptions{}))
			}
			return as(bptt.NewFull(m, bptt.FullOptions{Batch: o.Batch, Workers: o.Workers}))
		},
		profile: func(int) string { return "bptt" },
		race:    "bptt",
	},
	{
		Info: Info{Name: "bptt-checkpoint", Summary: "exact, bit-identical to bptt, in S state slots (binomial checkpointing, Revolve)",
			Time: "O(P) + recomputation", Memory: "O(S) slots"},
		params: []param{{name: "S"}},
		// Checkpointed BPTT is credited with full BPTT's FLOPs: its recomputation is
		// overhead, and it shows as a lower GFLOP/s.
		flops:   func(d Dims, _ []float64) float64 { return 3 * (d.forward() + d.readout()) },
		bytes:   checkpointBytes,
		batched: true,
		build: func(m *cell.Model, p []float64, o Options) (Algorithm, error) {
			return as(bptt.NewCheckpointed(m, bptt.CheckpointedOptions{Slots: checkpointSlots(p, o), Batch: o.Batch, Workers: o.Workers}))
		},
		profile: func(T int) string {
			return fmt.Sprintf("bptt-checkpoint:%d", max(2, int(math.Ceil(math.Sqrt(float64(T))))))
		},
	},
	{
		Info: Info{Name: "tbptt", Summary: "truncated to K2 steps, every K1 steps",
			Online: true, Time: "O(P·K2/K1)", Memory: "O(K2) caches"},
		params: []param{{name: "K1"}, {name: "K2"}},
		check: func(p []float64) error {
			if p[1] < p[0] {
				return fmt.Errorf("K2=%d must be at least K1=%d", int(p[1]), int(p[0]))
			}
			return nil
		},
		flops: func(d Dims, p []float64) float64 {
			F, R, k1, k2 := d.forward(), d.readout(), p[0], p[1]
			return F + R + (2*F*k2+2*R*k1)/k1
		},
		bytes:   truncatedBytes,
		batched: true,
		build: func(m *cell.Model, p []float64, o Options) (Algorithm, error) {
			return as(bptt.NewTruncated(m, bptt.TruncatedOptions{K1: int(p[0]), K2: int(p[1]), Batch: o.Batch, Workers: o.Workers}))
		},
		profile:  func(T int) string { return fmt.Sprintf("tbptt:%d,%d", max(1, T/10), max(1, T/5)) },
		race:     "tbptt:5,10",
		frontier: truncationWindows,
	},
	{
		Info: Info{Name: "rtrl", Summary: "exact, online, every step; rtrl:W splits the sensitivity update over W goroutines",
			Online: true, Forward: true, Time: "O(S²·P) ≈ n⁴", Memory: "O(S·P) ≈ n³"},
		params:   []param{{name: "W"}},
		optional: "1",
		flops: func(d Dims, _ []float64) float64 {
			// Per layer k: J^k·M^k over P_{≤k} columns, A^k·M^{k−1} over P_{<k}; then the
			// gradient row. One layer: 2·S²·P + 2·S·P.
			s, sum, cols := float64(d.layerState()), 0.0, 0.0
			for k := range d.L {
				below := cols
				cols += float64(d.layerParams(k))
				sum += 2*s*s*cols + 2*s*float64(d.H)*below
			}
			return d.forward() + d.readout() + sum + 2*s*float64(d.P)
		},
		bytes: exactBytes,
		build: func(m *cell.Model, p []float64, o Options) (Algorithm, error) {
			return as(rtrl.NewExact(m, rtrl.ExactOptions{Workers: int(p[0]), MemLimit: o.MemLimit}))
		},
		profile: func(int) string { return "rtrl" },
		race:    "rtrl",
	},
	{
		Info: Info{Name: "snap1", Summary: "SnAp-1: the influence kept on the immediate Jacobian's sparsity pattern",
			Online: true, Forward: true, Time: "O(P)", Memory: "O(P)"},
		flops: func(d Dims, _ []float64) float64 {
			return d.forward() + d.readout() + 4*float64(d.S/d.L/d.H)*float64(d.P)
		},
		bytes: snap1Bytes,
		build: func(m *cell.Model, _ []float64, _ Options) (Algorithm, error) {
			return as(rtrl.NewSnAp1(m, rtrl.SnAp1Options{}))
		},
		profile: func(int) string { return "snap1" },
		race:    "snap1",
	},
	{
		Info: Info{Name: "snap2", Summary: "SnAp-2: the influence kept on the units each parameter reaches in two steps (exact RTRL when W_hh is dense)",
			Online: true, Forward: true, Sparse: true, Time: "O(S²·P) ≈ n⁴ dense, ≈ d³·n⁴ at W_hh density d", Memory: "O(S·P) ≈ n³ dense, ≈ d·n³ at density d"},
		flops: snap2FLOPs,
		bytes: snap2Bytes,
		build: func(m *cell.Model, _ []float64, _ Options) (Algorithm, error) {
			return as(rtrl.NewSnAp2(m, rtrl.SnAp2Options{}))
		},
		profile: func(int) string { return "snap2" },
	},
	{
		Info: Info{Name: "uoro", Summary: "UORO: an unbiased rank-one estimate of the influence matrix",
			Online: true, Forward: true, Time: "O(P + S²)", Memory: "O(P)"},
		flops: func(d Dims, _ []float64) float64 {
			S := float64(d.S)
			return 3*d.forward() + d.readout() + 2*S*S + 8*float64(d.P)
		},
		bytes: uoroBytes,
		build: func(m *cell.Model, _ []float64, o Options) (Algorithm, error) {
			return as(rtrl.NewUORO(m, rtrl.UOROOptions{Seed: o.Seed}))
		},
		profile: func(int) string { return "uoro" },
		race:    "uoro",
	},
	{
		Info: Info{Name: "rflo", Summary: "RFLO: local eligibility traces (leaky vanilla cells)",
			Online: true, Forward: true, Time: "O(P)", Memory: "O(P)"},
		supports: vanillaOneLayer("rflo", "its eligibility traces are derived for one leaky vanilla layer"),
		flops: func(d Dims, _ []float64) float64 {
			return d.forward() + d.readout() + 2*float64(d.H*(d.I+d.H+1)) + 2*float64(d.P)
		},
		bytes: rfloBytes,
		build: func(m *cell.Model, _ []float64, _ Options) (Algorithm, error) {
			return as(rtrl.NewRFLO(m, rtrl.FeedbackOptions{}))
		},
		profile: func(int) string { return "rflo" },
	},
	{
		Info: Info{Name: "eprop", Summary: "e-prop: eligibility propagation (LSTM)",
			Online: true, Forward: true, Time: "O(P)", Memory: "O(P)"},
		supports: lstmOneLayer("eprop", "its eligibility traces are one LSTM layer's"),
		flops: func(d Dims, _ []float64) float64 {
			return d.forward() + d.readout() + 8*float64(d.P)
		},
		bytes: epropBytes,
		build: func(m *cell.Model, _ []float64, _ Options) (Algorithm, error) {
			return as(rtrl.NewEProp(m, rtrl.FeedbackOptions{}))
		},
		profile: func(int) string { return "eprop" },
	},
	{
		Info: Info{Name: "kfrtrl", Summary: "KF-RTRL: an unbiased Kronecker-factored estimate of the influence matrix (vanilla cells)",
			Online: true, Forward: true, Time: "O(n³)", Memory: "O(n²)"},
		supports: vanillaOneLayer("kfrtrl", "its Kronecker factors are one vanilla layer's immediate Jacobian"),
		flops: func(d Dims, _ []float64) float64 {
			h := float64(d.H)
			return d.forward() + d.readout() + 2*h*h*h + 4*h*h + 2*float64(d.P)
		},
		bytes: kfrtrlBytes,
		build: func(m *cell.Model, _ []float64, o Options) (Algorithm, error) {
			return as(rtrl.NewKFRTRL(m, rtrl.KFRTRLOptions{Seed: o.Seed}))
		},
		profile: func(int) string { return "kfrtrl" },
	},
	{
		Info: Info{Name: "rkfrtrl", Summary: "reverse KF-RTRL: the Kronecker factors the other way round (vanilla cells)",
			Online: true, Forward: true, Time: "O(n²·(n+I)) ≈ n³", Memory: "O(n·(n+I)) ≈ n²"},
		supports: vanillaOneLayer("rkfrtrl", "its Kronecker factors are one vanilla layer's immediate Jacobian"),
		flops: func(d Dims, _ []float64) float64 {
			h := float64(d.H)
			return d.forward() + d.readout() + 2*h*float64(d.P) + 2*h*h + 6*float64(d.P)
		},
		bytes: rkfrtrlBytes,
		build: func(m *cell.Model, _ []float64, o Options) (Algorithm, error) {
			return as(rtrl.NewReverseKFRTRL(m, rtrl.KFRTRLOptions{Seed: o.Seed}))
		},
		profile: func(int) string { return "rkfrtrl" },
	},
	{
		Info: Info{Name: "dni", Summary: "DNI: one-step gradients plus a learnt synthetic gradient of the future's credit",
			Online: true, Forward: true, Time: "O(P + S²)", Memory: "O(S²)"},
		flops: func(d Dims, _ []float64) float64 {
			// A backward step (≈ 2F) and three products with the S×(S+O+1) module.
			return 3*d.forward() + d.readout() + 6*float64(d.S)*float64(d.S+d.O+1)
		},
		bytes: dniBytes,
		build: func(m *cell.Model, _ []float64, _ Options) (Algorithm, error) {
			return as(rtrl.NewDNI(m, rtrl.DNIOptions{}))
		},
		profile: func(int) string { return "dni" },
		race:    "dni",
	},
	{
		Info: Info{Name: "tbptt-adaptive", Summary: "truncated, the window chosen for a relative gradient bias ≤ δ",
			Online: true, Time: "O(P·K/K1)", Memory: "O(Kmax) caches"},
		params: []param{{name: "δ", fraction: true}},
		// The window varies; it is credited as full BPTT.
		flops:   func(d Dims, _ []float64) float64 { return 3 * (d.forward() + d.readout()) },
		bytes:   adaptiveBytes,
		batched: true,
		build: func(m *cell.Model, p []float64, o Options) (Algorithm, error) {
			return as(bptt.NewAdaptive(m, bptt.AdaptiveOptions{Delta: p[0], KMax: adaptiveKMax(o), Seed: o.Seed, Batch: o.Batch, Workers: o.Workers}))
		},
		frontier: func(int) []string { return []string{"tbptt-adaptive:0.1"} },
	},
	{
		Info: Info{Name: "sab", Summary: "Sparse Attentive Backtracking: truncated to K_TRUNC, plus credit through the attended slots (models with attention only)",
			Online: true, Time: "O(P + H²) and O(M·H) for the slots, plus a forward and a backward step per step backtracked", Memory: "O(K_TRUNC) caches, a state and K_TRUNC inputs per kept window, O(M·H) slots",
			Attention: true, NeedsAttention: true},
		params:   []param{{name: "K_TRUNC"}},
		supports: needsAttention("sab", "its credit runs through the memory of an attention component"),
		flops: func(d Dims, _ []float64) float64 {
			F, R, af, ab := d.forward(), d.readout(), d.attentionForward(), d.attentionBackward()
			// The backtracking is not credited: how much there is depends on where the
			// attention goes. It shows as a lower GFLOP/s.
			return F + R + af + (2*F + 2*R + ab)
		},
		bytes: sabBytes,
		build: func(m *cell.Model, p []float64, _ Options) (Algorithm, error) {
			return as(bptt.NewSAB(m, bptt.SABOptions{KTrunc: int(p[0])}))
		},
		profile:          func(T int) string { return fmt.Sprintf("sab:%d", max(1, T/10)) },
		profileAttention: func(int) cell.AttentionConfig { return cell.AttentionConfig{KAtt: 10, KTop: 5} },
	},
}

// adaptiveKMax is tbptt-adaptive:δ's KMax: min(100, T), so that on a sequence shorter than
// 100 steps it starts as full BPTT; re-estimated every 200 steps.
func adaptiveKMax(o Options) int {
	if o.Steps <= 0 {
		return 100
	}
	return max(2, min(100, o.Steps))
}

// checkpointSlots is bptt-checkpoint:S's number of slots: more than T cannot help, and
// clamping keeps a huge S from allocating.
func checkpointSlots(p []float64, o Options) int {
	s := int(p[0])
	if o.Steps > 0 {
		s = min(s, o.Steps)
	}
	return max(1, s)
}

// Info describes a registered algorithm.
type Info struct {
	// Name is the algorithm's name, as Parse and the command line's -algo spell it.
	Name string
	// Summary says in one line what gradient it computes.
	Summary string
	// Online is what Algorithm.Online reports for it.
	Online bool
	// Forward reports a forward-mode algorithm (RTRL and its approximations): its cost per
	// step does not depend on the sequence length.
	Forward bool
	// Sparse reports an algorithm whose cost falls with the density of W_hh (see
	// cell.Sparsify); the profile also measures it on a sparse network.
	Sparse bool
	// Time and Memory are its costs per step and its memory in O-notation (n hidden units,
	// S state entries, P parameters, T steps; for attention models H hidden units, k_top,
	// k_att and M slots).
	Time, Memory string
	// Attention reports that it trains models with an attention component
	// (cell.Model.Attention); NeedsAttention that it trains only those.
	Attention, NeedsAttention bool
}

// param is one parameter of a specification: a positive integer, or a number in (0, 1)
// when fraction is set.
type param struct {
	name     string
	fraction bool
}

// entry is one algorithm of the registry.
type entry struct {
	Info
	params []param
	// optional, when not empty, is the parameter text that NAME alone stands for.
	optional string
	// check validates the parsed parameters together (nil: nothing to check).
	check func(p []float64) error
	// supports refuses the models the algorithm does not apply to (nil: every model).
	supports func(d Dims) error
	flops    func(d Dims, p []float64) float64
	// bytes is the memory model of one sequence, or of o.Batch when batched.
	bytes func(d Dims, p []float64, o Options) int64
	// build builds the algorithm for one sequence, or for o.Batch when batched.
	build func(m *cell.Model, p []float64, o Options) (Algorithm, error)
	// batched algorithms step a minibatch themselves (the BPTT family, on the Gemm
	// kernels); the others run it as one instance per sequence (replicated).
	batched bool
	// profile is the algorithm's setting in the default profile for sequences of T steps
	// (nil: not profiled).
	profile func(T int) string
	// race is its setting in the profile's training race ("": not in the race).
	race string
	// frontier lists its settings on the cost–accuracy frontier for sequences of T steps
	// (nil: its profile setting, or its name alone; see FrontierSettings).
	frontier func(T int) []string
	// profileAttention is the attention component the profile gives its models (nil:
	// none).
	profileAttention func(T int) cell.AttentionConfig
}

// form is how the algorithm and its parameters are written: "tbptt:K1,K2", "rtrl[:W]".
func (e *entry) form() string {
	if len(e.params) == 0 {
		return e.Name
	}
	names := make([]string, len(e.params))
	for i, p := range e.params {
		names[i] = p.name
	}
	if e.optional != "" {
		return e.Name + "[:" + strings.Join(names, ",") + "]"
	}
	return e.Name + ":" + strings.Join(names, ",")
}

// parse validates the parameter text after the colon.
func (e *entry) parse(arg string) ([]float64, error) {
	if len(e.params) == 0 {
		if arg != "" {
			return nil, fmt.Errorf("takes no parameters, got %q", arg)
		}
		return nil, nil
	}
	if arg == "" && e.optional != "" {
		arg = e.optional
	}
	fields := strings.Split(arg, ",")
	if len(e.params) == 1 && e.params[0].fraction {
		fields = []string{arg} // one number: a comma is part of the bad text
	}
	if (arg == "" && !e.params[0].fraction) || len(fields) != len(e.params) {
		names := make([]string, len(e.params))
		for i, p := range e.params {
			names[i] = p.name
		}
		return nil, fmt.Errorf("needs %d integer parameter(s) %s, got %q", len(e.params), strings.Join(names, ","), arg)
	}
	p := make([]float64, len(e.params))
	for i, f := range fields {
		par := e.params[i]
		if par.fraction {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, fmt.Errorf("%s=%q is not a number", par.name, f)
			}
			if !(v > 0 && v < 1) {
				return nil, fmt.Errorf("%s=%v must be in (0, 1)", par.name, v)
			}
			p[i] = v
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s=%q is not an integer", par.name, f)
		}
		if v < 1 {
			return nil, fmt.Errorf("%s=%d must be at least 1", par.name, v)
		}
		p[i] = float64(v)
	}
	if e.check != nil {
		if err := e.check(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func vanillaOneLayer(name, why string) func(Dims) error {
	return func(d Dims) error {
		if !d.Kind.IsVanilla() {
			return fmt.Errorf("%s needs an rnn_tanh or rnn_relu cell, not %v (%s)", name, d.Kind, why)
		}
		return oneLayer(name, why, d)
	}
}

func lstmOneLayer(name, why string) func(Dims) error {
	return func(d Dims) error {
		if d.Kind != cell.LSTM {
			return fmt.Errorf("%s needs an lstm cell, not %v (%s)", name, d.Kind, why)
		}
		return oneLayer(name, why, d)
	}
}

func needsAttention(name, why string) func(Dims) error {
	return func(d Dims) error {
		if !d.hasAttention() {
			return fmt.Errorf("%s needs a model with an attention component (train -attention K_ATT,K_TOP[,M]); this %v model has none (%s)", name, d.Kind, why)
		}
		return nil
	}
}

func oneLayer(name, why string, d Dims) error {
	if d.L > 1 {
		return fmt.Errorf("%s takes a one-layer model, not %d layers (%s)", name, d.L, why)
	}
	return nil
}

// as converts a concrete algorithm and its constructor's error, so that a failed
// constructor yields a nil Algorithm, not an interface holding a nil pointer.
func as[A Algorithm](a A, err error) (Algorithm, error) {
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Spec is a parsed, validated algorithm specification such as "tbptt:10,20": an
// algorithm and its parameters, not yet built for a model. The zero Spec is invalid;
// get one from Parse.
type Spec struct {
	e    *entry
	args []float64
	text string
}

// Options are what a constructor may use besides the model and the specification.
type Options struct {
	// Steps is T, the length of the sequences the algorithm will see, when known (0:
	// unknown). bptt-checkpoint:S clamps S to it, and tbptt-adaptive:δ starts its window
	// at min(100, T).
	Steps int
	// Seed seeds randomised algorithms (UORO's and the KF-RTRLs' signs, adaptive TBPTT's
	// probes). In a minibatch run as one instance per sequence, sequence b's instance is
	// seeded Seed + b, so that the sequences' estimates are independent.
	Seed uint64
	// Batch is B, the number of sequences stepped together (0 means 1). Step then takes
	// B rows of inputs (B×I), B rows of target values (B×O) or B classes; Reset takes B
	// rows of states (B×S, or nil), State returns B rows, and the loss and the gradient
	// are sums over the batch. The BPTT family steps a batch through matrix-matrix
	// products; RTRL and its approximations keep one influence matrix or set of traces
	// per sequence, and Bytes grows accordingly.
	Batch int
	// Workers spreads a batch over that many goroutines (0 means 1): the BPTT family's
	// matrix products, the per-sequence updates of the forward-mode algorithms. The
	// gradient has the same bits for any number of workers.
	Workers int
	// MemLimit bounds the bytes the algorithm may hold, as its memory model (Spec.Bytes)
	// counts them for sequences of Steps steps (when Steps is 0, an online algorithm is
	// counted at its largest, for an endless stream: TBPTT with its whole window; the
	// others at what one step needs): New refuses a larger algorithm before it allocates
	// anything. Zero means the default limit, half of the memory available to
	// the process (physical memory, lowered to a cgroup's limit or the room left under
	// ulimit -v); a negative value means no limit.
	MemLimit int64
}

// Parse reads a specification NAME or NAME:PARAMS (see Forms) and validates its
// parameters. Its errors are one line naming the specification and the expected form.
func Parse(spec string) (Spec, error) {
	name, arg, _ := strings.Cut(spec, ":")
	for _, e := range registry {
		if e.Name != name {
			continue
		}
		p, err := e.parse(arg)
		if err != nil {
			return Spec{}, fmt.Errorf("%s: %v (the form is %s)", spec, err, e.form())
		}
		return Spec{e: e, args: p, text: spec}, nil
	}
	if family := numberedFamily(name); family != "" {
		return Spec{}, fmt.Errorf("%q: unknown algorithm: %s", spec, family)
	}
	return Spec{}, fmt.Errorf("%q: unknown algorithm (want one of %s)", spec, Forms())
}

// numberedFamily says, for a name such as snap3 whose stem (snap) numbers registered
// algorithms, which numbers there are ("snap-n is defined for n = 1 and 2 (snap1,
// snap2)"); "" otherwise.
func numberedFamily(name string) string {
	stem := strings.TrimRight(name, "0123456789")
	if stem == name || stem == "" {
		return ""
	}
	var numbers, names []string
	for _, e := range registry {
		if n, ok := strings.CutPrefix(e.Name, stem); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			numbers, names = append(numbers, n), append(names, e.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("%s-n is defined for n = %s (%s)", stem, strings.Join(numbers, " and "), strings.Join(names, ", "))
}

// MustParse is Parse for specifications known to be valid; it panics on an error.
func MustParse(spec string) Spec {
	s, err := Parse(spec)
	if err != nil {
		panic("algo: " + err.Error())
	}
	return s
}

// Forms lists the specification forms, comma-separated: "bptt, bptt-checkpoint:S, …".
func Forms() string {
	forms := make([]string, len(registry))
	for i, e := range registry {
		forms[i] = e.form()
	}
	return strings.Join(forms, ", ")
}

// List describes every registered algorithm, in the registry's order.
func List() []Info {
	out := make([]Info, len(registry))
	for i, e := range registry {
		out[i] = e.Info
	}
	return out
}

// Valid reports whether s came from Parse (the zero Spec does not).
func (s Spec) Valid() bool { return s.e != nil }

// String is the specification as it was parsed.
func (s Spec) String() string { return s.text }

// Name is the algorithm's name, without parameters.
func (s Spec) Name() string { return s.mustEntry().Name }

// Info describes the algorithm.
func (s Spec) Info() Info { return s.mustEntry().Info }

// Form is how its parameters are written, such as "tbptt:K1,K2".
func (s Spec) Form() string { return s.mustEntry().form() }

func (s Spec) mustEntry() *entry {
	if s.e == nil {
		panic("algo: use of a zero Spec (get one from Parse)")
	}
	return s.e
}

// Supports returns nil when the algorithm applies to models of dimensions d (its cell
// kind and number of layers), and otherwise an error saying why not.
func (s Spec) Supports(d Dims) error {
	e := s.mustEntry()
	if !d.Kind.Valid() {
		return fmt.Errorf("unknown cell kind %v", d.Kind)
	}
	if d.hasAttention() && !e.Attention {
		return fmt.Errorf("%s does not train a %v model with an attention component: the memory is outside its gradient (bptt and sab train such models)", e.Name, d.Kind)
	}
	if e.supports == nil {
		return nil
	}
	return e.supports(d)
}

// New builds the algorithm for model m. It refuses, before allocating, an algorithm whose
// memory model exceeds o.MemLimit, with an error that names the bytes it needs and the
// limit.
func (s Spec) New(m *cell.Model, o Options) (Algorithm, error) {
	e := s.mustEntry()
	B, err := batchOf(o)
	if err != nil {
		return nil, err
	}
	if _, err := workersOf(o); err != nil {
		return nil, err
	}
	if m.Check() == nil {
		d := DimsOfModel(m)
		if err := s.Supports(d); err != nil {
			return nil, err
		}
		what := fmt.Sprintf("%s on a %v model with H=%d, %d layer(s), I=%d", s, d.Kind, d.H, d.L, d.I)
		if B > 1 {
			what += fmt.Sprintf(", for a batch of %d", B)
		}
		if o.Steps > 0 {
			what += fmt.Sprintf(", over sequences of %d steps,", o.Steps)
		}
		at := o
		if at.Steps <= 0 && e.Online {
			at.Steps = math.MaxInt
		}
		if err := memlimit.Check(what, s.Bytes(d, at), o.MemLimit); err != nil {
			return nil, err
		}
	}
	// The BPTT family steps a minibatch itself, except on a model with attention, whose
	// memory differs from sequence to sequence: that runs one instance per sequence.
	if B == 1 || e.batched && (m == nil || m.Attention == nil) {
		return e.build(m, s.args, o)
	}
	one := o
	one.Batch, one.Workers = 1, 1
	return newReplicated(m, o, func(m *cell.Model, b int) (Algorithm, error) {
		seq := one
		seq.Seed = o.Seed + uint64(b) // each sequence its own random stream
		return e.build(m, s.args, seq)
	})
}

// FLOPsPerStep is the algorithm's stated FLOP model for a model of dimensions d: the
// floating-point operations per time step it must do, counting a multiply-add as two.
// Only the dominant dense products are counted; elementwise gate arithmetic is left out,
// which flatters no algorithm by more than a few percent. With F = Σ_k 2·G·H·(I_k+H) the
// layers' forward matrix-vector products (I_0 = I, I_k = H above) and R = 2·O·H the
// readout's:
//
//	forward step                      F + R
//	bptt, bptt-checkpoint             3(F + R)   backward = two products per forward one
//	tbptt-adaptive:δ                  3(F + R)   its window varies; credited as full BPTT
//	tbptt:K1,K2                       F + R + (2F·K2 + 2R·K1)/K1
//	rtrl                              F + R + 2·S²·P (J·M) + 2·S·P (gradient); on L
//	                                  layers Σ_k 2·S_k²·P_{≤k} + 2·S_k·H·P_{<k} for J·M
//	snap1                             F + R + 4·k·P  with k = S/(L·H) state rows per unit
//	snap2                             F + R + Σ_k [2·G·S_k·H (J_t) + H·(2·m·Q + 2·F·R·Q)]
//	                                  per unit: R units reach it, F = S_k/H rows each, Q
//	                                  parameters, m the entries of J_u a step multiplies
//	                                  ((F·R)² by a matrix product, else J_u's non-zeros);
//	                                  expected over random masks at density d, exact
//	                                  RTRL's count on a dense W_hh
//	uoro                              3F + R + 2·S² + 8·P
//	rflo                              F + R + 2·H·(I+H+1) (traces) + 2·P (gradient)
//	eprop                             F + R + 8·P (traces of the four gates and the cell)
//	kfrtrl                            F + R + 2·H³ (J·K) + 4·H² + 2·P (gradient)
//	rkfrtrl                           F + R + 2·H·P (J·B) + 2·H² + 6·P
//	dni                               3F + R + 6·S·(S+O+1) (a backward step, the module)
//
// For a model with an attention component (H hidden units, k_top, k_att, M slots) the
// attention adds A_f = 2H²(1 + 1/k_att) + 2H·(M + k_top) forward (the query, a key per
// write, a score per slot in view, the summary; M = ∞ counts no scores, as their number
// grows with the sequence) and A_b = 4H²(1 + 1/k_att) + 8H·(k_top + 1) backward:
//
//	bptt                              3(F + R) + A_f + A_b
//	sab:K_TRUNC                       F + R + A_f + (2F + 2R + A_b)
//
// sab is credited with its local windows only (truncated BPTT with K1 = K2); its
// backtracking into the attended slots' windows, whose amount depends on where the
// attention goes (at most K_TRUNC steps per slot with credit per backward pass), is not
// counted and shows as a lower GFLOP/s.
//
// Checkpointed BPTT is credited with full BPTT's FLOPs: its recomputation is overhead,
// and it shows as a lower GFLOP/s.
func (s Spec) FLOPsPerStep(d Dims) float64 {
	e := s.mustEntry()
	return e.flops(d, s.args)
}

// Bytes is the algorithm's memory model: the bytes it will hold (what Algorithm.Bytes
// reports) after streaming sequences of o.Steps steps through a model of dimensions d.
// It allocates nothing, so a caller can refuse a size before building the algorithm.
// Checkpointed BPTT's streaming tape is counted at twice its length, a bound on what the
// slices append grows hold. A size too large for an int64 is reported as math.MaxInt64.
func (s Spec) Bytes(d Dims, o Options) int64 {
	e := s.mustEntry()
	if o.Batch < 0 || o.Batch > maxBatch {
		return memlimit.Saturated // New refuses such a batch anyway
	}
	B := int64(max(1, o.Batch))
	if B == 1 || e.batched && !d.hasAttention() {
		return e.bytes(d, s.args, o)
	}
	one := o
	one.Batch = 1
	// B instances, a gradient of each (the cell's, an attention component's included, and
	// the readout's), and the batch's states, losses and errors.
	perSeq := memlimit.Add(e.bytes(d, s.args, one), f32(d.P+d.attentionParams()+d.O*(d.H+1)))
	return memlimit.Add(memlimit.Mul(B, perSeq), memlimit.Mul(B, f32(d.S+1)+16))
}

// Profiled lists the algorithms the default profile sweeps for cells of kind k over
// sequences of T steps, each with its profile setting (see ProfileAttention for the
// models of those that need an attention component).
func Profiled(k cell.Kind, T int) []Spec {
	var out []Spec
	for _, e := range registry {
		d := DimsOf(k, 1, 1, 1)
		if e.profileAttention != nil {
			d.Attention = e.profileAttention(T)
		}
		if e.profile != nil && (e.supports == nil || e.supports(d) == nil) {
			out = append(out, MustParse(e.profile(T)))
		}
	}
	return out
}

// ProfileAttention is the attention component the profile gives the models of an
// algorithm that trains only models with one, for sequences of T steps (the zero
// configuration, no attention, for the others).
func (s Spec) ProfileAttention(T int) cell.AttentionConfig {
	if e := s.mustEntry(); e.profileAttention != nil {
		return e.profileAttention(T)
	}
	return cell.AttentionConfig{}
}

// Race lists the algorithms of the profile's training race for cells of kind k, each
// with its setting there.
func Race(k cell.Kind) []Spec {
	var out []Spec
	for _, e := range registry {
		if e.race != "" && (e.supports == nil || e.supports(DimsOf(k, 1, 1, 1)) == nil) {
			out = append(out, MustParse(e.race))
		}
	}
	return out
}
