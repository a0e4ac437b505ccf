package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests need the go tool (to assemble and disassemble the arm64 kernels) but not
// LLVM: llvm-mca's output is read from files it wrote once (testdata).

func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed: %v", err)
	}
	return p
}

func kernelsDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", "..", "kernels"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func writeAsm(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "k_arm64.s")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFindMarkers(t *testing.T) {
	good := "#include \"textflag.h\"\n\n// func f(n int)\nTEXT ·f(SB), NOSPLIT, $0-8\n\tMOVD n+0(FP), R0\n\n\t// armsim: F\nloop:\n\tSUBS $1, R0\n\tBNE  loop\n\tRET\n"
	loops, err := findMarkers(writeAsm(t, good))
	if err != nil {
		t.Fatal(err)
	}
	if len(loops) != 1 || loops[0].Kernel != "F" || loops[0].Label != "loop" || loops[0].Func != "f" || loops[0].First != 8 || loops[0].Last != 10 {
		t.Fatalf("got %+v", loops)
	}
	for name, src := range map[string]string{
		"no label":       strings.Replace(good, "loop:\n", "", 1),
		"no branch back": strings.Replace(good, "BNE  loop", "BNE  other", 1),
		"outside TEXT":   "// armsim: F\nloop:\n\tB loop\n",
	} {
		if _, err := findMarkers(writeAsm(t, src)); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestKernelLoops finds every marked loop of the real kernels and checks each body: it
// ends with its branch back and does floating-point work, and the kernels the committed
// figures name are all there.
func TestKernelLoops(t *testing.T) {
	loops, err := findLoops(goTool(t), kernelsDir(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, l := range loops {
		found[l.Kernel] = true
		mx := analyse(l.Body)
		if mx.FLOPs == 0 {
			t.Errorf("%s (%s:%d): no floating-point work in %d instructions", l.Kernel, l.File, l.First, len(l.Body))
		}
		if !isBranch(l.Body[len(l.Body)-1].GNU) {
			t.Errorf("%s: body does not end with a branch", l.Kernel)
		}
	}
	want, err := readFigures("expected.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !found[w.Kernel] {
			t.Errorf("committed kernel %s has no marked loop", w.Kernel)
		}
	}
}

// TestMissingLoopFails removes the label under a real marker: the tool must refuse to
// run rather than drop that kernel's figures.
func TestMissingLoopFails(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(kernelsDir(t), "matvec_arm64.s"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lines := strings.Split(string(src), "\n")
	cut := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == "// armsim: MatTVecAdd" && i+1 < len(lines) && strings.HasSuffix(lines[i+1], ":") {
			cut = i + 1
		}
	}
	if cut < 0 {
		t.Fatal("no MatTVecAdd marker above a label in matvec_arm64.s")
	}
	broken := strings.Join(append(lines[:cut:cut], lines[cut+1:]...), "\n")
	if err := os.WriteFile(filepath.Join(dir, "matvec_arm64.s"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = findLoops(goTool(t), dir, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "MatTVecAdd") {
		t.Fatalf("want an error naming MatTVecAdd, got %v", err)
	}
}

func TestAccounting(t *testing.T) {
	for _, c := range []struct {
		gnu           string
		flops, mem    int
		load, isStore bool
	}{
		{"fmla v16.4s, v4.4s, v0.4s", 8, 0, false, false},
		{"fmla v0.4s, v4.4s, v20.s[1]", 8, 0, false, false},
		{"fmadd s16, s1, s0, s16", 2, 0, false, false},
		{"fmls v5.4s, v2.4s, v6.4s", 8, 0, false, false},
		{"fmul v0.4s, v0.4s, v20.4s", 4, 0, false, false},
		{"faddp s16, v16.2s", 1, 0, false, false},
		{"fdiv v1.4s, v22.4s, v6.4s", 4, 0, false, false},
		{"fabs v1.4s, v0.4s", 0, 0, false, false},
		{"frintn v2.4s, v2.4s", 0, 0, false, false},
		{"ld1 {v0.4s-v3.4s}, [x0],#64", 0, 64, true, false},
		{"ld1 {v8.4s, v9.4s}, [x2], x3", 0, 32, true, false},
		{"ld1 {v0.s}[1], [x9], x7", 0, 4, true, false},
		{"ld1r {v16.4s}, [x4]", 0, 4, true, false},
		{"ldr q1, [x0,#16]", 0, 16, true, false},
		{"ldp q0, q1, [x0], #32", 0, 32, true, false},
		{"ldr s0, [x0],#4", 0, 4, true, false},
		{"ldr d29, [x4],#8", 0, 8, true, false},
		{"st1 {v4.4s-v7.4s}, [x5],#64", 0, 64, false, true},
		{"stp q4, q5, [x1,#-64]", 0, 32, false, true},
		{"stur q4, [x1,#-16]", 0, 16, false, true},
		{"str s0, [x12],#4", 0, 4, false, true},
	} {
		if f := flops(c.gnu); f != c.flops {
			t.Errorf("flops(%q) = %d, want %d", c.gnu, f, c.flops)
		}
		n, load := memBytes(c.gnu)
		if n != c.mem || (n > 0 && load != c.load) {
			t.Errorf("memBytes(%q) = %d, load %v; want %d, %v", c.gnu, n, load, c.mem, c.load)
		}
	}
}

func TestParseMCA(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "mca_dot_n1.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseMCA(data)
	if err != nil {
		t.Fatal(err)
	}
	// The Dot loop on the N1 model: 100 iterations in 411 cycles, the two load pipes busy
	// 4 cycles each per iteration (the totals row, which repeats the sums, is skipped).
	if r.Iterations != 100 || r.Cycles != 411 || r.Width != 8 {
		t.Fatalf("got %+v", r)
	}
	name, p := r.Busiest()
	if name != "N1UnitL" || p != 4 {
		t.Fatalf("busiest unit %s %.2f, want N1UnitL 4.00", name, p)
	}
	if b := r.Bottleneck(); !strings.HasPrefix(b, "N1UnitL (load/store address) 4.00 of 4.11") {
		t.Fatalf("bottleneck %q", b)
	}
	if err := checkModel("neoverse-n1", r.Resources); err != nil {
		t.Fatal(err)
	}
}

// TestRefusesSubstituteModel reads what LLVM 16 says for -mcpu=neoverse-n1: the
// Cortex-A57 model's units. The tool must refuse it.
func TestRefusesSubstituteModel(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "mca16_dot_n1.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseMCA(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkModel("neoverse-n1", r.Resources); err == nil {
		t.Fatalf("accepted units %v for neoverse-n1", r.Resources)
	}
	if err := checkModel("cortex-a72", r.Resources); err != nil {
		t.Fatalf("cortex-a72 is simulated with the A57 model; got %v", err)
	}
}

func TestCompare(t *testing.T) {
	want := []figure{
		{Kernel: "A", Core: "c", FLOPsPerIter: 8, FLOPPerCycle: 10, CyclesPerIter: 1},
		{Kernel: "B", Core: "c", FLOPsPerIter: 8, FLOPPerCycle: 10, CyclesPerIter: 1},
		{Kernel: "C", Core: "c", FLOPsPerIter: 8, FLOPPerCycle: 10, CyclesPerIter: 1},
	}
	got := []figure{
		{Kernel: "A", Core: "c", FLOPsPerIter: 8, FLOPPerCycle: 9.6},  // 4% below: fine
		{Kernel: "B", Core: "c", FLOPsPerIter: 8, FLOPPerCycle: 9.4},  // 6% below
		{Kernel: "D", Core: "c", FLOPsPerIter: 8, FLOPPerCycle: 12.0}, // new, uncommitted
	}
	p := compare(want, got, 0.05)
	if len(p) != 3 || !strings.HasPrefix(p[0], "B on c") || !strings.HasPrefix(p[1], "C on c: no marked loop") || !strings.HasPrefix(p[2], "D on c") {
		t.Fatalf("problems %q", p)
	}
	if p := compare(want[:1], got[:1], 0.05); len(p) != 0 {
		t.Fatalf("a 4%% drop was reported: %q", p)
	}
}

func TestParseSignature(t *testing.T) {
	ps, err := parseSignature("y, a []float32, stride int, x []float32, accumulate bool")
	if err != nil {
		t.Fatal(err)
	}
	offs := []int{0, 24, 48, 56, 80}
	for i, p := range ps {
		if p.Offset != offs[i] {
			t.Fatalf("%s at %d, want %d", p.Name, p.Offset, offs[i])
		}
	}
	ps, err = parseSignature("a []float32, stride int, alpha float32, x, y []float32")
	if err != nil {
		t.Fatal(err)
	}
	if ps[2].Offset != 32 || ps[3].Offset != 40 || ps[4].Offset != 64 {
		t.Fatalf("got %+v", ps)
	}
	if _, err := parseSignature("m map[int]int"); err == nil {
		t.Fatal("accepted a type the emulator cannot lay out")
	}
}

// TestEmulate runs real kernels through the emulator and counts the FMAs each executes,
// which the kernels' loop structure fixes: an error in a branch condition, a flag or an
// argument's frame offset changes the counts.
func TestEmulate(t *testing.T) {
	funcs, err := loadFuncs(goTool(t), kernelsDir(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	count := func(tr []string, pred func(string) bool) int {
		n := 0
		for _, s := range tr {
			if pred(s) {
				n++
			}
		}
		return n
	}
	vecFMA := func(s string) bool { return (mnemonic(s) == "fmla") && lanes(s) == 4 }
	scalarFMA := func(s string) bool { return mnemonic(s) == "fmadd" }
	run := func(fn string, args ...int) []string {
		t.Helper()
		f := funcs[fn]
		if f == nil {
			t.Fatalf("no function %s", fn)
		}
		tr, err := f.emulate(args, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		if mnemonic(tr[len(tr)-1]) != "ret" {
			t.Fatalf("%s%v: trace ends with %q", fn, args, tr[len(tr)-1])
		}
		return tr
	}
	for _, n := range []int{0, 1, 3, 4, 15, 16, 17, 31, 32, 33, 100, 1000} {
		tr := run("dotNEON", n, n)
		if v, s := count(tr, vecFMA), count(tr, scalarFMA); v != n/16*4+n%16/4 || s != n%4 {
			t.Errorf("dot n=%d: %d vector and %d scalar FMAs", n, v, s)
		}
		tr = run("axpyNEON", 0, n, n)
		if v, s := count(tr, vecFMA), count(tr, scalarFMA); v != n/4 || s != n%4 {
			t.Errorf("axpy n=%d: %d vector and %d scalar FMAs", n, v, s)
		}
	}
	for _, rc := range [][2]int{{1, 1}, {4, 8}, {5, 9}, {6, 16}, {7, 17}, {12, 64}, {13, 21}, {192, 64}} {
		rows, cols := rc[0], rc[1]
		// MatTVecAdd: every element of A takes one FMA, vector or scalar.
		tr := run("matTVecAddNEON", cols, rows*cols, cols, rows)
		if v, s := count(tr, vecFMA), count(tr, scalarFMA); 4*v+s != rows*cols || s != rows*(cols%4) {
			t.Errorf("matTVecAdd %dx%d: %d vector and %d scalar FMAs", rows, cols, v, s)
		}
		tr = run("gerNEON", rows*cols, cols, 0, rows, cols)
		if v, s := count(tr, vecFMA), count(tr, scalarFMA); 4*v+s != rows*cols || s != rows*(cols%4) {
			t.Errorf("ger %dx%d: %d vector and %d scalar FMAs", rows, cols, v, s)
		}
		for acc := 0; acc <= 1; acc++ {
			tr = run("matVecNEON", rows, rows*cols, cols, cols, acc)
			if v, s := count(tr, vecFMA), count(tr, scalarFMA); 4*v+s != rows*cols || s != rows*(cols%4) {
				t.Errorf("matVec %dx%d: %d vector and %d scalar FMAs", rows, cols, v, s)
			}
		}
	}
	// The Gemm micro-kernel: in place, 64 FMAs per four k steps (the rest gathered, 16
	// per step); packed, 16, 8 or 2 per step by the rows it has.
	for _, c := range []struct{ kc, rsa, csa, rows, fmas int }{
		{32, 40, 1, 8, 32 * 16}, {13, 40, 1, 8, 13 * 16}, {3, 40, 1, 8, 3 * 16},
		{7, 1, 8, 8, 7 * 16}, {7, 1, 8, 5, 7 * 16}, {7, 1, 8, 4, 7 * 8}, {7, 1, 8, 2, 7 * 8}, {7, 1, 8, 1, 7 * 2},
		{5, 1, 13, 3, 5 * 8},  // any csa with rsa 1 is packed
		{5, 11, 2, 3, 5 * 16}, // neither layout: gathered
	} {
		tr := run("gemmKernel8x8NEON", c.kc, 0, c.rsa, c.csa, 0, 8, 0, 8, c.rows)
		if v := count(tr, vecFMA); v != c.fmas {
			t.Errorf("gemm kernel kc=%d rsa=%d csa=%d rows=%d: %d FMAs, want %d", c.kc, c.rsa, c.csa, c.rows, v, c.fmas)
		}
		stores := count(tr, func(s string) bool { return strings.HasPrefix(mnemonic(s), "st1") })
		if stores != c.rows {
			t.Errorf("gemm kernel rows=%d: %d row stores", c.rows, stores)
		}
	}
	for _, n := range []int{4, 5, 8, 9, 12, 64, 67} {
		// Every whole vector, then the last one again (overlapping).
		tr := run("tanhNEON", n, n)
		if st := count(tr, func(s string) bool { return mnemonic(s) == "st1" }); st != n/4+1 {
			t.Errorf("tanh n=%d: %d vectors stored, want %d", n, st, n/4+1)
		}
	}
}

func TestEmulateRefusesUnknown(t *testing.T) {
	prog := func(insns ...string) *asmFunc {
		f := &asmFunc{Name: "f", Params: []param{{Name: "n", Type: "int"}}, index: map[uint64]int{}}
		for i, s := range insns {
			f.Insns = append(f.Insns, insn{Addr: uint64(4 * i), GNU: s})
			f.index[uint64(4*i)] = i
		}
		return f
	}
	f := prog("ldr x0, [sp,#8]", "madd x1, x0, x0, x0", "ret")
	if _, err := f.emulate([]int{3}, 100); err == nil || !strings.Contains(err.Error(), "madd") {
		t.Fatalf("want an error naming madd, got %v", err)
	}
	// cbz skips the nop when n == 3.
	f = prog("ldr x0, [sp,#8]", "subs x1, x0, #0x3", "cbz x1, .+0x8", "nop", "ret")
	for n, want := range map[int]int{3: 4, 4: 5} {
		tr, err := f.emulate([]int{n}, 100)
		if err != nil || len(tr) != want {
			t.Fatalf("n=%d: trace %q, err %v", n, tr, err)
		}
	}
	// A branch on a register loaded from memory the emulator does not model.
	f = prog("ldr x1, [x0]", "cbz x1, .+0x8", "nop", "ret")
	if _, err := f.emulate([]int{3}, 100); err == nil {
		t.Fatal("branched on a value it could not compute")
	}
}
