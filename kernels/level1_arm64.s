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
//
// The main loop takes 32 floats: 16 loads of 16 B at offsets from the x and y pointers
// (one pointer update each per iteration) and two 64 B stores through a third pointer to
// y. Both models favour those forms: on Cortex-A72 a Q load at an offset is one
// micro-op where LD1 of four registers is five (the A72 model dispatches three a cycle),
// and on Neoverse-N1 ST1 moves 16 B per use of the shared load/store pipes where STP
// and STR of Q registers move 8 B.
TEXT ·axpyNEON(SB), NOSPLIT, $0-56
	FMOVS alpha+0(FP), F20
	VDUP  V20.S[0], V20.S4
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	MOVD  y_base+32(FP), R1
	MOVD  R1, R5
	LSR   $5, R2, R3
	AND   $31, R2, R2
	CBZ   R3, axpy16

	// armsim: Axpy
axpy32:
	// Per iteration: 16 loads of 16 B (x, y: 256 B), 8 FMAs, 8 accumulators (V4-V7,
	// V12-V15, the y vectors), two 64 B stores.
	FMOVQ  (R0), F0
	FMOVQ  16(R0), F1
	FMOVQ  32(R0), F2
	FMOVQ  48(R0), F3
	FMOVQ  64(R0), F8
	FMOVQ  80(R0), F9
	FMOVQ  96(R0), F10
	FMOVQ  112(R0), F11
	FMOVQ  (R1), F4
	FMOVQ  16(R1), F5
	FMOVQ  32(R1), F6
	FMOVQ  48(R1), F7
	FMOVQ  64(R1), F12
	FMOVQ  80(R1), F13
	FMOVQ  96(R1), F14
	FMOVQ  112(R1), F15
	ADD    $128, R0
	ADD    $128, R1
	VFMLA  V0.S4, V20.S4, V4.S4
	VFMLA  V1.S4, V20.S4, V5.S4
	VFMLA  V2.S4, V20.S4, V6.S4
	VFMLA  V3.S4, V20.S4, V7.S4
	VFMLA  V8.S4, V20.S4, V12.S4
	VFMLA  V9.S4, V20.S4, V13.S4
	VFMLA  V10.S4, V20.S4, V14.S4
	VFMLA  V11.S4, V20.S4, V15.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R5)
	VST1.P [V12.S4, V13.S4, V14.S4, V15.S4], 64(R5)
	SUBS   $1, R3
	BNE    axpy32

axpy16:
	// At most one block of 16: 2 loads of 64 B, 4 FMAs, one 64 B store.
	TBZ    $4, R2, axpy4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V20.S4, V4.S4
	VFMLA  V1.S4, V20.S4, V5.S4
	VFMLA  V2.S4, V20.S4, V6.S4
	VFMLA  V3.S4, V20.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R5)
	AND    $15, R2

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
//
// 32 floats per iteration, in the forms axpyNEON's comment explains.
TEXT ·scaleNEON(SB), NOSPLIT, $0-32
	FMOVS alpha+0(FP), F20
	VDUP  V20.S[0], V20.S4
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	MOVD  R0, R5
	LSR   $5, R2, R3
	AND   $31, R2, R2
	CBZ   R3, scale16

	// armsim: Scale
scale32:
	// Per iteration: 8 loads of 16 B (128 B), 8 independent multiplies (no FMA), two
	// 64 B stores.
	FMOVQ  (R0), F0
	FMOVQ  16(R0), F1
	WORD   $0x6e34dc00 // fmul v0.4s, v0.4s, v20.4s
	FMOVQ  32(R0), F2
	WORD   $0x6e34dc21 // fmul v1.4s, v1.4s, v20.4s
	FMOVQ  48(R0), F3
	WORD   $0x6e34dc42 // fmul v2.4s, v2.4s, v20.4s
	FMOVQ  64(R0), F4
	WORD   $0x6e34dc63 // fmul v3.4s, v3.4s, v20.4s
	FMOVQ  80(R0), F5
	WORD   $0x6e34dc84 // fmul v4.4s, v4.4s, v20.4s
	FMOVQ  96(R0), F6
	WORD   $0x6e34dca5 // fmul v5.4s, v5.4s, v20.4s
	FMOVQ  112(R0), F7
	ADD    $128, R0
	WORD   $0x6e34dcc6 // fmul v6.4s, v6.4s, v20.4s
	WORD   $0x6e34dce7 // fmul v7.4s, v7.4s, v20.4s
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R5)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R5)
	SUBS   $1, R3
	BNE    scale32

scale16:
	// At most one block of 16: 1 load of 64 B, 4 multiplies, one 64 B store.
	TBZ    $4, R2, scale4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x6e34dc00 // fmul v0.4s, v0.4s, v20.4s
	WORD   $0x6e34dc21 // fmul v1.4s, v1.4s, v20.4s
	WORD   $0x6e34dc42 // fmul v2.4s, v2.4s, v20.4s
	WORD   $0x6e34dc63 // fmul v3.4s, v3.4s, v20.4s
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R5)
	AND    $15, R2

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
//
// 32 floats per iteration, in the forms axpyNEON's comment explains.
TEXT ·mulNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R3
	MOVD dst_len+8(FP), R2
	MOVD x_base+24(FP), R0
	MOVD y_base+48(FP), R1
	LSR  $5, R2, R4
	AND  $31, R2, R2
	CBZ  R4, mul16

	// armsim: Mul
mul32:
	// Per iteration: 16 loads of 16 B (x, y: 256 B), 8 independent multiplies, two 64 B
	// stores.
	FMOVQ  (R0), F0
	FMOVQ  (R1), F8
	FMOVQ  16(R0), F1
	FMOVQ  16(R1), F9
	WORD   $0x6e28dc00 // fmul v0.4s, v0.4s, v8.4s
	FMOVQ  32(R0), F2
	FMOVQ  32(R1), F10
	WORD   $0x6e29dc21 // fmul v1.4s, v1.4s, v9.4s
	FMOVQ  48(R0), F3
	FMOVQ  48(R1), F11
	WORD   $0x6e2adc42 // fmul v2.4s, v2.4s, v10.4s
	FMOVQ  64(R0), F4
	FMOVQ  64(R1), F12
	WORD   $0x6e2bdc63 // fmul v3.4s, v3.4s, v11.4s
	FMOVQ  80(R0), F5
	FMOVQ  80(R1), F13
	WORD   $0x6e2cdc84 // fmul v4.4s, v4.4s, v12.4s
	FMOVQ  96(R0), F6
	FMOVQ  96(R1), F14
	WORD   $0x6e2ddca5 // fmul v5.4s, v5.4s, v13.4s
	FMOVQ  112(R0), F7
	FMOVQ  112(R1), F15
	ADD     $128, R0
	ADD     $128, R1
	WORD   $0x6e2edcc6 // fmul v6.4s, v6.4s, v14.4s
	WORD   $0x6e2fdce7 // fmul v7.4s, v7.4s, v15.4s
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	VST1.P  [V4.S4, V5.S4, V6.S4, V7.S4], 64(R3)
	SUBS    $1, R4
	BNE     mul32

mul16:
	// At most one block of 16: 2 loads of 64 B, 4 multiplies, one 64 B store.
	TBZ     $4, R2, mul4
	VLD1.P  64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P  64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD    $0x6e24dc00 // fmul v0.4s, v0.4s, v4.4s
	WORD    $0x6e25dc21 // fmul v1.4s, v1.4s, v5.4s
	WORD    $0x6e26dc42 // fmul v2.4s, v2.4s, v6.4s
	WORD    $0x6e27dc63 // fmul v3.4s, v3.4s, v7.4s
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	AND     $15, R2

mul4:
	// Tail, per iteration: 2 loads of 16 B, 1 multiplie, one 16 B store.
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
//
// 32 floats per iteration, in the forms axpyNEON's comment explains.
TEXT ·addNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R3
	MOVD dst_len+8(FP), R2
	MOVD x_base+24(FP), R0
	MOVD y_base+48(FP), R1
	LSR  $5, R2, R4
	AND  $31, R2, R2
	CBZ  R4, add16

	// armsim: Add
add32:
	// Per iteration: 16 loads of 16 B (x, y: 256 B), 8 independent adds, two 64 B
	// stores.
	FMOVQ  (R0), F0
	FMOVQ  (R1), F8
	FMOVQ  16(R0), F1
	FMOVQ  16(R1), F9
	WORD   $0x4e28d400 // fadd v0.4s, v0.4s, v8.4s
	FMOVQ  32(R0), F2
	FMOVQ  32(R1), F10
	WORD   $0x4e29d421 // fadd v1.4s, v1.4s, v9.4s
	FMOVQ  48(R0), F3
	FMOVQ  48(R1), F11
	WORD   $0x4e2ad442 // fadd v2.4s, v2.4s, v10.4s
	FMOVQ  64(R0), F4
	FMOVQ  64(R1), F12
	WORD   $0x4e2bd463 // fadd v3.4s, v3.4s, v11.4s
	FMOVQ  80(R0), F5
	FMOVQ  80(R1), F13
	WORD   $0x4e2cd484 // fadd v4.4s, v4.4s, v12.4s
	FMOVQ  96(R0), F6
	FMOVQ  96(R1), F14
	WORD   $0x4e2dd4a5 // fadd v5.4s, v5.4s, v13.4s
	FMOVQ  112(R0), F7
	FMOVQ  112(R1), F15
	ADD     $128, R0
	ADD     $128, R1
	WORD   $0x4e2ed4c6 // fadd v6.4s, v6.4s, v14.4s
	WORD   $0x4e2fd4e7 // fadd v7.4s, v7.4s, v15.4s
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	VST1.P  [V4.S4, V5.S4, V6.S4, V7.S4], 64(R3)
	SUBS    $1, R4
	BNE     add32

add16:
	// At most one block of 16: 2 loads of 64 B, 4 adds, one 64 B store.
	TBZ     $4, R2, add4
	VLD1.P  64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P  64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD    $0x4e24d400 // fadd v0.4s, v0.4s, v4.4s
	WORD    $0x4e25d421 // fadd v1.4s, v1.4s, v5.4s
	WORD    $0x4e26d442 // fadd v2.4s, v2.4s, v6.4s
	WORD    $0x4e27d463 // fadd v3.4s, v3.4s, v7.4s
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	AND     $15, R2

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
//
// 32 floats per iteration, in the forms axpyNEON's comment explains.
TEXT ·mulAddNEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R3
	MOVD dst_len+8(FP), R2
	MOVD x_base+24(FP), R0
	MOVD y_base+48(FP), R1
	MOVD R3, R5
	LSR  $5, R2, R4
	AND  $31, R2, R2
	CBZ  R4, mulAdd16

	// armsim: MulAdd
mulAdd32:
	// Per iteration: 24 loads of 16 B (x, y, dst: 384 B), 8 FMAs, 8 accumulators
	// (V16-V23, the dst vectors), two 64 B stores.
	FMOVQ  (R0), F0
	FMOVQ  16(R0), F1
	FMOVQ  32(R0), F2
	FMOVQ  48(R0), F3
	FMOVQ  64(R0), F4
	FMOVQ  80(R0), F5
	FMOVQ  96(R0), F6
	FMOVQ  112(R0), F7
	FMOVQ  (R1), F8
	FMOVQ  16(R1), F9
	FMOVQ  32(R1), F10
	FMOVQ  48(R1), F11
	FMOVQ  64(R1), F12
	FMOVQ  80(R1), F13
	FMOVQ  96(R1), F14
	FMOVQ  112(R1), F15
	FMOVQ  (R3), F16
	FMOVQ  16(R3), F17
	FMOVQ  32(R3), F18
	FMOVQ  48(R3), F19
	FMOVQ  64(R3), F20
	FMOVQ  80(R3), F21
	FMOVQ  96(R3), F22
	FMOVQ  112(R3), F23
	ADD    $128, R0
	ADD    $128, R1
	ADD    $128, R3
	VFMLA  V0.S4, V8.S4, V16.S4
	VFMLA  V1.S4, V9.S4, V17.S4
	VFMLA  V2.S4, V10.S4, V18.S4
	VFMLA  V3.S4, V11.S4, V19.S4
	VFMLA  V4.S4, V12.S4, V20.S4
	VFMLA  V5.S4, V13.S4, V21.S4
	VFMLA  V6.S4, V14.S4, V22.S4
	VFMLA  V7.S4, V15.S4, V23.S4
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R5)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R5)
	SUBS   $1, R4
	BNE    mulAdd32

mulAdd16:
	// At most one block of 16: 3 loads of 64 B, 4 FMAs, one 64 B store.
	TBZ    $4, R2, mulAdd4
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R3), [V8.S4, V9.S4, V10.S4, V11.S4]
	VFMLA  V0.S4, V4.S4, V8.S4
	VFMLA  V1.S4, V5.S4, V9.S4
	VFMLA  V2.S4, V6.S4, V10.S4
	VFMLA  V3.S4, V7.S4, V11.S4
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R5)
	AND    $15, R2

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
