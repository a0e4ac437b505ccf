//go:build !purego

#include "textflag.h"

// Optimizer kernels, avx2 tier (VEX encodings only, YMM0-15).
//
// adamAVX2 is AdamUpdate over len(p)/8 whole vectors of 8 (the Go wrapper passes a
// multiple of 8 and finishes the rest). Each operation is the generic loop's, in its
// order, and none is fused, so the bits are the generic loop's. The clamp keeps a NaN
// gradient element as the generic loop does: VMINPS and VMAXPS return their second
// source operand when either is NaN, and the gradient is that operand.
//
// Registers: DI = p, SI = g, R8 = m, R9 = v, CX = vectors left; Y7 = lr/(1−β1ᵗ),
// Y8 = β1, Y9 = 1−β1, Y10 = β2, Y11 = 1−β2, Y12 = √(1−β2ᵗ), Y13 = ε, Y14 = −bound,
// Y15 = bound. The loop carries no dependency from one vector to the next, so the
// out-of-order core overlaps the square roots and divisions of consecutive vectors.

// func adamAVX2(p, g, m, v []float32, c AdamCoefficients)
TEXT ·adamAVX2(SB), NOSPLIT, $0-128
	MOVQ         p_base+0(FP), DI
	MOVQ         p_len+8(FP), CX
	MOVQ         g_base+24(FP), SI
	MOVQ         m_base+48(FP), R8
	MOVQ         v_base+72(FP), R9
	VBROADCASTSS c_Beta1+96(FP), Y8
	VBROADCASTSS c_OneMinusBeta1+100(FP), Y9
	VBROADCASTSS c_Beta2+104(FP), Y10
	VBROADCASTSS c_OneMinusBeta2+108(FP), Y11
	VBROADCASTSS c_Correction2+112(FP), Y12
	VBROADCASTSS c_Eps+116(FP), Y13
	VBROADCASTSS c_StepSize+120(FP), Y7
	VBROADCASTSS c_GradBound+124(FP), Y15
	VXORPS       Y14, Y14, Y14
	VSUBPS       Y15, Y14, Y14 // −bound = 0 − bound
	SHRQ         $3, CX
	JZ           done

loop:
	VMOVUPS (SI), Y0
	VMINPS  Y0, Y15, Y0 // min(bound, g): g if NaN
	VMAXPS  Y0, Y14, Y0 // max(−bound, g): g if NaN
	VMULPS  (R8), Y8, Y1 // β1·m
	VMULPS  Y0, Y9, Y2   // (1−β1)·g
	VADDPS  Y2, Y1, Y1   // m
	VMOVUPS Y1, (R8)
	VMULPS  (R9), Y10, Y3 // β2·v
	VMULPS  Y0, Y11, Y2   // (1−β2)·g
	VMULPS  Y0, Y2, Y2    // (1−β2)·g·g
	VADDPS  Y2, Y3, Y3    // v
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y3
	VDIVPS  Y12, Y3, Y3 // √v / √(1−β2ᵗ)
	VADDPS  Y13, Y3, Y3 // + ε
	VMULPS  Y1, Y7, Y1  // lr/(1−β1ᵗ)·m
	VDIVPS  Y3, Y1, Y1  // … / denominator
	VMOVUPS (DI), Y4
	VSUBPS  Y1, Y4, Y4  // p − step
	VMOVUPS Y4, (DI)
	ADDQ    $32, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// sumSquaresAVX2 adds x[i]² to s[i mod 16] over len(x)/16 whole blocks (the Go wrapper
// passes a multiple of 16). Y0-Y3 hold the 16 partial sums as float64, Y0 the sums of
// elements 0-3 of each block, Y1 of 4-7 and so on; the square of a float32 is exact in
// float64, so the fused multiply-add rounds as the generic loop's multiply and add do.

// func sumSquaresAVX2(x []float32, s *[16]float64)
TEXT ·sumSquaresAVX2(SB), NOSPLIT, $0-32
	MOVQ    x_base+0(FP), SI
	MOVQ    x_len+8(FP), CX
	MOVQ    s+24(FP), DI
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	SHRQ    $4, CX
	JZ      sumsqDone

sumsqLoop:
	VCVTPS2PD   (SI), Y4
	VCVTPS2PD   16(SI), Y5
	VCVTPS2PD   32(SI), Y6
	VCVTPS2PD   48(SI), Y7
	VFMADD231PD Y4, Y4, Y0
	VFMADD231PD Y5, Y5, Y1
	VFMADD231PD Y6, Y6, Y2
	VFMADD231PD Y7, Y7, Y3
	ADDQ        $64, SI
	DECQ        CX
	JNZ         sumsqLoop

sumsqDone:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET
