package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// A marker is a comment line "// armsim: Name" directly above a loop's label in a
// kernels *_arm64.s file. The loop runs from the label to the last branch back to it.
var (
	markerLine = regexp.MustCompile(`^\s*//\s*armsim:\s*(\S+)\s*$`)
	labelLine  = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*):\s*(//.*)?$`)
	textLine   = regexp.MustCompile(`^TEXT\s+·([A-Za-z0-9_]+)\(SB\)`)
	branchLine = regexp.MustCompile(`^\s*(B|BEQ|BNE|BLT|BLE|BGT|BGE|BLO|BLS|BHI|BHS|BCC|BCS|BMI|BPL|JMP|CBZ|CBNZ|CBZW|CBNZW|TBZ|TBNZ)\s+(?:.*,\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*(//.*)?$`)
)

// loop is one marked loop of a kernel's assembly.
type loop struct {
	Kernel string // the marker's name
	File   string // base name of the .s file
	Func   string // the TEXT symbol it is in
	Label  string
	First  int // source line of the label
	Last   int // source line of the branch back to the label
	Body   []insn
}

// insn is one machine instruction as go tool objdump -gnu prints it.
type insn struct {
	Line int    // source line in File
	Addr uint64 // address in the object
	Enc  string // 8 hex digits
	Go   string // Go assembler syntax
	GNU  string // GNU syntax
}

// findMarkers reads an arm64 .s file and returns its marked loops, with First and Last
// filled in and Body empty. A marker that is not followed by a label, or a label with no
// branch back to it, is an error: the figures of that loop would silently vanish.
func findMarkers(path string) ([]loop, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	var loops []loop
	fn := ""
	for i := 0; i < len(lines); i++ {
		if m := textLine.FindStringSubmatch(lines[i]); m != nil {
			fn = m[1]
		}
		m := markerLine.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		if fn == "" {
			return nil, fmt.Errorf("%s:%d: armsim marker %q outside any TEXT", base, i+1, m[1])
		}
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		var lm []string
		if j < len(lines) {
			lm = labelLine.FindStringSubmatch(strings.TrimSpace(lines[j]))
		}
		if lm == nil {
			return nil, fmt.Errorf("%s:%d: armsim marker %q is not followed by a label", base, i+1, m[1])
		}
		l := loop{Kernel: m[1], File: base, Func: fn, Label: lm[1], First: j + 1}
		for k := j + 1; k < len(lines) && !textLine.MatchString(lines[k]); k++ {
			if b := branchLine.FindStringSubmatch(lines[k]); b != nil && b[2] == l.Label {
				l.Last = k + 1
			}
		}
		if l.Last == 0 {
			return nil, fmt.Errorf("%s:%d: armsim marker %q: no branch back to %s in %s", base, i+1, m[1], l.Label, fn)
		}
		loops = append(loops, l)
	}
	return loops, nil
}

// objdumpLine matches one instruction of go tool objdump -gnu.
var objdumpLine = regexp.MustCompile(`^\s*(\S+\.s):(\d+)\s+0x([0-9a-f]+)\s+([0-9a-f]{8})\s+(.*?)\s*//\s*(.*?)\s*$`)

// funcLine matches the header objdump prints for each symbol.
var funcLine = regexp.MustCompile(`^TEXT\s+\S*\.([A-Za-z0-9_]+)(?:\.abi0)?\(SB\)`)

// disassembly is an arm64 .s file assembled and disassembled: each function's
// instructions in address order.
type disassembly map[string][]insn

// assemble assembles src for linux/arm64 with go tool asm and disassembles it with go
// tool objdump -gnu.
func assemble(goTool, src, tmp string) (disassembly, error) {
	goroot, err := exec.Command(goTool, "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %v", err)
	}
	include := filepath.Join(strings.TrimSpace(string(goroot)), "pkg", "include")
	obj := filepath.Join(tmp, strings.TrimSuffix(filepath.Base(src), ".s")+".o")
	env := append(os.Environ(), "GOOS=linux", "GOARCH=arm64")
	asm := exec.Command(goTool, "tool", "asm", "-I", include, "-p", "github.com/chronograd/chronograd/kernels", "-o", obj, src)
	asm.Env = env
	if out, err := asm.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("assembling %s for arm64: %v\n%s", src, err, out)
	}
	dump := exec.Command(goTool, "tool", "objdump", "-gnu", obj)
	dump.Env = env
	out, err := dump.Output()
	if err != nil {
		return nil, fmt.Errorf("go tool objdump %s: %v", obj, err)
	}
	return parseObjdump(string(out), filepath.Base(src))
}

// parseObjdump reads go tool objdump -gnu output, keeping the instructions that come
// from file base.
func parseObjdump(out, base string) (disassembly, error) {
	d := disassembly{}
	fn := ""
	for _, l := range strings.Split(out, "\n") {
		if m := funcLine.FindStringSubmatch(l); m != nil {
			fn = m[1]
			continue
		}
		m := objdumpLine.FindStringSubmatch(l)
		if m == nil || filepath.Base(m[1]) != base || fn == "" {
			continue
		}
		line, _ := strconv.Atoi(m[2])
		addr, _ := strconv.ParseUint(m[3], 16, 64)
		d[fn] = append(d[fn], insn{Line: line, Addr: addr, Enc: m[4], Go: strings.TrimSpace(m[5]), GNU: strings.Join(strings.Fields(m[6]), " ")})
	}
	for fn := range d {
		sort.Slice(d[fn], func(i, j int) bool { return d[fn][i].Addr < d[fn][j].Addr })
	}
	if len(d) == 0 {
		return nil, fmt.Errorf("objdump of %s has no instructions", base)
	}
	return d, nil
}

// fillBody takes a loop's instructions from the disassembly: those assembled from its
// source lines, in address order. The last one must be the branch back.
func (l *loop) fillBody(d disassembly) error {
	l.Body = l.Body[:0]
	for _, in := range d[l.Func] {
		if in.Line > l.First && in.Line <= l.Last {
			l.Body = append(l.Body, in)
		}
	}
	if len(l.Body) == 0 {
		return fmt.Errorf("%s:%d: loop %s (%s) has no instructions in the disassembly of %s", l.File, l.First, l.Label, l.Kernel, l.Func)
	}
	if last := l.Body[len(l.Body)-1]; !isBranch(last.GNU) {
		return fmt.Errorf("%s:%d: loop %s (%s) does not end with a branch but with %q", l.File, l.First, l.Label, l.Kernel, last.GNU)
	}
	return nil
}

// findLoops finds, assembles and disassembles every marked loop of the arm64 .s files in
// dir.
func findLoops(goTool, dir, tmp string) ([]loop, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_arm64.s"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *_arm64.s files in %s", dir)
	}
	sort.Strings(files)
	var all []loop
	seen := map[string]string{}
	for _, f := range files {
		loops, err := findMarkers(f)
		if err != nil {
			return nil, err
		}
		if len(loops) == 0 {
			continue
		}
		d, err := assemble(goTool, f, tmp)
		if err != nil {
			return nil, err
		}
		for i := range loops {
			l := &loops[i]
			if prev, dup := seen[l.Kernel]; dup {
				return nil, fmt.Errorf("%s:%d: armsim marker %q already used at %s", l.File, l.First-1, l.Kernel, prev)
			}
			seen[l.Kernel] = fmt.Sprintf("%s:%d", l.File, l.First-1)
			if err := l.fillBody(d); err != nil {
				return nil, err
			}
		}
		all = append(all, loops...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no armsim markers in %s/*_arm64.s", dir)
	}
	return all, nil
}

// isBranch reports whether a GNU-syntax instruction is a branch.
func isBranch(gnu string) bool {
	op := mnemonic(gnu)
	return op == "b" || strings.HasPrefix(op, "b.") || op == "cbz" || op == "cbnz" || op == "tbz" || op == "tbnz" || op == "br" || op == "ret"
}

// mnemonic is the lower-case opcode of a GNU-syntax instruction.
func mnemonic(gnu string) string {
	op, _, _ := strings.Cut(strings.TrimSpace(gnu), " ")
	return strings.ToLower(op)
}

// branchTarget matches the PC-relative target objdump prints for a branch.
var branchTarget = regexp.MustCompile(`\.\+0x[0-9a-f]+$`)

// relocation matches the annotation objdump adds to an instruction with a relocation
// in an object file ("adrp x4, .+0x0 [0:8]R_ADDRARM64:actConstNEON<1>").
var relocation = regexp.MustCompile(`\s*\[\d+:\d+\]R_\S*$`)

// mcaText turns one instruction as objdump prints it into text llvm-mc reads: PC-relative
// targets (branches, adrp) point at label, and relocation notes are dropped.
func mcaText(gnu, label string) string {
	s := relocation.ReplaceAllString(gnu, "")
	if isBranch(s) || mnemonic(s) == "adrp" || mnemonic(s) == "adr" {
		s = branchTarget.ReplaceAllString(s, label)
	}
	return s
}

// mcaSource renders a loop body for llvm-mca: the branch back jumps to a label at the top.
func mcaSource(body []insn) string {
	var b strings.Builder
	b.WriteString(".Lloop:\n")
	for _, in := range body {
		b.WriteString(mcaText(in.GNU, ".Lloop"))
		b.WriteByte('\n')
	}
	return b.String()
}
