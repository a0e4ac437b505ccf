//go:build !purego

#include "textflag.h"

// NEON (Advanced SIMD) float32 level-2 kernels: MatVec, MatTVecAdd, Ger.
//
// Each kernel takes four rows of A at a time, so one load of the vector it shares
// (x for MatVec, y for MatTVecAdd and Ger) serves four rows; leftover rows (rows mod 4)
// take a one-row loop. Every main loop loads at least 64 bytes per iteration and keeps
// at least four independent accumulator chains. After a main loop a kernel takes one
// 4-float step at a time, then single floats, so no tail reads or writes past a slice's
// end.
//
// The fused multiply-adds follow the generic kernels' order where the generic kernel is
// a sequence of y += a*b updates (MatTVecAdd, Ger): the Go compiler fuses those into
// FMADD on arm64, so these results match generic bit for bit there. MatVec sums in a
// different order (more partial sums), which changes rounding only.
//
// Go's assembler has no vector FADD or FADDP and no FMLA by element; those are
// WORD-encoded with their GNU mnemonic in the comment (wordenc_test.go checks each one
// against the disassembler). Register use: R18 (platform), R26-R30 are left alone.
//
// A "// armsim: Name" line above a loop's label marks the loop for bench/armsim, which
// models it on the Cortex-A72 and Neoverse-N1 pipelines with llvm-mca (and fails if a
// marked loop goes missing).

// func matVecNEON(y, a []float32, stride int, x []float32, accumulate bool)
//
// Four rows at a time: x is loaded once for four dot products, and the four sums are
// reduced into one vector that is stored (or added to y) with a single 16 B access.
// Leftover rows (len(y) mod 4) are one dot product each.
TEXT ·matVecNEON(SB), NOSPLIT, $0-81
	MOVD  y_base+0(FP), R0
	MOVD  y_len+8(FP), R1
	MOVD  a_base+24(FP), R2
	MOVD  stride+48(FP), R3
	LSL   $2, R3
	MOVD  x_base+56(FP), R4
	MOVD  x_len+64(FP), R5
	MOVBU accumulate+80(FP), R6
	LSR   $2, R1, R7
	AND   $3, R1, R1
	CBZ   R7, mvRows1

mvBlock4:
	MOVD R2, R8
	ADD  R3, R8, R9
	ADD  R3, R9, R10
	ADD  R3, R10, R11
	ADD  R3, R11, R2
	MOVD R4, R12
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	LSR  $3, R5, R13
	AND  $7, R5, R14
	CBZ  R13, mvB4Cols4

	// armsim: MatVec
mvB4Cols8:
	// Per iteration: 5 loads of 32 B (x and four rows: 160 B), 8 FMAs, 8 accumulators
	// (V16-V23, two per row).
	VLD1.P 32(R12), [V0.S4, V1.S4]
	VLD1.P 32(R8), [V2.S4, V3.S4]
	VLD1.P 32(R9), [V4.S4, V5.S4]
	VLD1.P 32(R10), [V6.S4, V7.S4]
	VLD1.P 32(R11), [V28.S4, V29.S4]
	VFMLA  V0.S4, V2.S4, V16.S4
	VFMLA  V1.S4, V3.S4, V17.S4
	VFMLA  V0.S4, V4.S4, V18.S4
	VFMLA  V1.S4, V5.S4, V19.S4
	VFMLA  V0.S4, V6.S4, V20.S4
	VFMLA  V1.S4, V7.S4, V21.S4
	VFMLA  V0.S4, V28.S4, V22.S4
	VFMLA  V1.S4, V29.S4, V23.S4
	SUBS   $1, R13
	BNE    mvB4Cols8

mvB4Cols4:
	TBZ    $2, R14, mvB4Cols1
	VLD1.P 16(R12), [V0.S4]
	VLD1.P 16(R8), [V2.S4]
	VLD1.P 16(R9), [V4.S4]
	VLD1.P 16(R10), [V6.S4]
	VLD1.P 16(R11), [V28.S4]
	VFMLA  V0.S4, V2.S4, V16.S4
	VFMLA  V0.S4, V4.S4, V18.S4
	VFMLA  V0.S4, V6.S4, V20.S4
	VFMLA  V0.S4, V28.S4, V22.S4

mvB4Cols1:
	// Scalar columns go to F24-F27; a scalar FMADD zeroes lanes 1-3, so V24-V27 can be
	// added to the row vectors as they are. Without scalar columns the reduction skips
	// them (and their zeroing): four fewer dependent adds per block of rows.
	ANDS    $3, R14
	BEQ     mvB4Reduce
	VEOR    V24.B16, V24.B16, V24.B16
	VEOR    V25.B16, V25.B16, V25.B16
	VEOR    V26.B16, V26.B16, V26.B16
	VEOR    V27.B16, V27.B16, V27.B16

mvB4Cols1Loop:
	// Tail, per iteration: 5 loads of 4 B, 4 scalar FMAs, 4 accumulators (F24-F27).
	FMOVS.P 4(R12), F0
	FMOVS.P 4(R8), F2
	FMOVS.P 4(R9), F4
	FMOVS.P 4(R10), F6
	FMOVS.P 4(R11), F28
	FMADDS  F0, F24, F2, F24
	FMADDS  F0, F25, F4, F25
	FMADDS  F0, F26, F6, F26
	FMADDS  F0, F27, F28, F27
	SUBS    $1, R14
	BNE     mvB4Cols1Loop

	WORD $0x4e31d610 // fadd v16.4s, v16.4s, v17.4s
	WORD $0x4e33d652 // fadd v18.4s, v18.4s, v19.4s
	WORD $0x4e35d694 // fadd v20.4s, v20.4s, v21.4s
	WORD $0x4e37d6d6 // fadd v22.4s, v22.4s, v23.4s
	WORD $0x4e38d610 // fadd v16.4s, v16.4s, v24.4s
	WORD $0x4e39d652 // fadd v18.4s, v18.4s, v25.4s
	WORD $0x4e3ad694 // fadd v20.4s, v20.4s, v26.4s
	WORD $0x4e3bd6d6 // fadd v22.4s, v22.4s, v27.4s
	B    mvB4Pairwise

mvB4Reduce:
	WORD $0x4e31d610 // fadd v16.4s, v16.4s, v17.4s
	WORD $0x4e33d652 // fadd v18.4s, v18.4s, v19.4s
	WORD $0x4e35d694 // fadd v20.4s, v20.4s, v21.4s
	WORD $0x4e37d6d6 // fadd v22.4s, v22.4s, v23.4s

mvB4Pairwise:
	WORD $0x6e32d610 // faddp v16.4s, v16.4s, v18.4s
	WORD $0x6e36d694 // faddp v20.4s, v20.4s, v22.4s
	WORD $0x6e34d610 // faddp v16.4s, v16.4s, v20.4s
	CBZ  R6, mvB4Store
	VLD1 (R0), [V0.S4]
	WORD $0x4e30d410 // fadd v16.4s, v0.4s, v16.4s

mvB4Store:
	VST1.P [V16.S4], 16(R0)
	SUBS   $1, R7
	BNE    mvBlock4

mvRows1:
	CBZ R1, mvDone

mvRow:
	MOVD R2, R8
	ADD  R3, R2
	MOVD R4, R12
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	LSR  $4, R5, R13
	AND  $15, R5, R14
	CBZ  R13, mvRowCols4

mvRowCols16:
	// Per iteration: 2 loads of 64 B (x, row), 4 FMAs, 4 accumulators (V16-V19).
	VLD1.P 64(R12), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R8), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	VFMLA  V1.S4, V5.S4, V17.S4
	VFMLA  V2.S4, V6.S4, V18.S4
	VFMLA  V3.S4, V7.S4, V19.S4
	SUBS   $1, R13
	BNE    mvRowCols16

mvRowCols4:
	// Tail, per iteration: 2 loads of 16 B, 1 FMA, 1 accumulator (V16).
	CMP    $4, R14
	BLT    mvRowReduce
	VLD1.P 16(R12), [V0.S4]
	VLD1.P 16(R8), [V4.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	SUB    $4, R14
	B      mvRowCols4

mvRowReduce:
	WORD $0x4e31d610 // fadd v16.4s, v16.4s, v17.4s
	WORD $0x4e33d652 // fadd v18.4s, v18.4s, v19.4s
	WORD $0x4e32d610 // fadd v16.4s, v16.4s, v18.4s
	WORD $0x6e30d610 // faddp v16.4s, v16.4s, v16.4s
	WORD $0x7e30da10 // faddp s16, v16.2s
	CBZ  R14, mvRowStore

mvRowCols1:
	// Tail, per iteration: 2 loads of 4 B, 1 scalar FMA, 1 accumulator (F16).
	FMOVS.P 4(R12), F0
	FMOVS.P 4(R8), F4
	FMADDS  F0, F16, F4, F16
	SUBS    $1, R14
	BNE     mvRowCols1

mvRowStore:
	CBZ     R6, mvRowPut
	FMOVS   (R0), F0
	FADDS   F16, F0, F16

mvRowPut:
	FMOVS.P F16, 4(R0)
	SUBS    $1, R1
	BNE     mvRow

mvDone:
	RET

// func matTVecAddNEON(y, a []float32, stride int, x []float32)
//
// Six rows at a time: each y vector is loaded once, takes the six rows' updates in row
// order (as generic's row-by-row Axpy does) and is stored once. Six rather than four
// because every y vector loaded is stored again, and on Neoverse-N1 stores share the two
// load/store pipes with loads: with six rows 7 of every 8 pipe slots load (the model
// gives 87% of its load peak; four rows, 5 of 6, gave 83%). Six rows of 16 columns, the
// y vectors and the six x values take 30 of the 32 vector registers. Leftover rows
// (len(x) mod 6) take one block of four if there are four, then one row at a time.
TEXT ·matTVecAddNEON(SB), NOSPLIT, $0-80
	MOVD y_base+0(FP), R0
	MOVD y_len+8(FP), R1
	MOVD a_base+24(FP), R2
	MOVD stride+48(FP), R3
	LSL  $2, R3
	MOVD x_base+56(FP), R4
	MOVD x_len+64(FP), R5

mtBlock6:
	CMP     $6, R5
	BLT     mtRows4
	MOVD    R2, R8
	ADD     R3, R8, R9
	ADD     R3, R9, R10
	ADD     R3, R10, R11
	ADD     R3, R11, R19
	ADD     R3, R19, R20
	ADD     R3, R20, R2
	VLD1.P  16(R4), [V28.S4]
	FMOVD.P 8(R4), F29
	MOVD    R0, R12
	MOVD    R0, R15
	LSR     $4, R1, R13
	AND     $15, R1, R14
	CBZ     R13, mtB6Cols4

	// armsim: MatTVecAdd
mtB6Cols16:
	// Per iteration: 7 loads of 64 B (y and six rows), 24 FMAs, 4 accumulators (V0-V3,
	// the y vectors, each taking rows 0-5 in order), one 64 B store.
	VLD1.P  64(R12), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P  64(R8), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P  64(R9), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P  64(R10), [V12.S4, V13.S4, V14.S4, V15.S4]
	VLD1.P  64(R11), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P  64(R19), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P  64(R20), [V24.S4, V25.S4, V26.S4, V27.S4]
	WORD   $0x4f9c1080 // fmla v0.4s, v4.4s, v28.s[0]
	WORD   $0x4f9c10a1 // fmla v1.4s, v5.4s, v28.s[0]
	WORD   $0x4f9c10c2 // fmla v2.4s, v6.4s, v28.s[0]
	WORD   $0x4f9c10e3 // fmla v3.4s, v7.4s, v28.s[0]
	WORD   $0x4fbc1100 // fmla v0.4s, v8.4s, v28.s[1]
	WORD   $0x4fbc1121 // fmla v1.4s, v9.4s, v28.s[1]
	WORD   $0x4fbc1142 // fmla v2.4s, v10.4s, v28.s[1]
	WORD   $0x4fbc1163 // fmla v3.4s, v11.4s, v28.s[1]
	WORD   $0x4f9c1980 // fmla v0.4s, v12.4s, v28.s[2]
	WORD   $0x4f9c19a1 // fmla v1.4s, v13.4s, v28.s[2]
	WORD   $0x4f9c19c2 // fmla v2.4s, v14.4s, v28.s[2]
	WORD   $0x4f9c19e3 // fmla v3.4s, v15.4s, v28.s[2]
	WORD   $0x4fbc1a00 // fmla v0.4s, v16.4s, v28.s[3]
	WORD   $0x4fbc1a21 // fmla v1.4s, v17.4s, v28.s[3]
	WORD   $0x4fbc1a42 // fmla v2.4s, v18.4s, v28.s[3]
	WORD   $0x4fbc1a63 // fmla v3.4s, v19.4s, v28.s[3]
	WORD   $0x4f9d1280 // fmla v0.4s, v20.4s, v29.s[0]
	WORD   $0x4f9d12a1 // fmla v1.4s, v21.4s, v29.s[0]
	WORD   $0x4f9d12c2 // fmla v2.4s, v22.4s, v29.s[0]
	WORD   $0x4f9d12e3 // fmla v3.4s, v23.4s, v29.s[0]
	WORD   $0x4fbd1300 // fmla v0.4s, v24.4s, v29.s[1]
	WORD   $0x4fbd1321 // fmla v1.4s, v25.4s, v29.s[1]
	WORD   $0x4fbd1342 // fmla v2.4s, v26.4s, v29.s[1]
	WORD   $0x4fbd1363 // fmla v3.4s, v27.4s, v29.s[1]
	VST1.P  [V0.S4, V1.S4, V2.S4, V3.S4], 64(R15)
	SUBS    $1, R13
	BNE     mtB6Cols16

mtB6Cols4:
	// Tail, per iteration: 7 loads of 16 B, 6 FMAs, 1 accumulator (V0), one 16 B store.
	CMP     $4, R14
	BLT     mtB6Cols1
	VLD1.P  16(R12), [V0.S4]
	VLD1.P  16(R8), [V4.S4]
	VLD1.P  16(R9), [V8.S4]
	VLD1.P  16(R10), [V12.S4]
	VLD1.P  16(R11), [V16.S4]
	VLD1.P  16(R19), [V20.S4]
	VLD1.P  16(R20), [V24.S4]
	WORD   $0x4f9c1080 // fmla v0.4s, v4.4s, v28.s[0]
	WORD   $0x4fbc1100 // fmla v0.4s, v8.4s, v28.s[1]
	WORD   $0x4f9c1980 // fmla v0.4s, v12.4s, v28.s[2]
	WORD   $0x4fbc1a00 // fmla v0.4s, v16.4s, v28.s[3]
	WORD   $0x4f9d1280 // fmla v0.4s, v20.4s, v29.s[0]
	WORD   $0x4fbd1300 // fmla v0.4s, v24.4s, v29.s[1]
	FMOVQ   F0, -16(R12)
	SUB     $4, R14
	B       mtB6Cols4

mtB6Cols1:
	// The six x values as scalars in F4-F9 for the single columns.
	CBZ     R14, mtB6Next
	VDUP    V28.S[0], V4.S4
	VDUP    V28.S[1], V5.S4
	VDUP    V28.S[2], V6.S4
	VDUP    V28.S[3], V7.S4
	VDUP    V29.S[0], V8.S4
	VDUP    V29.S[1], V9.S4

mtB6Cols1Loop:
	// Tail, per iteration: 7 loads of 4 B, 6 scalar FMAs, 1 accumulator (F0), one 4 B
	// store.
	FMOVS   (R12), F0
	FMOVS.P 4(R8), F10
	FMOVS.P 4(R9), F11
	FMOVS.P 4(R10), F12
	FMOVS.P 4(R11), F13
	FMOVS.P 4(R19), F14
	FMOVS.P 4(R20), F15
	FMADDS  F10, F0, F4, F0
	FMADDS  F11, F0, F5, F0
	FMADDS  F12, F0, F6, F0
	FMADDS  F13, F0, F7, F0
	FMADDS  F14, F0, F8, F0
	FMADDS  F15, F0, F9, F0
	FMOVS.P F0, 4(R12)
	SUBS    $1, R14
	BNE     mtB6Cols1Loop

mtB6Next:
	SUB $6, R5
	B   mtBlock6

mtRows4:
	// Rows left over from the blocks of six: one block of four if there are four or
	// five, then single rows.
	LSR $2, R5, R7
	AND $3, R5, R5
	CBZ R7, mtRows1

mtBlock4:
	MOVD   R2, R8
	ADD    R3, R8, R9
	ADD    R3, R9, R10
	ADD    R3, R10, R11
	ADD    R3, R11, R2
	VLD1.P 16(R4), [V20.S4]
	VDUP   V20.S[0], V24.S4
	VDUP   V20.S[1], V25.S4
	VDUP   V20.S[2], V26.S4
	VDUP   V20.S[3], V27.S4
	MOVD   R0, R12
	MOVD   R0, R15
	LSR    $4, R1, R13
	AND    $15, R1, R14
	CBZ    R13, mtB4Cols4

mtB4Cols16:
	// Per iteration: 5 loads of 64 B (y and four rows), 16 FMAs, 4 accumulators
	// (V0-V3, the y vectors, each taking rows 0-3 in order), one 64 B store.
	VLD1.P 64(R12), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R8), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R9), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P 64(R10), [V12.S4, V13.S4, V14.S4, V15.S4]
	VLD1.P 64(R11), [V16.S4, V17.S4, V18.S4, V19.S4]
	WORD   $0x4f941080 // fmla v0.4s, v4.4s, v20.s[0]
	WORD   $0x4f9410a1 // fmla v1.4s, v5.4s, v20.s[0]
	WORD   $0x4f9410c2 // fmla v2.4s, v6.4s, v20.s[0]
	WORD   $0x4f9410e3 // fmla v3.4s, v7.4s, v20.s[0]
	WORD   $0x4fb41100 // fmla v0.4s, v8.4s, v20.s[1]
	WORD   $0x4fb41121 // fmla v1.4s, v9.4s, v20.s[1]
	WORD   $0x4fb41142 // fmla v2.4s, v10.4s, v20.s[1]
	WORD   $0x4fb41163 // fmla v3.4s, v11.4s, v20.s[1]
	WORD   $0x4f941980 // fmla v0.4s, v12.4s, v20.s[2]
	WORD   $0x4f9419a1 // fmla v1.4s, v13.4s, v20.s[2]
	WORD   $0x4f9419c2 // fmla v2.4s, v14.4s, v20.s[2]
	WORD   $0x4f9419e3 // fmla v3.4s, v15.4s, v20.s[2]
	WORD   $0x4fb41a00 // fmla v0.4s, v16.4s, v20.s[3]
	WORD   $0x4fb41a21 // fmla v1.4s, v17.4s, v20.s[3]
	WORD   $0x4fb41a42 // fmla v2.4s, v18.4s, v20.s[3]
	WORD   $0x4fb41a63 // fmla v3.4s, v19.4s, v20.s[3]
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R15)
	SUBS   $1, R13
	BNE    mtB4Cols16

mtB4Cols4:
	// Tail, per iteration: 5 loads of 16 B, 4 FMAs, 1 accumulator (V0), one 16 B store.
	CMP    $4, R14
	BLT    mtB4Cols1
	VLD1.P 16(R12), [V0.S4]
	VLD1.P 16(R8), [V4.S4]
	VLD1.P 16(R9), [V8.S4]
	VLD1.P 16(R10), [V12.S4]
	VLD1.P 16(R11), [V16.S4]
	WORD   $0x4f941080 // fmla v0.4s, v4.4s, v20.s[0]
	WORD   $0x4fb41100 // fmla v0.4s, v8.4s, v20.s[1]
	WORD   $0x4f941980 // fmla v0.4s, v12.4s, v20.s[2]
	WORD   $0x4fb41a00 // fmla v0.4s, v16.4s, v20.s[3]
	FMOVQ  F0, -16(R12)
	SUB    $4, R14
	B      mtB4Cols4

mtB4Cols1:
	// Tail, per iteration: 5 loads of 4 B, 4 scalar FMAs, 1 accumulator (F0), one 4 B store.
	CBZ     R14, mtB4Next
	FMOVS   (R12), F0
	FMOVS.P 4(R8), F4
	FMOVS.P 4(R9), F8
	FMOVS.P 4(R10), F12
	FMOVS.P 4(R11), F16
	FMADDS  F4, F0, F24, F0
	FMADDS  F8, F0, F25, F0
	FMADDS  F12, F0, F26, F0
	FMADDS  F16, F0, F27, F0
	FMOVS.P F0, 4(R12)
	SUB     $1, R14
	B       mtB4Cols1

mtB4Next:
	SUBS $1, R7
	BNE  mtBlock4

mtRows1:
	CBZ R5, mtDone

mtRow:
	MOVD    R2, R8
	ADD     R3, R2
	FMOVS.P 4(R4), F20
	VDUP    V20.S[0], V20.S4
	MOVD    R0, R12
	MOVD    R0, R15
	LSR     $4, R1, R13
	AND     $15, R1, R14
	CBZ     R13, mtRowCols4

mtRowCols16:
	// Per iteration: 2 loads of 64 B (y, row), 4 FMAs, 4 accumulators (V0-V3, the y
	// vectors), one 64 B store.
	VLD1.P 64(R12), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R8), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V4.S4, V20.S4, V0.S4
	VFMLA  V5.S4, V20.S4, V1.S4
	VFMLA  V6.S4, V20.S4, V2.S4
	VFMLA  V7.S4, V20.S4, V3.S4
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R15)
	SUBS   $1, R13
	BNE    mtRowCols16

mtRowCols4:
	// Tail, per iteration: 2 loads of 16 B, 1 FMA, 1 accumulator (V0), one 16 B store.
	CMP    $4, R14
	BLT    mtRowCols1
	VLD1.P 16(R12), [V0.S4]
	VLD1.P 16(R8), [V4.S4]
	VFMLA  V4.S4, V20.S4, V0.S4
	FMOVQ  F0, -16(R12)
	SUB    $4, R14
	B      mtRowCols4

mtRowCols1:
	// Tail, per iteration: 2 loads of 4 B, 1 scalar FMA, 1 accumulator (F0), one 4 B store.
	CBZ     R14, mtRowNext
	FMOVS   (R12), F0
	FMOVS.P 4(R8), F4
	FMADDS  F4, F0, F20, F0
	FMOVS.P F0, 4(R12)
	SUB     $1, R14
	B       mtRowCols1

mtRowNext:
	SUBS $1, R5
	BNE  mtRow

mtDone:
	RET

// func gerNEON(a []float32, stride int, alpha float32, x, y []float32)
//
// Four rows at a time: each y vector is loaded once for four rows, and each row gets
// a[i][j] += (alpha*x[i])*y[j] as one fused multiply-add, as generic does. The rows are
// loaded 16 B at an offset and stored 64 B at a time with ST1, which moves the row
// pointer on (the forms axpyNEON's comment explains). Every byte of A loaded is stored
// again, so the store port bounds this kernel on both models: Cortex-A72's stores 8 B a
// cycle against 16 B of loads, and Neoverse-N1's stores use the same two pipes as its
// loads. Leftover rows (len(x) mod 4) are one Axpy each.
TEXT ·gerNEON(SB), NOSPLIT, $0-88
	MOVD  a_base+0(FP), R2
	MOVD  stride+24(FP), R3
	LSL   $2, R3
	FMOVS alpha+32(FP), F21
	VDUP  V21.S[0], V21.S4
	MOVD  x_base+40(FP), R4
	MOVD  x_len+48(FP), R5
	MOVD  y_base+64(FP), R0
	MOVD  y_len+72(FP), R1
	LSR   $2, R5, R7
	AND   $3, R5, R5
	CBZ   R7, grRows1

grBlock4:
	MOVD   R2, R8
	ADD    R3, R8, R9
	ADD    R3, R9, R10
	ADD    R3, R10, R11
	ADD    R3, R11, R2
	VLD1.P 16(R4), [V20.S4]
	WORD   $0x6e35de94 // fmul v20.4s, v20.4s, v21.4s
	VDUP   V20.S[0], V24.S4
	VDUP   V20.S[1], V25.S4
	VDUP   V20.S[2], V26.S4
	VDUP   V20.S[3], V27.S4
	MOVD   R0, R12
	LSR    $4, R1, R13
	AND    $15, R1, R14
	CBZ    R13, grB4Cols4

	// armsim: Ger
grB4Cols16:
	// Per iteration: 1 load of 64 B (y) and 16 of 16 B (four rows), 16 FMAs, 16
	// accumulators (the row vectors V4-V19, one update each), four 64 B stores.
	VLD1.P 64(R12), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMOVQ  (R8), F4
	FMOVQ  16(R8), F5
	FMOVQ  32(R8), F6
	FMOVQ  48(R8), F7
	FMOVQ  (R9), F8
	FMOVQ  16(R9), F9
	FMOVQ  32(R9), F10
	FMOVQ  48(R9), F11
	FMOVQ  (R10), F12
	FMOVQ  16(R10), F13
	FMOVQ  32(R10), F14
	FMOVQ  48(R10), F15
	FMOVQ  (R11), F16
	FMOVQ  16(R11), F17
	FMOVQ  32(R11), F18
	FMOVQ  48(R11), F19
	WORD   $0x4f941004 // fmla v4.4s, v0.4s, v20.s[0]
	WORD   $0x4f941025 // fmla v5.4s, v1.4s, v20.s[0]
	WORD   $0x4f941046 // fmla v6.4s, v2.4s, v20.s[0]
	WORD   $0x4f941067 // fmla v7.4s, v3.4s, v20.s[0]
	WORD   $0x4fb41008 // fmla v8.4s, v0.4s, v20.s[1]
	WORD   $0x4fb41029 // fmla v9.4s, v1.4s, v20.s[1]
	WORD   $0x4fb4104a // fmla v10.4s, v2.4s, v20.s[1]
	WORD   $0x4fb4106b // fmla v11.4s, v3.4s, v20.s[1]
	WORD   $0x4f94180c // fmla v12.4s, v0.4s, v20.s[2]
	WORD   $0x4f94182d // fmla v13.4s, v1.4s, v20.s[2]
	WORD   $0x4f94184e // fmla v14.4s, v2.4s, v20.s[2]
	WORD   $0x4f94186f // fmla v15.4s, v3.4s, v20.s[2]
	WORD   $0x4fb41810 // fmla v16.4s, v0.4s, v20.s[3]
	WORD   $0x4fb41831 // fmla v17.4s, v1.4s, v20.s[3]
	WORD   $0x4fb41852 // fmla v18.4s, v2.4s, v20.s[3]
	WORD   $0x4fb41873 // fmla v19.4s, v3.4s, v20.s[3]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R8)
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R9)
	VST1.P [V12.S4, V13.S4, V14.S4, V15.S4], 64(R10)
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(R11)
	SUBS   $1, R13
	BNE    grB4Cols16

grB4Cols4:
	// Tail, per iteration: 5 loads of 16 B, 4 FMAs, 4 accumulators (V4, V8, V12, V16), four 16 B stores.
	CMP    $4, R14
	BLT    grB4Cols1
	VLD1.P 16(R12), [V0.S4]
	VLD1.P 16(R8), [V4.S4]
	VLD1.P 16(R9), [V8.S4]
	VLD1.P 16(R10), [V12.S4]
	VLD1.P 16(R11), [V16.S4]
	WORD   $0x4f941004 // fmla v4.4s, v0.4s, v20.s[0]
	WORD   $0x4fb41008 // fmla v8.4s, v0.4s, v20.s[1]
	WORD   $0x4f94180c // fmla v12.4s, v0.4s, v20.s[2]
	WORD   $0x4fb41810 // fmla v16.4s, v0.4s, v20.s[3]
	FMOVQ  F4, -16(R8)
	FMOVQ  F8, -16(R9)
	FMOVQ  F12, -16(R10)
	FMOVQ  F16, -16(R11)
	SUB    $4, R14
	B      grB4Cols4

grB4Cols1:
	// Tail, per iteration: 5 loads of 4 B, 4 scalar FMAs, 4 accumulators (F4, F8, F12, F16), four 4 B stores.
	CBZ     R14, grB4Next
	FMOVS.P 4(R12), F0
	FMOVS   (R8), F4
	FMOVS   (R9), F8
	FMOVS   (R10), F12
	FMOVS   (R11), F16
	FMADDS  F0, F4, F24, F4
	FMADDS  F0, F8, F25, F8
	FMADDS  F0, F12, F26, F12
	FMADDS  F0, F16, F27, F16
	FMOVS.P F4, 4(R8)
	FMOVS.P F8, 4(R9)
	FMOVS.P F12, 4(R10)
	FMOVS.P F16, 4(R11)
	SUB     $1, R14
	B       grB4Cols1

grB4Next:
	SUBS $1, R7
	BNE  grBlock4

grRows1:
	CBZ R5, grDone

grRow:
	MOVD    R2, R8
	ADD     R3, R2
	FMOVS.P 4(R4), F20
	FMULS   F21, F20, F20
	VDUP    V20.S[0], V20.S4
	MOVD    R0, R12
	LSR     $4, R1, R13
	AND     $15, R1, R14
	CBZ     R13, grRowCols4

grRowCols16:
	// Per iteration: 1 load of 64 B (y) and 4 of 16 B (the row), 4 FMAs, 4
	// accumulators (V4-V7, the row vectors), one 64 B store.
	VLD1.P 64(R12), [V0.S4, V1.S4, V2.S4, V3.S4]
	FMOVQ  (R8), F4
	FMOVQ  16(R8), F5
	FMOVQ  32(R8), F6
	FMOVQ  48(R8), F7
	VFMLA  V0.S4, V20.S4, V4.S4
	VFMLA  V1.S4, V20.S4, V5.S4
	VFMLA  V2.S4, V20.S4, V6.S4
	VFMLA  V3.S4, V20.S4, V7.S4
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R8)
	SUBS   $1, R13
	BNE    grRowCols16

grRowCols4:
	// Tail, per iteration: 2 loads of 16 B, 1 FMA, 1 accumulator (V4), one 16 B store.
	CMP    $4, R14
	BLT    grRowCols1
	VLD1.P 16(R12), [V0.S4]
	VLD1.P 16(R8), [V4.S4]
	VFMLA  V0.S4, V20.S4, V4.S4
	FMOVQ  F4, -16(R8)
	SUB    $4, R14
	B      grRowCols4

grRowCols1:
	// Tail, per iteration: 2 loads of 4 B, 1 scalar FMA, 1 accumulator (F4), one 4 B store.
	CBZ     R14, grRowNext
	FMOVS.P 4(R12), F0
	FMOVS   (R8), F4
	FMADDS  F0, F4, F20, F4
	FMOVS.P F4, 4(R8)
	SUB     $1, R14
	B       grRowCols1

grRowNext:
	SUBS $1, R5
	BNE  grRow

grDone:
	RET
