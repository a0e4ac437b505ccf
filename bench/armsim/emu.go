package main

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The whole-step model needs the cycles of whole kernel calls, tails and reductions
// included, not only of their main loops. emulate runs one call of an assembly kernel
// through its control flow, on the integer instructions only (the kernels' branches
// depend on lengths, strides and counters, never on the data), and returns the
// instructions it executed, in order, as llvm-mca reads them. Vector and floating-point
// instructions are not computed; they are copied into the trace. An integer instruction
// the emulator does not know, or a branch on a value it could not compute, is an error
// rather than a guess.

// asmFunc is one assembly function: its Go signature's frame and its instructions.
type asmFunc struct {
	Name   string
	Params []param
	Insns  []insn
	index  map[uint64]int // address -> position in Insns
}

// param is one Go parameter of an assembly function, placed in the ABI0 argument frame.
type param struct {
	Name, Type string
	Offset     int // from the first argument (8(RSP) in the callee)
}

var sigLine = regexp.MustCompile(`^//\s*func\s+([A-Za-z0-9_]+)\((.*)\)`)

// parseSignature lays out a Go parameter list ("y, a []float32, stride int") as ABI0
// does: each parameter at the next multiple of its alignment.
func parseSignature(list string) ([]param, error) {
	var ps []param
	var names []string
	off := 0
	for _, group := range strings.Split(list, ",") {
		f := strings.Fields(group)
		switch len(f) {
		case 0:
			continue
		case 1:
			names = append(names, f[0])
			continue
		case 2:
			names = append(names, f[0])
		default:
			return nil, fmt.Errorf("cannot read parameter %q", group)
		}
		typ := f[1]
		size, align := 0, 0
		switch typ {
		case "[]float32":
			size, align = 24, 8
		case "int", "*float32", "uintptr":
			size, align = 8, 8
		case "*[16]float64":
			size, align = 8, 8
		case "float32":
			size, align = 4, 4
		case "bool":
			size, align = 1, 1
		default:
			return nil, fmt.Errorf("parameter type %q not known to the emulator", typ)
		}
		for _, n := range names {
			off = (off + align - 1) / align * align
			ps = append(ps, param{Name: n, Type: typ, Offset: off})
			off += size
		}
		names = names[:0]
	}
	if len(names) > 0 {
		return nil, fmt.Errorf("parameters %v have no type", names)
	}
	return ps, nil
}

// readFuncs collects the assembly functions of an arm64 .s file and its disassembly: a
// "// func name(params)" comment names each TEXT's Go signature.
func readFuncs(src []string, d disassembly) (map[string]*asmFunc, error) {
	fs := map[string]*asmFunc{}
	var sig []param
	var sigName string
	for i, l := range src {
		if m := sigLine.FindStringSubmatch(l); m != nil {
			ps, err := parseSignature(m[2])
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %v", i+1, m[1], err)
			}
			sig, sigName = ps, m[1]
			continue
		}
		if m := textLine.FindStringSubmatch(l); m != nil {
			if sigName != m[1] {
				return nil, fmt.Errorf("line %d: TEXT %s has no \"// func %s(...)\" comment above it", i+1, m[1], m[1])
			}
			ins := d[m[1]]
			if len(ins) == 0 {
				return nil, fmt.Errorf("no instructions for %s in the disassembly", m[1])
			}
			f := &asmFunc{Name: m[1], Params: sig, Insns: ins, index: map[uint64]int{}}
			for k, in := range ins {
				f.index[in.Addr] = k
			}
			fs[m[1]] = f
		}
	}
	return fs, nil
}

// frame builds the argument frame of a call: args holds, for each parameter in order,
// its integer value (a slice's length; pointers and floats are ignored, and get
// placeholder values).
func (f *asmFunc) frame(args []int) ([]byte, error) {
	if len(args) != len(f.Params) {
		return nil, fmt.Errorf("%s takes %d parameters, the trace gives %d", f.Name, len(f.Params), len(args))
	}
	size := 0
	for _, p := range f.Params {
		size = max(size, p.Offset+24)
	}
	fr := make([]byte, size+16)
	for i, p := range f.Params {
		ptr := uint64(0x1000_0000 + i*0x100_0000)
		switch p.Type {
		case "[]float32":
			binary.LittleEndian.PutUint64(fr[p.Offset:], ptr)
			binary.LittleEndian.PutUint64(fr[p.Offset+8:], uint64(args[i]))
			binary.LittleEndian.PutUint64(fr[p.Offset+16:], uint64(args[i]))
		case "int", "uintptr":
			binary.LittleEndian.PutUint64(fr[p.Offset:], uint64(args[i]))
		case "*float32":
			binary.LittleEndian.PutUint64(fr[p.Offset:], ptr)
		case "bool":
			fr[p.Offset] = byte(args[i] & 1)
		}
	}
	return fr, nil
}

// machine is the integer state of the emulated core.
type machine struct {
	x     [32]uint64
	known [32]bool // x[i] holds a computed value
	n, z  bool     // flags N, Z, C, V
	c, v  bool
	flags bool // the flags hold a computed value
}

var (
	memOperand = regexp.MustCompile(`\[(\w+)(?:,\s*#?(-?(?:0x)?[0-9a-f]+))?\](!)?(?:,\s*(#?-?(?:0x)?[0-9a-f]+|x\d+))?`)
	branchRel  = regexp.MustCompile(`\.\+(0x[0-9a-f]+)$`)
)

// emulate runs f with the given arguments and returns the GNU text of the instructions
// it executed, in order. limit bounds the trace length.
func (f *asmFunc) emulate(args []int, limit int) ([]string, error) {
	fr, err := f.frame(args)
	if err != nil {
		return nil, err
	}
	const sp = 31
	var m machine
	m.x[sp], m.known[sp] = 0x7000_0000, true
	var trace []string
	pc := 0
	for steps := 0; ; steps++ {
		if pc < 0 || pc >= len(f.Insns) {
			return nil, fmt.Errorf("%s: ran off the end of the function", f.Name)
		}
		if steps >= limit {
			return nil, fmt.Errorf("%s%v: more than %d instructions", f.Name, args, limit)
		}
		in := f.Insns[pc]
		trace = append(trace, in.GNU)
		next, done, err := m.step(f, in, fr)
		if err != nil {
			return nil, fmt.Errorf("%s%v at %s:%d %q: %v", f.Name, args, "", in.Line, in.GNU, err)
		}
		if done {
			return trace, nil
		}
		if next >= 0 {
			pc = next
		} else {
			pc++
		}
	}
}

// reg parses an integer register name; it returns its number (31 for sp and for the
// zero register, told apart by zero) and whether it is a 32-bit (w) register.
func reg(s string) (n int, w, zero, ok bool) {
	s = strings.TrimSpace(s)
	switch s {
	case "sp", "wsp":
		return 31, s == "wsp", false, true
	case "xzr", "wzr":
		return 31, s == "wzr", true, true
	}
	if len(s) < 2 || (s[0] != 'x' && s[0] != 'w') {
		return 0, false, false, false
	}
	v, err := strconv.Atoi(s[1:])
	if err != nil || v < 0 || v > 30 {
		return 0, false, false, false
	}
	return v, s[0] == 'w', false, true
}

func imm(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		u, err2 := strconv.ParseUint(s, 0, 64)
		if err2 != nil {
			return 0, false
		}
		return int64(u), true
	}
	return v, true
}

// splitOps splits an operand list at commas that are not inside brackets or braces.
func splitOps(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

func (m *machine) get(n int, zero bool) (uint64, error) {
	if zero {
		return 0, nil
	}
	if !m.known[n] {
		return 0, fmt.Errorf("x%d has no computed value", n)
	}
	return m.x[n], nil
}

func (m *machine) set(n int, w, zero bool, v uint64) {
	if zero {
		return
	}
	if w {
		v &= 0xffff_ffff
	}
	m.x[n], m.known[n] = v, true
}

// operand2 reads a second source operand: an immediate, or a register with an optional
// shift ("x2, lsl #2" arrives as two operands).
func (m *machine) operand2(ops []string) (uint64, error) {
	if v, ok := imm(ops[0]); ok {
		if len(ops) > 1 { // "#imm, lsl #12"
			sh, ok := shift(ops[1])
			if !ok {
				return 0, fmt.Errorf("cannot read %q", ops[1])
			}
			return uint64(v) << sh, nil
		}
		return uint64(v), nil
	}
	n, _, zero, ok := reg(ops[0])
	if !ok {
		return 0, fmt.Errorf("cannot read operand %q", ops[0])
	}
	v, err := m.get(n, zero)
	if err != nil {
		return 0, err
	}
	if len(ops) > 1 {
		f := strings.Fields(ops[1])
		if len(f) != 2 {
			return 0, fmt.Errorf("cannot read shift %q", ops[1])
		}
		s, ok := imm(f[1])
		if !ok {
			return 0, fmt.Errorf("cannot read shift %q", ops[1])
		}
		switch f[0] {
		case "lsl":
			v <<= uint(s)
		case "lsr":
			v >>= uint(s)
		case "asr":
			v = uint64(int64(v) >> uint(s))
		default:
			return 0, fmt.Errorf("shift %q not known to the emulator", f[0])
		}
	}
	return v, nil
}

func shift(s string) (uint, bool) {
	f := strings.Fields(s)
	if len(f) != 2 || f[0] != "lsl" {
		return 0, false
	}
	v, ok := imm(f[1])
	return uint(v), ok
}

func (m *machine) setFlagsSub(a, b uint64, w bool) uint64 {
	r := a - b
	if w {
		a, b, r = a&0xffff_ffff, b&0xffff_ffff, (a-b)&0xffff_ffff
		m.n = r>>31&1 == 1
		m.c = a >= b
		m.v = ((a^b)&(a^r))>>31&1 == 1
	} else {
		m.n = int64(r) < 0
		m.c = a >= b
		m.v = int64((a^b)&(a^r)) < 0
	}
	m.z = r == 0
	m.flags = true
	return r
}

func (m *machine) setFlagsAdd(a, b uint64, w bool) uint64 {
	if w {
		a, b = a&0xffff_ffff, b&0xffff_ffff
		r := (a + b) & 0xffff_ffff
		m.n, m.z = r>>31&1 == 1, r == 0
		m.c = a+b > 0xffff_ffff
		m.v = ((a^r)&(b^r))>>31&1 == 1
		m.flags = true
		return r
	}
	r := a + b
	m.n, m.z = int64(r) < 0, r == 0
	m.c = r < a
	m.v = int64((a^r)&(b^r)) < 0
	m.flags = true
	return r
}

func (m *machine) setFlagsLogic(r uint64, w bool) {
	if w {
		r &= 0xffff_ffff
		m.n = r>>31&1 == 1
	} else {
		m.n = int64(r) < 0
	}
	m.z, m.c, m.v, m.flags = r == 0, false, false, true
}

func (m *machine) cond(cc string) (bool, error) {
	if !m.flags {
		return false, fmt.Errorf("branch on flags no instruction set")
	}
	switch cc {
	case "eq":
		return m.z, nil
	case "ne":
		return !m.z, nil
	case "lt":
		return m.n != m.v, nil
	case "ge":
		return m.n == m.v, nil
	case "le":
		return m.z || m.n != m.v, nil
	case "gt":
		return !m.z && m.n == m.v, nil
	case "lo", "cc":
		return !m.c, nil
	case "hs", "cs":
		return m.c, nil
	case "hi":
		return m.c && !m.z, nil
	case "ls":
		return !m.c || m.z, nil
	case "mi":
		return m.n, nil
	case "pl":
		return !m.n, nil
	}
	return false, fmt.Errorf("condition %q not known to the emulator", cc)
}

// target is the instruction index a PC-relative branch goes to.
func (f *asmFunc) target(in insn, ops string) (int, error) {
	mm := branchRel.FindStringSubmatch(strings.TrimSpace(ops))
	if mm == nil {
		return 0, fmt.Errorf("cannot read branch target %q", ops)
	}
	off, err := strconv.ParseUint(mm[1], 0, 64)
	if err != nil {
		return 0, err
	}
	k, ok := f.index[in.Addr+off] // wraps for backward branches
	if !ok {
		return 0, fmt.Errorf("branch target %#x is not an instruction of %s", in.Addr+off, f.Name)
	}
	return k, nil
}

// step executes one instruction; next is the index to go to (-1: the next one).
func (m *machine) step(f *asmFunc, in insn, fr []byte) (next int, done bool, err error) {
	op := mnemonic(in.GNU)
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(in.GNU), strings.Fields(in.GNU)[0]))
	ops := splitOps(rest)
	next = -1
	switch {
	case op == "ret":
		return 0, true, nil
	case op == "nop":
		return next, false, nil
	case op == "b":
		k, err := f.target(in, rest)
		return k, false, err
	case strings.HasPrefix(op, "b."):
		ok, err := m.cond(op[2:])
		if err != nil || !ok {
			return next, false, err
		}
		k, err := f.target(in, rest)
		return k, false, err
	case op == "cbz" || op == "cbnz":
		n, _, zero, ok := reg(ops[0])
		if !ok {
			return 0, false, fmt.Errorf("cannot read %q", ops[0])
		}
		v, err := m.get(n, zero)
		if err != nil {
			return 0, false, err
		}
		if (v == 0) == (op == "cbz") {
			k, err := f.target(in, ops[1])
			return k, false, err
		}
		return next, false, nil
	case op == "tbz" || op == "tbnz":
		n, _, zero, ok := reg(ops[0])
		bit, ok2 := imm(ops[1])
		if !ok || !ok2 {
			return 0, false, fmt.Errorf("cannot read %q", rest)
		}
		v, err := m.get(n, zero)
		if err != nil {
			return 0, false, err
		}
		if (v>>uint(bit)&1 == 0) == (op == "tbz") {
			k, err := f.target(in, ops[2])
			return k, false, err
		}
		return next, false, nil
	}

	// Only instructions that write an integer register matter from here on, besides the
	// write-back of a load's or store's base register.
	dst, dw, dzero, isInt := reg(ops[0])
	if op == "cmp" || op == "cmn" || op == "tst" {
		isInt = true
	}
	if strings.HasPrefix(op, "ld") || strings.HasPrefix(op, "st") {
		return next, false, m.memory(op, ops, isInt && !strings.HasPrefix(op, "st"), dst, dw, dzero, fr)
	}
	if !isInt || op == "adrp" {
		if op == "adrp" {
			m.set(dst, dw, dzero, 0x2000_0000)
		}
		return next, false, nil // vector and floating-point work: not computed
	}
	src := func(i int) (uint64, error) {
		n, _, zero, ok := reg(ops[i])
		if !ok {
			return 0, fmt.Errorf("cannot read %q", ops[i])
		}
		return m.get(n, zero)
	}
	switch op {
	case "mov", "movz":
		if v, ok := imm(ops[1]); ok {
			m.set(dst, dw, dzero, uint64(v))
			return next, false, nil
		}
		v, err := src(1)
		if err != nil {
			return 0, false, err
		}
		m.set(dst, dw, dzero, v)
	case "add", "adds", "sub", "subs":
		a, err := src(1)
		if err != nil {
			return 0, false, err
		}
		b, err := m.operand2(ops[2:])
		if err != nil {
			return 0, false, err
		}
		var r uint64
		switch op {
		case "add":
			r = a + b
		case "adds":
			r = m.setFlagsAdd(a, b, dw)
		case "sub":
			r = a - b
		case "subs":
			r = m.setFlagsSub(a, b, dw)
		}
		m.set(dst, dw, dzero, r)
	case "cmp", "cmn":
		n, w, zero, ok := reg(ops[0])
		if !ok {
			return 0, false, fmt.Errorf("cannot read %q", ops[0])
		}
		a, err := m.get(n, zero)
		if err != nil {
			return 0, false, err
		}
		b, err := m.operand2(ops[1:])
		if err != nil {
			return 0, false, err
		}
		if op == "cmn" {
			m.setFlagsAdd(a, b, w)
		} else {
			m.setFlagsSub(a, b, w)
		}
	case "and", "ands", "orr", "eor", "tst":
		i := 1
		if op == "tst" {
			i = 0
		}
		a, err := src(i)
		if err != nil {
			return 0, false, err
		}
		b, err := m.operand2(ops[i+1:])
		if err != nil {
			return 0, false, err
		}
		var r uint64
		switch op {
		case "and", "ands", "tst":
			r = a & b
		case "orr":
			r = a | b
		case "eor":
			r = a ^ b
		}
		if op == "ands" || op == "tst" {
			m.setFlagsLogic(r, dw)
		}
		if op != "tst" {
			m.set(dst, dw, dzero, r)
		}
	case "lsl", "lsr", "asr":
		a, err := src(1)
		if err != nil {
			return 0, false, err
		}
		s, err := m.operand2(ops[2:])
		if err != nil {
			return 0, false, err
		}
		var r uint64
		switch op {
		case "lsl":
			r = a << (s & 63)
		case "lsr":
			r = a >> (s & 63)
		case "asr":
			r = uint64(int64(a) >> (s & 63))
		}
		m.set(dst, dw, dzero, r)
	default:
		return 0, false, fmt.Errorf("integer instruction %q not known to the emulator", op)
	}
	return next, false, nil
}

// memory handles a load or store: an integer load from the argument frame sets its
// register; a base register with write-back is updated; other loads into integer
// registers leave them without a value.
func (m *machine) memory(op string, ops []string, intLoad bool, dst int, dw, dzero bool, fr []byte) error {
	var mem string
	var post string
	for i, o := range ops {
		if strings.HasPrefix(o, "[") {
			mem = strings.Join(ops[i:], ",")
			break
		}
	}
	mm := memOperand.FindStringSubmatch(mem)
	if mm == nil {
		return fmt.Errorf("cannot read the address of %q", strings.Join(ops, ", "))
	}
	base, _, _, ok := reg(mm[1])
	if !ok {
		return fmt.Errorf("cannot read base register %q", mm[1])
	}
	var off int64
	if mm[2] != "" {
		off, _ = imm(mm[2])
	}
	post = mm[4]
	if intLoad {
		if base == 31 && mm[3] == "" && post == "" { // the argument frame
			a := int(off) - 8
			var size int
			switch op {
			case "ldr":
				size = 8
				if dw {
					size = 4
				}
			case "ldrb":
				size = 1
			case "ldrh":
				size = 2
			default:
				return fmt.Errorf("load %q from the frame not known to the emulator", op)
			}
			if a < 0 || a+size > len(fr) {
				return fmt.Errorf("load at %d outside the %d-byte argument frame", a, len(fr))
			}
			var v uint64
			for k := size - 1; k >= 0; k-- {
				v = v<<8 | uint64(fr[a+k])
			}
			m.set(dst, dw, dzero, v)
		} else {
			m.known[dst] = false
		}
	}
	// Write-back of the base: pre-index "[x0,#16]!" or post-index "[x0], #16" / "[x0], x3".
	switch {
	case mm[3] == "!":
		v, err := m.get(base, false)
		if err == nil {
			m.set(base, false, false, v+uint64(off))
		}
	case post != "":
		v, err := m.get(base, false)
		if err != nil {
			return nil // a pointer the emulator does not follow
		}
		if d, ok := imm(post); ok {
			m.set(base, false, false, v+uint64(d))
		} else if n, _, zero, ok := reg(post); ok {
			inc, err := m.get(n, zero)
			if err != nil {
				m.known[base] = false
				return nil
			}
			m.set(base, false, false, v+inc)
		}
	}
	return nil
}
