//go:build !purego

#include "textflag.h"

// func gemmKernel8x8NEON(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows int)
//
// The blocked driver's micro-kernel (contract in gemm_blocked.go). The 8×8 tile of C
// lives in 16 accumulators V16-V31 (row i in V(16+2i), V(17+2i)), loaded from C before
// the k loop and stored after it; 16 independent chains cover the FMA latency of two
// pipes on A72 and N1 with 16 registers left for operands.
//
// A arrives in one of two layouts, and each gets a loop that loads it whole vectors at a
// time:
//   - in place (csa == 1): rows are contiguous in k, so each row pointer yields four k
//     steps per 16 B load and the FMAs take A by lane (lane = k step);
//   - packed (rsa == 1): column p is 8 consecutive floats, two loads per k step and the
//     FMAs take A by lane (lane = row). This is the driver's last panel when M is not a
//     multiple of 8, so its padding rows are zeros: with at most four valid rows only
//     four are computed, and with one (RTRL's S+1 rows) only that row.
// Any other layout, and the k steps of an in-place panel left over from the blocks of
// four, gather column p lane by lane from the eight row pointers.
//
// A "// armsim: Name" line above a loop's label marks the loop for bench/armsim, which
// models it on the Cortex-A72 and Neoverse-N1 pipelines with llvm-mca (and fails if a
// marked loop goes missing).
TEXT ·gemmKernel8x8NEON(SB), NOSPLIT, $0-72
	MOVD kc+0(FP), R0
	MOVD a+8(FP), R1
	MOVD rsa+16(FP), R6
	LSL  $2, R6
	MOVD csa+24(FP), R7
	LSL  $2, R7
	MOVD b+32(FP), R2
	MOVD ldb+40(FP), R3
	LSL  $2, R3
	MOVD c+48(FP), R4
	MOVD ldc+56(FP), R5
	LSL  $2, R5
	MOVD rows+64(FP), R19

	// Load the first rows rows of the C tile into the accumulators (the rest stay zero):
	// every k step then adds into C's own value, in k order, so a product split along K
	// into several calls rounds exactly as one call does.
	MOVD R4, R20
	MOVD R19, R21
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16
	VLD1.P (R20)(R5), [V16.S4, V17.S4]
	SUBS   $1, R21
	BEQ    gemmLoaded
	VLD1.P (R20)(R5), [V18.S4, V19.S4]
	SUBS   $1, R21
	BEQ    gemmLoaded
	VLD1.P (R20)(R5), [V20.S4, V21.S4]
	SUBS   $1, R21
	BEQ    gemmLoaded
	VLD1.P (R20)(R5), [V22.S4, V23.S4]
	SUBS   $1, R21
	BEQ    gemmLoaded
	VLD1.P (R20)(R5), [V24.S4, V25.S4]
	SUBS   $1, R21
	BEQ    gemmLoaded
	VLD1.P (R20)(R5), [V26.S4, V27.S4]
	SUBS   $1, R21
	BEQ    gemmLoaded
	VLD1.P (R20)(R5), [V28.S4, V29.S4]
	SUBS   $1, R21
	BEQ    gemmLoaded
	VLD1.P (R20)(R5), [V30.S4, V31.S4]

gemmLoaded:
	// Row pointers, for the in-place and the general loops.
	MOVD R1, R8
	ADD  R6, R8, R9
	ADD  R6, R9, R10
	ADD  R6, R10, R11
	ADD  R6, R11, R12
	ADD  R6, R12, R13
	ADD  R6, R13, R14
	ADD  R6, R14, R15

	CMP  $4, R7
	BNE  gemmNotInPlace
	LSR  $2, R0, R20
	AND  $3, R0
	CBZ  R20, gemmGather

	// armsim: Gemm
gemmInPlace4:
	// Per iteration (four k steps): 8 loads of 16 B (A rows) and 4 of 32 B (B rows),
	// 256 B in all; 64 FMAs; 16 accumulators.
	VLD1.P 16(R8), [V0.S4]
	VLD1.P 16(R9), [V1.S4]
	VLD1.P 16(R10), [V2.S4]
	VLD1.P 16(R11), [V3.S4]
	VLD1.P 16(R12), [V4.S4]
	VLD1.P 16(R13), [V5.S4]
	VLD1.P 16(R14), [V6.S4]
	VLD1.P 16(R15), [V7.S4]
	VLD1.P (R2)(R3), [V8.S4, V9.S4]
	VLD1.P (R2)(R3), [V10.S4, V11.S4]
	VLD1.P (R2)(R3), [V12.S4, V13.S4]
	VLD1.P (R2)(R3), [V14.S4, V15.S4]
	WORD   $0x4f801110 // fmla v16.4s, v8.4s, v0.s[0]
	WORD   $0x4f801131 // fmla v17.4s, v9.4s, v0.s[0]
	WORD   $0x4f811112 // fmla v18.4s, v8.4s, v1.s[0]
	WORD   $0x4f811133 // fmla v19.4s, v9.4s, v1.s[0]
	WORD   $0x4f821114 // fmla v20.4s, v8.4s, v2.s[0]
	WORD   $0x4f821135 // fmla v21.4s, v9.4s, v2.s[0]
	WORD   $0x4f831116 // fmla v22.4s, v8.4s, v3.s[0]
	WORD   $0x4f831137 // fmla v23.4s, v9.4s, v3.s[0]
	WORD   $0x4f841118 // fmla v24.4s, v8.4s, v4.s[0]
	WORD   $0x4f841139 // fmla v25.4s, v9.4s, v4.s[0]
	WORD   $0x4f85111a // fmla v26.4s, v8.4s, v5.s[0]
	WORD   $0x4f85113b // fmla v27.4s, v9.4s, v5.s[0]
	WORD   $0x4f86111c // fmla v28.4s, v8.4s, v6.s[0]
	WORD   $0x4f86113d // fmla v29.4s, v9.4s, v6.s[0]
	WORD   $0x4f87111e // fmla v30.4s, v8.4s, v7.s[0]
	WORD   $0x4f87113f // fmla v31.4s, v9.4s, v7.s[0]
	WORD   $0x4fa01150 // fmla v16.4s, v10.4s, v0.s[1]
	WORD   $0x4fa01171 // fmla v17.4s, v11.4s, v0.s[1]
	WORD   $0x4fa11152 // fmla v18.4s, v10.4s, v1.s[1]
	WORD   $0x4fa11173 // fmla v19.4s, v11.4s, v1.s[1]
	WORD   $0x4fa21154 // fmla v20.4s, v10.4s, v2.s[1]
	WORD   $0x4fa21175 // fmla v21.4s, v11.4s, v2.s[1]
	WORD   $0x4fa31156 // fmla v22.4s, v10.4s, v3.s[1]
	WORD   $0x4fa31177 // fmla v23.4s, v11.4s, v3.s[1]
	WORD   $0x4fa41158 // fmla v24.4s, v10.4s, v4.s[1]
	WORD   $0x4fa41179 // fmla v25.4s, v11.4s, v4.s[1]
	WORD   $0x4fa5115a // fmla v26.4s, v10.4s, v5.s[1]
	WORD   $0x4fa5117b // fmla v27.4s, v11.4s, v5.s[1]
	WORD   $0x4fa6115c // fmla v28.4s, v10.4s, v6.s[1]
	WORD   $0x4fa6117d // fmla v29.4s, v11.4s, v6.s[1]
	WORD   $0x4fa7115e // fmla v30.4s, v10.4s, v7.s[1]
	WORD   $0x4fa7117f // fmla v31.4s, v11.4s, v7.s[1]
	WORD   $0x4f801990 // fmla v16.4s, v12.4s, v0.s[2]
	WORD   $0x4f8019b1 // fmla v17.4s, v13.4s, v0.s[2]
	WORD   $0x4f811992 // fmla v18.4s, v12.4s, v1.s[2]
	WORD   $0x4f8119b3 // fmla v19.4s, v13.4s, v1.s[2]
	WORD   $0x4f821994 // fmla v20.4s, v12.4s, v2.s[2]
	WORD   $0x4f8219b5 // fmla v21.4s, v13.4s, v2.s[2]
	WORD   $0x4f831996 // fmla v22.4s, v12.4s, v3.s[2]
	WORD   $0x4f8319b7 // fmla v23.4s, v13.4s, v3.s[2]
	WORD   $0x4f841998 // fmla v24.4s, v12.4s, v4.s[2]
	WORD   $0x4f8419b9 // fmla v25.4s, v13.4s, v4.s[2]
	WORD   $0x4f85199a // fmla v26.4s, v12.4s, v5.s[2]
	WORD   $0x4f8519bb // fmla v27.4s, v13.4s, v5.s[2]
	WORD   $0x4f86199c // fmla v28.4s, v12.4s, v6.s[2]
	WORD   $0x4f8619bd // fmla v29.4s, v13.4s, v6.s[2]
	WORD   $0x4f87199e // fmla v30.4s, v12.4s, v7.s[2]
	WORD   $0x4f8719bf // fmla v31.4s, v13.4s, v7.s[2]
	WORD   $0x4fa019d0 // fmla v16.4s, v14.4s, v0.s[3]
	WORD   $0x4fa019f1 // fmla v17.4s, v15.4s, v0.s[3]
	WORD   $0x4fa119d2 // fmla v18.4s, v14.4s, v1.s[3]
	WORD   $0x4fa119f3 // fmla v19.4s, v15.4s, v1.s[3]
	WORD   $0x4fa219d4 // fmla v20.4s, v14.4s, v2.s[3]
	WORD   $0x4fa219f5 // fmla v21.4s, v15.4s, v2.s[3]
	WORD   $0x4fa319d6 // fmla v22.4s, v14.4s, v3.s[3]
	WORD   $0x4fa319f7 // fmla v23.4s, v15.4s, v3.s[3]
	WORD   $0x4fa419d8 // fmla v24.4s, v14.4s, v4.s[3]
	WORD   $0x4fa419f9 // fmla v25.4s, v15.4s, v4.s[3]
	WORD   $0x4fa519da // fmla v26.4s, v14.4s, v5.s[3]
	WORD   $0x4fa519fb // fmla v27.4s, v15.4s, v5.s[3]
	WORD   $0x4fa619dc // fmla v28.4s, v14.4s, v6.s[3]
	WORD   $0x4fa619fd // fmla v29.4s, v15.4s, v6.s[3]
	WORD   $0x4fa719de // fmla v30.4s, v14.4s, v7.s[3]
	WORD   $0x4fa719ff // fmla v31.4s, v15.4s, v7.s[3]
	SUBS   $1, R20
	BNE    gemmInPlace4
	B      gemmGather

gemmNotInPlace:
	CMP  $4, R6
	BNE  gemmGather
	CMP  $1, R19
	BEQ  gemmPacked1
	CMP  $4, R19
	BLE  gemmPacked4

	// armsim: Gemm/packed
gemmPacked:
	// Per iteration (one k step): loads of 32 B (A column) and 32 B (B row), 16 FMAs,
	// 16 accumulators.
	VLD1.P (R1)(R7), [V0.S4, V1.S4]
	VLD1.P (R2)(R3), [V8.S4, V9.S4]
	WORD   $0x4f801110 // fmla v16.4s, v8.4s, v0.s[0]
	WORD   $0x4f801131 // fmla v17.4s, v9.4s, v0.s[0]
	WORD   $0x4fa01112 // fmla v18.4s, v8.4s, v0.s[1]
	WORD   $0x4fa01133 // fmla v19.4s, v9.4s, v0.s[1]
	WORD   $0x4f801914 // fmla v20.4s, v8.4s, v0.s[2]
	WORD   $0x4f801935 // fmla v21.4s, v9.4s, v0.s[2]
	WORD   $0x4fa01916 // fmla v22.4s, v8.4s, v0.s[3]
	WORD   $0x4fa01937 // fmla v23.4s, v9.4s, v0.s[3]
	WORD   $0x4f811118 // fmla v24.4s, v8.4s, v1.s[0]
	WORD   $0x4f811139 // fmla v25.4s, v9.4s, v1.s[0]
	WORD   $0x4fa1111a // fmla v26.4s, v8.4s, v1.s[1]
	WORD   $0x4fa1113b // fmla v27.4s, v9.4s, v1.s[1]
	WORD   $0x4f81191c // fmla v28.4s, v8.4s, v1.s[2]
	WORD   $0x4f81193d // fmla v29.4s, v9.4s, v1.s[2]
	WORD   $0x4fa1191e // fmla v30.4s, v8.4s, v1.s[3]
	WORD   $0x4fa1193f // fmla v31.4s, v9.4s, v1.s[3]
	SUBS   $1, R0
	BNE    gemmPacked
	B      gemmStore

	// armsim: Gemm/packed4
gemmPacked4:
	// A packed panel with 2-4 valid rows (the rest are zero padding): only the first
	// four rows are computed. Per iteration (one k step): loads of 16 B (A column, rows
	// 0-3) and 32 B (B row), 8 FMAs, 8 accumulators.
	VLD1.P (R1)(R7), [V0.S4]
	VLD1.P (R2)(R3), [V8.S4, V9.S4]
	WORD   $0x4f801110 // fmla v16.4s, v8.4s, v0.s[0]
	WORD   $0x4f801131 // fmla v17.4s, v9.4s, v0.s[0]
	WORD   $0x4fa01112 // fmla v18.4s, v8.4s, v0.s[1]
	WORD   $0x4fa01133 // fmla v19.4s, v9.4s, v0.s[1]
	WORD   $0x4f801914 // fmla v20.4s, v8.4s, v0.s[2]
	WORD   $0x4f801935 // fmla v21.4s, v9.4s, v0.s[2]
	WORD   $0x4fa01916 // fmla v22.4s, v8.4s, v0.s[3]
	WORD   $0x4fa01937 // fmla v23.4s, v9.4s, v0.s[3]
	SUBS   $1, R0
	BNE    gemmPacked4
	B      gemmStore

	// armsim: Gemm/packed1
gemmPacked1:
	// A packed panel with one valid row (RTRL's gradient row under the S×S Jacobian):
	// per iteration (one k step) loads of 4 B (A) and 32 B (B row), 2 FMAs, 2
	// accumulators. The k steps must add in order, so the loop runs at the latency of
	// one accumulating FMA; LDR (not a lane load) keeps A's load off that chain.
	FMOVS  (R1), F0
	ADD    R7, R1
	VLD1.P (R2)(R3), [V8.S4, V9.S4]
	WORD   $0x4f801110 // fmla v16.4s, v8.4s, v0.s[0]
	WORD   $0x4f801131 // fmla v17.4s, v9.4s, v0.s[0]
	SUBS   $1, R0
	BNE    gemmPacked1
	B      gemmStore

gemmGather:
	CBZ R0, gemmStore

gemmGatherLoop:
	// Per iteration (one k step): 8 lane loads of 4 B (A column) and 32 B (B row),
	// 16 FMAs, 16 accumulators.
	VLD1.P (R8)(R7), V0.S[0]
	VLD1.P (R9)(R7), V0.S[1]
	VLD1.P (R10)(R7), V0.S[2]
	VLD1.P (R11)(R7), V0.S[3]
	VLD1.P (R12)(R7), V1.S[0]
	VLD1.P (R13)(R7), V1.S[1]
	VLD1.P (R14)(R7), V1.S[2]
	VLD1.P (R15)(R7), V1.S[3]
	VLD1.P (R2)(R3), [V8.S4, V9.S4]
	WORD   $0x4f801110 // fmla v16.4s, v8.4s, v0.s[0]
	WORD   $0x4f801131 // fmla v17.4s, v9.4s, v0.s[0]
	WORD   $0x4fa01112 // fmla v18.4s, v8.4s, v0.s[1]
	WORD   $0x4fa01133 // fmla v19.4s, v9.4s, v0.s[1]
	WORD   $0x4f801914 // fmla v20.4s, v8.4s, v0.s[2]
	WORD   $0x4f801935 // fmla v21.4s, v9.4s, v0.s[2]
	WORD   $0x4fa01916 // fmla v22.4s, v8.4s, v0.s[3]
	WORD   $0x4fa01937 // fmla v23.4s, v9.4s, v0.s[3]
	WORD   $0x4f811118 // fmla v24.4s, v8.4s, v1.s[0]
	WORD   $0x4f811139 // fmla v25.4s, v9.4s, v1.s[0]
	WORD   $0x4fa1111a // fmla v26.4s, v8.4s, v1.s[1]
	WORD   $0x4fa1113b // fmla v27.4s, v9.4s, v1.s[1]
	WORD   $0x4f81191c // fmla v28.4s, v8.4s, v1.s[2]
	WORD   $0x4f81193d // fmla v29.4s, v9.4s, v1.s[2]
	WORD   $0x4fa1191e // fmla v30.4s, v8.4s, v1.s[3]
	WORD   $0x4fa1193f // fmla v31.4s, v9.4s, v1.s[3]
	SUBS   $1, R0
	BNE    gemmGatherLoop

gemmStore:
	// Write the first rows rows back.
	VST1.P [V16.S4, V17.S4], (R4)(R5)
	SUBS   $1, R19
	BEQ    gemmDone
	VST1.P [V18.S4, V19.S4], (R4)(R5)
	SUBS   $1, R19
	BEQ    gemmDone
	VST1.P [V20.S4, V21.S4], (R4)(R5)
	SUBS   $1, R19
	BEQ    gemmDone
	VST1.P [V22.S4, V23.S4], (R4)(R5)
	SUBS   $1, R19
	BEQ    gemmDone
	VST1.P [V24.S4, V25.S4], (R4)(R5)
	SUBS   $1, R19
	BEQ    gemmDone
	VST1.P [V26.S4, V27.S4], (R4)(R5)
	SUBS   $1, R19
	BEQ    gemmDone
	VST1.P [V28.S4, V29.S4], (R4)(R5)
	SUBS   $1, R19
	BEQ    gemmDone
	VST1.P [V30.S4, V31.S4], (R4)(R5)

gemmDone:
	RET

// func gemmCopyRows8NEON(dst, src *float32, lds, rows int)
TEXT ·gemmCopyRows8NEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD lds+16(FP), R2
	LSL  $2, R2
	MOVD rows+24(FP), R3
	LSR  $1, R3, R4
	CBZ  R4, copyOdd

copyPairs:
	// Per iteration (two rows): 2 loads of 32 B, one 64 B store; no arithmetic.
	VLD1.P (R1)(R2), [V0.S4, V1.S4]
	VLD1.P (R1)(R2), [V2.S4, V3.S4]
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUBS   $1, R4
	BNE    copyPairs

copyOdd:
	TBZ  $0, R3, copyDone
	VLD1 (R1), [V0.S4, V1.S4]
	VST1 [V0.S4, V1.S4], (R0)

copyDone:
	RET
