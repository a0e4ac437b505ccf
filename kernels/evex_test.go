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

// TestAVX2HasNoEVEX disassembles this package's test binary and checks that no function
// of the avx2 tier contains an AVX-512 (EVEX-encoded) instruction: one mis-gated
// instruction is a SIGILL on every AVX2-only server, and nothing else would notice on
// this machine. The avx512 functions must contain EVEX instructions, which shows the
// detector works.
//
// The decoding is GNU objdump's (binutils): go tool objdump does not decode VEX and can
// lose sync inside one, reading a 0x62 operand byte as an EVEX prefix.
//
// Convention: assembly functions carry their tier in their name (…AVX2…, …AVX512…).
func TestAVX2HasNoEVEX(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build the binary to disassemble: %v", err)
	}
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		t.Fatalf("GNU objdump (Debian package binutils) is needed to disassemble: %v", err)
	}
	// A linked test binary holds every kernel (the tests reach them all).
	binary := filepath.Join(t.TempDir(), "kernels.test")
	build := exec.Command(goTool, "test", "-c", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	out, err := exec.Command(objdump, "-d", "--insn-width=15", binary).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	funcs := disassembly(string(out), "github.com/chronograd/chronograd/kernels.")
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

var funcHeader = regexp.MustCompile(`^[0-9a-f]+ <(.+)>:$`)

// disassembly splits GNU objdump -d output into the functions whose names start with
// prefix: a "ADDR <name>:" line starts a function, and each instruction line is
// "ADDR:<tab>BYTES<tab>ASSEMBLY".
func disassembly(out, prefix string) map[string][]insn {
	funcs := map[string][]insn{}
	var cur string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := funcHeader.FindStringSubmatch(line); m != nil {
			cur = ""
			if strings.HasPrefix(m[1], prefix) {
				cur = m[1]
			}
			continue
		}
		if cur == "" {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) < 3 {
			continue
		}
		funcs[cur] = append(funcs[cur], insn{hex: strings.ReplaceAll(strings.TrimSpace(fields[1]), " ", ""), text: fields[2]})
	}
	return funcs
}

var evexOperand = regexp.MustCompile(`%zmm|%k[1-7]|\{%k|%[xy]mm(1[6-9]|2\d|3[01])\b`)

// isEVEX: in 64-bit mode a 0x62 opcode byte (after any segment or address-size prefix)
// is the EVEX prefix; ZMM, opmask and xmm16-31/ymm16-31 operands need EVEX too.
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

// TestEVEXDetector pins the detector on hand-made lines so that a change to it cannot
// silently pass everything.
func TestEVEXDetector(t *testing.T) {
	for _, c := range []struct {
		in   insn
		evex bool
	}{
		{insn{"c4627db8f4", "vfmadd231ps %ymm4,%ymm10,%ymm14"}, false}, // VEX with a 0x62 byte inside
		{insn{"c5fc57c0", "vxorps %ymm0,%ymm0,%ymm0"}, false},
		{insn{"62f17c48100e", "vmovups (%rsi),%zmm1"}, true},
		{insn{"62f17c29110f", "vmovups %ymm1,(%rdi){%k1}"}, true},
		{insn{"6762f17c48100e", "vmovups (%esi),%zmm1"}, true},
		{insn{"62e17c28100e", "vmovups (%rsi),%ymm17"}, true},
	} {
		if got := isEVEX(c.in); got != c.evex {
			t.Errorf("isEVEX(%s %s) = %v, want %v", c.in.hex, c.in.text, got, c.evex)
		}
	}
}
