// Command armsim models chronograd's arm64 NEON kernels on the pipelines of two ARM
// cores, with LLVM's llvm-mca: Cortex-A72 (Raspberry Pi 4) and Neoverse-N1 (Graviton2,
// Ampere Altra). There is no ARM board here and qemu's timings mean nothing, so these are
// the figures of the vendors' scheduling models as LLVM compiles them, not measurements.
//
// It assembles kernels/*_arm64.s for linux/arm64, disassembles them with go tool objdump
// -gnu (which decodes the WORD-encoded instructions too), takes each loop marked by a
// "// armsim: Name" comment above its label (the label to the last branch back to it),
// checks with llvm-mc that the GNU text encodes to the bytes in the object, and runs
// llvm-mca on it for each core. Per kernel and core it prints cycles per iteration,
// FLOPs per iteration (a fused multiply-add counts two), FLOP/cycle, the fraction of the
// model's own FLOP peak for the loop's instruction form (measured the same way, on a loop
// of independent FMLAs of that form), bytes loaded per cycle against the model's load
// peak (a loop of independent 16 B and 32 B vector loads), and the unit llvm-mca keeps
// busiest. A marker with no loop under it, or no markers at all, is an error.
//
// Usage:
//
//	go run ./bench/armsim                 # table
//	go run ./bench/armsim -json           # one JSON object per kernel and core
//	go run ./bench/armsim -check          # fail if a committed loop is gone or slower by > 5%
//	go run ./bench/armsim -update         # rewrite the committed figures (expected.json)
//	go run ./bench/armsim -steps          # the whole-step model (needs qemu-aarch64-static)
//
// It needs llvm-mca and llvm-mc from an LLVM with a Neoverse-N1 model: LLVM 19 has one
// (Debian 12: llvm-19), LLVM 16 has not and silently simulates Cortex-A57 instead; the
// tool checks the units of the model it gets and refuses a substitute.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

const (
	kernelsPkg = "github.com/chronograd/chronograd/kernels"
	selfPkg    = "github.com/chronograd/chronograd/bench/armsim"
	// iterations llvm-mca simulates per loop: enough that the pipeline's fill and drain
	// (tens of cycles) change cycles per iteration by less than 0.1%.
	iterations = 1000
	// tolerance is how far below its committed FLOP/cycle a kernel may fall in -check.
	tolerance = 0.05
)

var defaultCores = []string{"cortex-a72", "neoverse-n1"}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "armsim: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	json, check, update, steps bool
	bodies                     bool
	mcaTool, mcTool            string
	expected                   string
	cores                      []string
	qemu                       string
	trace, stepCases           string
	kernelsDir                 string
	T                          int
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("armsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.json, "json", false, "print one JSON object per kernel and core")
	fs.BoolVar(&o.check, "check", false, "compare with the committed figures; fail if a loop is missing or a kernel's FLOP/cycle fell more than 5%")
	fs.BoolVar(&o.update, "update", false, "write the figures to the committed file (-expected)")
	fs.BoolVar(&o.bodies, "bodies", false, "print each marked loop as llvm-mca reads it, and stop")
	fs.BoolVar(&o.steps, "steps", false, "print the whole-step model (BPTT and RTRL steps, GRU n=64 and LSTM n=128) instead of the kernel table")
	fs.StringVar(&o.mcaTool, "mca", "llvm-mca-19", "llvm-mca to run (an LLVM with a Neoverse-N1 model, such as 19)")
	fs.StringVar(&o.expected, "expected", "", "committed figures (default: expected.json next to this tool's source)")
	fs.StringVar(&o.qemu, "qemu", "qemu-aarch64-static", "qemu user emulator that runs the arm64 call counter (-steps)")
	fs.StringVar(&o.trace, "trace", "", "call counts from a file written by steptrace, instead of running it under qemu (-steps)")
	fs.StringVar(&o.stepCases, "cases", "bptt/gru/64,bptt/lstm/128,rtrl/gru/64,rtrl/lstm/128", "steps to model: algo/cell/n, comma-separated (-steps)")
	fs.StringVar(&o.kernelsDir, "kernels", "", "directory of the *_arm64.s files to model (default: this module's kernels package)")
	fs.IntVar(&o.T, "T", 100, "time steps of a BPTT sequence (-steps)")
	cores := fs.String("cores", strings.Join(defaultCores, ","), "llvm-mca -mcpu values, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.check && o.update {
		return fmt.Errorf("-check and -update exclude each other")
	}
	o.cores = strings.Split(*cores, ",")
	o.mcTool = mcFor(o.mcaTool)
	for _, t := range []string{o.mcaTool, o.mcTool} {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("%s not found (Debian 12: apt-get install llvm-19): %v", t, err)
		}
	}

	tmp, err := os.MkdirTemp("", "armsim")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := o.kernelsDir
	if dir == "" {
		if dir, err = pkgDir(kernelsPkg); err != nil {
			return err
		}
	}
	if o.steps {
		return runSteps(o, newModel(o.mcaTool), dir, tmp, stdout, stderr)
	}
	loops, err := findLoops("go", dir, tmp)
	if err != nil {
		return err
	}
	for _, l := range loops {
		if err := mcVerify(o.mcTool, l.Body); err != nil {
			return fmt.Errorf("%s:%d (%s): %v", l.File, l.First, l.Kernel, err)
		}
	}
	if o.bodies {
		for _, l := range loops {
			fmt.Fprintf(stdout, "# %s: %s:%d %s (%s)\n%s\n", l.Kernel, l.File, l.First, l.Label, l.Func, mcaSource(l.Body))
		}
		return nil
	}
	m := newModel(o.mcaTool)
	figs, err := m.figures(loops, o.cores)
	if err != nil {
		return err
	}

	if o.expected == "" {
		self, err := pkgDir(selfPkg)
		if err != nil {
			return err
		}
		o.expected = filepath.Join(self, "expected.json")
	}
	switch {
	case o.update:
		return writeFigures(o.expected, figs)
	case o.json:
		if err := printJSON(stdout, figs); err != nil {
			return err
		}
	default:
		printTable(stdout, figs, m)
	}
	if o.check {
		want, err := readFigures(o.expected)
		if err != nil {
			return err
		}
		problems := compare(want, figs, tolerance)
		for _, p := range problems {
			fmt.Fprintf(stderr, "armsim: %s\n", p)
		}
		if len(problems) > 0 {
			return fmt.Errorf("%d problem(s) against %s (after a deliberate change, rewrite it with -update)", len(problems), o.expected)
		}
		fmt.Fprintf(stdout, "armsim: all %d figures within %.0f%% of %s\n", len(want), 100*tolerance, filepath.Base(o.expected))
	}
	return nil
}

// mcFor names the llvm-mc that goes with an llvm-mca (llvm-mca-19 -> llvm-mc-19).
func mcFor(mcaTool string) string {
	dir, base := filepath.Split(mcaTool)
	return dir + strings.Replace(base, "llvm-mca", "llvm-mc", 1)
}

// pkgDir is the source directory of a package of this module.
func pkgDir(pkg string) (string, error) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("go list %s: %v\n%s", pkg, err, ee.Stderr)
		}
		return "", fmt.Errorf("go list %s: %v", pkg, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// figure is one kernel's modelled figures on one core.
type figure struct {
	Kernel            string  `json:"kernel"`
	Core              string  `json:"core"`
	CyclesPerIter     float64 `json:"cycles_per_iter"`
	FLOPsPerIter      int     `json:"flops_per_iter"`
	FLOPPerCycle      float64 `json:"flop_per_cycle"`
	PeakFLOPPerCycle  float64 `json:"peak_flop_per_cycle"`
	PeakForm          string  `json:"peak_form"`
	PeakFraction      float64 `json:"peak_fraction"`
	LoadBytesPerIter  int     `json:"load_bytes_per_iter"`
	StoreBytesPerIter int     `json:"store_bytes_per_iter"`
	LoadBytesPerCycle float64 `json:"load_bytes_per_cycle"`
	LoadPeak          float64 `json:"load_peak_bytes_per_cycle"`
	LoadPeakFraction  float64 `json:"load_peak_fraction"`
	Bottleneck        string  `json:"bottleneck"`
	Loop              string  `json:"loop"`
}

// model runs llvm-mca and remembers each core's peaks.
type model struct {
	tool  string
	peaks map[string]float64 // core + "/" + form -> FLOP/cycle, or load B/cycle for "load"
}

func newModel(tool string) *model { return &model{tool: tool, peaks: map[string]float64{}} }

// peakSources are loops of 16 independent instructions of one form (destinations
// v16-v31, sources v0 and v1 which nothing writes). The load loop mixes the vector load
// forms the kernels use, each with its own base register and no dependence between them.
var peakSources = map[string]string{
	"vector":     "fmla v%[1]d.4s, v0.4s, v1.4s",
	"by element": "fmla v%[1]d.4s, v0.4s, v1.s[%[2]d]",
	"scalar":     "fmadd s%[1]d, s0, s1, s%[1]d",
	"fmul":       "fmul v%[1]d.4s, v0.4s, v1.4s",
	"fadd":       "fadd v%[1]d.4s, v0.4s, v1.4s",
}

// loadPeakSources are the load forms whose best bytes per cycle is the load-port peak.
var loadPeakSources = []string{
	"ld1 {v%[1]d.4s, v%[3]d.4s, v%[4]d.4s, v%[5]d.4s}, [x%[2]d], #64",
	"ldp q%[1]d, q%[3]d, [x%[2]d], #32",
	"ldr q%[1]d, [x%[2]d], #16",
	"ld1 {v%[1]d.4s, v%[3]d.4s}, [x%[2]d], #32",
}

// peak returns the model's FLOP/cycle for 16 independent instructions of form on core.
func (m *model) peak(core, form string) (float64, error) {
	key := core + "/" + form
	if v, ok := m.peaks[key]; ok {
		return v, nil
	}
	pat, ok := peakSources[form]
	if !ok {
		return 0, fmt.Errorf("no peak loop for instruction form %q", form)
	}
	var b strings.Builder
	for i := 0; i < 16; i++ {
		fmt.Fprintf(&b, pat+"\n", 16+i, i%4)
	}
	r, err := mca(m.tool, core, b.String(), iterations)
	if err != nil {
		return 0, err
	}
	f := float64(analyseText(b.String()).FLOPs) / r.CyclesPerIter()
	m.peaks[key] = f
	return f, nil
}

// loadPeak returns the model's best vector-load bytes per cycle on core.
func (m *model) loadPeak(core string) (float64, error) {
	key := core + "/load"
	if v, ok := m.peaks[key]; ok {
		return v, nil
	}
	best := 0.0
	for _, pat := range loadPeakSources {
		var b strings.Builder
		for i := 0; i < 4; i++ {
			fmt.Fprintf(&b, pat+"\n", 16+4*i, i, 17+4*i, 18+4*i, 19+4*i)
		}
		r, err := mca(m.tool, core, b.String(), iterations)
		if err != nil {
			return 0, err
		}
		if v := float64(analyseText(b.String()).LoadBytes) / r.CyclesPerIter(); v > best {
			best = v
		}
	}
	m.peaks[key] = best
	return best, nil
}

// analyseText is analyse for GNU text, one instruction a line.
func analyseText(src string) mix {
	var body []insn
	for _, l := range strings.Split(strings.TrimSpace(src), "\n") {
		body = append(body, insn{GNU: l})
	}
	return analyse(body)
}

// figures models every loop on every core.
func (m *model) figures(loops []loop, cores []string) ([]figure, error) {
	var figs []figure
	for _, l := range loops {
		mx := analyse(l.Body)
		src := mcaSource(l.Body)
		for _, core := range cores {
			r, err := mca(m.tool, core, src, iterations)
			if err != nil {
				return nil, fmt.Errorf("%s (%s:%d): %v", l.Kernel, l.File, l.First, err)
			}
			c := r.CyclesPerIter()
			f := figure{
				Kernel: l.Kernel, Core: core,
				CyclesPerIter:     round(c, 3),
				FLOPsPerIter:      mx.FLOPs,
				FLOPPerCycle:      round(float64(mx.FLOPs)/c, 3),
				LoadBytesPerIter:  mx.LoadBytes,
				StoreBytesPerIter: mx.StoreBytes,
				LoadBytesPerCycle: round(float64(mx.LoadBytes)/c, 3),
				Bottleneck:        r.Bottleneck(),
				Loop:              fmt.Sprintf("%s:%d %s", l.File, l.First, l.Label),
			}
			form := mx.FMAForm
			if form == "" {
				form = mx.FPForm
			}
			if form != "" {
				p, err := m.peak(core, form)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", l.Kernel, err)
				}
				f.PeakForm, f.PeakFLOPPerCycle = form, round(p, 3)
				f.PeakFraction = round(float64(mx.FLOPs)/c/p, 3)
			}
			lp, err := m.loadPeak(core)
			if err != nil {
				return nil, err
			}
			f.LoadPeak = round(lp, 3)
			f.LoadPeakFraction = round(float64(mx.LoadBytes)/c/lp, 3)
			figs = append(figs, f)
		}
	}
	return figs, nil
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func printJSON(w io.Writer, figs []figure) error {
	enc := json.NewEncoder(w)
	for _, f := range figs {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

func printTable(w io.Writer, figs []figure, m *model) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tcore\tcycles/iter\tFLOPs/iter\tFLOP/cycle\tpeak (form)\tof peak\tload B/cycle\tof load peak\tbottleneck (llvm-mca)\t")
	for _, f := range figs {
		peak := "-"
		frac := "-"
		if f.PeakForm != "" {
			peak = fmt.Sprintf("%.2f (%s)", f.PeakFLOPPerCycle, f.PeakForm)
			frac = fmt.Sprintf("%.0f%%", 100*f.PeakFraction)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%d\t%.2f\t%s\t%s\t%.1f\t%.0f%%\t%s\t\n", f.Kernel, f.Core, f.CyclesPerIter, f.FLOPsPerIter,
			f.FLOPPerCycle, peak, frac, f.LoadBytesPerCycle, 100*f.LoadPeakFraction, f.Bottleneck)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nllvm-mca: %s; model, not measurement: no cache misses, memory system or Go runtime.\n", m.tool)
}
