//go:build !purego

#include "textflag.h"

// Optimizer kernels, neon tier.
//
// adamNEON is AdamUpdate over len(p)/8 blocks of two vectors of 4 (the Go wrapper passes
// a multiple of 8 and finishes the rest), the coefficients passed one by one in the
// order of AdamCoefficients' fields. Each operation is the generic loop's, in its
// order, and none is fused, so the bits are the generic loop's (AArch64's Advanced SIMD
// arithmetic is IEEE 754 under the default FPCR: no flush to zero, round to nearest).
// FMIN and FMAX return NaN when the gradient element is NaN, as the generic clamp keeps
// it.
//
// Go's assembler has no vector FMUL, FADD, FSUB, FDIV, FSQRT, FMIN, FMAX or FNEG; those
// are WORD-encoded with their GNU mnemonic in the comment (wordenc_test.go checks each one
// against the disassembler).
//
// Registers: R0 = p, R1 = g, R2 = m, R3 = v, R4 = blocks left; V16 = β1, V17 = 1−β1,
// V18 = β2, V19 = 1−β2, V20 = √(1−β2ᵗ), V21 = ε, V22 = lr/(1−β1ᵗ), V23 = bound,
// V24 = −bound. A block's two vectors go through the same sequence: g in V0-V1, m in
// V2-V3, v in V4-V5, p in V6-V7, scratch V26-V27.

// func adamNEON(p, g, m, v []float32, b1, a1, b2, a2, c2, eps, step, bound float32)
TEXT ·adamNEON(SB), NOSPLIT, $0-128
	MOVD  p_base+0(FP), R0
	MOVD  p_len+8(FP), R4
	MOVD  g_base+24(FP), R1
	MOVD  m_base+48(FP), R2
	MOVD  v_base+72(FP), R3
	FMOVS b1+96(FP), F16
	VDUP  V16.S[0], V16.S4
	FMOVS a1+100(FP), F17
	VDUP  V17.S[0], V17.S4
	FMOVS b2+104(FP), F18
	VDUP  V18.S[0], V18.S4
	FMOVS a2+108(FP), F19
	VDUP  V19.S[0], V19.S4
	FMOVS c2+112(FP), F20
	VDUP  V20.S[0], V20.S4
	FMOVS eps+116(FP), F21
	VDUP  V21.S[0], V21.S4
	FMOVS step+120(FP), F22
	VDUP  V22.S[0], V22.S4
	FMOVS bound+124(FP), F23
	VDUP  V23.S[0], V23.S4
	WORD   $0x6ea0faf8 // fneg v24.4s, v23.4s
	LSR   $3, R4, R4
	CBZ   R4, done

loop:
	// Per iteration: 8 elements; 32 B loaded from g, m, v and p, 32 B stored to m, v, p.
	VLD1.P 32(R1), [V0.S4, V1.S4]
	WORD   $0x4eb7f400 // fmin v0.4s, v0.4s, v23.4s
	WORD   $0x4eb7f421 // fmin v1.4s, v1.4s, v23.4s
	WORD   $0x4e38f400 // fmax v0.4s, v0.4s, v24.4s
	WORD   $0x4e38f421 // fmax v1.4s, v1.4s, v24.4s
	VLD1   (R2), [V2.S4, V3.S4]
	WORD   $0x6e30dc42 // fmul v2.4s, v2.4s, v16.4s
	WORD   $0x6e30dc63 // fmul v3.4s, v3.4s, v16.4s
	WORD   $0x6e31dc1a // fmul v26.4s, v0.4s, v17.4s
	WORD   $0x6e31dc3b // fmul v27.4s, v1.4s, v17.4s
	WORD   $0x4e3ad442 // fadd v2.4s, v2.4s, v26.4s
	WORD   $0x4e3bd463 // fadd v3.4s, v3.4s, v27.4s
	VST1.P [V2.S4, V3.S4], 32(R2)
	VLD1   (R3), [V4.S4, V5.S4]
	WORD   $0x6e32dc84 // fmul v4.4s, v4.4s, v18.4s
	WORD   $0x6e32dca5 // fmul v5.4s, v5.4s, v18.4s
	WORD   $0x6e33dc1a // fmul v26.4s, v0.4s, v19.4s
	WORD   $0x6e33dc3b // fmul v27.4s, v1.4s, v19.4s
	WORD   $0x6e20df5a // fmul v26.4s, v26.4s, v0.4s
	WORD   $0x6e21df7b // fmul v27.4s, v27.4s, v1.4s
	WORD   $0x4e3ad484 // fadd v4.4s, v4.4s, v26.4s
	WORD   $0x4e3bd4a5 // fadd v5.4s, v5.4s, v27.4s
	VST1.P [V4.S4, V5.S4], 32(R3)
	WORD   $0x6ea1f884 // fsqrt v4.4s, v4.4s
	WORD   $0x6ea1f8a5 // fsqrt v5.4s, v5.4s
	WORD   $0x6e34fc84 // fdiv v4.4s, v4.4s, v20.4s
	WORD   $0x6e34fca5 // fdiv v5.4s, v5.4s, v20.4s
	WORD   $0x4e35d484 // fadd v4.4s, v4.4s, v21.4s
	WORD   $0x4e35d4a5 // fadd v5.4s, v5.4s, v21.4s
	WORD   $0x6e22dec2 // fmul v2.4s, v22.4s, v2.4s
	WORD   $0x6e23dec3 // fmul v3.4s, v22.4s, v3.4s
	WORD   $0x6e24fc42 // fdiv v2.4s, v2.4s, v4.4s
	WORD   $0x6e25fc63 // fdiv v3.4s, v3.4s, v5.4s
	VLD1   (R0), [V6.S4, V7.S4]
	WORD   $0x4ea2d4c6 // fsub v6.4s, v6.4s, v2.4s
	WORD   $0x4ea3d4e7 // fsub v7.4s, v7.4s, v3.4s
	VST1.P [V6.S4, V7.S4], 32(R0)
	SUBS   $1, R4
	BNE    loop

done:
	RET

// sumSquaresNEON adds x[i]² to s[i mod 16] over len(x)/16 whole blocks (the Go wrapper
// passes a multiple of 16). V16-V23 hold the 16 partial sums as float64, two each (V16
// elements 0-1 of each block, V17 2-3, and so on); the square of a float32 is exact in
// float64, so the fused multiply-add rounds as the generic loop's multiply and add do.
// FCVTL, FCVTL2 and the float64 FMLA are WORD-encoded.

// func sumSquaresNEON(x []float32, s *[16]float64)
TEXT ·sumSquaresNEON(SB), NOSPLIT, $0-32
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R3
	MOVD s+24(FP), R1
	ADD  $64, R1, R2
	VLD1 (R1), [V16.D2, V17.D2, V18.D2, V19.D2]
	VLD1 (R2), [V20.D2, V21.D2, V22.D2, V23.D2]
	LSR  $4, R3, R3
	CBZ  R3, sumsqDone

sumsqLoop:
	// Per iteration: 16 elements, one 64 B load, 8 conversions, 8 FMAs into 8 sums.
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	WORD   $0x0e617804 // fcvtl v4.2d, v0.2s
	WORD   $0x4e617805 // fcvtl2 v5.2d, v0.4s
	WORD   $0x0e617826 // fcvtl v6.2d, v1.2s
	WORD   $0x4e617827 // fcvtl2 v7.2d, v1.4s
	WORD   $0x0e617848 // fcvtl v8.2d, v2.2s
	WORD   $0x4e617849 // fcvtl2 v9.2d, v2.4s
	WORD   $0x0e61786a // fcvtl v10.2d, v3.2s
	WORD   $0x4e61786b // fcvtl2 v11.2d, v3.4s
	WORD   $0x4e64cc90 // fmla v16.2d, v4.2d, v4.2d
	WORD   $0x4e65ccb1 // fmla v17.2d, v5.2d, v5.2d
	WORD   $0x4e66ccd2 // fmla v18.2d, v6.2d, v6.2d
	WORD   $0x4e67ccf3 // fmla v19.2d, v7.2d, v7.2d
	WORD   $0x4e68cd14 // fmla v20.2d, v8.2d, v8.2d
	WORD   $0x4e69cd35 // fmla v21.2d, v9.2d, v9.2d
	WORD   $0x4e6acd56 // fmla v22.2d, v10.2d, v10.2d
	WORD   $0x4e6bcd77 // fmla v23.2d, v11.2d, v11.2d
	SUBS   $1, R3
	BNE    sumsqLoop

sumsqDone:
	VST1 [V16.D2, V17.D2, V18.D2, V19.D2], (R1)
	VST1 [V20.D2, V21.D2, V22.D2, V23.D2], (R2)
	RET
