//go:build !purego

#include "textflag.h"

// Level-2 kernels (A·x, Aᵀ·x, rank-1 update) for the avx2 and avx512 tiers. A is
// row-major with a row stride in floats. Columns past the last whole vector (the tail):
//   - MatVec only reads: avx2 uses VMASKMOVPS loads, avx512 merge-masked FMAs whose
//     masked-out lanes are not read (no fault past the end of A or x).
//   - MatTVecAdd with 8 (avx2) or 16 (avx512) to 64 columns keeps all of y in registers;
//     wider, avx2 keeps y's tail in a register and stores it once per call, avx512
//     finishes with the overlapping last whole vector (see the function).
//   - Ger: avx2 does the tail columns one at a time, avx512 uses the overlapping last
//     whole vector. The avx512 Ger and MatTVecAdd need at least 16 columns; the Go side
//     sends narrower matrices to the avx2 kernels.
// Partially masked stores are avoided: on Zen 4 a masked ZMM store costs ~15 cycles, and
// a narrow store that the next call reads back with a wide load cannot be forwarded.
//
// Register use: R10..R13 point at four consecutive rows of A (R8 = row stride in bytes),
// DX is the byte offset of the current column, R9 = bytes of the columns covered by the
// unrolled blocks, SI = bytes of the columns covered by whole vectors (the tail, if any,
// starts at SI), CX = number of columns, BX = rows left.
//
// Zen 4 throughput that the loop comments count against: two 256-bit loads, one 256-bit
// store and two 256-bit FMAs per cycle (a ZMM operation takes a 256-bit pipe for two
// cycles); FMA latency is 4 cycles.

// tailMask<> is eight all-ones dwords followed by eight zero dwords: the eight dwords
// starting 4*r bytes before the middle select the first r lanes.
DATA tailMask<>+0(SB)/8, $0xffffffffffffffff
DATA tailMask<>+8(SB)/8, $0xffffffffffffffff
DATA tailMask<>+16(SB)/8, $0xffffffffffffffff
DATA tailMask<>+24(SB)/8, $0xffffffffffffffff
DATA tailMask<>+32(SB)/8, $0
DATA tailMask<>+40(SB)/8, $0
DATA tailMask<>+48(SB)/8, $0
DATA tailMask<>+56(SB)/8, $0
GLOBL tailMask<>(SB), RODATA|NOPTR, $64

// COLS sets R9, SI (see above) from CX for blocks of blockBytes (a power of two) and
// vectors of vecBytes.
#define COLS(blockBytes, vecBytes) \
	MOVQ CX, R9             \
	SHLQ $2, R9             \
	MOVQ R9, SI             \
	ANDQ $-blockBytes, R9   \
	ANDQ $-vecBytes, SI

// YMASK_COLS loads into Y15 the VMASKMOVPS mask for the CX mod 8 tail columns.
#define YMASK_COLS \
	LEAQ tailMask<>+32(SB), DX \
	MOVQ CX, R11               \
	ANDQ $7, R11               \
	SHLQ $2, R11               \
	SUBQ R11, DX               \
	VMOVDQU (DX), Y15

// YSTORE_TAIL stores the low CX mod 8 lanes (1..7) of ymm to (ptr), four, two and one
// at a time: VMASKMOVPS stores cost a dozen cycles on AMD cores. Clobbers ptr and ymm;
// the labels must be unique within the function.
#define YSTORE_TAIL(ptr, ymm, xmm, l2, l1, end) \
	TESTQ        $4, CX      \
	JZ           l2          \
	VMOVUPS      xmm, (ptr)  \
	VEXTRACTF128 $1, ymm, xmm \
	ADDQ         $16, ptr    \
l2:                              \
	TESTQ        $2, CX      \
	JZ           l1          \
	VMOVQ        xmm, (ptr)  \
	VMOVHLPS     xmm, xmm, xmm \
	ADDQ         $8, ptr     \
l1:                              \
	TESTQ        $1, CX      \
	JZ           end         \
	VMOVSS       xmm, (ptr)  \
end:

// KMASK_COLS sets K1 to the low CX mod 16 lanes. Clobbers R11 and R12.
#define KMASK_COLS \
	MOVQ CX, R11   \
	ANDL $15, CX   \
	MOVL $1, R12   \
	SHLL CX, R12   \
	DECL R12       \
	KMOVW R12, K1  \
	MOVQ R11, CX

// ROWS4 points R11..R13 at the three rows after R10.
#define ROWS4 \
	LEAQ (R10)(R8*1), R11 \
	LEAQ (R10)(R8*2), R12 \
	LEAQ (R11)(R8*2), R13

// HSUM4_Y0 leaves in X0 the four sums [ΣY0, ΣY1, ΣY2, ΣY3]. Clobbers Y1, Y2.
#define HSUM4_Y0 \
	VHADDPS      Y1, Y0, Y0 \
	VHADDPS      Y3, Y2, Y2 \
	VHADDPS      Y2, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0

// HSUM_Y0 leaves ΣY0 in the low lane of X0. Clobbers X1.
#define HSUM_Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVHLPS     X0, X0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1     \
	VADDSS       X1, X0, X0

// func matVecAVX2(y, a []float32, stride int, x []float32, accumulate bool)
TEXT ·matVecAVX2(SB), NOSPLIT, $0-81
	MOVQ y_base+0(FP), AX
	MOVQ y_len+8(FP), BX
	MOVQ a_base+24(FP), R10
	MOVQ stride+48(FP), R8
	SHLQ $2, R8
	MOVQ x_base+56(FP), DI
	MOVQ x_len+64(FP), CX
	COLS(64, 32)
	TESTQ $7, CX
	JZ    rows8

	// The tail of x is the same for every row: load it once, zeros in masked lanes.
	YMASK_COLS
	VMASKMOVPS (DI)(SI*1), Y15, Y14

rows8:
	CMPQ BX, $8
	JLT  rows4
	CMPQ CX, $256
	JGT  rows4

	// Rows of up to 256 columns go eight at a time, as in matVecAVX512 (same registers).
group8:
	MOVQ   R10, R9
	LEAQ   (R10)(R8*2), R11
	ADDQ   R8, R11
	LEAQ   (R10)(R8*4), R12
	LEAQ   (R11)(R8*4), R13
	MOVQ   x_base+56(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   CX, DX
	SHRQ   $3, DX
	JZ     g8tail

	// 8 columns of 8 rows: 1 load of x, 8 FMAs each folding a load of A into its own
	// accumulator. 9 loads = 4.5 cycles for 8 FMAs (2 per cycle): balanced.
g8loop:
	VMOVUPS     (DI), Y8
	VFMADD231PS (R10), Y8, Y0
	VFMADD231PS (R10)(R8*1), Y8, Y1
	VFMADD231PS (R10)(R8*2), Y8, Y2
	VFMADD231PS (R11), Y8, Y3
	VFMADD231PS (R12), Y8, Y4
	VFMADD231PS (R12)(R8*1), Y8, Y5
	VFMADD231PS (R12)(R8*2), Y8, Y6
	VFMADD231PS (R13), Y8, Y7
	ADDQ        $32, DI
	ADDQ        $32, R10
	ADDQ        $32, R11
	ADDQ        $32, R12
	ADDQ        $32, R13
	DECQ        DX
	JNZ         g8loop

g8tail:
	TESTQ       $7, CX
	JZ          g8reduce
	VMASKMOVPS  (R10), Y15, Y8
	VMASKMOVPS  (R10)(R8*1), Y15, Y9
	VMASKMOVPS  (R10)(R8*2), Y15, Y10
	VMASKMOVPS  (R11), Y15, Y11
	VFMADD231PS Y14, Y8, Y0
	VFMADD231PS Y14, Y9, Y1
	VFMADD231PS Y14, Y10, Y2
	VFMADD231PS Y14, Y11, Y3
	VMASKMOVPS  (R12), Y15, Y8
	VMASKMOVPS  (R12)(R8*1), Y15, Y9
	VMASKMOVPS  (R12)(R8*2), Y15, Y10
	VMASKMOVPS  (R13), Y15, Y11
	VFMADD231PS Y14, Y8, Y4
	VFMADD231PS Y14, Y9, Y5
	VFMADD231PS Y14, Y10, Y6
	VFMADD231PS Y14, Y11, Y7

	// Pairwise horizontal adds give [r0 r1 r2 r3 | r0 r1 r2 r3] and the same for
	// r4..r7; adding the 128-bit halves gives r0..r7 in Y0.
g8reduce:
	VHADDPS    Y1, Y0, Y0
	VHADDPS    Y3, Y2, Y2
	VHADDPS    Y2, Y0, Y0
	VHADDPS    Y5, Y4, Y4
	VHADDPS    Y7, Y6, Y6
	VHADDPS    Y6, Y4, Y4
	VPERM2F128 $0x20, Y4, Y0, Y1
	VPERM2F128 $0x31, Y4, Y0, Y2
	VADDPS     Y2, Y1, Y0
	CMPB       accumulate+80(FP), $0
	JEQ        g8store
	VADDPS     (AX), Y0, Y0

g8store:
	VMOVUPS Y0, (AX)
	ADDQ    $32, AX
	LEAQ    (R9)(R8*8), R10
	SUBQ    $8, BX
	CMPQ    BX, $8
	JGE     group8

	// Back to the 4-row code's registers: x from the start, R9 = end of its blocks.
	MOVQ x_base+56(FP), DI
	MOVQ CX, R9
	SHLQ $2, R9
	ANDQ $-64, R9

rows4:
	CMPQ BX, $4
	JLT  rows1

group:
	ROWS4
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ   DX, DX
	CMPQ   DX, R9
	JGE    gvec

	// 16 columns of 4 rows: 2 loads of x shared by the rows, 8 FMAs each folding a
	// load of A into its own accumulator (8 chains cover 2 pipes × 4 cycles).
	// 10 loads = 5 cycles for 8 FMAs.
gblock:
	VMOVUPS     (DI)(DX*1), Y8
	VMOVUPS     32(DI)(DX*1), Y9
	VFMADD231PS (R10)(DX*1), Y8, Y0
	VFMADD231PS 32(R10)(DX*1), Y9, Y4
	VFMADD231PS (R11)(DX*1), Y8, Y1
	VFMADD231PS 32(R11)(DX*1), Y9, Y5
	VFMADD231PS (R12)(DX*1), Y8, Y2
	VFMADD231PS 32(R12)(DX*1), Y9, Y6
	VFMADD231PS (R13)(DX*1), Y8, Y3
	VFMADD231PS 32(R13)(DX*1), Y9, Y7
	ADDQ        $64, DX
	CMPQ        DX, R9
	JLT         gblock

gvec:
	CMPQ        DX, SI
	JGE         gtail
	VMOVUPS     (DI)(DX*1), Y8
	VFMADD231PS (R10)(DX*1), Y8, Y0
	VFMADD231PS (R11)(DX*1), Y8, Y1
	VFMADD231PS (R12)(DX*1), Y8, Y2
	VFMADD231PS (R13)(DX*1), Y8, Y3

gtail:
	TESTQ       $7, CX
	JZ          greduce
	VMASKMOVPS  (R10)(SI*1), Y15, Y8
	VMASKMOVPS  (R11)(SI*1), Y15, Y9
	VMASKMOVPS  (R12)(SI*1), Y15, Y10
	VMASKMOVPS  (R13)(SI*1), Y15, Y11
	VFMADD231PS Y14, Y8, Y4
	VFMADD231PS Y14, Y9, Y5
	VFMADD231PS Y14, Y10, Y6
	VFMADD231PS Y14, Y11, Y7

greduce:
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	HSUM4_Y0
	CMPB   accumulate+80(FP), $0
	JEQ    gstore
	VADDPS (AX), X0, X0

gstore:
	VMOVUPS X0, (AX)
	ADDQ    $16, AX
	LEAQ    (R10)(R8*4), R10
	SUBQ    $4, BX
	CMPQ    BX, $4
	JGE     group

rows1:
	TESTQ BX, BX
	JEQ   done

	// The last 1..3 rows one at a time, two accumulators.
row:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ   DX, DX
	CMPQ   DX, R9
	JGE    rvec

rblock:
	VMOVUPS     (DI)(DX*1), Y8
	VMOVUPS     32(DI)(DX*1), Y9
	VFMADD231PS (R10)(DX*1), Y8, Y0
	VFMADD231PS 32(R10)(DX*1), Y9, Y1
	ADDQ        $64, DX
	CMPQ        DX, R9
	JLT         rblock

rvec:
	CMPQ        DX, SI
	JGE         rtail
	VMOVUPS     (DI)(DX*1), Y8
	VFMADD231PS (R10)(DX*1), Y8, Y0

rtail:
	TESTQ       $7, CX
	JZ          rreduce
	VMASKMOVPS  (R10)(SI*1), Y15, Y8
	VFMADD231PS Y14, Y8, Y1

rreduce:
	VADDPS Y1, Y0, Y0
	HSUM_Y0
	CMPB   accumulate+80(FP), $0
	JEQ    rstore
	VADDSS (AX), X0, X0

rstore:
	VMOVSS X0, (AX)
	ADDQ   $4, AX
	ADDQ   R8, R10
	DECQ   BX
	JNZ    row

done:
	VZEROUPPER
	RET

// func matVecAVX512(y, a []float32, stride int, x []float32, accumulate bool)
TEXT ·matVecAVX512(SB), NOSPLIT, $0-81
	MOVQ y_base+0(FP), AX
	MOVQ y_len+8(FP), BX
	MOVQ a_base+24(FP), R10
	MOVQ stride+48(FP), R8
	SHLQ $2, R8
	MOVQ x_base+56(FP), DI
	MOVQ x_len+64(FP), CX
	COLS(128, 64)
	KMASK_COLS

	// The tail of x is the same for every row: load it once, zeros in masked lanes.
	VMOVUPS.Z (DI)(SI*1), K1, Z14

	CMPQ BX, $8
	JLT  rows4
	CMPQ CX, $256
	JGT  rows4

	// Rows of up to 256 columns go eight at a time while they last: one load of x
	// serves eight FMAs, and the reduction of eight accumulators to one YMM of results
	// costs less per row than two four-row reductions (32×32: 43 → 39 ns, 64×64: 108
	// → 99 ns). Longer rows stay with four streams, which the hardware prefetchers
	// follow better from L3 (1024×1024: 47 µs with four, 53 µs with eight). The row
	// pointers advance with x (R10: rows 0-2 via R8, R11: row 3, R12: rows 4-6, R13:
	// row 7); R9 keeps the group's first row, DX counts whole vectors.
group8:
	MOVQ   R10, R9
	LEAQ   (R10)(R8*2), R11
	ADDQ   R8, R11
	LEAQ   (R10)(R8*4), R12
	LEAQ   (R11)(R8*4), R13
	MOVQ   x_base+56(FP), DI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	MOVQ   CX, DX
	SHRQ   $4, DX
	JZ     g8tail

	// 16 columns of 8 rows: 1 load of x, 8 FMAs each folding a load of A into its own
	// accumulator. 9 ZMM loads = 9 cycles for 8 FMAs.
g8loop:
	VMOVUPS     (DI), Z8
	VFMADD231PS (R10), Z8, Z0
	VFMADD231PS (R10)(R8*1), Z8, Z1
	VFMADD231PS (R10)(R8*2), Z8, Z2
	VFMADD231PS (R11), Z8, Z3
	VFMADD231PS (R12), Z8, Z4
	VFMADD231PS (R12)(R8*1), Z8, Z5
	VFMADD231PS (R12)(R8*2), Z8, Z6
	VFMADD231PS (R13), Z8, Z7
	ADDQ        $64, DI
	ADDQ        $64, R10
	ADDQ        $64, R11
	ADDQ        $64, R12
	ADDQ        $64, R13
	DECQ        DX
	JNZ         g8loop

g8tail:
	TESTQ       $15, CX
	JZ          g8reduce
	VFMADD231PS (R10), Z14, K1, Z0
	VFMADD231PS (R10)(R8*1), Z14, K1, Z1
	VFMADD231PS (R10)(R8*2), Z14, K1, Z2
	VFMADD231PS (R11), Z14, K1, Z3
	VFMADD231PS (R12), Z14, K1, Z4
	VFMADD231PS (R12)(R8*1), Z14, K1, Z5
	VFMADD231PS (R12)(R8*2), Z14, K1, Z6
	VFMADD231PS (R13), Z14, K1, Z7

	// Halve each accumulator to 256 bits, then pairwise horizontal adds give
	// [r0 r1 r2 r3 | r0 r1 r2 r3] and the same for r4..r7; adding the 128-bit halves
	// gives r0..r7 in Y0.
g8reduce:
	VEXTRACTF64X4 $1, Z0, Y8
	VADDPS        Y8, Y0, Y0
	VEXTRACTF64X4 $1, Z1, Y9
	VADDPS        Y9, Y1, Y1
	VEXTRACTF64X4 $1, Z2, Y8
	VADDPS        Y8, Y2, Y2
	VEXTRACTF64X4 $1, Z3, Y9
	VADDPS        Y9, Y3, Y3
	VEXTRACTF64X4 $1, Z4, Y8
	VADDPS        Y8, Y4, Y4
	VEXTRACTF64X4 $1, Z5, Y9
	VADDPS        Y9, Y5, Y5
	VEXTRACTF64X4 $1, Z6, Y8
	VADDPS        Y8, Y6, Y6
	VEXTRACTF64X4 $1, Z7, Y9
	VADDPS        Y9, Y7, Y7
	VHADDPS       Y1, Y0, Y0
	VHADDPS       Y3, Y2, Y2
	VHADDPS       Y2, Y0, Y0
	VHADDPS       Y5, Y4, Y4
	VHADDPS       Y7, Y6, Y6
	VHADDPS       Y6, Y4, Y4
	VPERM2F128    $0x20, Y4, Y0, Y1
	VPERM2F128    $0x31, Y4, Y0, Y2
	VADDPS        Y2, Y1, Y0
	CMPB          accumulate+80(FP), $0
	JEQ           g8store
	VADDPS        (AX), Y0, Y0

g8store:
	VMOVUPS Y0, (AX)
	ADDQ    $32, AX
	LEAQ    (R9)(R8*8), R10
	SUBQ    $8, BX
	CMPQ    BX, $8
	JGE     group8

	// Back to the 4-row code's registers: x from the start, R9 = end of its blocks.
	MOVQ x_base+56(FP), DI
	MOVQ CX, R9
	SHLQ $2, R9
	ANDQ $-128, R9

rows4:
	CMPQ BX, $4
	JLT  rows1

group:
	ROWS4
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	XORQ   DX, DX
	CMPQ   DX, R9
	JGE    gvec

	// 32 columns of 4 rows: 2 loads of x shared by the rows, 8 FMAs each folding a
	// load of A into its own accumulator. 10 ZMM loads = 10 cycles for 8 FMAs.
gblock:
	VMOVUPS     (DI)(DX*1), Z8
	VMOVUPS     64(DI)(DX*1), Z9
	VFMADD231PS (R10)(DX*1), Z8, Z0
	VFMADD231PS 64(R10)(DX*1), Z9, Z4
	VFMADD231PS (R11)(DX*1), Z8, Z1
	VFMADD231PS 64(R11)(DX*1), Z9, Z5
	VFMADD231PS (R12)(DX*1), Z8, Z2
	VFMADD231PS 64(R12)(DX*1), Z9, Z6
	VFMADD231PS (R13)(DX*1), Z8, Z3
	VFMADD231PS 64(R13)(DX*1), Z9, Z7
	ADDQ        $128, DX
	CMPQ        DX, R9
	JLT         gblock

gvec:
	CMPQ        DX, SI
	JGE         gtail
	VMOVUPS     (DI)(DX*1), Z8
	VFMADD231PS (R10)(DX*1), Z8, Z0
	VFMADD231PS (R11)(DX*1), Z8, Z1
	VFMADD231PS (R12)(DX*1), Z8, Z2
	VFMADD231PS (R13)(DX*1), Z8, Z3

gtail:
	// Masked-out lanes keep the accumulator and are not read from A.
	TESTQ       $15, CX
	JZ          greduce
	VFMADD231PS (R10)(SI*1), Z14, K1, Z4
	VFMADD231PS (R11)(SI*1), Z14, K1, Z5
	VFMADD231PS (R12)(SI*1), Z14, K1, Z6
	VFMADD231PS (R13)(SI*1), Z14, K1, Z7

greduce:
	VADDPS        Z4, Z0, Z0
	VADDPS        Z5, Z1, Z1
	VADDPS        Z6, Z2, Z2
	VADDPS        Z7, Z3, Z3
	VEXTRACTF64X4 $1, Z0, Y4
	VEXTRACTF64X4 $1, Z1, Y5
	VEXTRACTF64X4 $1, Z2, Y6
	VEXTRACTF64X4 $1, Z3, Y7
	VADDPS        Y4, Y0, Y0
	VADDPS        Y5, Y1, Y1
	VADDPS        Y6, Y2, Y2
	VADDPS        Y7, Y3, Y3
	HSUM4_Y0
	CMPB          accumulate+80(FP), $0
	JEQ           gstore
	VADDPS        (AX), X0, X0

gstore:
	VMOVUPS X0, (AX)
	ADDQ    $16, AX
	LEAQ    (R10)(R8*4), R10
	SUBQ    $4, BX
	CMPQ    BX, $4
	JGE     group

rows1:
	TESTQ BX, BX
	JEQ   done

row:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	XORQ   DX, DX
	CMPQ   DX, R9
	JGE    rvec

rblock:
	VMOVUPS     (DI)(DX*1), Z8
	VMOVUPS     64(DI)(DX*1), Z9
	VFMADD231PS (R10)(DX*1), Z8, Z0
	VFMADD231PS 64(R10)(DX*1), Z9, Z1
	ADDQ        $128, DX
	CMPQ        DX, R9
	JLT         rblock

rvec:
	CMPQ        DX, SI
	JGE         rtail
	VMOVUPS     (DI)(DX*1), Z8
	VFMADD231PS (R10)(DX*1), Z8, Z0

rtail:
	TESTQ       $15, CX
	JZ          rreduce
	VFMADD231PS (R10)(SI*1), Z14, K1, Z1

rreduce:
	VADDPS        Z1, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	HSUM_Y0
	CMPB          accumulate+80(FP), $0
	JEQ           rstore
	VADDSS        (AX), X0, X0

rstore:
	VMOVSS X0, (AX)
	ADDQ   $4, AX
	ADDQ   R8, R10
	DECQ   BX
	JNZ    row

done:
	VZEROUPPER
	RET

// func matTVecAddAVX2(y, a []float32, stride int, x []float32)
TEXT ·matTVecAddAVX2(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), R10
	MOVQ stride+48(FP), R8
	SHLQ $2, R8
	MOVQ x_base+56(FP), AX
	MOVQ x_len+64(FP), BX
	CMPQ CX, $8
	JLT  wide
	CMPQ CX, $32
	JLE  narrow
	CMPQ CX, $64
	JLE  narrow8

wide:
	COLS(64, 32)
	TESTQ $7, CX
	JZ    group

	// The tail of y stays in Y3 for all rows and is stored once at the end.
	YMASK_COLS
	VMASKMOVPS (DI)(SI*1), Y15, Y3

group:
	CMPQ         BX, $4
	JLT          rows1
	ROWS4
	VBROADCASTSS (AX), Y10
	VBROADCASTSS 4(AX), Y11
	VBROADCASTSS 8(AX), Y12
	VBROADCASTSS 12(AX), Y13
	XORQ         DX, DX
	CMPQ         DX, R9
	JGE          gvec

	// 16 columns of y, 4 rows of A: y is loaded and stored once for 4 rows. 2 loads +
	// 8 FMAs folding a load of A (10 loads = 5 cycles) + 2 stores. Each y vector takes
	// its 4 FMAs in row order, as generic does; the 16-cycle chains of successive
	// iterations overlap out of order.
gblock:
	VMOVUPS     (DI)(DX*1), Y0
	VMOVUPS     32(DI)(DX*1), Y1
	VFMADD231PS (R10)(DX*1), Y10, Y0
	VFMADD231PS 32(R10)(DX*1), Y10, Y1
	VFMADD231PS (R11)(DX*1), Y11, Y0
	VFMADD231PS 32(R11)(DX*1), Y11, Y1
	VFMADD231PS (R12)(DX*1), Y12, Y0
	VFMADD231PS 32(R12)(DX*1), Y12, Y1
	VFMADD231PS (R13)(DX*1), Y13, Y0
	VFMADD231PS 32(R13)(DX*1), Y13, Y1
	VMOVUPS     Y0, (DI)(DX*1)
	VMOVUPS     Y1, 32(DI)(DX*1)
	ADDQ        $64, DX
	CMPQ        DX, R9
	JLT         gblock

gvec:
	CMPQ        DX, SI
	JGE         gtail
	VMOVUPS     (DI)(DX*1), Y0
	VFMADD231PS (R10)(DX*1), Y10, Y0
	VFMADD231PS (R11)(DX*1), Y11, Y0
	VFMADD231PS (R12)(DX*1), Y12, Y0
	VFMADD231PS (R13)(DX*1), Y13, Y0
	VMOVUPS     Y0, (DI)(DX*1)

gtail:
	TESTQ       $7, CX
	JZ          gnext
	VMASKMOVPS  (R10)(SI*1), Y15, Y4
	VMASKMOVPS  (R11)(SI*1), Y15, Y5
	VMASKMOVPS  (R12)(SI*1), Y15, Y6
	VMASKMOVPS  (R13)(SI*1), Y15, Y7
	VFMADD231PS Y4, Y10, Y3
	VFMADD231PS Y5, Y11, Y3
	VFMADD231PS Y6, Y12, Y3
	VFMADD231PS Y7, Y13, Y3

gnext:
	ADDQ $16, AX
	LEAQ (R10)(R8*4), R10
	SUBQ $4, BX
	JMP  group

rows1:
	TESTQ BX, BX
	JEQ   done

	// The last 1..3 rows one at a time: an axpy of each row into y.
row:
	VBROADCASTSS (AX), Y10
	XORQ         DX, DX
	CMPQ         DX, R9
	JGE          rvec

rblock:
	VMOVUPS     (R10)(DX*1), Y0
	VMOVUPS     32(R10)(DX*1), Y1
	VFMADD213PS (DI)(DX*1), Y10, Y0
	VFMADD213PS 32(DI)(DX*1), Y10, Y1
	VMOVUPS     Y0, (DI)(DX*1)
	VMOVUPS     Y1, 32(DI)(DX*1)
	ADDQ        $64, DX
	CMPQ        DX, R9
	JLT         rblock

rvec:
	CMPQ        DX, SI
	JGE         rtail
	VMOVUPS     (R10)(DX*1), Y0
	VFMADD213PS (DI)(DX*1), Y10, Y0
	VMOVUPS     Y0, (DI)(DX*1)

rtail:
	TESTQ       $7, CX
	JZ          rnext
	VMASKMOVPS  (R10)(SI*1), Y15, Y4
	VFMADD231PS Y4, Y10, Y3

rnext:
	ADDQ $4, AX
	ADDQ R8, R10
	DECQ BX
	JNZ  row

done:
	TESTQ $7, CX
	JZ    ret
	LEAQ  (DI)(SI*1), DX
	YSTORE_TAIL(DX, Y3, X3, st2, st1, ret)
	VZEROUPPER
	RET

	// 8 <= cols <= 32: y fits in four YMM registers for the whole call (see the
	// narrow path of matTVecAddAVX512 for the overlapping offsets min(32k, 4*cols-32)
	// and the even/odd row split). A row pair: 8 loads of A + 2 broadcasts, 8 FMAs on
	// 8 chains (4 cycles).
narrow:
	LEAQ         -32(CX*4), R9
	MOVQ         $32, R11
	CMPQ         R11, R9
	CMOVQGT      R9, R11
	MOVQ         $64, R12
	CMPQ         R12, R9
	CMOVQGT      R9, R12
	VMOVUPS      (DI), Y0
	VMOVUPS      (DI)(R11*1), Y1
	VMOVUPS      (DI)(R12*1), Y2
	VMOVUPS      (DI)(R9*1), Y3
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	CMPQ         BX, $2
	JLT          nlast

npair:
	LEAQ         (R10)(R8*1), SI
	VBROADCASTSS (AX), Y8
	VBROADCASTSS 4(AX), Y9
	VFMADD231PS  (R10), Y8, Y0
	VFMADD231PS  (R10)(R11*1), Y8, Y1
	VFMADD231PS  (R10)(R12*1), Y8, Y2
	VFMADD231PS  (R10)(R9*1), Y8, Y3
	VFMADD231PS  (SI), Y9, Y4
	VFMADD231PS  (SI)(R11*1), Y9, Y5
	VFMADD231PS  (SI)(R12*1), Y9, Y6
	VFMADD231PS  (SI)(R9*1), Y9, Y7
	LEAQ         (R10)(R8*2), R10
	ADDQ         $8, AX
	SUBQ         $2, BX
	CMPQ         BX, $2
	JGE          npair

nlast:
	TESTQ        BX, BX
	JZ           nstore
	VBROADCASTSS (AX), Y8
	VFMADD231PS  (R10), Y8, Y0
	VFMADD231PS  (R10)(R11*1), Y8, Y1
	VFMADD231PS  (R10)(R12*1), Y8, Y2
	VFMADD231PS  (R10)(R9*1), Y8, Y3

nstore:
	VADDPS  Y4, Y0, Y0
	VADDPS  Y5, Y1, Y1
	VADDPS  Y6, Y2, Y2
	VADDPS  Y7, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(R11*1)
	VMOVUPS Y2, (DI)(R12*1)
	VMOVUPS Y3, (DI)(R9*1)
	VZEROUPPER
	RET

	// 32 < cols <= 64: y fits in eight YMM registers: columns [0, 32) at R10+0..96 and
	// [cols-32, cols) at R10+R9+0..96 (R9 = 4*cols-128); the two halves overlap and
	// compute shared elements identically. One accumulator per vector, rows in order:
	// per row 8 loads of A (4 cycles) and 8 FMAs on 8 chains (4-cycle latency).
narrow8:
	LEAQ         -128(CX*4), R9
	VMOVUPS      (DI), Y0
	VMOVUPS      32(DI), Y1
	VMOVUPS      64(DI), Y2
	VMOVUPS      96(DI), Y3
	VMOVUPS      (DI)(R9*1), Y4
	VMOVUPS      32(DI)(R9*1), Y5
	VMOVUPS      64(DI)(R9*1), Y6
	VMOVUPS      96(DI)(R9*1), Y7
	TESTQ        BX, BX
	JZ           n8store

n8row:
	VBROADCASTSS (AX), Y8
	VFMADD231PS  (R10), Y8, Y0
	VFMADD231PS  32(R10), Y8, Y1
	VFMADD231PS  64(R10), Y8, Y2
	VFMADD231PS  96(R10), Y8, Y3
	VFMADD231PS  (R10)(R9*1), Y8, Y4
	VFMADD231PS  32(R10)(R9*1), Y8, Y5
	VFMADD231PS  64(R10)(R9*1), Y8, Y6
	VFMADD231PS  96(R10)(R9*1), Y8, Y7
	ADDQ         R8, R10
	ADDQ         $4, AX
	DECQ         BX
	JNZ          n8row

n8store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, (DI)(R9*1)
	VMOVUPS Y5, 32(DI)(R9*1)
	VMOVUPS Y6, 64(DI)(R9*1)
	VMOVUPS Y7, 96(DI)(R9*1)
	VZEROUPPER
	RET

// func matTVecAddAVX512(y, a []float32, stride int, x []float32)
TEXT ·matTVecAddAVX512(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ a_base+24(FP), R10
	MOVQ stride+48(FP), R8
	SHLQ $2, R8
	MOVQ x_base+56(FP), AX
	MOVQ x_len+64(FP), BX
	CMPQ CX, $64
	JLE  narrow
	COLS(128, 64)

	// cols >= 16 (the Go side sends narrower matrices to the avx2 kernel), so the
	// 1..15 tail columns are covered by y's last whole vector, at byte offset
	// 4*cols-64, overlapping the main loop's last vector. Z14 accumulates it from the
	// original y, row by row in the same order as the main loop, and is stored after
	// the main loop's last store: both stores of an overlapped element write the same
	// value. This avoids a partially masked store (~15 cycles on Zen 4).
	TESTQ   $15, CX
	JZ      group
	LEAQ    -64(CX*4), DX
	VMOVUPS (DI)(DX*1), Z14

group:
	CMPQ         BX, $4
	JLT          rows1
	ROWS4
	VBROADCASTSS (AX), Z10
	VBROADCASTSS 4(AX), Z11
	VBROADCASTSS 8(AX), Z12
	VBROADCASTSS 12(AX), Z13
	XORQ         DX, DX
	CMPQ         DX, R9
	JGE          gvec

	// 32 columns of y, 4 rows of A: 2 loads + 8 FMAs folding a load of A (10 ZMM loads
	// = 10 cycles) + 2 stores; FMAs in row order per y vector.
gblock:
	VMOVUPS     (DI)(DX*1), Z0
	VMOVUPS     64(DI)(DX*1), Z1
	VFMADD231PS (R10)(DX*1), Z10, Z0
	VFMADD231PS 64(R10)(DX*1), Z10, Z1
	VFMADD231PS (R11)(DX*1), Z11, Z0
	VFMADD231PS 64(R11)(DX*1), Z11, Z1
	VFMADD231PS (R12)(DX*1), Z12, Z0
	VFMADD231PS 64(R12)(DX*1), Z12, Z1
	VFMADD231PS (R13)(DX*1), Z13, Z0
	VFMADD231PS 64(R13)(DX*1), Z13, Z1
	VMOVUPS     Z0, (DI)(DX*1)
	VMOVUPS     Z1, 64(DI)(DX*1)
	ADDQ        $128, DX
	CMPQ        DX, R9
	JLT         gblock

gvec:
	CMPQ        DX, SI
	JGE         gtail
	VMOVUPS     (DI)(DX*1), Z0
	VFMADD231PS (R10)(DX*1), Z10, Z0
	VFMADD231PS (R11)(DX*1), Z11, Z0
	VFMADD231PS (R12)(DX*1), Z12, Z0
	VFMADD231PS (R13)(DX*1), Z13, Z0
	VMOVUPS     Z0, (DI)(DX*1)

gtail:
	TESTQ       $15, CX
	JZ          gnext
	LEAQ        -64(CX*4), DX
	VFMADD231PS (R10)(DX*1), Z10, Z14
	VFMADD231PS (R11)(DX*1), Z11, Z14
	VFMADD231PS (R12)(DX*1), Z12, Z14
	VFMADD231PS (R13)(DX*1), Z13, Z14

gnext:
	ADDQ $16, AX
	LEAQ (R10)(R8*4), R10
	SUBQ $4, BX
	JMP  group

rows1:
	TESTQ BX, BX
	JEQ   done

row:
	VBROADCASTSS (AX), Z10
	XORQ         DX, DX
	CMPQ         DX, R9
	JGE          rvec

rblock:
	VMOVUPS     (R10)(DX*1), Z0
	VMOVUPS     64(R10)(DX*1), Z1
	VFMADD213PS (DI)(DX*1), Z10, Z0
	VFMADD213PS 64(DI)(DX*1), Z10, Z1
	VMOVUPS     Z0, (DI)(DX*1)
	VMOVUPS     Z1, 64(DI)(DX*1)
	ADDQ        $128, DX
	CMPQ        DX, R9
	JLT         rblock

rvec:
	CMPQ        DX, SI
	JGE         rtail
	VMOVUPS     (R10)(DX*1), Z0
	VFMADD213PS (DI)(DX*1), Z10, Z0
	VMOVUPS     Z0, (DI)(DX*1)

rtail:
	TESTQ       $15, CX
	JZ          rnext
	LEAQ        -64(CX*4), DX
	VFMADD231PS (R10)(DX*1), Z10, Z14

rnext:
	ADDQ $4, AX
	ADDQ R8, R10
	DECQ BX
	JNZ  row

done:
	TESTQ   $15, CX
	JZ      ret
	LEAQ    -64(CX*4), DX
	VMOVUPS Z14, (DI)(DX*1)

ret:
	VZEROUPPER
	RET

	// 16 <= cols <= 64: y fits in four ZMM registers for the whole call, so no row
	// waits for the previous row's store of y (a 4-row pass through memory is bound by
	// that store-to-load chain at these sizes). The vectors sit at byte offsets
	// min(64k, 4*cols-64): the last one ends at the last column and may overlap or
	// repeat another, and since every copy of an element is computed by the same
	// operations, the overlapping stores write the same value. Even rows go into Z0-Z3
	// (which start as y), odd rows into Z4-Z7; y = even + odd at the end.
	// A row pair: 8 ZMM loads of A + 2 broadcasts, 8 FMAs on 8 chains (8 cycles on Zen
	// 4's two 256-bit load pipes).
narrow:
	LEAQ         -64(CX*4), R9
	CMPQ         CX, $32
	JLE          narrow2
	MOVQ         $64, R11
	CMPQ         R11, R9
	CMOVQGT      R9, R11
	MOVQ         $128, R12
	CMPQ         R12, R9
	CMOVQGT      R9, R12
	VMOVUPS      (DI), Z0
	VMOVUPS      (DI)(R11*1), Z1
	VMOVUPS      (DI)(R12*1), Z2
	VMOVUPS      (DI)(R9*1), Z3
	VPXORD       Z4, Z4, Z4
	VPXORD       Z5, Z5, Z5
	VPXORD       Z6, Z6, Z6
	VPXORD       Z7, Z7, Z7
	CMPQ         BX, $2
	JLT          nlast

npair:
	LEAQ         (R10)(R8*1), SI
	VBROADCASTSS (AX), Z8
	VBROADCASTSS 4(AX), Z9
	VFMADD231PS  (R10), Z8, Z0
	VFMADD231PS  (R10)(R11*1), Z8, Z1
	VFMADD231PS  (R10)(R12*1), Z8, Z2
	VFMADD231PS  (R10)(R9*1), Z8, Z3
	VFMADD231PS  (SI), Z9, Z4
	VFMADD231PS  (SI)(R11*1), Z9, Z5
	VFMADD231PS  (SI)(R12*1), Z9, Z6
	VFMADD231PS  (SI)(R9*1), Z9, Z7
	LEAQ         (R10)(R8*2), R10
	ADDQ         $8, AX
	SUBQ         $2, BX
	CMPQ         BX, $2
	JGE          npair

nlast:
	TESTQ        BX, BX
	JZ           nstore
	VBROADCASTSS (AX), Z8
	VFMADD231PS  (R10), Z8, Z0
	VFMADD231PS  (R10)(R11*1), Z8, Z1
	VFMADD231PS  (R10)(R12*1), Z8, Z2
	VFMADD231PS  (R10)(R9*1), Z8, Z3

nstore:
	VADDPS  Z4, Z0, Z0
	VADDPS  Z5, Z1, Z1
	VADDPS  Z6, Z2, Z2
	VADDPS  Z7, Z3, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, (DI)(R11*1)
	VMOVUPS Z2, (DI)(R12*1)
	VMOVUPS Z3, (DI)(R9*1)
	VZEROUPPER
	RET

	// 16 <= cols <= 32: two vectors, at 0 and 4*cols-64, in Z0-Z1 (even rows, starting
	// as y) and Z4-Z5 (odd rows). A row pair: 4 ZMM loads of A, 4 FMAs on 4 chains.
narrow2:
	VMOVUPS      (DI), Z0
	VMOVUPS      (DI)(R9*1), Z1
	VPXORD       Z4, Z4, Z4
	VPXORD       Z5, Z5, Z5
	CMPQ         BX, $2
	JLT          n2last

n2pair:
	LEAQ         (R10)(R8*1), SI
	VBROADCASTSS (AX), Z8
	VBROADCASTSS 4(AX), Z9
	VFMADD231PS  (R10), Z8, Z0
	VFMADD231PS  (R10)(R9*1), Z8, Z1
	VFMADD231PS  (SI), Z9, Z4
	VFMADD231PS  (SI)(R9*1), Z9, Z5
	LEAQ         (R10)(R8*2), R10
	ADDQ         $8, AX
	SUBQ         $2, BX
	CMPQ         BX, $2
	JGE          n2pair

n2last:
	TESTQ        BX, BX
	JZ           n2store
	VBROADCASTSS (AX), Z8
	VFMADD231PS  (R10), Z8, Z0
	VFMADD231PS  (R10)(R9*1), Z8, Z1

n2store:
	VADDPS  Z4, Z0, Z0
	VADDPS  Z5, Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, (DI)(R9*1)
	VZEROUPPER
	RET

// func gerAVX2(a []float32, stride int, alpha float32, x, y []float32)
TEXT ·gerAVX2(SB), NOSPLIT, $0-88
	MOVQ   a_base+0(FP), R10
	MOVQ   stride+24(FP), R8
	SHLQ   $2, R8
	MOVQ   x_base+40(FP), AX
	MOVQ   x_len+48(FP), BX
	MOVQ   y_base+64(FP), DI
	MOVQ   y_len+72(FP), CX
	COLS(64, 32)

group:
	CMPQ BX, $4
	JLT  rows1
	ROWS4

	// Row i gets (alpha*x[i]) * y: the product alpha*x[i] is rounded first, as in generic.
	VMOVSS       (AX), X10
	VMULSS       alpha+32(FP), X10, X10
	VMOVSS       4(AX), X11
	VMULSS       alpha+32(FP), X11, X11
	VMOVSS       8(AX), X12
	VMULSS       alpha+32(FP), X12, X12
	VMOVSS       12(AX), X13
	VMULSS       alpha+32(FP), X13, X13
	VBROADCASTSS X10, Y10
	VBROADCASTSS X11, Y11
	VBROADCASTSS X12, Y12
	VBROADCASTSS X13, Y13
	XORQ         DX, DX
	CMPQ         DX, R9
	JGE          gvec

	// 16 columns of 4 rows: 2 loads of y shared by the rows, then 8 × (load A, FMA,
	// store A). Store-bound: 8 stores = 8 cycles for 8 FMAs.
gblock:
	VMOVUPS     (DI)(DX*1), Y8
	VMOVUPS     32(DI)(DX*1), Y9
	VMOVUPS     (R10)(DX*1), Y0
	VMOVUPS     32(R10)(DX*1), Y1
	VMOVUPS     (R11)(DX*1), Y2
	VMOVUPS     32(R11)(DX*1), Y3
	VMOVUPS     (R12)(DX*1), Y4
	VMOVUPS     32(R12)(DX*1), Y5
	VMOVUPS     (R13)(DX*1), Y6
	VMOVUPS     32(R13)(DX*1), Y7
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	VMOVUPS     Y0, (R10)(DX*1)
	VMOVUPS     Y1, 32(R10)(DX*1)
	VMOVUPS     Y2, (R11)(DX*1)
	VMOVUPS     Y3, 32(R11)(DX*1)
	VMOVUPS     Y4, (R12)(DX*1)
	VMOVUPS     Y5, 32(R12)(DX*1)
	VMOVUPS     Y6, (R13)(DX*1)
	VMOVUPS     Y7, 32(R13)(DX*1)
	ADDQ        $64, DX
	CMPQ        DX, R9
	JLT         gblock

gvec:
	CMPQ        DX, SI
	JGE         gtail
	VMOVUPS     (DI)(DX*1), Y8
	VMOVUPS     (R10)(DX*1), Y0
	VMOVUPS     (R11)(DX*1), Y2
	VMOVUPS     (R12)(DX*1), Y4
	VMOVUPS     (R13)(DX*1), Y6
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y8, Y13, Y6
	VMOVUPS     Y0, (R10)(DX*1)
	VMOVUPS     Y2, (R11)(DX*1)
	VMOVUPS     Y4, (R12)(DX*1)
	VMOVUPS     Y6, (R13)(DX*1)

	// The 1..7 tail columns one at a time: the next call's loads of A then forward
	// from these stores (a narrow or masked store under a wide load stalls).
	// R9 temporarily holds the end of the row in bytes.
gtail:
	TESTQ       $7, CX
	JZ          gnext
	LEAQ        (CX*4), R9
	MOVQ        SI, DX

gscalar:
	VMOVSS      (DI)(DX*1), X8
	VMOVSS      (R10)(DX*1), X0
	VMOVSS      (R11)(DX*1), X1
	VMOVSS      (R12)(DX*1), X2
	VMOVSS      (R13)(DX*1), X3
	VFMADD231SS X8, X10, X0
	VFMADD231SS X8, X11, X1
	VFMADD231SS X8, X12, X2
	VFMADD231SS X8, X13, X3
	VMOVSS      X0, (R10)(DX*1)
	VMOVSS      X1, (R11)(DX*1)
	VMOVSS      X2, (R12)(DX*1)
	VMOVSS      X3, (R13)(DX*1)
	ADDQ        $4, DX
	CMPQ        DX, R9
	JLT         gscalar
	ANDQ        $-64, R9

gnext:
	ADDQ $16, AX
	LEAQ (R10)(R8*4), R10
	SUBQ $4, BX
	JMP  group

rows1:
	TESTQ BX, BX
	JEQ   done

row:
	VMOVSS       (AX), X10
	VMULSS       alpha+32(FP), X10, X10
	VBROADCASTSS X10, Y10
	XORQ         DX, DX
	CMPQ         DX, R9
	JGE          rvec

rblock:
	VMOVUPS     (DI)(DX*1), Y0
	VMOVUPS     32(DI)(DX*1), Y1
	VFMADD213PS (R10)(DX*1), Y10, Y0
	VFMADD213PS 32(R10)(DX*1), Y10, Y1
	VMOVUPS     Y0, (R10)(DX*1)
	VMOVUPS     Y1, 32(R10)(DX*1)
	ADDQ        $64, DX
	CMPQ        DX, R9
	JLT         rblock

rvec:
	CMPQ        DX, SI
	JGE         rtail
	VMOVUPS     (DI)(DX*1), Y0
	VFMADD213PS (R10)(DX*1), Y10, Y0
	VMOVUPS     Y0, (R10)(DX*1)

rtail:
	TESTQ       $7, CX
	JZ          rnext
	LEAQ        (CX*4), R9
	MOVQ        SI, DX

rscalar:
	VMOVSS      (DI)(DX*1), X8
	VMOVSS      (R10)(DX*1), X0
	VFMADD231SS X8, X10, X0
	VMOVSS      X0, (R10)(DX*1)
	ADDQ        $4, DX
	CMPQ        DX, R9
	JLT         rscalar
	ANDQ        $-64, R9

rnext:
	ADDQ $4, AX
	ADDQ R8, R10
	DECQ BX
	JNZ  row

done:
	VZEROUPPER
	RET

// func gerAVX512(a []float32, stride int, alpha float32, x, y []float32)
TEXT ·gerAVX512(SB), NOSPLIT, $0-88
	MOVQ      a_base+0(FP), R10
	MOVQ      stride+24(FP), R8
	SHLQ      $2, R8
	MOVQ      x_base+40(FP), AX
	MOVQ      x_len+48(FP), BX
	MOVQ      y_base+64(FP), DI
	MOVQ      y_len+72(FP), CX
	COLS(64, 64)

	// cols >= 16 (the Go side sends narrower matrices to the avx2 kernel), so the
	// 1..15 tail columns are covered by the row's last whole vector, at byte offset
	// 4*cols-64, which overlaps the main loop's last vector. It is loaded and updated
	// before the main loop stores anything in the row and stored after it: both
	// stores of an overlapped element write the same value, computed from the
	// original. A partially masked ZMM store costs ~15 cycles on Zen 4; this costs a
	// whole vector. Z14 = the last vector of y.
	TESTQ   $15, CX
	JZ      group
	LEAQ    -64(CX*4), DX
	VMOVUPS (DI)(DX*1), Z14

group:
	CMPQ BX, $4
	JLT  rows1
	ROWS4

	// Row i gets (alpha*x[i]) * y: the product alpha*x[i] is rounded first, as in generic.
	VMOVSS       (AX), X10
	VMULSS       alpha+32(FP), X10, X10
	VMOVSS       4(AX), X11
	VMULSS       alpha+32(FP), X11, X11
	VMOVSS       8(AX), X12
	VMULSS       alpha+32(FP), X12, X12
	VMOVSS       12(AX), X13
	VMULSS       alpha+32(FP), X13, X13
	VBROADCASTSS X10, Z10
	VBROADCASTSS X11, Z11
	VBROADCASTSS X12, Z12
	VBROADCASTSS X13, Z13
	TESTQ        $15, CX
	JZ           gmain
	LEAQ         -64(CX*4), DX
	VMOVUPS      (R10)(DX*1), Z4
	VMOVUPS      (R11)(DX*1), Z5
	VMOVUPS      (R12)(DX*1), Z6
	VMOVUPS      (R13)(DX*1), Z7
	VFMADD231PS  Z14, Z10, Z4
	VFMADD231PS  Z14, Z11, Z5
	VFMADD231PS  Z14, Z12, Z6
	VFMADD231PS  Z14, Z13, Z7

gmain:
	XORQ DX, DX
	CMPQ DX, SI
	JGE  gtail

	// 16 columns of 4 rows: 1 load of y shared by the rows, then 4 × (load A, FMA,
	// store A). Store-bound: 4 ZMM stores = 8 cycles for 4 FMAs. Two vectors per row
	// per iteration ran as fast in L1/L2 but 15% slower from L3 (512², 1024²).
	// Z4-Z7 hold the tail vectors; nothing touches ZMM16-31, whose state VZEROUPPER
	// does not reset and every context switch would then save.
gloop:
	VMOVUPS     (DI)(DX*1), Z8
	VMOVUPS     (R10)(DX*1), Z0
	VMOVUPS     (R11)(DX*1), Z1
	VMOVUPS     (R12)(DX*1), Z2
	VMOVUPS     (R13)(DX*1), Z3
	VFMADD231PS Z8, Z10, Z0
	VFMADD231PS Z8, Z11, Z1
	VFMADD231PS Z8, Z12, Z2
	VFMADD231PS Z8, Z13, Z3
	VMOVUPS     Z0, (R10)(DX*1)
	VMOVUPS     Z1, (R11)(DX*1)
	VMOVUPS     Z2, (R12)(DX*1)
	VMOVUPS     Z3, (R13)(DX*1)
	ADDQ        $64, DX
	CMPQ        DX, SI
	JLT         gloop

gtail:
	TESTQ   $15, CX
	JZ      gnext
	LEAQ    -64(CX*4), DX
	VMOVUPS Z4, (R10)(DX*1)
	VMOVUPS Z5, (R11)(DX*1)
	VMOVUPS Z6, (R12)(DX*1)
	VMOVUPS Z7, (R13)(DX*1)

gnext:
	ADDQ $16, AX
	LEAQ (R10)(R8*4), R10
	SUBQ $4, BX
	JMP  group

rows1:
	TESTQ BX, BX
	JEQ   done

row:
	VMOVSS       (AX), X10
	VMULSS       alpha+32(FP), X10, X10
	VBROADCASTSS X10, Z10
	TESTQ        $15, CX
	JZ           rmain
	LEAQ         -64(CX*4), DX
	VMOVUPS      (R10)(DX*1), Z4
	VFMADD231PS  Z14, Z10, Z4

rmain:
	XORQ DX, DX
	CMPQ DX, SI
	JGE  rtail

rloop:
	VMOVUPS     (DI)(DX*1), Z0
	VFMADD213PS (R10)(DX*1), Z10, Z0
	VMOVUPS     Z0, (R10)(DX*1)
	ADDQ        $64, DX
	CMPQ        DX, SI
	JLT         rloop

rtail:
	TESTQ   $15, CX
	JZ      rnext
	LEAQ    -64(CX*4), DX
	VMOVUPS Z4, (R10)(DX*1)

rnext:
	ADDQ $4, AX
	ADDQ R8, R10
	DECQ BX
	JNZ  row

done:
	VZEROUPPER
	RET
