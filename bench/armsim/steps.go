package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// The whole-step model: the kernel calls of one training step, counted by
// ./bench/armsim/steptrace (built with the armsimtrace tag and run as arm64 under
// qemu), each call's cycles from llvm-mca on the instructions the call executes
// (emulate), summed and divided by the board's clock. It is a model of the pipelines
// only: no cache misses, no memory bandwidth, no Go code between the kernel calls (gate
// arithmetic, copies, the Gemm driver's loops, the runtime), and calls do not overlap.

// boards are the clocks the model divides by.
var boards = map[string]struct {
	Name string
	GHz  float64
}{
	"cortex-a72":  {"Raspberry Pi 4", 1.8},
	"neoverse-n1": {"Graviton2", 2.5},
}

// stepCase mirrors steptrace's output.
type stepCase struct {
	Algo   string     `json:"algo"`
	Cell   string     `json:"cell"`
	Hidden int        `json:"n"`
	Input  int        `json:"input"`
	Output int        `json:"output"`
	Steps  int        `json:"steps"`
	Tier   string     `json:"tier"`
	Calls  []stepCall `json:"calls"`
}

type stepCall struct {
	Fn    string `json:"fn"`
	Args  []int  `json:"args"`
	Count int    `json:"count"`
}

// stepFigure is the model of one case on one core.
type stepFigure struct {
	Algo          string             `json:"algo"`
	Cell          string             `json:"cell"`
	Hidden        int                `json:"n"`
	Core          string             `json:"core"`
	Board         string             `json:"board"`
	GHz           float64            `json:"ghz"`
	CyclesPerStep float64            `json:"cycles_per_step"`
	USPerStep     float64            `json:"us_per_step"`
	FLOPsPerStep  float64            `json:"modelled_flops_per_step"`
	FLOPPerCycle  float64            `json:"flop_per_cycle"`
	ByKernel      map[string]float64 `json:"cycles_by_kernel"`
	Unmodelled    map[string]int     `json:"unmodelled_calls_per_step,omitempty"`
	GoFLOPs       float64            `json:"unmodelled_flops_per_step,omitempty"`
	Calls         []callFigure       `json:"calls"`
}

// callFigure is one kind of kernel call in a step: its modelled cycles and FLOPs per
// call and how many calls a step makes.
type callFigure struct {
	Fn           string  `json:"fn"`
	Args         []int   `json:"args"`
	CallsPerStep float64 `json:"calls_per_step"`
	Cycles       float64 `json:"cycles_per_call"`
	FLOPs        float64 `json:"flops_per_call"`
}

func runSteps(o options, m *model, dir, tmp string, stdout, stderr io.Writer) error {
	cases, err := stepTrace(o, stderr)
	if err != nil {
		return err
	}
	funcs, err := loadFuncs("go", dir, tmp)
	if err != nil {
		return err
	}
	cyc := map[string]float64{}
	flopsOf := map[string]float64{}
	callCycles := func(fn string, args []int, core string) (float64, float64, error) {
		key := fmt.Sprint(core, fn, args)
		if c, ok := cyc[key]; ok {
			return c, flopsOf[key], nil
		}
		f, ok := funcs[fn]
		if !ok {
			return 0, 0, fmt.Errorf("the trace calls %s, which no *_arm64.s defines", fn)
		}
		tr, err := f.emulate(args, 4_000_000)
		if err != nil {
			return 0, 0, err
		}
		var b strings.Builder
		b.WriteString(".Lx:\n")
		fl := 0
		for _, s := range tr {
			fl += flops(s)
			b.WriteString(mcaText(s, ".Lx"))
			b.WriteByte('\n')
		}
		r, err := mca(m.tool, core, b.String(), 1)
		if err != nil {
			return 0, 0, fmt.Errorf("%s%v: %v", fn, args, err)
		}
		cyc[key], flopsOf[key] = float64(r.Cycles), float64(fl)
		return cyc[key], flopsOf[key], nil
	}

	var figs []stepFigure
	for _, sc := range cases {
		if sc.Tier != "neon" {
			return fmt.Errorf("the trace of %s/%s/%d ran the %s tier, not neon", sc.Algo, sc.Cell, sc.Hidden, sc.Tier)
		}
		for _, core := range o.cores {
			bd, ok := boards[core]
			if !ok {
				return fmt.Errorf("no board clock for %s", core)
			}
			fg := stepFigure{Algo: sc.Algo, Cell: sc.Cell, Hidden: sc.Hidden, Core: core, Board: bd.Name, GHz: bd.GHz,
				ByKernel: map[string]float64{}, Unmodelled: map[string]int{}}
			steps := float64(sc.Steps)
			for _, c := range sc.Calls {
				if _, asm := funcs[c.Fn]; !asm {
					fg.Unmodelled[c.Fn] += c.Count
					if c.Fn == "gemmGeneric" && len(c.Args) == 3 {
						fg.GoFLOPs += 2 * float64(c.Args[0]*c.Args[1]*c.Args[2]) * float64(c.Count) / steps
					}
					continue
				}
				cy, fl, err := callCycles(c.Fn, c.Args, core)
				if err != nil {
					return err
				}
				fg.Calls = append(fg.Calls, callFigure{Fn: c.Fn, Args: c.Args, CallsPerStep: float64(c.Count) / steps, Cycles: cy, FLOPs: fl})
				k := kernelOf(c.Fn)
				fg.ByKernel[k] += cy * float64(c.Count) / steps
				fg.CyclesPerStep += cy * float64(c.Count) / steps
				fg.FLOPsPerStep += fl * float64(c.Count) / steps
			}
			for k, n := range fg.Unmodelled {
				fg.Unmodelled[k] = (n + sc.Steps - 1) / sc.Steps
			}
			if len(fg.Unmodelled) == 0 {
				fg.Unmodelled = nil
			}
			fg.USPerStep = round(fg.CyclesPerStep/(bd.GHz*1e3), 2)
			fg.FLOPPerCycle = round(fg.FLOPsPerStep/fg.CyclesPerStep, 2)
			fg.CyclesPerStep = round(fg.CyclesPerStep, 0)
			for k, v := range fg.ByKernel {
				fg.ByKernel[k] = round(v, 0)
			}
			figs = append(figs, fg)
		}
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		for _, f := range figs {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	}
	printSteps(stdout, figs, m)
	return nil
}

// kernelOf names the exported kernel an assembly function serves.
func kernelOf(fn string) string {
	names := map[string]string{
		"dotNEON": "Dot", "axpyNEON": "Axpy", "scaleNEON": "Scale", "mulNEON": "Mul", "addNEON": "Add",
		"mulAddNEON": "MulAdd", "matVecNEON": "MatVec", "matTVecAddNEON": "MatTVecAdd", "gerNEON": "Ger",
		"gemmKernel8x8NEON": "Gemm", "gemmCopyRows8NEON": "Gemm", "tanhNEON": "Tanh", "sigmoidNEON": "Sigmoid",
	}
	if k, ok := names[fn]; ok {
		return k
	}
	return fn
}

func printSteps(w io.Writer, figs []stepFigure, m *model) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tcore\tboard\tcycles/step\tµs/step\tFLOP/cycle\tlargest shares\tnot modelled (Go code) per step\t")
	for _, f := range figs {
		type kv struct {
			k string
			v float64
		}
		var ks []kv
		for k, v := range f.ByKernel {
			ks = append(ks, kv{k, v})
		}
		sort.Slice(ks, func(i, j int) bool { return ks[i].v > ks[j].v || ks[i].v == ks[j].v && ks[i].k < ks[j].k })
		var shares []string
		for i, p := range ks {
			if i == 4 {
				break
			}
			shares = append(shares, fmt.Sprintf("%s %.0f%%", p.k, 100*p.v/f.CyclesPerStep))
		}
		var un []string
		for k, n := range f.Unmodelled {
			un = append(un, fmt.Sprintf("%s×%d", k, n))
		}
		sort.Strings(un)
		if f.GoFLOPs > 0 {
			un = append(un, fmt.Sprintf("%.0f FLOPs", f.GoFLOPs))
		}
		fmt.Fprintf(tw, "%s %s n=%d\t%s\t%s %.1f GHz\t%.0f\t%.2f\t%.2f\t%s\t%s\t\n", f.Algo, f.Cell, f.Hidden, f.Core, f.Board, f.GHz,
			f.CyclesPerStep, f.USPerStep, f.FLOPPerCycle, strings.Join(shares, ", "), strings.Join(un, " "))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nA model, not a measurement (%s): each kernel call's instructions through the core's pipeline model,\n"+
		"summed over the calls of one step. Not in it: cache misses and the memory system, the Go code between kernel\n"+
		"calls (gate arithmetic, copies, the Gemm driver), the Go runtime, and any overlap between calls.\n", m.tool)
}

// stepTrace returns the traced cases: from -trace, or by running steptrace under qemu.
func stepTrace(o options, stderr io.Writer) ([]stepCase, error) {
	var data []byte
	if o.trace != "" {
		d, err := os.ReadFile(o.trace)
		if err != nil {
			return nil, err
		}
		data = d
	} else {
		if _, err := exec.LookPath(o.qemu); err != nil {
			return nil, fmt.Errorf("%s not found (Debian: apt-get install qemu-user-static), or pass -trace: %v", o.qemu, err)
		}
		cmd := exec.Command("go", "run", "-tags", "armsimtrace", "-exec", o.qemu, selfPkg+"/steptrace", "-cases", o.stepCases, "-T", fmt.Sprint(o.T))
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		cmd.Stderr = stderr
		fmt.Fprintf(stderr, "armsim: counting kernel calls under %s (%s) ...\n", o.qemu, o.stepCases)
		d, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("steptrace: %v", err)
		}
		data = d
	}
	var cases []stepCase
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var c stepCase
		if err := json.Unmarshal(line, &c); err != nil {
			return nil, fmt.Errorf("reading the call counts: %v", err)
		}
		if c.Steps <= 0 || len(c.Calls) == 0 {
			return nil, fmt.Errorf("the call counts of %s/%s/%d are empty", c.Algo, c.Cell, c.Hidden)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("no call counts")
	}
	return cases, nil
}

// loadFuncs assembles every arm64 .s file of dir and returns its functions.
func loadFuncs(goTool, dir, tmp string) (map[string]*asmFunc, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_arm64.s"))
	if err != nil {
		return nil, err
	}
	all := map[string]*asmFunc{}
	for _, f := range files {
		d, err := assemble(goTool, f, tmp)
		if err != nil {
			return nil, err
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		fs, err := readFuncs(strings.Split(string(src), "\n"), d)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", filepath.Base(f), err)
		}
		for k, v := range fs {
			all[k] = v
		}
	}
	return all, nil
}
