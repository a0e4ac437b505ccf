//go:build !purego

#include "textflag.h"

// NEON (Advanced SIMD) float32 level-1 kernels: Dot, Axpy, Scale, Mul, Add, MulAdd.
//
// Every main loop loads at least 64 bytes per iteration and keeps at least four
// independent accumulator chains, so FMA latency never idles the two 128-bit FMA pipes
// of Cortex-A72 and Neoverse-N1; the streaming kernels are then limited by loads (one
// 128-bit load pipe on A72, two on N1). After the main loop a kernel takes one 4-float
// step at a time, then single floats, so no tail reads or writes past a slice's end.
//
// The fused multiply-adds follow the generic kernels' order where the generic kernel is
// a sequence of y += a*b updates (Axpy, MulAdd): the Go compiler fuses those into FMADD
// on arm64, so these results match generic bit for bit there. Dot sums in a different
// order (more partial sums), which changes rounding only.
//
// Go's assembler has no vector FADD, FMUL or FADDP; those are WORD-encoded with their
// GNU mnemonic in the comment (wordenc_test.go checks each one against the
// disassembler). Register use: R18 (platform), R26-R30 are left alone.
//
// A "// armsim: Name" line above a loop's label marks the loop for bench/armsim, which
// models it on the Cortex-A72 and Neoverse-N1 pipelines with llvm-mca (and fails if a
// marked loop goes missing).

// func dotNEON(x, y []float32) float32
TEXT ·dotNEON(SB), NOSPLIT, $0-52
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2
	MOVD y_base+24(FP), R1
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	LSR  $4, R2, R3
	AND  $15, R2, R2
	CBZ  R3, dot4

	// armsim: Dot
dot16:
	// Per iteration: 2 loads of 64 B (x, y), 4 FMAs, 4 accumulators (V16-V19).
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	VFMLA  V1.S4, V5.S4, V17.S4
	VFMLA  V2.S4, V6.S4, V18.S4
	VFMLA  V3.S4, V7.S4, V19.S4
	SUBS   $1, R3
	BNE    dot16

dot4:
	// Tail, per iteration: 2 loads of 16 B, 1 FMA, 1 accumulator (V16).
	CMP    $4, R2
	BLT    dotReduce
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	SUB    $4, R2
	B      dot4

dotReduce:
	WORD $0x4e31d610 // fadd v16.4s, v16.4s, v17.4s
	WORD $0x4e33d652 // fadd v18.4s, v18.4s, v19.4s
	WORD $0x4e32d610 // fadd v16.4s, v16.4s, v18.4s
	WORD $0x6e30d610 // faddp v16.4s, v16.4s, v16.4s
	WORD $0x7e30da10 // faddp s16, v16.2s
	CBZ  R2, dotDone

dot1:
	// Tail, per iteration: 2 loads of 4 B, 1 scalar FMA, 1 accumulator (F16).
	FMOVS.P 4(R0), F0
	FMOVS.P 4(R1), F1
	FMADDS  F0, F16, F1, F16
	SUBS    $1, R2
	BNE     dot1

dotDone:
	FMOVS F16, ret+48(FP)
	RET

// func axpyNEON(alpha float32, x, y []float32)
TEXT ·axpyNEON(SB), NOSPLIT, $0-56
	FMOVS alpha+0(FP), F20
	VDUP  V20.S[0], V20.S4
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	MOVD  y_base+32(FP), R1
	LSR   $4, R2, R3
	AND   $15, R2, R2
	CBZ   R3, axpy4

	// armsim: Axpy
axpy16:
	// Per iteration: 2 loads of 64 B (x, y), 4 FMAs, 4 accumulators (V4-V7, the y
	// vectors), one 64 B store.
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V20.S4, V4.S4
	VFMLA  V1.S4, V20.S4, V5.S4
	VFMLA  V2.S4, V20.S4, V6.S4
	VFMLA  V3.S4, V20.S4, V7.S4
	FSTPQ  (F4, F5), -64(R1)
	FSTPQ  (F6, F7), -32(R1)
	SUBS   $1, R3
	BNE    axpy16

axpy4:
	// Tail, per iteration: 2 loads of 16 B, 1 FMA, 1 accumulator (V4), one 16 B store.
	CMP    $4, R2
	BLT    axpy1
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	VFMLA  V0.S4, V20.S4, V4.S4
	FMOVQ  F4, -16(R1)
	SUB    $4, R2
	B      axpy4

axpy1:
	// Tail, per iteration: 2 loads of 4 B, 1 scalar FMA, 1 accumulator (F4), one 4 B store.
	CBZ     R2, axpyDone
	FMOVS.P 4(R0), F0
	FMOVS   (R1), F4
	FMADDS  F0, F4, F20, F4
	FMOVS.P F4, 4(R1)
	SUB     $1, R2
	B       axpy1

axpyDone:
	RET

// func scaleNEON(alpha float32, x []float32)
TEXT ·scaleNEON(SB), NOSPLIT, $0-32
	FMOVS alpha+0(FP), F20
	VDUP  V20.S[0], V20.S4
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	LSR   $4, R2, R3
	AND   $15, R2, R2
	CBZ   R3, scale4

	// armsim: Scale
scale16:
	// Per iteration: 1 load of 64 B, 4 independent multiplies (no FMA), one 64 B store.
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x6e34dc00 // fmul v0.4s, v0.4s, v20.4s
	WORD   $0x6e34dc21 // fmul v1.4s, v1.4s, v20.4s
	WORD   $0x6e34dc42 // fmul v2.4s, v2.4s, v20.4s
	WORD   $0x6e34dc63 // fmul v3.4s, v3.4s, v20.4s
	FSTPQ  (F0, F1), -64(R0)
	FSTPQ  (F2, F3), -32(R0)
	SUBS   $1, R3
	BNE    scale16

scale4:
	// Tail, per iteration: 1 load of 16 B, 1 multiply, one 16 B store.
	CMP    $4, R2
	BLT    scale1
	VLD1.P 16(R0), [V0.S4]
	WORD   $0x6e34dc00 // fmul v0.4s, v0.4s, v20.4s
	FMOVQ  F0, -16(R0)
	SUB    $4, R2
	B      scale4

scale1:
	// Tail, per iteration: 1 load of 4 B, 1 scalar multiply, one 4 B store.
	CBZ   R2, scaleDone
	FMOVS (R0), F0
	FMULS F20, F0, F0
	FMOVS.P F0, 4(R0)
	SUB   $1, R2
	B     scale1

scaleDone:
	RET

// func mulNEON(dst, x, y []float32)
TEXT ·mulNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R3
	MOVD dst_len+8(FP), R2
	MOVD x_base+24(FP), R0
	MOVD y_base+48(FP), R1
	LSR  $4, R2, R4
	AND  $15, R2, R2
	CBZ  R4, mul4

	// armsim: Mul
mul16:
	// Per iteration: 2 loads of 64 B (x, y), 4 independent multiplies, one 64 B store.
	VLD1.P  64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P  64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD    $0x6e24dc00 // fmul v0.4s, v0.4s, v4.4s
	WORD    $0x6e25dc21 // fmul v1.4s, v1.4s, v5.4s
	WORD    $0x6e26dc42 // fmul v2.4s, v2.4s, v6.4s
	WORD    $0x6e27dc63 // fmul v3.4s, v3.4s, v7.4s
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	SUBS    $1, R4
	BNE     mul16

mul4:
	// Tail, per iteration: 2 loads of 16 B, 1 multiply, one 16 B store.
	CMP    $4, R2
	BLT    mul1
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	WORD   $0x6e24dc00 // fmul v0.4s, v0.4s, v4.4s
	VST1.P [V0.S4], 16(R3)
	SUB    $4, R2
	B      mul4

mul1:
	// Tail, per iteration: 2 loads of 4 B, 1 scalar multiply, one 4 B store.
	CBZ     R2, mulDone
	FMOVS.P 4(R0), F0
	FMOVS.P 4(R1), F1
	FMULS   F1, F0, F0
	FMOVS.P F0, 4(R3)
	SUB     $1, R2
	B       mul1

mulDone:
	RET

// func addNEON(dst, x, y []float32)
TEXT ·addNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R3
	MOVD dst_len+8(FP), R2
	MOVD x_base+24(FP), R0
	MOVD y_base+48(FP), R1
	LSR  $4, R2, R4
	AND  $15, R2, R2
	CBZ  R4, add4

	// armsim: Add
add16:
	// Per iteration: 2 loads of 64 B (x, y), 4 independent adds, one 64 B store.
	VLD1.P  64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P  64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD    $0x4e24d400 // fadd v0.4s, v0.4s, v4.4s
	WORD    $0x4e25d421 // fadd v1.4s, v1.4s, v5.4s
	WORD    $0x4e26d442 // fadd v2.4s, v2.4s, v6.4s
	WORD    $0x4e27d463 // fadd v3.4s, v3.4s, v7.4s
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	SUBS    $1, R4
	BNE     add16

add4:
	// Tail, per iteration: 2 loads of 16 B, 1 add, one 16 B store.
	CMP    $4, R2
	BLT    add1
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	WORD   $0x4e24d400 // fadd v0.4s, v0.4s, v4.4s
	VST1.P [V0.S4], 16(R3)
	SUB    $4, R2
	B      add4

add1:
	// Tail, per iteration: 2 loads of 4 B, 1 scalar add, one 4 B store.
	CBZ     R2, addDone
	FMOVS.P 4(R0), F0
	FMOVS.P 4(R1), F1
	FADDS   F1, F0, F0
	FMOVS.P F0, 4(R3)
	SUB     $1, R2
	B       add1

addDone:
	RET

// func mulAddNEON(dst, x, y []float32)
TEXT ·mulAddNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R3
	MOVD dst_len+8(FP), R2
	MOVD x_base+24(FP), R0
	MOVD y_base+48(FP), R1
	LSR  $4, R2, R4
	AND  $15, R2, R2
	CBZ  R4, mulAdd4

	// armsim: MulAdd
mulAdd16:
	// Per iteration: 3 loads of 64 B (x, y, dst), 4 FMAs, 4 accumulators (V8-V11, the
	// dst vectors), one 64 B store.
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R3), [V8.S4, V9.S4, V10.S4, V11.S4]
	VFMLA  V0.S4, V4.S4, V8.S4
	VFMLA  V1.S4, V5.S4, V9.S4
	VFMLA  V2.S4, V6.S4, V10.S4
	VFMLA  V3.S4, V7.S4, V11.S4
	FSTPQ  (F8, F9), -64(R3)
	FSTPQ  (F10, F11), -32(R3)
	SUBS   $1, R4
	BNE    mulAdd16

mulAdd4:
	// Tail, per iteration: 3 loads of 16 B, 1 FMA, 1 accumulator (V8), one 16 B store.
	CMP    $4, R2
	BLT    mulAdd1
	VLD1.P 16(R0), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	VLD1.P 16(R3), [V8.S4]
	VFMLA  V0.S4, V4.S4, V8.S4
	FMOVQ  F8, -16(R3)
	SUB    $4, R2
	B      mulAdd4

mulAdd1:
	// Tail, per iteration: 3 loads of 4 B, 1 scalar FMA, 1 accumulator (F8), one 4 B store.
	CBZ     R2, mulAddDone
	FMOVS.P 4(R0), F0
	FMOVS.P 4(R1), F1
	FMOVS   (R3), F8
	FMADDS  F1, F8, F0, F8
	FMOVS.P F8, 4(R3)
	SUB     $1, R2
	B       mulAdd1

mulAddDone:
	RET

