//go:build !purego

#include "textflag.h"

// func gemmKernel8x12NEON(kc int, a, b *float32, ldb int, c *float32, ldc int)
//
// The blocked driver's micro-kernel (contract in gemm_blocked.go): the 8×12 tile of C
// lives in 24 accumulators V8-V31 (row i in V(8+3i)..V(10+3i)), so each k step is 24
// FMAs by element from 8 A values (V0-V1) and 12 B values (V2-V4) and C is read and
// written once, at the end. 8×12 is the largest tile that leaves registers for the
// operands; its 24 independent chains hide the FMA latency of both A72 and N1.
TEXT ·gemmKernel8x12NEON(SB), NOSPLIT, $0-48
	MOVD   kc+0(FP), R0
	MOVD   a+8(FP), R1
	MOVD   b+16(FP), R2
	MOVD   ldb+24(FP), R3
	LSL    $2, R3
	MOVD   c+32(FP), R4
	MOVD   ldc+40(FP), R5
	LSL    $2, R5
	VEOR   V8.B16, V8.B16, V8.B16
	VEOR   V9.B16, V9.B16, V9.B16
	VEOR   V10.B16, V10.B16, V10.B16
	VEOR   V11.B16, V11.B16, V11.B16
	VEOR   V12.B16, V12.B16, V12.B16
	VEOR   V13.B16, V13.B16, V13.B16
	VEOR   V14.B16, V14.B16, V14.B16
	VEOR   V15.B16, V15.B16, V15.B16
	VEOR   V16.B16, V16.B16, V16.B16
	VEOR   V17.B16, V17.B16, V17.B16
	VEOR   V18.B16, V18.B16, V18.B16
	VEOR   V19.B16, V19.B16, V19.B16
	VEOR   V20.B16, V20.B16, V20.B16
	VEOR   V21.B16, V21.B16, V21.B16
	VEOR   V22.B16, V22.B16, V22.B16
	VEOR   V23.B16, V23.B16, V23.B16
	VEOR   V24.B16, V24.B16, V24.B16
	VEOR   V25.B16, V25.B16, V25.B16
	VEOR   V26.B16, V26.B16, V26.B16
	VEOR   V27.B16, V27.B16, V27.B16
	VEOR   V28.B16, V28.B16, V28.B16
	VEOR   V29.B16, V29.B16, V29.B16
	VEOR   V30.B16, V30.B16, V30.B16
	VEOR   V31.B16, V31.B16, V31.B16

gemmK:
	// Per iteration (one k step): loads of 32 B (A column) and 48 B (B row) = 80 B,
	// 24 FMAs, 24 accumulators.
	VLD1.P 32(R1), [V0.S4, V1.S4]
	VLD1.P (R2)(R3), [V2.S4, V3.S4, V4.S4]
	WORD   $0x4f801048 // fmla v8.4s, v2.4s, v0.s[0]
	WORD   $0x4f801069 // fmla v9.4s, v3.4s, v0.s[0]
	WORD   $0x4f80108a // fmla v10.4s, v4.4s, v0.s[0]
	WORD   $0x4fa0104b // fmla v11.4s, v2.4s, v0.s[1]
	WORD   $0x4fa0106c // fmla v12.4s, v3.4s, v0.s[1]
	WORD   $0x4fa0108d // fmla v13.4s, v4.4s, v0.s[1]
	WORD   $0x4f80184e // fmla v14.4s, v2.4s, v0.s[2]
	WORD   $0x4f80186f // fmla v15.4s, v3.4s, v0.s[2]
	WORD   $0x4f801890 // fmla v16.4s, v4.4s, v0.s[2]
	WORD   $0x4fa01851 // fmla v17.4s, v2.4s, v0.s[3]
	WORD   $0x4fa01872 // fmla v18.4s, v3.4s, v0.s[3]
	WORD   $0x4fa01893 // fmla v19.4s, v4.4s, v0.s[3]
	WORD   $0x4f811054 // fmla v20.4s, v2.4s, v1.s[0]
	WORD   $0x4f811075 // fmla v21.4s, v3.4s, v1.s[0]
	WORD   $0x4f811096 // fmla v22.4s, v4.4s, v1.s[0]
	WORD   $0x4fa11057 // fmla v23.4s, v2.4s, v1.s[1]
	WORD   $0x4fa11078 // fmla v24.4s, v3.4s, v1.s[1]
	WORD   $0x4fa11099 // fmla v25.4s, v4.4s, v1.s[1]
	WORD   $0x4f81185a // fmla v26.4s, v2.4s, v1.s[2]
	WORD   $0x4f81187b // fmla v27.4s, v3.4s, v1.s[2]
	WORD   $0x4f81189c // fmla v28.4s, v4.4s, v1.s[2]
	WORD   $0x4fa1185d // fmla v29.4s, v2.4s, v1.s[3]
	WORD   $0x4fa1187e // fmla v30.4s, v3.4s, v1.s[3]
	WORD   $0x4fa1189f // fmla v31.4s, v4.4s, v1.s[3]
	SUBS   $1, R0
	BNE    gemmK

	// C += tile, one row (three vectors) at a time.
	VLD1   (R4), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4e28d400 // fadd v0.4s, v0.4s, v8.4s
	WORD   $0x4e29d421 // fadd v1.4s, v1.4s, v9.4s
	WORD   $0x4e2ad442 // fadd v2.4s, v2.4s, v10.4s
	VST1.P [V0.S4, V1.S4, V2.S4], (R4)(R5)
	VLD1   (R4), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4e2bd400 // fadd v0.4s, v0.4s, v11.4s
	WORD   $0x4e2cd421 // fadd v1.4s, v1.4s, v12.4s
	WORD   $0x4e2dd442 // fadd v2.4s, v2.4s, v13.4s
	VST1.P [V0.S4, V1.S4, V2.S4], (R4)(R5)
	VLD1   (R4), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4e2ed400 // fadd v0.4s, v0.4s, v14.4s
	WORD   $0x4e2fd421 // fadd v1.4s, v1.4s, v15.4s
	WORD   $0x4e30d442 // fadd v2.4s, v2.4s, v16.4s
	VST1.P [V0.S4, V1.S4, V2.S4], (R4)(R5)
	VLD1   (R4), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4e31d400 // fadd v0.4s, v0.4s, v17.4s
	WORD   $0x4e32d421 // fadd v1.4s, v1.4s, v18.4s
	WORD   $0x4e33d442 // fadd v2.4s, v2.4s, v19.4s
	VST1.P [V0.S4, V1.S4, V2.S4], (R4)(R5)
	VLD1   (R4), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4e34d400 // fadd v0.4s, v0.4s, v20.4s
	WORD   $0x4e35d421 // fadd v1.4s, v1.4s, v21.4s
	WORD   $0x4e36d442 // fadd v2.4s, v2.4s, v22.4s
	VST1.P [V0.S4, V1.S4, V2.S4], (R4)(R5)
	VLD1   (R4), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4e37d400 // fadd v0.4s, v0.4s, v23.4s
	WORD   $0x4e38d421 // fadd v1.4s, v1.4s, v24.4s
	WORD   $0x4e39d442 // fadd v2.4s, v2.4s, v25.4s
	VST1.P [V0.S4, V1.S4, V2.S4], (R4)(R5)
	VLD1   (R4), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4e3ad400 // fadd v0.4s, v0.4s, v26.4s
	WORD   $0x4e3bd421 // fadd v1.4s, v1.4s, v27.4s
	WORD   $0x4e3cd442 // fadd v2.4s, v2.4s, v28.4s
	VST1.P [V0.S4, V1.S4, V2.S4], (R4)(R5)
	VLD1   (R4), [V0.S4, V1.S4, V2.S4]
	WORD   $0x4e3dd400 // fadd v0.4s, v0.4s, v29.4s
	WORD   $0x4e3ed421 // fadd v1.4s, v1.4s, v30.4s
	WORD   $0x4e3fd442 // fadd v2.4s, v2.4s, v31.4s
	VST1   [V0.S4, V1.S4, V2.S4], (R4)
	RET
