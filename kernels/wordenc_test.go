//go:build amd64 || arm64

package kernels

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The arm64 kernels WORD-encode the instructions Go's assembler lacks (vector FADD, FMUL,
// FADDP, FMLA by element), each with its GNU mnemonic in a comment. These tests assemble
// the arm64 sources for arm64 (on any host: this runs on the amd64 CI machine), disassemble
// the object with go tool objdump -gnu and require every WORD to decode to exactly the
// instruction its comment names.

// wordLine matches a WORD directive and its comment: WORD $0x4e31d610 // fadd v16.4s, ...
var wordLine = regexp.MustCompile(`^\s*WORD\s+\$(0x[0-9a-fA-F]+)\s*(?://\s*(.*))?$`)

// objdumpLine matches one instruction of go tool objdump -gnu: the source line, the
// address, the encoding, Go's syntax and, after //, the GNU syntax.
var objdumpLine = regexp.MustCompile(`^\s*(\S+\.s):(\d+)\s+0x[0-9a-f]+\s+([0-9a-f]{8})\s+.*?//\s*(.*?)\s*$`)

// normalizeAsm makes two spellings of one GNU instruction compare equal: case, spacing,
// and the x/w-less register names are the same in both.
func normalizeAsm(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, ", ", ",")
	s = strings.ReplaceAll(s, " ,", ",")
	return s
}

// checkWordEncodings assembles src (an arm64 .s file) and returns one message per WORD
// whose comment is missing or disagrees with the disassembly, and the number of WORDs.
func checkWordEncodings(t *testing.T, goTool, src string) (problems []string, words int) {
	t.Helper()
	dir := t.TempDir()
	obj := filepath.Join(dir, "k.o")
	goroot, err := exec.Command(goTool, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	include := filepath.Join(strings.TrimSpace(string(goroot)), "pkg", "include")
	env := append(os.Environ(), "GOOS=linux", "GOARCH=arm64")
	asm := exec.Command(goTool, "tool", "asm", "-I", include, "-p", "kernels", "-o", obj, src)
	asm.Env = env
	if out, err := asm.CombinedOutput(); err != nil {
		t.Fatalf("assembling %s for arm64: %v\n%s", src, err, out)
	}
	dump := exec.Command(goTool, "tool", "objdump", "-gnu", obj)
	dump.Env = env
	out, err := dump.Output()
	if err != nil {
		t.Fatalf("go tool objdump %s: %v", obj, err)
	}
	type insn struct{ enc, gnu string }
	byLine := map[int][]insn{}
	base := filepath.Base(src)
	for _, l := range strings.Split(string(out), "\n") {
		m := objdumpLine.FindStringSubmatch(l)
		if m == nil || filepath.Base(m[1]) != base {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		byLine[n] = append(byLine[n], insn{m[3], m[4]})
	}

	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		m := wordLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		words++
		v, err := strconv.ParseUint(m[1], 0, 32)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: bad WORD value %s", base, n, m[1]))
			continue
		}
		want := normalizeAsm(m[2])
		if want == "" {
			problems = append(problems, fmt.Sprintf("%s:%d: WORD %s has no comment naming its instruction", base, n, m[1]))
			continue
		}
		enc := fmt.Sprintf("%08x", v)
		var got []string
		found := false
		for _, in := range byLine[n] {
			if in.enc == enc {
				got = append(got, in.gnu)
				found = found || normalizeAsm(in.gnu) == want
			}
		}
		switch {
		case len(got) == 0:
			problems = append(problems, fmt.Sprintf("%s:%d: WORD %s not found in the disassembly", base, n, m[1]))
		case !found:
			problems = append(problems, fmt.Sprintf("%s:%d: WORD %s is %q, comment says %q", base, n, m[1], got[0], m[2]))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return problems, words
}

func TestArm64WordEncodings(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go tool is needed to assemble and disassemble: %v", err)
	}
	files, err := filepath.Glob("*_arm64.s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no *_arm64.s files found (err %v)", err)
	}
	total := 0
	for _, src := range files {
		problems, words := checkWordEncodings(t, goTool, src)
		for _, p := range problems {
			t.Error(p)
		}
		total += words
	}
	// The kernels need WORDs (there is no vector FADD in Go's assembler); finding none
	// means the pattern no longer matches and the check has gone blind.
	if total == 0 {
		t.Fatalf("found no WORD directives in %v", files)
	}
	t.Logf("checked %d WORDs in %v", total, files)
}

// TestArm64WordEncodingsCatchesMismatch feeds the checker a WORD whose comment is wrong
// (0x4e31d610 is fadd v16.4s, v16.4s, v17.4s) and one without a comment, so the check
// is known to be able to fail.
func TestArm64WordEncodingsCatchesMismatch(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go tool is needed to assemble and disassemble: %v", err)
	}
	src := filepath.Join(t.TempDir(), "wrong_arm64.s")
	body := "#include \"textflag.h\"\n\n" +
		"TEXT ·wrong(SB), NOSPLIT, $0-0\n" +
		"\tWORD $0x4e31d610 // fadd v16.4s, v16.4s, v17.4s\n" +
		"\tWORD $0x4e31d610 // fadd v16.4s, v16.4s, v18.4s\n" +
		"\tWORD $0x6e31d610\n" +
		"\tRET\n"
	if err := os.WriteFile(src, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	problems, words := checkWordEncodings(t, goTool, src)
	if words != 3 || len(problems) != 2 {
		t.Fatalf("want 3 WORDs and 2 problems (wrong register, no comment), got %d and %q", words, problems)
	}
	if !strings.Contains(problems[0], ":5:") || !strings.Contains(problems[1], ":6:") {
		t.Fatalf("problems name the wrong lines: %q", problems)
	}
}
