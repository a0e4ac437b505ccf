package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Instruction accounting, from GNU syntax. FLOPs count a fused multiply-add as two and
// every other floating-point arithmetic operation (add, subtract, multiply, divide,
// pairwise add) as one, per lane; compares, min/max, abs, rounding, conversions, moves and
// integer operations count zero.

var (
	vecArrangement = regexp.MustCompile(`\bv\d+\.(\d+)([bhsd])\b`)
	scalarFP       = regexp.MustCompile(`^\s*[a-z.0-9]+\s+([sdh])\d+\b`)
	regList        = regexp.MustCompile(`\{([^}]*)\}`)
	regRange       = regexp.MustCompile(`^v(\d+)\.(\d+)([bhsd])\s*-\s*v(\d+)\.\d+[bhsd]$`)
	laneList       = regexp.MustCompile(`^\{\s*v\d+\.([bhsd])(?:\s*,\s*v\d+\.[bhsd])*\s*\}\[\d+\]`)
)

var fmaOps = map[string]bool{"fmla": true, "fmls": true, "fmadd": true, "fmsub": true, "fnmadd": true, "fnmsub": true}
var fpOps = map[string]bool{"fadd": true, "fsub": true, "fmul": true, "fdiv": true, "faddp": true, "fnmul": true, "fabd": true, "fmulx": true}

// lanes is the number of floating-point lanes an instruction operates on: the lane count
// of its destination's arrangement (v0.4s: 4), or 1 for a scalar register (s0), or, for
// a pairwise reduction into a scalar (faddp s16, v16.2s), the source's lanes / 2.
func lanes(gnu string) int {
	ops := strings.SplitN(strings.TrimSpace(gnu), " ", 2)
	if len(ops) < 2 {
		return 0
	}
	args := ops[1]
	if m := scalarFP.FindStringSubmatch(gnu); m != nil {
		return 1
	}
	if m := vecArrangement.FindStringSubmatch(args); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// flops is an instruction's floating-point operations by the rule above.
func flops(gnu string) int {
	op := mnemonic(gnu)
	switch {
	case fmaOps[op]:
		return 2 * lanes(gnu)
	case fpOps[op]:
		return lanes(gnu)
	}
	return 0
}

var elemBytes = map[string]int{"b": 1, "h": 2, "s": 4, "d": 8, "q": 16}

// memBytes is the number of bytes a load (or store) instruction moves, and whether it is
// a load (ld*, ldr, ldp, ldur) or a store (st*, str, stp, stur). Non-memory instructions
// return 0.
func memBytes(gnu string) (n int, load bool) {
	op := mnemonic(gnu)
	load = strings.HasPrefix(op, "ld")
	if !load && !strings.HasPrefix(op, "st") {
		return 0, false
	}
	args := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(gnu), strings.Fields(gnu)[0]))
	switch {
	case strings.HasPrefix(op, "ld1") || strings.HasPrefix(op, "st1") || strings.HasPrefix(op, "ld2") || strings.HasPrefix(op, "st2") ||
		strings.HasPrefix(op, "ld3") || strings.HasPrefix(op, "st3") || strings.HasPrefix(op, "ld4") || strings.HasPrefix(op, "st4"):
		if m := laneList.FindStringSubmatch(args); m != nil { // one lane per register
			regs := strings.Count(strings.SplitN(args, "}", 2)[0], ",") + 1
			return regs * elemBytes[m[1]], load
		}
		if strings.HasSuffix(op, "r") { // ld1r: one element, replicated
			m := vecArrangement.FindStringSubmatch(args)
			if m == nil {
				return 0, load
			}
			return elemBytes[m[2]], load
		}
		list := regList.FindStringSubmatch(args)
		if list == nil {
			return 0, load
		}
		inner := strings.TrimSpace(list[1])
		if m := regRange.FindStringSubmatch(inner); m != nil {
			a, _ := strconv.Atoi(m[1])
			b, _ := strconv.Atoi(m[4])
			cnt, _ := strconv.Atoi(m[2])
			regs := (b-a+32)%32 + 1
			return regs * cnt * elemBytes[m[3]], load
		}
		total := 0
		for _, r := range strings.Split(inner, ",") {
			if m := vecArrangement.FindStringSubmatch(strings.TrimSpace(r)); m != nil {
				cnt, _ := strconv.Atoi(m[1])
				total += cnt * elemBytes[m[2]]
			}
		}
		return total, load
	}
	// ldr/str/ldp/stp/ldur/stur/ldrb…: the register names give the size.
	regs := strings.Split(args, "[")[0]
	total := 0
	for _, r := range strings.Split(regs, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		switch r[0] {
		case 'x':
			total += 8
		case 'w':
			switch {
			case strings.HasSuffix(op, "b"):
				total++
			case strings.HasSuffix(op, "h"):
				total += 2
			default:
				total += 4
			}
		case 'q', 'd', 's', 'h', 'b':
			total += elemBytes[r[:1]]
		}
	}
	return total, load
}

// mix sums a loop body's FLOPs and memory traffic and names its dominant FMA form.
type mix struct {
	FLOPs       int
	LoadBytes   int
	StoreBytes  int
	FMAForm     string // "by element", "vector", "scalar" or "" when there is no FMA
	FPForm      string // the most frequent FP arithmetic mnemonic, for loops without FMAs
	FMAs, Loads int
}

var byElement = regexp.MustCompile(`\.[bhsd]\[\d+\]\s*$`)

func analyse(body []insn) mix {
	var m mix
	forms := map[string]int{}
	fp := map[string]int{}
	for _, in := range body {
		m.FLOPs += flops(in.GNU)
		if n, load := memBytes(in.GNU); n > 0 {
			if load {
				m.LoadBytes += n
				m.Loads++
			} else {
				m.StoreBytes += n
			}
		}
		op := mnemonic(in.GNU)
		switch {
		case fmaOps[op]:
			m.FMAs++
			switch {
			case lanes(in.GNU) == 1:
				forms["scalar"]++
			case byElement.MatchString(in.GNU):
				forms["by element"]++
			default:
				forms["vector"]++
			}
		case fpOps[op]:
			fp[op]++
		}
	}
	m.FMAForm = most(forms)
	m.FPForm = most(fp)
	return m
}

// most is the key with the largest count (ties broken by name, so the result is stable).
func most(m map[string]int) string {
	best, n := "", 0
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m[k] > n {
			best, n = k, m[k]
		}
	}
	return best
}

// mcaResult is what the tool takes from one llvm-mca run.
type mcaResult struct {
	CPU        string
	Iterations int
	Cycles     int
	Resources  []string  // llvm-mca's resource (unit) names
	Pressure   []float64 // cycles each resource is busy per iteration
	UOps       int       // micro-ops over all iterations
	Width      int       // micro-ops the model dispatches per cycle
}

// CyclesPerIter is the simulated cycles per iteration of the block.
func (r mcaResult) CyclesPerIter() float64 { return float64(r.Cycles) / float64(r.Iterations) }

// Busiest returns the resource with the highest pressure per iteration and that
// pressure.
func (r mcaResult) Busiest() (string, float64) {
	best, p := "", -1.0
	for i, v := range r.Pressure {
		if v > p {
			best, p = r.Resources[i], v
		}
	}
	return best, p
}

// Bottleneck names what limits the loop: the busiest unit when it is busy at least 90%
// of the cycles; else dispatch, when the micro-ops need at least 90% of the cycles at
// the model's dispatch width; else the latency of dependency chains.
func (r mcaResult) Bottleneck() string {
	name, p := r.Busiest()
	c := r.CyclesPerIter()
	d := 0.0
	if r.Width > 0 {
		d = float64(r.UOps) / float64(r.Iterations) / float64(r.Width)
	}
	switch {
	case p >= 0.9*c && p >= d:
		return fmt.Sprintf("%s (%s) %.2f of %.2f cycles", name, unitRole(name), p, c)
	case d >= 0.9*c:
		return fmt.Sprintf("dispatch: %.0f micro-ops at %d a cycle take %.2f of %.2f cycles", float64(r.UOps)/float64(r.Iterations), r.Width, d, c)
	}
	return fmt.Sprintf("latency/dependencies (busiest unit %s %.2f of %.2f cycles)", name, p, c)
}

// unitRole says what a unit of the Cortex-A57 (A72) or Neoverse-N1 model does.
func unitRole(name string) string {
	roles := map[string]string{
		"A57UnitB": "branch", "A57UnitI": "integer", "A57UnitM": "multi-cycle integer",
		"A57UnitL": "load", "A57UnitS": "store", "A57UnitW": "FP/ASIMD F0", "A57UnitX": "FP/ASIMD F1",
		"N1UnitB": "branch", "N1UnitS": "integer", "N1UnitM": "multi-cycle integer",
		"N1UnitL": "load/store address", "N1UnitD": "store data", "N1UnitV0": "FP/ASIMD V0", "N1UnitV1": "FP/ASIMD V1",
	}
	if r, ok := roles[name]; ok {
		return r
	}
	return "unit"
}

// mcaJSON is the part of llvm-mca --json output the tool reads.
type mcaJSON struct {
	CodeRegions []struct {
		Instructions         []string
		ResourcePressureView struct {
			ResourcePressureInfo []struct {
				InstructionIndex int
				ResourceIndex    int
				ResourceUsage    float64
			}
		}
		SummaryView struct {
			Iterations    int
			TotalCycles   int
			Instructions  int
			TotaluOps     int
			DispatchWidth int
		}
	}
	TargetInfo struct {
		CPUName   string
		Resources []string
	}
}

// parseMCA reads llvm-mca --json output.
func parseMCA(out []byte) (mcaResult, error) {
	var j mcaJSON
	if err := json.Unmarshal(out, &j); err != nil {
		return mcaResult{}, fmt.Errorf("reading llvm-mca's JSON: %v", err)
	}
	if len(j.CodeRegions) != 1 {
		return mcaResult{}, fmt.Errorf("llvm-mca reported %d code regions, want 1", len(j.CodeRegions))
	}
	cr := j.CodeRegions[0]
	r := mcaResult{CPU: j.TargetInfo.CPUName, Iterations: cr.SummaryView.Iterations, Cycles: cr.SummaryView.TotalCycles,
		UOps: cr.SummaryView.TotaluOps, Width: cr.SummaryView.DispatchWidth}
	if r.Iterations <= 0 || r.Cycles <= 0 || len(cr.Instructions) == 0 {
		return mcaResult{}, fmt.Errorf("llvm-mca simulated %d iterations in %d cycles", r.Iterations, r.Cycles)
	}
	// Resources are units, "N1UnitL.\x00" and "N1UnitL.\x01" being two of a kind: keep
	// the unit name and sum per unit.
	names := make([]string, len(j.TargetInfo.Resources))
	for i, n := range j.TargetInfo.Resources {
		names[i] = strings.TrimRight(n, "\x00\x01\x02\x03\x04\x05\x06\x07.")
		if k := strings.IndexByte(names[i], '.'); k >= 0 {
			names[i] = names[i][:k]
		}
	}
	idx := map[string]int{}
	count := map[string]int{}
	for _, n := range names {
		if _, ok := idx[n]; !ok {
			idx[n] = len(r.Resources)
			r.Resources = append(r.Resources, n)
			r.Pressure = append(r.Pressure, 0)
		}
		count[n]++
	}
	for _, p := range cr.ResourcePressureView.ResourcePressureInfo {
		// Entries past the last instruction are llvm-mca's totals row.
		if p.ResourceIndex < 0 || p.ResourceIndex >= len(names) || p.InstructionIndex >= len(cr.Instructions) {
			continue
		}
		// ResourceUsage is per iteration; a kind with several units shares the load.
		n := names[p.ResourceIndex]
		r.Pressure[idx[n]] += p.ResourceUsage / float64(count[n])
	}
	return r, nil
}

// modelUnits is the prefix of the unit names of the scheduling model each core must
// be simulated with. LLVM before 18 has no Neoverse-N1 model and quietly simulates
// -mcpu=neoverse-n1 with Cortex-A57's, which would make the two cores' figures the same
// numbers twice; the tool refuses that.
var modelUnits = map[string]string{"cortex-a72": "A57Unit", "neoverse-n1": "N1Unit"}

// mca runs llvm-mca on src for cpu, iterations times.
func mca(tool, cpu, src string, iterations int) (mcaResult, error) {
	cmd := exec.Command(tool, "-mtriple=aarch64", "-mcpu="+cpu, "-iterations="+strconv.Itoa(iterations), "--json")
	cmd.Stdin = strings.NewReader(src)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return mcaResult{}, fmt.Errorf("%s -mcpu=%s: %v\n%s", tool, cpu, err, stderr.String())
	}
	r, err := parseMCA(out)
	if err != nil {
		return r, err
	}
	if err := checkModel(cpu, r.Resources); err != nil {
		return r, fmt.Errorf("%s: %v", tool, err)
	}
	return r, nil
}

// checkModel fails when llvm-mca simulated cpu with another core's units.
func checkModel(cpu string, units []string) error {
	want, ok := modelUnits[cpu]
	if !ok {
		return nil
	}
	for _, u := range units {
		if !strings.HasPrefix(u, want) {
			return fmt.Errorf("-mcpu=%s is simulated with units %v, not the core's own model (%s*): this LLVM has no %s scheduling model; use an LLVM that has one, such as 19 (Debian: apt-get install llvm-19)", cpu, units, want, cpu)
		}
	}
	if len(units) == 0 {
		return fmt.Errorf("-mcpu=%s: llvm-mca reported no units", cpu)
	}
	return nil
}

// mcVerify assembles src with llvm-mc and checks that every non-branch instruction
// encodes to the bytes objdump showed, so that llvm-mca simulates exactly the
// instructions in the binary (a GNU-syntax spelling that LLVM read differently would
// fail here rather than skew a figure).
func mcVerify(mcTool string, body []insn) error {
	src := mcaSource(body)
	cmd := exec.Command(mcTool, "-triple=aarch64", "-show-encoding")
	cmd.Stdin = strings.NewReader(src)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", mcTool, err, stderr.String())
	}
	var encs []string
	for _, l := range strings.Split(string(out), "\n") {
		_, e, ok := strings.Cut(l, "encoding: [")
		if !ok {
			continue
		}
		e, _, _ = strings.Cut(e, "]")
		var bs []string
		for _, b := range strings.Split(e, ",") {
			bs = append(bs, strings.TrimPrefix(strings.TrimSpace(b), "0x"))
		}
		// Little-endian bytes to the 32-bit word objdump prints; fixups show as letters.
		if len(bs) != 4 {
			encs = append(encs, "?")
			continue
		}
		encs = append(encs, bs[3]+bs[2]+bs[1]+bs[0])
	}
	if len(encs) != len(body) {
		return fmt.Errorf("%s encoded %d instructions for a body of %d", mcTool, len(encs), len(body))
	}
	for i, in := range body {
		if isBranch(in.GNU) {
			continue
		}
		if encs[i] != in.Enc {
			return fmt.Errorf("%q assembles to %s with %s, the binary has %s", in.GNU, encs[i], mcTool, in.Enc)
		}
	}
	return nil
}
