//go:build !purego

#include "textflag.h"

// Register use in both micro-kernels (see gemm_blocked.go for the contract):
//   CX kc   SI a(row 0, column p)   AX A column step   R12 A row step, R13 3·, R14 5·, BX 7·
//   DX b(row p)   R8 ldb, R10 3·ldb, R11 4·ldb   DI c   R9 ldc   (all steps in bytes)
// Only the first rows rows of the tile are written back (and, in mode 1, read first), so
// the last A panel, when M is not a multiple of mr, is computed zero-padded but stored
// straight into C. Modes (see gemm_blocked.go): 0 adds the product to C, the
// accumulators starting at zero and C's tile, prefetched at the start, added at the end;
// 1 (sequential) starts the accumulators from C's tile and stores them; 2 (store)
// starts them at zero and stores them, never reading C.

// ZERO_Y4_Y15 clears the twelve accumulators Y4-Y15 of the 6×16 and 12×8 tiles.
#define ZERO_Y4_Y15 \
	VXORPS Y4, Y4, Y4    \
	VXORPS Y5, Y5, Y5    \
	VXORPS Y6, Y6, Y6    \
	VXORPS Y7, Y7, Y7    \
	VXORPS Y8, Y8, Y8    \
	VXORPS Y9, Y9, Y9    \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11 \
	VXORPS Y12, Y12, Y12 \
	VXORPS Y13, Y13, Y13 \
	VXORPS Y14, Y14, Y14 \
	VXORPS Y15, Y15, Y15

// PREFETCH_ROW(r) prefetches both lines a C row's 16 floats from (r) may straddle.
#define PREFETCH_ROW(r) \
	PREFETCHT0 (r)   \
	PREFETCHT0 63(r)

// PREFETCH_6ROWS(r) prefetches six C rows from (r) on, ldc (R9) apart, advancing r five
// rows.
#define PREFETCH_6ROWS(r) \
	PREFETCH_ROW(r) \
	ADDQ R9, r      \
	PREFETCH_ROW(r) \
	ADDQ R9, r      \
	PREFETCH_ROW(r) \
	ADDQ R9, r      \
	PREFETCH_ROW(r) \
	ADDQ R9, r      \
	PREFETCH_ROW(r) \
	ADDQ R9, r      \
	PREFETCH_ROW(r)

// FMA6x16(off) adds the products of the B row in Y0 (columns 0-7) and Y1 (8-15) with
// the six A values at off(SI) + i·rsa (R12 rsa, R13 3·rsa, R14 5·rsa) into the 6×16
// tile's accumulators Y4-Y15, broadcasting into Y2 and Y3 in turn so that a broadcast can
// issue while the previous one still feeds multiply-adds.
#define FMA6x16(off) \
	VBROADCASTSS off(SI), Y2         \
	VFMADD231PS Y0, Y2, Y4           \
	VFMADD231PS Y1, Y2, Y5           \
	VBROADCASTSS off(SI)(R12*1), Y3  \
	VFMADD231PS Y0, Y3, Y6           \
	VFMADD231PS Y1, Y3, Y7           \
	VBROADCASTSS off(SI)(R12*2), Y2  \
	VFMADD231PS Y0, Y2, Y8           \
	VFMADD231PS Y1, Y2, Y9           \
	VBROADCASTSS off(SI)(R13*1), Y3  \
	VFMADD231PS Y0, Y3, Y10          \
	VFMADD231PS Y1, Y3, Y11          \
	VBROADCASTSS off(SI)(R12*4), Y2  \
	VFMADD231PS Y0, Y2, Y12          \
	VFMADD231PS Y1, Y2, Y13          \
	VBROADCASTSS off(SI)(R14*1), Y3  \
	VFMADD231PS Y0, Y3, Y14          \
	VFMADD231PS Y1, Y3, Y15

// KSTEP6x16(b0, b1) runs one k step of the 6×16 tile on the B row whose halves are at
// b0 and b1, then moves SI to the next A column.
#define KSTEP6x16(b0, b1) \
	VMOVUPS b0, Y0 \
	VMOVUPS b1, Y1 \
	FMA6x16(0)     \
	ADDQ AX, SI

// STEP4x6x16 runs four k steps (B rows at DX, DX+R8, DX+2·R8 and DX+R10), moves DX
// R11 = 4·R8 bytes on and counts the steps off CX.
#define STEP4x6x16 \
	KSTEP6x16((DX), 32(DX))                 \
	KSTEP6x16((DX)(R8*1), 32(DX)(R8*1))     \
	KSTEP6x16((DX)(R8*2), 32(DX)(R8*2))     \
	KSTEP6x16((DX)(R10*1), 32(DX)(R10*1))   \
	ADDQ R11, DX                            \
	SUBQ $4, CX

// func gemmKernel6x16AVX2(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, mode, tiles, astep, ahead int)
// Twelve YMM accumulators (Y4-Y15) hold the 6×16 tile; per k, two B vectors (Y0, Y1)
// and six A broadcasts (alternating Y2, Y3 so a broadcast can issue while the previous
// one still feeds FMAs). VEX only: no register above Y15. It runs tiles ≥ 1 tiles down
// the same B micro-panel, the next one's A astep floats on and its C six rows down: the
// loop advances a and c in their argument slots and starts over, so every tile is the
// one-tile call's instructions. With ahead > 0 the four-step loop also prefetches the two
// lines ahead bytes past its A pointer (BX): for a packed A streaming from memory.
TEXT ·gemmKernel6x16AVX2(SB), NOSPLIT, $0-104
tile6x16:
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R9
	SHLQ $2, R9
	ZERO_Y4_Y15
	MOVQ mode+72(FP), CX
	CMPQ CX, $1
	JNE  notSeq6x16
	// Mode 1: start from C, so every k term is added into C's own value in k order
	// (the first rows rows; the rest stay zero). The loads below wait for C's lines;
	// the next tile's (six rows down) are prefetched first, to arrive during this tile's
	// multiply-adds (past the last tile they are lines nobody reads, and a prefetch
	// never faults).
	LEAQ (R9)(R9*2), R10
	LEAQ (DI)(R10*2), R10
	PREFETCH_6ROWS(R10)
	MOVQ rows+64(FP), CX
	MOVQ DI, R10
	VMOVUPS (R10), Y4
	VMOVUPS 32(R10), Y5
	DECQ CX
	JZ   loaded6x16
	ADDQ R9, R10
	VMOVUPS (R10), Y6
	VMOVUPS 32(R10), Y7
	DECQ CX
	JZ   loaded6x16
	ADDQ R9, R10
	VMOVUPS (R10), Y8
	VMOVUPS 32(R10), Y9
	DECQ CX
	JZ   loaded6x16
	ADDQ R9, R10
	VMOVUPS (R10), Y10
	VMOVUPS 32(R10), Y11
	DECQ CX
	JZ   loaded6x16
	ADDQ R9, R10
	VMOVUPS (R10), Y12
	VMOVUPS 32(R10), Y13
	DECQ CX
	JZ   loaded6x16
	ADDQ R9, R10
	VMOVUPS (R10), Y14
	VMOVUPS 32(R10), Y15
	JMP  loaded6x16
notSeq6x16:
	// Store mode (2) never reads C.
	CMPQ CX, $2
	JEQ  loaded6x16
	// Prefetch the C tile now so its lines arrive during the FMAs instead of stalling
	// the write-back: with a short K (RTRL's K = n) that stall is most of a call.
	MOVQ DI, CX
	PREFETCH_6ROWS(CX)
loaded6x16:
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13
	LEAQ (R12)(R12*4), R14
	MOVQ ahead+96(FP), BX
	MOVQ csa+24(FP), AX
	SHLQ $2, AX
	MOVQ b+32(FP), DX
	MOVQ ldb+40(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R10
	LEAQ (R8)(R8*4), R11
	SUBQ R8, R11
	CMPQ CX, $4
	JLT  tail
	TESTQ BX, BX
	JNE  loop4pf
loop4:
	STEP4x6x16
	CMPQ CX, $4
	JGE  loop4
	JMP  tail
loop4pf:
	// The same four steps, the A lines ahead bytes on requested first: a packed A
	// larger than the caches streams from memory faster than the hardware prefetcher
	// brings it (see gemmStreamBytes).
	PREFETCHT0 (SI)(BX*1)
	PREFETCHT0 64(SI)(BX*1)
	STEP4x6x16
	CMPQ CX, $4
	JGE  loop4pf
tail:
	TESTQ CX, CX
	JEQ  store
loop1:
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	FMA6x16(0)
	ADDQ AX, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop1
store:
	CMPQ mode+72(FP), $0
	JNE  storeOnly6x16
	MOVQ rows+64(FP), CX
	VADDPS (DI), Y4, Y4
	VMOVUPS Y4, (DI)
	VADDPS 32(DI), Y5, Y5
	VMOVUPS Y5, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Y6, Y6
	VMOVUPS Y6, (DI)
	VADDPS 32(DI), Y7, Y7
	VMOVUPS Y7, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Y8, Y8
	VMOVUPS Y8, (DI)
	VADDPS 32(DI), Y9, Y9
	VMOVUPS Y9, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Y10, Y10
	VMOVUPS Y10, (DI)
	VADDPS 32(DI), Y11, Y11
	VMOVUPS Y11, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Y12, Y12
	VMOVUPS Y12, (DI)
	VADDPS 32(DI), Y13, Y13
	VMOVUPS Y13, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Y14, Y14
	VMOVUPS Y14, (DI)
	VADDPS 32(DI), Y15, Y15
	VMOVUPS Y15, 32(DI)
	JMP  done
storeOnly6x16:
	MOVQ rows+64(FP), CX
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Y10, (DI)
	VMOVUPS Y11, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, 32(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Y14, (DI)
	VMOVUPS Y15, 32(DI)
	JMP  done
done:
	MOVQ tiles+80(FP), CX
	DECQ CX
	JLE  exit6x16
	MOVQ CX, tiles+80(FP)
	MOVQ astep+88(FP), CX
	SHLQ $2, CX
	ADDQ CX, a+8(FP)
	MOVQ ldc+56(FP), CX
	IMULQ $24, CX
	ADDQ CX, c+48(FP)
	JMP  tile6x16
exit6x16:
	VZEROUPPER
	RET

// FMA6ROWS12x8(p, a0, a1, a2, a3, a4, a5) adds the B row in Y0 times the A values at p,
// p+R12, p+2·R12, p+R13, p+4·R12 and p+R14 (six rows rsa apart) into a0-a5, rotating
// the broadcasts through Y1-Y3.
#define FMA6ROWS12x8(p, a0, a1, a2, a3, a4, a5) \
	VBROADCASTSS (p), Y1         \
	VFMADD231PS Y0, Y1, a0       \
	VBROADCASTSS (p)(R12*1), Y2  \
	VFMADD231PS Y0, Y2, a1       \
	VBROADCASTSS (p)(R12*2), Y3  \
	VFMADD231PS Y0, Y3, a2       \
	VBROADCASTSS (p)(R13*1), Y1  \
	VFMADD231PS Y0, Y1, a3       \
	VBROADCASTSS (p)(R12*4), Y2  \
	VFMADD231PS Y0, Y2, a4       \
	VBROADCASTSS (p)(R14*1), Y3  \
	VFMADD231PS Y0, Y3, a5

// KSTEP12x8 runs one k step of the 12×8 tile: the B row at DX, A's rows 0-5 from SI and
// 6-11 from BX; it moves the three pointers on and counts the step off CX (flags set).
#define KSTEP12x8 \
	VMOVUPS (DX), Y0                                \
	FMA6ROWS12x8(SI, Y4, Y5, Y6, Y7, Y8, Y9)        \
	FMA6ROWS12x8(BX, Y10, Y11, Y12, Y13, Y14, Y15)  \
	ADDQ AX, SI                                     \
	ADDQ AX, BX                                     \
	ADDQ R8, DX                                     \
	DECQ CX

// func gemmKernel12x8AVX2(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, mode, ahead int)
// The narrow tile, for a B of at most 8 columns (a minibatch of 8 sequences, where the
// 6×16 tile would compute half zeros): twelve YMM accumulators (Y4-Y15) hold the 12×8
// tile; per k, one B vector (Y0) and twelve A broadcasts (rotating Y1-Y3), rows 0-5 from
// SI and rows 6-11 from BX = SI + 6·rsa. Each element takes its k terms in the same order
// and with the same multiply-adds as in the 6×16 and 8×32 kernels, so with the same K
// blocks the bits are theirs.
TEXT ·gemmKernel12x8AVX2(SB), NOSPLIT, $0-88
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R9
	SHLQ $2, R9
	ZERO_Y4_Y15
	MOVQ mode+72(FP), CX
	CMPQ CX, $1
	JNE  notSeq12x8
	// Mode 1: start from C's first rows rows.
	MOVQ rows+64(FP), CX
	MOVQ DI, R10
	VMOVUPS (R10), Y4
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y5
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y6
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y7
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y8
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y9
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y10
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y11
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y12
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y13
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y14
	DECQ CX
	JZ   loaded12x8
	ADDQ R9, R10
	VMOVUPS (R10), Y15
	JMP  loaded12x8
notSeq12x8:
	// Store mode (2) never reads C; add mode prefetches the tile's rows (32 bytes each,
	// possibly across two lines).
	CMPQ CX, $2
	JEQ  loaded12x8
	MOVQ DI, CX
	MOVQ $12, R10
prefetch12x8:
	PREFETCHT0 (CX)
	PREFETCHT0 31(CX)
	ADDQ R9, CX
	DECQ R10
	JNZ  prefetch12x8
loaded12x8:
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13
	LEAQ (R12)(R12*4), R14
	LEAQ (SI)(R13*2), BX
	MOVQ csa+24(FP), AX
	SHLQ $2, AX
	MOVQ b+32(FP), DX
	MOVQ ldb+40(FP), R8
	SHLQ $2, R8
	MOVQ ahead+80(FP), R11
	TESTQ R11, R11
	JNE  loop12x8pf
loop12x8:
	KSTEP12x8
	JNZ  loop12x8
	JMP  summed12x8
loop12x8pf:
	// The same step, the A line ahead bytes on requested first (see the 6×16 kernel's
	// loop4pf): one prefetch a step covers every line, a step reading 48 bytes of a
	// packed panel.
	PREFETCHT0 (SI)(R11*1)
	KSTEP12x8
	JNZ  loop12x8pf
summed12x8:
	CMPQ mode+72(FP), $0
	JNE  storeOnly12x8
	MOVQ rows+64(FP), CX
	VADDPS (DI), Y4, Y4
	VMOVUPS Y4, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y5, Y5
	VMOVUPS Y5, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y6, Y6
	VMOVUPS Y6, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y7, Y7
	VMOVUPS Y7, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y8, Y8
	VMOVUPS Y8, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y9, Y9
	VMOVUPS Y9, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y10, Y10
	VMOVUPS Y10, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y11, Y11
	VMOVUPS Y11, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y12, Y12
	VMOVUPS Y12, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y13, Y13
	VMOVUPS Y13, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y14, Y14
	VMOVUPS Y14, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VADDPS (DI), Y15, Y15
	VMOVUPS Y15, (DI)
	JMP  done12x8
storeOnly12x8:
	MOVQ rows+64(FP), CX
	VMOVUPS Y4, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y5, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y6, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y7, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y8, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y9, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y10, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y11, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y12, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y13, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y14, (DI)
	DECQ CX
	JZ   done12x8
	ADDQ R9, DI
	VMOVUPS Y15, (DI)
done12x8:
	VZEROUPPER
	RET

// func gemmKernel8x32AVX512(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, mode int)
// Sixteen ZMM accumulators (Z16-Z31) hold the 8×32 tile; per k, two B vectors (Z0, Z1)
// and eight A broadcasts (Z2-Z9): ten loads feed sixteen FMAs.
TEXT ·gemmKernel8x32AVX512(SB), NOSPLIT, $0-80
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R9
	SHLQ $2, R9
	VXORPS Z16, Z16, Z16
	VXORPS Z17, Z17, Z17
	VXORPS Z18, Z18, Z18
	VXORPS Z19, Z19, Z19
	VXORPS Z20, Z20, Z20
	VXORPS Z21, Z21, Z21
	VXORPS Z22, Z22, Z22
	VXORPS Z23, Z23, Z23
	VXORPS Z24, Z24, Z24
	VXORPS Z25, Z25, Z25
	VXORPS Z26, Z26, Z26
	VXORPS Z27, Z27, Z27
	VXORPS Z28, Z28, Z28
	VXORPS Z29, Z29, Z29
	VXORPS Z30, Z30, Z30
	VXORPS Z31, Z31, Z31
	MOVQ mode+72(FP), CX
	CMPQ CX, $1
	JNE  notSeq8x32
	// Mode 1: start from C, so every k term is added into C's own value in k order
	// (the first rows rows; the rest stay zero).
	MOVQ rows+64(FP), CX
	MOVQ DI, R10
	VMOVUPS (R10), Z16
	VMOVUPS 64(R10), Z17
	DECQ CX
	JZ   loaded8x32
	ADDQ R9, R10
	VMOVUPS (R10), Z18
	VMOVUPS 64(R10), Z19
	DECQ CX
	JZ   loaded8x32
	ADDQ R9, R10
	VMOVUPS (R10), Z20
	VMOVUPS 64(R10), Z21
	DECQ CX
	JZ   loaded8x32
	ADDQ R9, R10
	VMOVUPS (R10), Z22
	VMOVUPS 64(R10), Z23
	DECQ CX
	JZ   loaded8x32
	ADDQ R9, R10
	VMOVUPS (R10), Z24
	VMOVUPS 64(R10), Z25
	DECQ CX
	JZ   loaded8x32
	ADDQ R9, R10
	VMOVUPS (R10), Z26
	VMOVUPS 64(R10), Z27
	DECQ CX
	JZ   loaded8x32
	ADDQ R9, R10
	VMOVUPS (R10), Z28
	VMOVUPS 64(R10), Z29
	DECQ CX
	JZ   loaded8x32
	ADDQ R9, R10
	VMOVUPS (R10), Z30
	VMOVUPS 64(R10), Z31
	JMP  loaded8x32
notSeq8x32:
	// Store mode (2) never reads C.
	CMPQ CX, $2
	JEQ  loaded8x32
	// Prefetch the C tile now so its lines arrive during the FMAs instead of stalling
	// the write-back: with a short K (RTRL's K = n) that stall is most of a call.
	MOVQ DI, CX
	PREFETCHT0 (CX)
	PREFETCHT0 64(CX)
	PREFETCHT0 127(CX)
	ADDQ R9, CX
	PREFETCHT0 (CX)
	PREFETCHT0 64(CX)
	PREFETCHT0 127(CX)
	ADDQ R9, CX
	PREFETCHT0 (CX)
	PREFETCHT0 64(CX)
	PREFETCHT0 127(CX)
	ADDQ R9, CX
	PREFETCHT0 (CX)
	PREFETCHT0 64(CX)
	PREFETCHT0 127(CX)
	ADDQ R9, CX
	PREFETCHT0 (CX)
	PREFETCHT0 64(CX)
	PREFETCHT0 127(CX)
	ADDQ R9, CX
	PREFETCHT0 (CX)
	PREFETCHT0 64(CX)
	PREFETCHT0 127(CX)
	ADDQ R9, CX
	PREFETCHT0 (CX)
	PREFETCHT0 64(CX)
	PREFETCHT0 127(CX)
	ADDQ R9, CX
	PREFETCHT0 (CX)
	PREFETCHT0 64(CX)
	PREFETCHT0 127(CX)
loaded8x32:
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13
	LEAQ (R12)(R12*4), R14
	LEAQ (R13)(R12*4), BX
	MOVQ csa+24(FP), AX
	SHLQ $2, AX
	MOVQ b+32(FP), DX
	MOVQ ldb+40(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R10
	LEAQ (R8)(R8*4), R11
	SUBQ R8, R11
	CMPQ CX, $4
	JLT  tail
loop4:
	VMOVUPS (DX), Z0
	VMOVUPS 64(DX), Z1
	VBROADCASTSS (SI), Z2
	VFMADD231PS Z0, Z2, Z16
	VFMADD231PS Z1, Z2, Z17
	VBROADCASTSS (SI)(R12*1), Z3
	VFMADD231PS Z0, Z3, Z18
	VFMADD231PS Z1, Z3, Z19
	VBROADCASTSS (SI)(R12*2), Z4
	VFMADD231PS Z0, Z4, Z20
	VFMADD231PS Z1, Z4, Z21
	VBROADCASTSS (SI)(R13*1), Z5
	VFMADD231PS Z0, Z5, Z22
	VFMADD231PS Z1, Z5, Z23
	VBROADCASTSS (SI)(R12*4), Z6
	VFMADD231PS Z0, Z6, Z24
	VFMADD231PS Z1, Z6, Z25
	VBROADCASTSS (SI)(R14*1), Z7
	VFMADD231PS Z0, Z7, Z26
	VFMADD231PS Z1, Z7, Z27
	VBROADCASTSS (SI)(R13*2), Z8
	VFMADD231PS Z0, Z8, Z28
	VFMADD231PS Z1, Z8, Z29
	VBROADCASTSS (SI)(BX*1), Z9
	VFMADD231PS Z0, Z9, Z30
	VFMADD231PS Z1, Z9, Z31
	ADDQ AX, SI
	VMOVUPS (DX)(R8*1), Z0
	VMOVUPS 64(DX)(R8*1), Z1
	VBROADCASTSS (SI), Z2
	VFMADD231PS Z0, Z2, Z16
	VFMADD231PS Z1, Z2, Z17
	VBROADCASTSS (SI)(R12*1), Z3
	VFMADD231PS Z0, Z3, Z18
	VFMADD231PS Z1, Z3, Z19
	VBROADCASTSS (SI)(R12*2), Z4
	VFMADD231PS Z0, Z4, Z20
	VFMADD231PS Z1, Z4, Z21
	VBROADCASTSS (SI)(R13*1), Z5
	VFMADD231PS Z0, Z5, Z22
	VFMADD231PS Z1, Z5, Z23
	VBROADCASTSS (SI)(R12*4), Z6
	VFMADD231PS Z0, Z6, Z24
	VFMADD231PS Z1, Z6, Z25
	VBROADCASTSS (SI)(R14*1), Z7
	VFMADD231PS Z0, Z7, Z26
	VFMADD231PS Z1, Z7, Z27
	VBROADCASTSS (SI)(R13*2), Z8
	VFMADD231PS Z0, Z8, Z28
	VFMADD231PS Z1, Z8, Z29
	VBROADCASTSS (SI)(BX*1), Z9
	VFMADD231PS Z0, Z9, Z30
	VFMADD231PS Z1, Z9, Z31
	ADDQ AX, SI
	VMOVUPS (DX)(R8*2), Z0
	VMOVUPS 64(DX)(R8*2), Z1
	VBROADCASTSS (SI), Z2
	VFMADD231PS Z0, Z2, Z16
	VFMADD231PS Z1, Z2, Z17
	VBROADCASTSS (SI)(R12*1), Z3
	VFMADD231PS Z0, Z3, Z18
	VFMADD231PS Z1, Z3, Z19
	VBROADCASTSS (SI)(R12*2), Z4
	VFMADD231PS Z0, Z4, Z20
	VFMADD231PS Z1, Z4, Z21
	VBROADCASTSS (SI)(R13*1), Z5
	VFMADD231PS Z0, Z5, Z22
	VFMADD231PS Z1, Z5, Z23
	VBROADCASTSS (SI)(R12*4), Z6
	VFMADD231PS Z0, Z6, Z24
	VFMADD231PS Z1, Z6, Z25
	VBROADCASTSS (SI)(R14*1), Z7
	VFMADD231PS Z0, Z7, Z26
	VFMADD231PS Z1, Z7, Z27
	VBROADCASTSS (SI)(R13*2), Z8
	VFMADD231PS Z0, Z8, Z28
	VFMADD231PS Z1, Z8, Z29
	VBROADCASTSS (SI)(BX*1), Z9
	VFMADD231PS Z0, Z9, Z30
	VFMADD231PS Z1, Z9, Z31
	ADDQ AX, SI
	VMOVUPS (DX)(R10*1), Z0
	VMOVUPS 64(DX)(R10*1), Z1
	VBROADCASTSS (SI), Z2
	VFMADD231PS Z0, Z2, Z16
	VFMADD231PS Z1, Z2, Z17
	VBROADCASTSS (SI)(R12*1), Z3
	VFMADD231PS Z0, Z3, Z18
	VFMADD231PS Z1, Z3, Z19
	VBROADCASTSS (SI)(R12*2), Z4
	VFMADD231PS Z0, Z4, Z20
	VFMADD231PS Z1, Z4, Z21
	VBROADCASTSS (SI)(R13*1), Z5
	VFMADD231PS Z0, Z5, Z22
	VFMADD231PS Z1, Z5, Z23
	VBROADCASTSS (SI)(R12*4), Z6
	VFMADD231PS Z0, Z6, Z24
	VFMADD231PS Z1, Z6, Z25
	VBROADCASTSS (SI)(R14*1), Z7
	VFMADD231PS Z0, Z7, Z26
	VFMADD231PS Z1, Z7, Z27
	VBROADCASTSS (SI)(R13*2), Z8
	VFMADD231PS Z0, Z8, Z28
	VFMADD231PS Z1, Z8, Z29
	VBROADCASTSS (SI)(BX*1), Z9
	VFMADD231PS Z0, Z9, Z30
	VFMADD231PS Z1, Z9, Z31
	ADDQ AX, SI
	ADDQ R11, DX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4
tail:
	TESTQ CX, CX
	JEQ  store
loop1:
	VMOVUPS (DX), Z0
	VMOVUPS 64(DX), Z1
	VBROADCASTSS (SI), Z2
	VFMADD231PS Z0, Z2, Z16
	VFMADD231PS Z1, Z2, Z17
	VBROADCASTSS (SI)(R12*1), Z3
	VFMADD231PS Z0, Z3, Z18
	VFMADD231PS Z1, Z3, Z19
	VBROADCASTSS (SI)(R12*2), Z4
	VFMADD231PS Z0, Z4, Z20
	VFMADD231PS Z1, Z4, Z21
	VBROADCASTSS (SI)(R13*1), Z5
	VFMADD231PS Z0, Z5, Z22
	VFMADD231PS Z1, Z5, Z23
	VBROADCASTSS (SI)(R12*4), Z6
	VFMADD231PS Z0, Z6, Z24
	VFMADD231PS Z1, Z6, Z25
	VBROADCASTSS (SI)(R14*1), Z7
	VFMADD231PS Z0, Z7, Z26
	VFMADD231PS Z1, Z7, Z27
	VBROADCASTSS (SI)(R13*2), Z8
	VFMADD231PS Z0, Z8, Z28
	VFMADD231PS Z1, Z8, Z29
	VBROADCASTSS (SI)(BX*1), Z9
	VFMADD231PS Z0, Z9, Z30
	VFMADD231PS Z1, Z9, Z31
	ADDQ AX, SI
	ADDQ R8, DX
	DECQ CX
	JNZ  loop1
store:
	CMPQ mode+72(FP), $0
	JNE  storeOnly8x32
	MOVQ rows+64(FP), CX
	VADDPS (DI), Z16, Z16
	VMOVUPS Z16, (DI)
	VADDPS 64(DI), Z17, Z17
	VMOVUPS Z17, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Z18, Z18
	VMOVUPS Z18, (DI)
	VADDPS 64(DI), Z19, Z19
	VMOVUPS Z19, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Z20, Z20
	VMOVUPS Z20, (DI)
	VADDPS 64(DI), Z21, Z21
	VMOVUPS Z21, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Z22, Z22
	VMOVUPS Z22, (DI)
	VADDPS 64(DI), Z23, Z23
	VMOVUPS Z23, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Z24, Z24
	VMOVUPS Z24, (DI)
	VADDPS 64(DI), Z25, Z25
	VMOVUPS Z25, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Z26, Z26
	VMOVUPS Z26, (DI)
	VADDPS 64(DI), Z27, Z27
	VMOVUPS Z27, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Z28, Z28
	VMOVUPS Z28, (DI)
	VADDPS 64(DI), Z29, Z29
	VMOVUPS Z29, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VADDPS (DI), Z30, Z30
	VMOVUPS Z30, (DI)
	VADDPS 64(DI), Z31, Z31
	VMOVUPS Z31, 64(DI)
	JMP  done
storeOnly8x32:
	MOVQ rows+64(FP), CX
	VMOVUPS Z16, (DI)
	VMOVUPS Z17, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Z18, (DI)
	VMOVUPS Z19, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Z20, (DI)
	VMOVUPS Z21, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Z22, (DI)
	VMOVUPS Z23, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Z24, (DI)
	VMOVUPS Z25, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Z26, (DI)
	VMOVUPS Z27, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Z28, (DI)
	VMOVUPS Z29, 64(DI)
	DECQ CX
	JZ   done
	ADDQ R9, DI
	VMOVUPS Z30, (DI)
	VMOVUPS Z31, 64(DI)
	JMP  done
done:
	VZEROUPPER
	RET

// func gemmPackB16AVX2(dst, src *float32, lds, rows int)
// Copies rows rows of 16 floats, src row stride lds, to dst packed, and prefetches
// into L2 the next 16 floats of each row: the next B micro-panel, packed after the
// kernels have used this one. VEX only, so the avx2 tier may call it too.
TEXT ·gemmPackB16AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), DX
	SHLQ $2, DX
	MOVQ rows+24(FP), CX
packrow:
	PREFETCHT1 64(SI)
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ DX, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  packrow
	VZEROUPPER
	RET

// func gemmPackB32AVX2(dst, src *float32, lds, rows int)
// Copies rows rows of 32 floats, src row stride lds, to dst packed, and prefetches
// into L2 the next 32 floats of each row: the next B micro-panel, packed after the
// kernels have used this one. VEX only, so the avx2 tier may call it too.
TEXT ·gemmPackB32AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), DX
	SHLQ $2, DX
	MOVQ rows+24(FP), CX
packrow:
	PREFETCHT1 128(SI)
	PREFETCHT1 192(SI)
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ DX, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  packrow
	VZEROUPPER
	RET

// func gemmInPlacePanel6x16AVX2(kc int, a *float32, rsa int, x *float32, ldx int, buf *float32, tiles int, next *float32, ahead, pf int)
// One 16-column micro-panel of MatMulInPlace in one call: tiles full 6-row A panels (A
// row-major, row stride rsa) over the K = kc rows of X's panel at x (row stride ldx),
// each tile's product stored over X's rows 6·t … 6·t+5. The first tile reads B straight
// from X and saves each row into buf (kc·16 floats) as it goes, before its stores
// overwrite X's first rows; the later tiles read B from buf. Each element takes its k
// terms in order from zero, as the 6×16 kernel's store mode does, so the bits are its.
// Before each tile, up to ahead of the pf rows of the next micro-panel (next, stride
// ldx) are prefetched into L1. VEX only (Y0-Y15).
//   BX A tile   SI A   R12 rsa, R13 3·rsa, R14 5·rsa   R10 buf   DI C tile   R9 ldx
//   AX 6·ldx   R8 tiles left   R11 rows left to prefetch   CX count
//   DX the next row to prefetch (B's row in X during the first tile's loop)
TEXT ·gemmInPlacePanel6x16AVX2(SB), NOSPLIT, $0-80
	MOVQ a+8(FP), BX
	MOVQ rsa+16(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13
	LEAQ (R12)(R12*4), R14
	MOVQ x+24(FP), DI
	MOVQ ldx+32(FP), R9
	SHLQ $2, R9
	LEAQ (R9)(R9*2), AX
	SHLQ $1, AX
	MOVQ tiles+48(FP), R8
	MOVQ pf+72(FP), R11
	MOVQ next+56(FP), DX
	JMP  ipStart
ipTile:
	ADDQ R13, BX
	ADDQ R13, BX
	ADDQ AX, DI
ipStart:
	// Prefetch up to ahead of the rows left of the next micro-panel.
	MOVQ ahead+64(FP), CX
ipPf:
	TESTQ R11, R11
	JEQ  ipPfDone
	TESTQ CX, CX
	JEQ  ipPfDone
	PREFETCHT0 (DX)
	PREFETCHT0 63(DX)
	ADDQ R9, DX
	DECQ R11
	DECQ CX
	JMP  ipPf
ipPfDone:
	ZERO_Y4_Y15
	MOVQ BX, SI
	MOVQ buf+40(FP), R10
	MOVQ kc+0(FP), CX
	CMPQ R8, tiles+48(FP)
	JNE  ipFromBuf
	// The first tile: B from X (DX for this loop), saved into buf row by row.
	MOVQ DX, next+56(FP)
	MOVQ x+24(FP), DX
ipFirst:
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS Y0, (R10)
	VMOVUPS Y1, 32(R10)
	FMA6x16(0)
	ADDQ $4, SI
	ADDQ R9, DX
	ADDQ $64, R10
	DECQ CX
	JNZ  ipFirst
	MOVQ next+56(FP), DX
	JMP  ipStoreTile
ipFromBuf:
	CMPQ CX, $4
	JLT  ipTail
ipLoop4:
	VMOVUPS (R10), Y0
	VMOVUPS 32(R10), Y1
	FMA6x16(0)
	VMOVUPS 64(R10), Y0
	VMOVUPS 96(R10), Y1
	FMA6x16(4)
	VMOVUPS 128(R10), Y0
	VMOVUPS 160(R10), Y1
	FMA6x16(8)
	VMOVUPS 192(R10), Y0
	VMOVUPS 224(R10), Y1
	FMA6x16(12)
	ADDQ $16, SI
	ADDQ $256, R10
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  ipLoop4
ipTail:
	TESTQ CX, CX
	JEQ  ipStoreTile
ipLoop1:
	VMOVUPS (R10), Y0
	VMOVUPS 32(R10), Y1
	FMA6x16(0)
	ADDQ $4, SI
	ADDQ $64, R10
	DECQ CX
	JNZ  ipLoop1
ipStoreTile:
	MOVQ DI, CX
	VMOVUPS Y4, (CX)
	VMOVUPS Y5, 32(CX)
	ADDQ R9, CX
	VMOVUPS Y6, (CX)
	VMOVUPS Y7, 32(CX)
	ADDQ R9, CX
	VMOVUPS Y8, (CX)
	VMOVUPS Y9, 32(CX)
	ADDQ R9, CX
	VMOVUPS Y10, (CX)
	VMOVUPS Y11, 32(CX)
	ADDQ R9, CX
	VMOVUPS Y12, (CX)
	VMOVUPS Y13, 32(CX)
	ADDQ R9, CX
	VMOVUPS Y14, (CX)
	VMOVUPS Y15, 32(CX)
	DECQ R8
	JNZ  ipTile
	VZEROUPPER
	RET
