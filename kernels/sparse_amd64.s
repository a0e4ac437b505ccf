//go:build !purego

#include "textflag.h"

// The products through a RowPattern for the avx2 and avx512 tiers, one kept entry at a
// time with scalar VEX loads and fused multiply-adds, four entries per iteration. On Zen
// 3 this ran about five times faster than eight-lane VGATHERDPS (two gathers per eight
// entries, one into x and one into the row of A): AMD's gathers issue one load per lane
// and cost more than the scalar loads they replace (bench/RESULTS.md, issue 17).
//
// Registers: DI = &y[0] (MatTVec) or &y[i] (MatVec), CX = rows left, R8 = &a[i·stride],
// R9 = stride in bytes, R10 = &start[i], R11 = &index[0], SI = &x[0] or &x[i],
// DX = &index[k], BX = entries left in the row.

// func sparseMatVecAddFMA(y, a []float32, stride int, start, index []int32, x []float32)
TEXT ·sparseMatVecAddFMA(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), R8
	MOVQ stride+48(FP), R9
	SHLQ $2, R9
	MOVQ start_base+56(FP), R10
	MOVQ index_base+80(FP), R11
	MOVQ x_base+104(FP), SI
	TESTQ CX, CX
	JZ done

row:
	MOVLQSX (R10), AX
	MOVLQSX 4(R10), BX
	SUBQ AX, BX
	JZ next
	LEAQ (R11)(AX*4), DX
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1
	VXORPS X2, X2, X2
	VXORPS X3, X3, X3
	CMPQ BX, $4
	JB one

four:
	MOVLQSX (DX), AX
	MOVLQSX 4(DX), R12
	MOVLQSX 8(DX), R13
	MOVLQSX 12(DX), R14
	VMOVSS (R8)(AX*4), X4
	VMOVSS (R8)(R12*4), X5
	VMOVSS (R8)(R13*4), X6
	VMOVSS (R8)(R14*4), X7
	VFMADD231SS (SI)(AX*4), X4, X0
	VFMADD231SS (SI)(R12*4), X5, X1
	VFMADD231SS (SI)(R13*4), X6, X2
	VFMADD231SS (SI)(R14*4), X7, X3
	ADDQ $16, DX
	SUBQ $4, BX
	CMPQ BX, $4
	JAE four
	TESTQ BX, BX
	JZ reduce

one:
	MOVLQSX (DX), AX
	VMOVSS (R8)(AX*4), X4
	VFMADD231SS (SI)(AX*4), X4, X0
	ADDQ $4, DX
	DECQ BX
	JNZ one

reduce:
	VADDSS X1, X0, X0
	VADDSS X3, X2, X2
	VADDSS X2, X0, X0
	VADDSS (DI), X0, X0
	VMOVSS X0, (DI)

next:
	ADDQ $4, DI
	ADDQ $4, R10
	ADDQ R9, R8
	DECQ CX
	JNZ row

done:
	RET

// func sparseMatTVecAddFMA(y, a []float32, stride int, start, index []int32, x []float32)
// y[index[k]] += a[i·stride+index[k]]·x[i]: within a row the columns differ, so the four
// read-modify-writes of an iteration are independent.
TEXT ·sparseMatTVecAddFMA(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ a_base+24(FP), R8
	MOVQ stride+48(FP), R9
	SHLQ $2, R9
	MOVQ start_base+56(FP), R10
	MOVQ index_base+80(FP), R11
	MOVQ x_base+104(FP), SI
	MOVQ x_len+112(FP), CX
	TESTQ CX, CX
	JZ tdone

trow:
	MOVLQSX (R10), AX
	MOVLQSX 4(R10), BX
	SUBQ AX, BX
	JZ tnext
	LEAQ (R11)(AX*4), DX
	VMOVSS (SI), X0
	CMPQ BX, $4
	JB tone

tfour:
	MOVLQSX (DX), AX
	MOVLQSX 4(DX), R12
	MOVLQSX 8(DX), R13
	MOVLQSX 12(DX), R14
	VMOVSS (R8)(AX*4), X4
	VMOVSS (R8)(R12*4), X5
	VMOVSS (R8)(R13*4), X6
	VMOVSS (R8)(R14*4), X7
	VFMADD213SS (DI)(AX*4), X0, X4
	VFMADD213SS (DI)(R12*4), X0, X5
	VFMADD213SS (DI)(R13*4), X0, X6
	VFMADD213SS (DI)(R14*4), X0, X7
	VMOVSS X4, (DI)(AX*4)
	VMOVSS X5, (DI)(R12*4)
	VMOVSS X6, (DI)(R13*4)
	VMOVSS X7, (DI)(R14*4)
	ADDQ $16, DX
	SUBQ $4, BX
	CMPQ BX, $4
	JAE tfour
	TESTQ BX, BX
	JZ tnext

tone:
	MOVLQSX (DX), AX
	VMOVSS (R8)(AX*4), X4
	VFMADD213SS (DI)(AX*4), X0, X4
	VMOVSS X4, (DI)(AX*4)
	ADDQ $4, DX
	DECQ BX
	JNZ tone

tnext:
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ R9, R8
	DECQ CX
	JNZ trow

tdone:
	RET

// func prefetchRows(p *float32, stride, rows int)
// Prefetches into L1 the 64 bytes from p in each of rows rows stride bytes apart: the
// first and last byte's lines, so an unaligned 16-float row segment is covered.
TEXT ·prefetchRows(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ stride+8(FP), DX
	MOVQ rows+16(FP), CX
	TESTQ CX, CX
	JZ pdone

ploop:
	PREFETCHT0 (SI)
	PREFETCHT0 63(SI)
	ADDQ DX, SI
	DECQ CX
	JNZ ploop

pdone:
	RET
