//go:build !purego

#include "textflag.h"

// func prefetchRows(p *float32, stride, rows int)
TEXT ·prefetchRows(SB), NOSPLIT, $0-24
	MOVD p+0(FP), R0
	MOVD stride+8(FP), R1
	MOVD rows+16(FP), R2
	CBZ  R2, done

loop:
	PRFM (R0), PLDL1KEEP
	ADD  $63, R0, R3
	PRFM (R3), PLDL1KEEP
	ADD  R1, R0
	SUB  $1, R2
	CBNZ R2, loop

done:
	RET
