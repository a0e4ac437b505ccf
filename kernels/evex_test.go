//go:build amd64 && !purego

package kernels

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAVX2HasNoEVEX disassembles this package and checks that no function of the avx2
// tier contains an AVX-512 (EVEX-encoded) instruction: one mis-gated instruction is a
// SIGILL on every AVX2-only server, and nothing else would notice on this machine. The
// avx512 functions must contain EVEX instructions, which shows the detector works.
//
// Convention: assembly functions carry their tier in their name (…AVX2…, …AVX512…).
func TestAVX2HasNoEVEX(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to disassemble the package: %v", err)
	}
	dir := t.TempDir()
	// A linked test binary holds every kernel (the tests reach them all); an archive
	// would show objdump only its first object file.
	binary := filepath.Join(dir, "kernels.test")
	build := exec.Command(goTool, "test", "-c", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	out, err := exec.Command(goTool, "tool", "objdump", "-s", `^github\.com/chronograd/chronograd/kernels\.`, binary).Output()
	if err != nil {
		t.Fatalf("go tool objdump: %v", err)
	}
	funcs := disassembly(string(out))
	var avx2, avx512 int
	for name, insns := range funcs {
		upper := strings.ToUpper(name)
		switch {
		case strings.Contains(upper, "AVX512"):
			avx512++
			evex := 0
			for _, in := range insns {
				if isEVEX(in) {
					evex++
				}
			}
			if evex == 0 {
				t.Errorf("%s: an avx512 function without a single EVEX instruction; is the detector broken?", name)
			}
		case strings.Contains(upper, "AVX2"):
			avx2++
			for _, in := range insns {
				if isEVEX(in) {
					t.Errorf("%s: AVX-512 instruction in the avx2 tier: %s %s", name, in.hex, in.text)
				}
			}
		}
	}
	if avx2 == 0 || avx512 == 0 {
		t.Fatalf("found %d avx2 and %d avx512 functions in the disassembly; the naming convention is broken", avx2, avx512)
	}
	t.Logf("checked %d avx2 and %d avx512 functions", avx2, avx512)
}

type insn struct{ hex, text string }

var hexField = regexp.MustCompile(`^[0-9a-f]+$`)

// disassembly splits go tool objdump output into functions: a "TEXT name(SB) file" line
// starts one, and each instruction line has tab-separated location, address, encoding
// and assembly.
func disassembly(out string) map[string][]insn {
	funcs := map[string][]insn{}
	var cur string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "TEXT "); ok {
			cur, _, _ = strings.Cut(rest, "(SB)")
			continue
		}
		if cur == "" {
			continue
		}
		fields := strings.Split(strings.TrimSpace(line), "\t")
		for i, f := range fields {
			if i >= 2 && hexField.MatchString(f) && len(f)%2 == 0 {
				text := strings.TrimSpace(strings.Join(fields[i+1:], " "))
				funcs[cur] = append(funcs[cur], insn{hex: f, text: text})
				break
			}
		}
	}
	return funcs
}

var evexOperand = regexp.MustCompile(`\b(Z\d+|K[1-7]|[XY](1[6-9]|2\d|3[01]))\b`)

// isEVEX: in 64-bit mode a 0x62 opcode byte (after any segment or address-size prefix)
// is always the EVEX prefix; ZMM, opmask and X16-X31/Y16-Y31 operands need EVEX too.
func isEVEX(in insn) bool {
	h := in.hex
	for len(h) >= 2 {
		switch h[:2] {
		case "26", "2e", "36", "3e", "64", "65", "67":
			h = h[2:]
			continue
		}
		break
	}
	return strings.HasPrefix(h, "62") || evexOperand.MatchString(in.text)
}
