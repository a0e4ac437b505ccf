//go:build !purego

#include "textflag.h"

// func transposeStrip8AVX2(dst *float32, lds int, src *float32, lss int, blocks int)
// Per block: eight rows of eight floats into Y0-Y7; unpack pairs of rows (Y8-Y15),
// shuffle pairs of those into four-row columns per 128-bit lane (Y0-Y7), and join the
// lanes of rows 0-3 and 4-7 into the eight columns (Y8-Y15), stored as dst's rows.
//   DI dst block   R8 lds   SI src block   R9 lss, R10 3·lss, R11 5·lss, R12 7·lss
//   R13 3·lds, R14 5·lds, BX 7·lds   CX blocks left   DX scratch
TEXT ·transposeStrip8AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ lds+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ lss+24(FP), R9
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10
	LEAQ (R9)(R9*4), R11
	LEAQ (R10)(R9*4), R12
	LEAQ (R8)(R8*2), R13
	LEAQ (R8)(R8*4), R14
	LEAQ (R13)(R8*4), BX
	MOVQ blocks+32(FP), CX
tblock:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R9*1), Y1
	VMOVUPS (SI)(R9*2), Y2
	VMOVUPS (SI)(R10*1), Y3
	VMOVUPS (SI)(R9*4), Y4
	VMOVUPS (SI)(R11*1), Y5
	VMOVUPS (SI)(R10*2), Y6
	VMOVUPS (SI)(R12*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R8*1)
	VMOVUPS Y10, (DI)(R8*2)
	VMOVUPS Y11, (DI)(R13*1)
	VMOVUPS Y12, (DI)(R8*4)
	VMOVUPS Y13, (DI)(R14*1)
	VMOVUPS Y14, (DI)(R13*2)
	VMOVUPS Y15, (DI)(BX*1)
	ADDQ $32, SI
	LEAQ (DI)(R8*8), DI
	DECQ CX
	JNZ  tblock
	VZEROUPPER
	RET
