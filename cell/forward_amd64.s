//go:build !purego

#include "textflag.h"

DATA fwdOne<>+0(SB)/4, $1.0
GLOBL fwdOne<>(SB), RODATA|NOPTR, $4

// The forward steps' state updates, eight units at a time, each with the scalar loop's
// multiplies, subtractions and additions in its order (no fused multiply-add). In each
// routine AX is the byte offset of the current eight units in every array and CX the
// arrays' length in bytes.

// func vanillaTanhStepAVX2(deriv, next, prev *float32, a, beta float32, n int)
// From φ = tanh(u) in deriv: deriv = 1 − φ·φ, next = β·prev + α·φ.
TEXT ·vanillaTanhStepAVX2(SB), NOSPLIT, $0-40
	MOVQ deriv+0(FP), SI
	MOVQ next+8(FP), DI
	MOVQ prev+16(FP), R8
	VBROADCASTSS a+24(FP), Y13
	VBROADCASTSS beta+28(FP), Y14
	MOVQ n+32(FP), CX
	SHLQ $2, CX
	VBROADCASTSS fwdOne<>(SB), Y15
	XORQ AX, AX
vtloop:
	VMOVUPS (SI)(AX*1), Y0      // φ
	VMULPS  Y0, Y0, Y1          // φ·φ
	VSUBPS  Y1, Y15, Y1         // 1−φ·φ
	VMOVUPS Y1, (SI)(AX*1)
	VMULPS  (R8)(AX*1), Y14, Y2 // β·prev
	VMULPS  Y0, Y13, Y3         // α·φ
	VADDPS  Y3, Y2, Y2
	VMOVUPS Y2, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  vtloop
	VZEROUPPER
	RET

// func lstmCellAVX2(tc, nc, fg, cprev, ig, gg *float32, n int)
// c' = f·c + i·g, into both tc (tanh(c') is taken in place afterwards) and nc.
TEXT ·lstmCellAVX2(SB), NOSPLIT, $0-56
	MOVQ tc+0(FP), SI
	MOVQ nc+8(FP), DI
	MOVQ fg+16(FP), R8
	MOVQ cprev+24(FP), R9
	MOVQ ig+32(FP), R10
	MOVQ gg+40(FP), R11
	MOVQ n+48(FP), CX
	SHLQ $2, CX
	XORQ AX, AX
lcloop:
	VMOVUPS (R8)(AX*1), Y0
	VMULPS  (R9)(AX*1), Y0, Y0  // f·c
	VMOVUPS (R10)(AX*1), Y1
	VMULPS  (R11)(AX*1), Y1, Y1 // i·g
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (SI)(AX*1)
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  lcloop
	VZEROUPPER
	RET

// func gruCandidateAVX2(hn, ng, rg, pre *float32, n int)
// hn = pre (W_hn h + b_hn, kept for the backward step), n = n + r·hn.
TEXT ·gruCandidateAVX2(SB), NOSPLIT, $0-40
	MOVQ hn+0(FP), SI
	MOVQ ng+8(FP), DI
	MOVQ rg+16(FP), R8
	MOVQ pre+24(FP), R9
	MOVQ n+32(FP), CX
	SHLQ $2, CX
	XORQ AX, AX
gcloop:
	VMOVUPS (R9)(AX*1), Y0
	VMOVUPS Y0, (SI)(AX*1)
	VMULPS  (R8)(AX*1), Y0, Y0 // r·hn
	VADDPS  (DI)(AX*1), Y0, Y0 // n + r·hn
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  gcloop
	VZEROUPPER
	RET

// func gruStateAVX2(next, zg, ng, prev *float32, n int)
// h' = (1−z)·n + z·h.
TEXT ·gruStateAVX2(SB), NOSPLIT, $0-40
	MOVQ next+0(FP), SI
	MOVQ zg+8(FP), DI
	MOVQ ng+16(FP), R8
	MOVQ prev+24(FP), R9
	MOVQ n+32(FP), CX
	SHLQ $2, CX
	VBROADCASTSS fwdOne<>(SB), Y15
	XORQ AX, AX
gsloop:
	VMOVUPS (DI)(AX*1), Y0     // z
	VSUBPS  Y0, Y15, Y1        // 1−z
	VMULPS  (R8)(AX*1), Y1, Y1 // (1−z)·n
	VMULPS  (R9)(AX*1), Y0, Y0 // z·h
	VADDPS  Y0, Y1, Y1
	VMOVUPS Y1, (SI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  gsloop
	VZEROUPPER
	RET

// func broadcastRowsAVX2(dst, src *float32, rows, b int)
// Row r of dst (b floats, rows of them back to back) is src[r] b times: eight at a time,
// the last b mod 8 one at a time.
TEXT ·broadcastRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ b+24(FP), DX
	MOVQ DX, R8
	ANDQ $-8, R8 // the whole eights of a row
brrow:
	TESTQ CX, CX
	JE    brdone
	VBROADCASTSS (SI), Y0
	XORQ AX, AX
	JMP  br8test
br8:
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
br8test:
	CMPQ AX, R8
	JLT  br8
	JMP  br1test
br1:
	MOVSS X0, (DI)(AX*4)
	INCQ AX
br1test:
	CMPQ AX, DX
	JLT  br1
	LEAQ (DI)(DX*4), DI
	ADDQ $4, SI
	DECQ CX
	JMP  brrow
brdone:
	VZEROUPPER
	RET
