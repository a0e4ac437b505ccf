//go:build !purego

#include "textflag.h"

// Level-1 kernels for two tiers.
//
// avx2: VEX encodings only (YMM0-15, no opmask registers). The 1..7 elements after the
// last whole vector are read by Dot with VMASKMOVPS (lane mask from tailMask<>;
// masked-out lanes are not read, so no fault before an unmapped page) and handled one at
// a time by the kernels that store: a narrow or masked store followed, in the next call,
// by a wider load of the same bytes cannot be store-forwarded and stalls ~20 cycles.
//
// avx512: AVX-512 F (ZMM0-15) plus VEX for the final reductions and tails. Dot reads its
// 1..15 tail elements with an opmask in K1 (masked-out lanes are not read: no fault).
// The kernels that store finish with one YMM vector if 8 or more elements are left and
// then single elements, like avx2: on Zen 4 a partially masked ZMM store costs ~15
// cycles (measured: 3-5 ns a call), and a narrow or masked store that the next call
// reads back with a wide load cannot be store-forwarded.
//
// Register use in every function: SI = x, DI = y, R11 = dst, DX = byte offset of the
// current element, R8 = total bytes, R9 = end of the unrolled blocks, R10 = end of the
// single-vector blocks. Zen 4 (this machine) sustains two 256-bit loads, one 256-bit store
// and two 256-bit FMAs per cycle; a ZMM instruction occupies a 256-bit pipe for two
// cycles, so the loops below are bound by loads or stores, not by arithmetic.

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

// SPLIT computes the loop bounds from the length in floats: R8 = bytes, R9 = bytes in
// whole blocks of blockBytes (a power of two), R10 = bytes in whole vectors of
// vecBytes; DX = 0.
#define SPLIT(len, blockBytes, vecBytes) \
	MOVQ len, R8            \
	SHLQ $2, R8             \
	MOVQ R8, R9             \
	ANDQ $-blockBytes, R9   \
	MOVQ R8, R10            \
	ANDQ $-vecBytes, R10    \
	XORQ DX, DX

// YMASK loads into ymm the VMASKMOVPS mask for the (R8-DX)/4 floats left.
#define YMASK(ymm) \
	LEAQ tailMask<>+32(SB), AX \
	SUBQ R8, AX                \
	ADDQ DX, AX                \
	VMOVDQU (AX), ymm

// KMASK sets K1 to the low (R8/4 mod 16) lanes. Clobbers CX and AX.
#define KMASK \
	MOVQ R8, CX    \
	SHRQ $2, CX    \
	ANDL $15, CX   \
	MOVL $1, AX    \
	SHLL CX, AX    \
	DECL AX        \
	KMOVW AX, K1

// HSUM_X0 adds the four lanes of X0 into its low lane. Clobbers X1.
#define HSUM_X0 \
	VMOVHLPS X0, X0, X1 \
	VADDPS X1, X0, X0   \
	VMOVSHDUP X0, X1    \
	VADDSS X1, X0, X0

// func dotAVX2(x, y []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), SI
	MOVQ   y_base+24(FP), DI
	SPLIT(x_len+8(FP), 128, 32)
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   DX, R9
	JGE    vec

	// 32 floats: 4 loads of x, 4 FMAs each folding a load of y, 4 accumulators. Two
	// loads per FMA make this load-bound at one FMA per cycle, so four 4-cycle chains
	// keep up; fewer accumulators also shorten the final reduction.
block:
	VMOVUPS     (SI)(DX*1), Y8
	VMOVUPS     32(SI)(DX*1), Y9
	VMOVUPS     64(SI)(DX*1), Y10
	VMOVUPS     96(SI)(DX*1), Y11
	VFMADD231PS (DI)(DX*1), Y8, Y0
	VFMADD231PS 32(DI)(DX*1), Y9, Y1
	VFMADD231PS 64(DI)(DX*1), Y10, Y2
	VFMADD231PS 96(DI)(DX*1), Y11, Y3
	ADDQ        $128, DX
	CMPQ        DX, R9
	JLT         block

vec:
	CMPQ DX, R10
	JGE  tail

	// At most 3 vectors remain.
vecloop:
	VMOVUPS     (SI)(DX*1), Y8
	VFMADD231PS (DI)(DX*1), Y8, Y0
	ADDQ        $32, DX
	CMPQ        DX, R10
	JLT         vecloop

tail:
	CMPQ DX, R8
	JGE  reduce
	YMASK(Y15)
	VMASKMOVPS  (SI)(DX*1), Y15, Y8
	VMASKMOVPS  (DI)(DX*1), Y15, Y9
	VFMADD231PS Y9, Y8, Y1

reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	HSUM_X0
	VZEROUPPER
	VMOVSS       X0, ret+48(FP)
	RET

// func dotAVX512(x, y []float32) float32
TEXT ·dotAVX512(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), SI
	MOVQ   y_base+24(FP), DI
	SPLIT(x_len+8(FP), 256, 64)
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   DX, R9
	JGE    vec

	// 64 floats: 4 loads of x, 4 FMAs folding a load of y, 4 accumulators. A ZMM load
	// takes both 256-bit load pipes, so this runs at one FMA per two cycles and four
	// chains are plenty.
block:
	VMOVUPS     (SI)(DX*1), Z8
	VMOVUPS     64(SI)(DX*1), Z9
	VMOVUPS     128(SI)(DX*1), Z10
	VMOVUPS     192(SI)(DX*1), Z11
	VFMADD231PS (DI)(DX*1), Z8, Z0
	VFMADD231PS 64(DI)(DX*1), Z9, Z1
	VFMADD231PS 128(DI)(DX*1), Z10, Z2
	VFMADD231PS 192(DI)(DX*1), Z11, Z3
	ADDQ        $256, DX
	CMPQ        DX, R9
	JLT         block

vec:
	CMPQ DX, R10
	JGE  tail

	// At most 3 vectors remain.
vecloop:
	VMOVUPS     (SI)(DX*1), Z8
	VFMADD231PS (DI)(DX*1), Z8, Z0
	ADDQ        $64, DX
	CMPQ        DX, R10
	JLT         vecloop

tail:
	CMPQ DX, R8
	JGE  reduce
	KMASK
	VMOVUPS.Z   (SI)(DX*1), K1, Z8
	VFMADD231PS (DI)(DX*1), Z8, K1, Z1

reduce:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	HSUM_X0
	VZEROUPPER
	VMOVSS        X0, ret+48(FP)
	RET

// func axpyAVX2(alpha float32, x, y []float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y15
	MOVQ         x_base+8(FP), SI
	MOVQ         y_base+32(FP), DI
	SPLIT(x_len+16(FP), 128, 32)
	CMPQ         DX, R9
	JGE          vec

	// 32 floats: 4 loads of x, 4 FMAs folding a load of y, 4 stores. Store-bound at 4
	// cycles (one 256-bit store per cycle).
block:
	VMOVUPS     (SI)(DX*1), Y0
	VMOVUPS     32(SI)(DX*1), Y1
	VMOVUPS     64(SI)(DX*1), Y2
	VMOVUPS     96(SI)(DX*1), Y3
	VFMADD213PS (DI)(DX*1), Y15, Y0
	VFMADD213PS 32(DI)(DX*1), Y15, Y1
	VFMADD213PS 64(DI)(DX*1), Y15, Y2
	VFMADD213PS 96(DI)(DX*1), Y15, Y3
	VMOVUPS     Y0, (DI)(DX*1)
	VMOVUPS     Y1, 32(DI)(DX*1)
	VMOVUPS     Y2, 64(DI)(DX*1)
	VMOVUPS     Y3, 96(DI)(DX*1)
	ADDQ        $128, DX
	CMPQ        DX, R9
	JLT         block

vec:
	CMPQ DX, R10
	JGE  tail

vecloop:
	VMOVUPS     (SI)(DX*1), Y0
	VFMADD213PS (DI)(DX*1), Y15, Y0
	VMOVUPS     Y0, (DI)(DX*1)
	ADDQ        $32, DX
	CMPQ        DX, R10
	JLT         vecloop

tail:
	CMPQ DX, R8
	JGE  done

scalar:
	VMOVSS      (SI)(DX*1), X0
	VFMADD213SS (DI)(DX*1), X15, X0
	VMOVSS      X0, (DI)(DX*1)
	ADDQ        $4, DX
	CMPQ        DX, R8
	JLT         scalar

done:
	VZEROUPPER
	RET

// func axpyAVX512(alpha float32, x, y []float32)
TEXT ·axpyAVX512(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Z15
	MOVQ         x_base+8(FP), SI
	MOVQ         y_base+32(FP), DI
	SPLIT(x_len+16(FP), 256, 64)
	CMPQ         DX, R9
	JGE          vec

	// 64 floats: 4 loads of x, 4 FMAs folding a load of y, 4 stores (8 store cycles).
block:
	VMOVUPS     (SI)(DX*1), Z0
	VMOVUPS     64(SI)(DX*1), Z1
	VMOVUPS     128(SI)(DX*1), Z2
	VMOVUPS     192(SI)(DX*1), Z3
	VFMADD213PS (DI)(DX*1), Z15, Z0
	VFMADD213PS 64(DI)(DX*1), Z15, Z1
	VFMADD213PS 128(DI)(DX*1), Z15, Z2
	VFMADD213PS 192(DI)(DX*1), Z15, Z3
	VMOVUPS     Z0, (DI)(DX*1)
	VMOVUPS     Z1, 64(DI)(DX*1)
	VMOVUPS     Z2, 128(DI)(DX*1)
	VMOVUPS     Z3, 192(DI)(DX*1)
	ADDQ        $256, DX
	CMPQ        DX, R9
	JLT         block

vec:
	CMPQ DX, R10
	JGE  tail

vecloop:
	VMOVUPS     (SI)(DX*1), Z0
	VFMADD213PS (DI)(DX*1), Z15, Z0
	VMOVUPS     Z0, (DI)(DX*1)
	ADDQ        $64, DX
	CMPQ        DX, R10
	JLT         vecloop

tail:
	MOVQ R8, AX
	SUBQ DX, AX
	JZ   done
	CMPQ AX, $32
	JLT  scalar
	VMOVUPS     (SI)(DX*1), Y0
	VFMADD213PS (DI)(DX*1), Y15, Y0
	VMOVUPS     Y0, (DI)(DX*1)
	ADDQ $32, DX
	CMPQ DX, R8
	JGE  done
scalar:
	VMOVSS      (SI)(DX*1), X0
	VFMADD213SS (DI)(DX*1), X15, X0
	VMOVSS      X0, (DI)(DX*1)
	ADDQ $4, DX
	CMPQ DX, R8
	JLT  scalar

done:
	VZEROUPPER
	RET

// func scaleAVX2(alpha float32, x []float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y15
	MOVQ         x_base+8(FP), SI
	SPLIT(x_len+16(FP), 128, 32)
	CMPQ         DX, R9
	JGE          vec

	// 32 floats: 4 multiplies folding a load, 4 stores.
block:
	VMULPS  (SI)(DX*1), Y15, Y0
	VMULPS  32(SI)(DX*1), Y15, Y1
	VMULPS  64(SI)(DX*1), Y15, Y2
	VMULPS  96(SI)(DX*1), Y15, Y3
	VMOVUPS Y0, (SI)(DX*1)
	VMOVUPS Y1, 32(SI)(DX*1)
	VMOVUPS Y2, 64(SI)(DX*1)
	VMOVUPS Y3, 96(SI)(DX*1)
	ADDQ    $128, DX
	CMPQ    DX, R9
	JLT     block

vec:
	CMPQ DX, R10
	JGE  tail

vecloop:
	VMULPS  (SI)(DX*1), Y15, Y0
	VMOVUPS Y0, (SI)(DX*1)
	ADDQ    $32, DX
	CMPQ    DX, R10
	JLT     vecloop

tail:
	CMPQ DX, R8
	JGE  done

scalar:
	VMULSS (SI)(DX*1), X15, X0
	VMOVSS X0, (SI)(DX*1)
	ADDQ   $4, DX
	CMPQ   DX, R8
	JLT    scalar

done:
	VZEROUPPER
	RET

// func scaleAVX512(alpha float32, x []float32)
TEXT ·scaleAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z15
	MOVQ         x_base+8(FP), SI
	SPLIT(x_len+16(FP), 256, 64)
	CMPQ         DX, R9
	JGE          vec

	// 64 floats: 4 multiplies folding a load, 4 stores.
block:
	VMULPS  (SI)(DX*1), Z15, Z0
	VMULPS  64(SI)(DX*1), Z15, Z1
	VMULPS  128(SI)(DX*1), Z15, Z2
	VMULPS  192(SI)(DX*1), Z15, Z3
	VMOVUPS Z0, (SI)(DX*1)
	VMOVUPS Z1, 64(SI)(DX*1)
	VMOVUPS Z2, 128(SI)(DX*1)
	VMOVUPS Z3, 192(SI)(DX*1)
	ADDQ    $256, DX
	CMPQ    DX, R9
	JLT     block

vec:
	CMPQ DX, R10
	JGE  tail

vecloop:
	VMULPS  (SI)(DX*1), Z15, Z0
	VMOVUPS Z0, (SI)(DX*1)
	ADDQ    $64, DX
	CMPQ    DX, R10
	JLT     vecloop

tail:
	MOVQ R8, AX
	SUBQ DX, AX
	JZ   done
	CMPQ AX, $32
	JLT  scalar
	VMULPS  (SI)(DX*1), Y15, Y0
	VMOVUPS Y0, (SI)(DX*1)
	ADDQ $32, DX
	CMPQ DX, R8
	JGE  done
scalar:
	VMULSS  (SI)(DX*1), X15, X0
	VMOVSS  X0, (SI)(DX*1)
	ADDQ $4, DX
	CMPQ DX, R8
	JLT  scalar

done:
	VZEROUPPER
	RET

// BINARY_AVX2 is the rest of an avx2 kernel dst[i] = x[i] op y[i] once R11, SI, DI and
// SPLIT(len, 128, 32) are set up; dst may alias x or y because each vector is read
// before it is written. (Macros must not name arguments: go vet's asmdecl reads them as
// part of the preceding TEXT block.)
#define BINARY_AVX2(op, opss) \
	CMPQ DX, R9               \
	JGE  vec                  \
block:                            \
	VMOVUPS (SI)(DX*1), Y0    \
	VMOVUPS 32(SI)(DX*1), Y1  \
	VMOVUPS 64(SI)(DX*1), Y2  \
	VMOVUPS 96(SI)(DX*1), Y3  \
	op      (DI)(DX*1), Y0, Y0   \
	op      32(DI)(DX*1), Y1, Y1 \
	op      64(DI)(DX*1), Y2, Y2 \
	op      96(DI)(DX*1), Y3, Y3 \
	VMOVUPS Y0, (R11)(DX*1)   \
	VMOVUPS Y1, 32(R11)(DX*1) \
	VMOVUPS Y2, 64(R11)(DX*1) \
	VMOVUPS Y3, 96(R11)(DX*1) \
	ADDQ    $128, DX          \
	CMPQ    DX, R9            \
	JLT     block             \
vec:                              \
	CMPQ DX, R10              \
	JGE  tail                 \
vecloop:                          \
	VMOVUPS (SI)(DX*1), Y0    \
	op      (DI)(DX*1), Y0, Y0 \
	VMOVUPS Y0, (R11)(DX*1)   \
	ADDQ    $32, DX           \
	CMPQ    DX, R10           \
	JLT     vecloop           \
tail:                             \
	CMPQ DX, R8               \
	JGE  done                 \
scalar:                           \
	VMOVSS (SI)(DX*1), X0     \
	opss   (DI)(DX*1), X0, X0 \
	VMOVSS X0, (R11)(DX*1)    \
	ADDQ   $4, DX             \
	CMPQ   DX, R8             \
	JLT    scalar             \
done:                             \
	VZEROUPPER                \
	RET

// BINARY_AVX512 is BINARY_AVX2 with ZMM vectors; its 1..15 tail elements are one YMM
// vector if 8 or more, then single elements.
#define BINARY_AVX512(op, opss) \
	CMPQ DX, R9               \
	JGE  vec                  \
block:                            \
	VMOVUPS (SI)(DX*1), Z0    \
	VMOVUPS 64(SI)(DX*1), Z1  \
	VMOVUPS 128(SI)(DX*1), Z2 \
	VMOVUPS 192(SI)(DX*1), Z3 \
	op      (DI)(DX*1), Z0, Z0    \
	op      64(DI)(DX*1), Z1, Z1  \
	op      128(DI)(DX*1), Z2, Z2 \
	op      192(DI)(DX*1), Z3, Z3 \
	VMOVUPS Z0, (R11)(DX*1)    \
	VMOVUPS Z1, 64(R11)(DX*1)  \
	VMOVUPS Z2, 128(R11)(DX*1) \
	VMOVUPS Z3, 192(R11)(DX*1) \
	ADDQ    $256, DX          \
	CMPQ    DX, R9            \
	JLT     block             \
vec:                              \
	CMPQ DX, R10              \
	JGE  tail                 \
vecloop:                          \
	VMOVUPS (SI)(DX*1), Z0    \
	op      (DI)(DX*1), Z0, Z0 \
	VMOVUPS Z0, (R11)(DX*1)   \
	ADDQ    $64, DX           \
	CMPQ    DX, R10           \
	JLT     vecloop           \
tail: \
	MOVQ R8, AX \
	SUBQ DX, AX \
	JZ   done \
	CMPQ AX, $32 \
	JLT  scalar \
	VMOVUPS (SI)(DX*1), Y0 \
	op      (DI)(DX*1), Y0, Y0 \
	VMOVUPS Y0, (R11)(DX*1) \
	ADDQ $32, DX \
	CMPQ DX, R8 \
	JGE  done \
scalar: \
	VMOVSS  (SI)(DX*1), X0 \
	opss    (DI)(DX*1), X0, X0 \
	VMOVSS  X0, (R11)(DX*1) \
	ADDQ $4, DX \
	CMPQ DX, R8 \
	JLT  scalar \
done:                             \
	VZEROUPPER                \
	RET

// 32 (avx2) or 64 (avx512) floats per block: 4 loads of x, 4 operations folding a load
// of y, 4 stores; store-bound.

// func mulAVX2(dst, x, y []float32)
TEXT ·mulAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), R11
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	SPLIT(dst_len+8(FP), 128, 32)
	BINARY_AVX2(VMULPS, VMULSS)

// func mulAVX512(dst, x, y []float32)
TEXT ·mulAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), R11
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	SPLIT(dst_len+8(FP), 256, 64)
	BINARY_AVX512(VMULPS, VMULSS)

// func addAVX2(dst, x, y []float32)
TEXT ·addAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), R11
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	SPLIT(dst_len+8(FP), 128, 32)
	BINARY_AVX2(VADDPS, VADDSS)

// func addAVX512(dst, x, y []float32)
TEXT ·addAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), R11
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	SPLIT(dst_len+8(FP), 256, 64)
	BINARY_AVX512(VADDPS, VADDSS)

// func mulAddAVX2(dst, x, y []float32)
TEXT ·mulAddAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), R11
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	SPLIT(dst_len+8(FP), 128, 32)
	CMPQ DX, R9
	JGE  vec

	// 32 floats: 8 loads (x, dst), 4 FMAs folding a load of y, 4 stores: 12 loads = 6
	// cycles.
block:
	VMOVUPS     (SI)(DX*1), Y0
	VMOVUPS     32(SI)(DX*1), Y1
	VMOVUPS     64(SI)(DX*1), Y2
	VMOVUPS     96(SI)(DX*1), Y3
	VMOVUPS     (R11)(DX*1), Y4
	VMOVUPS     32(R11)(DX*1), Y5
	VMOVUPS     64(R11)(DX*1), Y6
	VMOVUPS     96(R11)(DX*1), Y7
	VFMADD231PS (DI)(DX*1), Y0, Y4
	VFMADD231PS 32(DI)(DX*1), Y1, Y5
	VFMADD231PS 64(DI)(DX*1), Y2, Y6
	VFMADD231PS 96(DI)(DX*1), Y3, Y7
	VMOVUPS     Y4, (R11)(DX*1)
	VMOVUPS     Y5, 32(R11)(DX*1)
	VMOVUPS     Y6, 64(R11)(DX*1)
	VMOVUPS     Y7, 96(R11)(DX*1)
	ADDQ        $128, DX
	CMPQ        DX, R9
	JLT         block

vec:
	CMPQ DX, R10
	JGE  tail

vecloop:
	VMOVUPS     (SI)(DX*1), Y0
	VMOVUPS     (R11)(DX*1), Y4
	VFMADD231PS (DI)(DX*1), Y0, Y4
	VMOVUPS     Y4, (R11)(DX*1)
	ADDQ        $32, DX
	CMPQ        DX, R10
	JLT         vecloop

tail:
	CMPQ DX, R8
	JGE  done

scalar:
	VMOVSS      (SI)(DX*1), X0
	VMOVSS      (R11)(DX*1), X4
	VFMADD231SS (DI)(DX*1), X0, X4
	VMOVSS      X4, (R11)(DX*1)
	ADDQ        $4, DX
	CMPQ        DX, R8
	JLT         scalar

done:
	VZEROUPPER
	RET

// func mulAddAVX512(dst, x, y []float32)
TEXT ·mulAddAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), R11
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DI
	SPLIT(dst_len+8(FP), 256, 64)
	CMPQ DX, R9
	JGE  vec

	// 64 floats: 8 loads (x, dst), 4 FMAs folding a load of y, 4 stores.
block:
	VMOVUPS     (SI)(DX*1), Z0
	VMOVUPS     64(SI)(DX*1), Z1
	VMOVUPS     128(SI)(DX*1), Z2
	VMOVUPS     192(SI)(DX*1), Z3
	VMOVUPS     (R11)(DX*1), Z4
	VMOVUPS     64(R11)(DX*1), Z5
	VMOVUPS     128(R11)(DX*1), Z6
	VMOVUPS     192(R11)(DX*1), Z7
	VFMADD231PS (DI)(DX*1), Z0, Z4
	VFMADD231PS 64(DI)(DX*1), Z1, Z5
	VFMADD231PS 128(DI)(DX*1), Z2, Z6
	VFMADD231PS 192(DI)(DX*1), Z3, Z7
	VMOVUPS     Z4, (R11)(DX*1)
	VMOVUPS     Z5, 64(R11)(DX*1)
	VMOVUPS     Z6, 128(R11)(DX*1)
	VMOVUPS     Z7, 192(R11)(DX*1)
	ADDQ        $256, DX
	CMPQ        DX, R9
	JLT         block

vec:
	CMPQ DX, R10
	JGE  tail

vecloop:
	VMOVUPS     (SI)(DX*1), Z0
	VMOVUPS     (R11)(DX*1), Z4
	VFMADD231PS (DI)(DX*1), Z0, Z4
	VMOVUPS     Z4, (R11)(DX*1)
	ADDQ        $64, DX
	CMPQ        DX, R10
	JLT         vecloop

tail:
	MOVQ R8, AX
	SUBQ DX, AX
	JZ   done
	CMPQ AX, $32
	JLT  scalar
	VMOVUPS     (SI)(DX*1), Y0
	VMOVUPS     (R11)(DX*1), Y4
	VFMADD231PS (DI)(DX*1), Y0, Y4
	VMOVUPS     Y4, (R11)(DX*1)
	ADDQ $32, DX
	CMPQ DX, R8
	JGE  done
scalar:
	VMOVSS      (SI)(DX*1), X0
	VMOVSS      (R11)(DX*1), X4
	VFMADD231SS (DI)(DX*1), X0, X4
	VMOVSS      X4, (R11)(DX*1)
	ADDQ $4, DX
	CMPQ DX, R8
	JLT  scalar

done:
	VZEROUPPER
	RET
