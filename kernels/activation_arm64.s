//go:build !purego

#include "textflag.h"

// Tanh and Sigmoid for the neon tier: the steps of tanh32 / sigmoid32 in
// activation_generic.go (read that file's comment for the method), four lanes at a time.
// A fused multiply-add here rounds once where the Go twin, going through float64, may
// round twice, so this tier agrees with generic within 1 ulp.
//
// The vector floating-point instructions are WORD-encoded (Go's assembler lacks them),
// each with its GNU mnemonic in the comment, which wordenc_test.go checks. FMIN/FMAX
// return NaN when either input is NaN, so the clamps keep a NaN input.
//
// Tails: the kernels need len >= 4 (the Go wrappers send shorter slices to the generic
// loop). The last whole vector x[n-4:n] is loaded before anything is stored and is
// processed last, overlapping the vectors before it; the overlapped elements get the same
// values again, and dst may alias x because that input was read before any store.
//
// Registers: R0 = dst, R1 = x, R2 = whole vectors, R3 = address of dst's last vector,
// R4 = pairs of vectors left, V8 = the last input vector, V16-V30 constants (see
// LOADCONST), V0-V7 scratch for one vector and V9-V15, V31 for the other of a pair.
//
// The main loop takes two vectors and interleaves their steps: one vector's chain of
// dependent steps is far longer than the loop's throughput allows (about 250 cycles on
// the Cortex-A72 model), so a second independent chain fills the pipes.
//
// A "// armsim: Name" line above a loop's label marks the loop for bench/armsim, which
// models it on the Cortex-A72 and Neoverse-N1 pipelines with llvm-mca (and fails if a
// marked loop goes missing).

DATA actConstNEON<>+0(SB)/4, $0x80000000 // sign bit
DATA actConstNEON<>+4(SB)/4, $0x41a00000 // 20, the clamp of |x| for tanh
DATA actConstNEON<>+8(SB)/4, $0xc2d00000 // -104, the clamp of -|x| for sigmoid
DATA actConstNEON<>+12(SB)/4, $0xc0000000 // -2
DATA actConstNEON<>+16(SB)/4, $0x3fb8aa3b // log2(e)
DATA actConstNEON<>+20(SB)/4, $0xbf318000 // -ln2, 9-bit head
DATA actConstNEON<>+24(SB)/4, $0x395e8083 // -ln2, tail (ln2Lo is negative)
DATA actConstNEON<>+28(SB)/4, $0x3f800000 // 1.0, also the exponent bits of 2^0
DATA actConstNEON<>+32(SB)/4, $0x40000000 // 2.0
DATA actConstNEON<>+36(SB)/4, $0x37d00d01 // 1/8!
DATA actConstNEON<>+40(SB)/4, $0x39500d01 // 1/7!
DATA actConstNEON<>+44(SB)/4, $0x3ab60b61 // 1/6!
DATA actConstNEON<>+48(SB)/4, $0x3c088889 // 1/5!
DATA actConstNEON<>+52(SB)/4, $0x3d2aaaab // 1/4!
DATA actConstNEON<>+56(SB)/4, $0x3e2aaaab // 1/3!
DATA actConstNEON<>+60(SB)/4, $0x3f000000 // 1/2!
GLOBL actConstNEON<>(SB), RODATA|NOPTR, $64

// LOADCONST broadcasts the constant at byte offset off of actConstNEON into vreg.
#define LOADCONST(off, vreg) \
	MOVD  $actConstNEON<>+off(SB), R4 \
	VLD1R (R4), [vreg.S4]

// Common constants: V16 = sign bit, V19 = log2 e, V20/V21 = -ln2 head/tail, V22 = 1,
// V23 = 2, V24-V30 = P8..P2.
#define LOADCOMMON \
	LOADCONST(0, V16)  \
	LOADCONST(16, V19) \
	LOADCONST(20, V20) \
	LOADCONST(24, V21) \
	LOADCONST(28, V22) \
	LOADCONST(32, V23) \
	LOADCONST(36, V24) \
	LOADCONST(40, V25) \
	LOADCONST(44, V26) \
	LOADCONST(48, V27) \
	LOADCONST(52, V28) \
	LOADCONST(56, V29) \
	LOADCONST(60, V30)

// The loop bodies are written out in full (a WORD and its checked comment cannot sit in
// a macro). Both start with the reduction of t = k ln2 + r: k = round(t log2 e) in V2
// (as an integer), r in V3, then q = e^r - 1 = r + r² P(r) by Horner into V3.
//
// tanh (V17 = 20, V18 = -2): t = -2 min(|x|, 20); m = s q + (s - 1) with s = 2^k;
// d = 2 + m and its exact error dl; y = m/(d + dl) from a reciprocal r of d (FRECPE's
// estimate and two Newton steps with FRECPS: the A72 model's FDIV holds one FP pipe for
// 34 cycles), q = m r and one correction with r; then the sign bit of x. The correction
// takes q to m/(d + dl) whether r is the rounded 1/d or a few ulps off it.
//
// sigmoid (V17 = -104): t = max(-|x|, -104); e = (s1 q + s1) s2 with s1 s2 = 2^k;
// d = 1 + e and its exact error dl; y = (x < 0 ? e : 1)/(d + dl) likewise.

// func tanhNEON(dst, x []float32)
TEXT ·tanhNEON(SB), NOSPLIT, $0-48
	LOADCOMMON
	LOADCONST(4, V17)
	LOADCONST(12, V18)
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	ADD  R2<<2, R1, R5
	SUB  $16, R5
	VLD1 (R5), [V8.S4]
	ADD  R2<<2, R0, R3
	SUB  $16, R3
	LSR  $2, R2
	LSR  $1, R2, R4
	CBZ  R4, tanhNEONOne

	// armsim: Tanh
tanhNEONPairs:
	// Per iteration: two vectors, their steps interleaved (V0-V7 and V9-V15, V31),
	// so that one vector's latency hides behind the other's.
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R1), [V9.S4]
	WORD $0x4ea0f801 // fabs v1.4s, v0.4s
	WORD $0x4ea0f92a // fabs v10.4s, v9.4s
	WORD $0x4eb1f421 // fmin v1.4s, v1.4s, v17.4s
	WORD $0x4eb1f54a // fmin v10.4s, v10.4s, v17.4s
	WORD $0x6e32dc21 // fmul v1.4s, v1.4s, v18.4s
	WORD $0x6e32dd4a // fmul v10.4s, v10.4s, v18.4s
	WORD $0x6e33dc22 // fmul v2.4s, v1.4s, v19.4s
	WORD $0x6e33dd4b // fmul v11.4s, v10.4s, v19.4s
	WORD $0x4e218842 // frintn v2.4s, v2.4s
	WORD $0x4e21896b // frintn v11.4s, v11.4s
	WORD $0x4ea11c23 // mov v3.16b, v1.16b
	WORD $0x4eaa1d4c // mov v12.16b, v10.16b
	WORD $0x4e34cc43 // fmla v3.4s, v2.4s, v20.4s
	WORD $0x4e34cd6c // fmla v12.4s, v11.4s, v20.4s
	WORD $0x4e35cc43 // fmla v3.4s, v2.4s, v21.4s
	WORD $0x4e35cd6c // fmla v12.4s, v11.4s, v21.4s
	WORD $0x4ea1b842 // fcvtzs v2.4s, v2.4s
	WORD $0x4ea1b96b // fcvtzs v11.4s, v11.4s
	WORD $0x4eb91f24 // mov v4.16b, v25.16b
	WORD $0x4eb91f2d // mov v13.16b, v25.16b
	WORD $0x4e23cf04 // fmla v4.4s, v24.4s, v3.4s
	WORD $0x4e2ccf0d // fmla v13.4s, v24.4s, v12.4s
	WORD $0x4eba1f45 // mov v5.16b, v26.16b
	WORD $0x4eba1f4e // mov v14.16b, v26.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4e2ccdae // fmla v14.4s, v13.4s, v12.4s
	WORD $0x4ebb1f64 // mov v4.16b, v27.16b
	WORD $0x4ebb1f6d // mov v13.16b, v27.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4e2ccdcd // fmla v13.4s, v14.4s, v12.4s
	WORD $0x4ebc1f85 // mov v5.16b, v28.16b
	WORD $0x4ebc1f8e // mov v14.16b, v28.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4e2ccdae // fmla v14.4s, v13.4s, v12.4s
	WORD $0x4ebd1fa4 // mov v4.16b, v29.16b
	WORD $0x4ebd1fad // mov v13.16b, v29.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4e2ccdcd // fmla v13.4s, v14.4s, v12.4s
	WORD $0x4ebe1fc5 // mov v5.16b, v30.16b
	WORD $0x4ebe1fce // mov v14.16b, v30.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4e2ccdae // fmla v14.4s, v13.4s, v12.4s
	WORD $0x6e23dc66 // fmul v6.4s, v3.4s, v3.4s
	WORD $0x6e2cdd8f // fmul v15.4s, v12.4s, v12.4s
	WORD $0x4e25ccc3 // fmla v3.4s, v6.4s, v5.4s
	WORD $0x4e2ecdec // fmla v12.4s, v15.4s, v14.4s
	WORD $0x4f375442 // shl v2.4s, v2.4s, #23
	WORD $0x4f37556b // shl v11.4s, v11.4s, #23
	WORD $0x4eb68442 // add v2.4s, v2.4s, v22.4s
	WORD $0x4eb6856b // add v11.4s, v11.4s, v22.4s
	WORD $0x4eb6d445 // fsub v5.4s, v2.4s, v22.4s
	WORD $0x4eb6d56e // fsub v14.4s, v11.4s, v22.4s
	WORD $0x4e23cc45 // fmla v5.4s, v2.4s, v3.4s
	WORD $0x4e2ccd6e // fmla v14.4s, v11.4s, v12.4s
	WORD $0x4e37d4a6 // fadd v6.4s, v5.4s, v23.4s
	WORD $0x4e37d5cf // fadd v15.4s, v14.4s, v23.4s
	WORD $0x4ea6d6e7 // fsub v7.4s, v23.4s, v6.4s
	WORD $0x4eafd6ff // fsub v31.4s, v23.4s, v15.4s
	WORD $0x4e25d4e7 // fadd v7.4s, v7.4s, v5.4s
	WORD $0x4e2ed7ff // fadd v31.4s, v31.4s, v14.4s
	WORD $0x4ea1d8c1 // frecpe v1.4s, v6.4s
	WORD $0x4ea1d9ea // frecpe v10.4s, v15.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x4e2ffd4b // frecps v11.4s, v10.4s, v15.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x6e2bdd4a // fmul v10.4s, v10.4s, v11.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x4e2ffd4b // frecps v11.4s, v10.4s, v15.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x6e2bdd4a // fmul v10.4s, v10.4s, v11.4s
	WORD $0x6e21dca2 // fmul v2.4s, v5.4s, v1.4s
	WORD $0x6e2addcb // fmul v11.4s, v14.4s, v10.4s
	WORD $0x4ea6cc45 // fmls v5.4s, v2.4s, v6.4s
	WORD $0x4eafcd6e // fmls v14.4s, v11.4s, v15.4s
	WORD $0x4ea7cc45 // fmls v5.4s, v2.4s, v7.4s
	WORD $0x4ebfcd6e // fmls v14.4s, v11.4s, v31.4s
	WORD $0x4e21cca2 // fmla v2.4s, v5.4s, v1.4s
	WORD $0x4e2acdcb // fmla v11.4s, v14.4s, v10.4s
	WORD $0x6eb01c02 // bit v2.16b, v0.16b, v16.16b
	WORD $0x6eb01d2b // bit v11.16b, v9.16b, v16.16b
	VST1.P [V2.S4], 16(R0)
	VST1.P [V11.S4], 16(R0)
	SUBS   $1, R4
	BNE    tanhNEONPairs

tanhNEONOne:
	// An odd whole vector left over from the pairs.
	TBZ    $0, R2, tanhNEONLast
	VLD1.P 16(R1), [V0.S4]
	WORD $0x4ea0f801 // fabs v1.4s, v0.4s
	WORD $0x4eb1f421 // fmin v1.4s, v1.4s, v17.4s
	WORD $0x6e32dc21 // fmul v1.4s, v1.4s, v18.4s
	WORD $0x6e33dc22 // fmul v2.4s, v1.4s, v19.4s
	WORD $0x4e218842 // frintn v2.4s, v2.4s
	WORD $0x4ea11c23 // mov v3.16b, v1.16b
	WORD $0x4e34cc43 // fmla v3.4s, v2.4s, v20.4s
	WORD $0x4e35cc43 // fmla v3.4s, v2.4s, v21.4s
	WORD $0x4ea1b842 // fcvtzs v2.4s, v2.4s
	WORD $0x4eb91f24 // mov v4.16b, v25.16b
	WORD $0x4e23cf04 // fmla v4.4s, v24.4s, v3.4s
	WORD $0x4eba1f45 // mov v5.16b, v26.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4ebb1f64 // mov v4.16b, v27.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4ebc1f85 // mov v5.16b, v28.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4ebd1fa4 // mov v4.16b, v29.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4ebe1fc5 // mov v5.16b, v30.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x6e23dc66 // fmul v6.4s, v3.4s, v3.4s
	WORD $0x4e25ccc3 // fmla v3.4s, v6.4s, v5.4s
	WORD $0x4f375442 // shl v2.4s, v2.4s, #23
	WORD $0x4eb68442 // add v2.4s, v2.4s, v22.4s
	WORD $0x4eb6d445 // fsub v5.4s, v2.4s, v22.4s
	WORD $0x4e23cc45 // fmla v5.4s, v2.4s, v3.4s
	WORD $0x4e37d4a6 // fadd v6.4s, v5.4s, v23.4s
	WORD $0x4ea6d6e7 // fsub v7.4s, v23.4s, v6.4s
	WORD $0x4e25d4e7 // fadd v7.4s, v7.4s, v5.4s
	WORD $0x4ea1d8c1 // frecpe v1.4s, v6.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x6e21dca2 // fmul v2.4s, v5.4s, v1.4s
	WORD $0x4ea6cc45 // fmls v5.4s, v2.4s, v6.4s
	WORD $0x4ea7cc45 // fmls v5.4s, v2.4s, v7.4s
	WORD $0x4e21cca2 // fmla v2.4s, v5.4s, v1.4s
	WORD $0x6eb01c02 // bit v2.16b, v0.16b, v16.16b
	VST1.P [V2.S4], 16(R0)

tanhNEONLast:
	// The last whole vector, loaded before any store (it may overlap the vectors
	// before it, and dst may alias x).
	VMOV V8.B16, V0.B16
	WORD $0x4ea0f801 // fabs v1.4s, v0.4s
	WORD $0x4eb1f421 // fmin v1.4s, v1.4s, v17.4s
	WORD $0x6e32dc21 // fmul v1.4s, v1.4s, v18.4s
	WORD $0x6e33dc22 // fmul v2.4s, v1.4s, v19.4s
	WORD $0x4e218842 // frintn v2.4s, v2.4s
	WORD $0x4ea11c23 // mov v3.16b, v1.16b
	WORD $0x4e34cc43 // fmla v3.4s, v2.4s, v20.4s
	WORD $0x4e35cc43 // fmla v3.4s, v2.4s, v21.4s
	WORD $0x4ea1b842 // fcvtzs v2.4s, v2.4s
	WORD $0x4eb91f24 // mov v4.16b, v25.16b
	WORD $0x4e23cf04 // fmla v4.4s, v24.4s, v3.4s
	WORD $0x4eba1f45 // mov v5.16b, v26.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4ebb1f64 // mov v4.16b, v27.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4ebc1f85 // mov v5.16b, v28.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4ebd1fa4 // mov v4.16b, v29.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4ebe1fc5 // mov v5.16b, v30.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x6e23dc66 // fmul v6.4s, v3.4s, v3.4s
	WORD $0x4e25ccc3 // fmla v3.4s, v6.4s, v5.4s
	WORD $0x4f375442 // shl v2.4s, v2.4s, #23
	WORD $0x4eb68442 // add v2.4s, v2.4s, v22.4s
	WORD $0x4eb6d445 // fsub v5.4s, v2.4s, v22.4s
	WORD $0x4e23cc45 // fmla v5.4s, v2.4s, v3.4s
	WORD $0x4e37d4a6 // fadd v6.4s, v5.4s, v23.4s
	WORD $0x4ea6d6e7 // fsub v7.4s, v23.4s, v6.4s
	WORD $0x4e25d4e7 // fadd v7.4s, v7.4s, v5.4s
	WORD $0x4ea1d8c1 // frecpe v1.4s, v6.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x6e21dca2 // fmul v2.4s, v5.4s, v1.4s
	WORD $0x4ea6cc45 // fmls v5.4s, v2.4s, v6.4s
	WORD $0x4ea7cc45 // fmls v5.4s, v2.4s, v7.4s
	WORD $0x4e21cca2 // fmla v2.4s, v5.4s, v1.4s
	WORD $0x6eb01c02 // bit v2.16b, v0.16b, v16.16b
	VST1 [V2.S4], (R3)
	RET

// func sigmoidNEON(dst, x []float32)
TEXT ·sigmoidNEON(SB), NOSPLIT, $0-48
	LOADCOMMON
	LOADCONST(8, V17)
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	ADD  R2<<2, R1, R5
	SUB  $16, R5
	VLD1 (R5), [V8.S4]
	ADD  R2<<2, R0, R3
	SUB  $16, R3
	LSR  $2, R2
	LSR  $1, R2, R4
	CBZ  R4, sigmoidNEONOne

	// armsim: Sigmoid
sigmoidNEONPairs:
	// Per iteration: two vectors, their steps interleaved (V0-V7 and V9-V15, V31),
	// so that one vector's latency hides behind the other's.
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R1), [V9.S4]
	WORD $0x4eb01c01 // orr v1.16b, v0.16b, v16.16b
	WORD $0x4eb01d2a // orr v10.16b, v9.16b, v16.16b
	WORD $0x4e31f421 // fmax v1.4s, v1.4s, v17.4s
	WORD $0x4e31f54a // fmax v10.4s, v10.4s, v17.4s
	WORD $0x6e33dc22 // fmul v2.4s, v1.4s, v19.4s
	WORD $0x6e33dd4b // fmul v11.4s, v10.4s, v19.4s
	WORD $0x4e218842 // frintn v2.4s, v2.4s
	WORD $0x4e21896b // frintn v11.4s, v11.4s
	WORD $0x4ea11c23 // mov v3.16b, v1.16b
	WORD $0x4eaa1d4c // mov v12.16b, v10.16b
	WORD $0x4e34cc43 // fmla v3.4s, v2.4s, v20.4s
	WORD $0x4e34cd6c // fmla v12.4s, v11.4s, v20.4s
	WORD $0x4e35cc43 // fmla v3.4s, v2.4s, v21.4s
	WORD $0x4e35cd6c // fmla v12.4s, v11.4s, v21.4s
	WORD $0x4ea1b842 // fcvtzs v2.4s, v2.4s
	WORD $0x4ea1b96b // fcvtzs v11.4s, v11.4s
	WORD $0x4eb91f24 // mov v4.16b, v25.16b
	WORD $0x4eb91f2d // mov v13.16b, v25.16b
	WORD $0x4e23cf04 // fmla v4.4s, v24.4s, v3.4s
	WORD $0x4e2ccf0d // fmla v13.4s, v24.4s, v12.4s
	WORD $0x4eba1f45 // mov v5.16b, v26.16b
	WORD $0x4eba1f4e // mov v14.16b, v26.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4e2ccdae // fmla v14.4s, v13.4s, v12.4s
	WORD $0x4ebb1f64 // mov v4.16b, v27.16b
	WORD $0x4ebb1f6d // mov v13.16b, v27.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4e2ccdcd // fmla v13.4s, v14.4s, v12.4s
	WORD $0x4ebc1f85 // mov v5.16b, v28.16b
	WORD $0x4ebc1f8e // mov v14.16b, v28.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4e2ccdae // fmla v14.4s, v13.4s, v12.4s
	WORD $0x4ebd1fa4 // mov v4.16b, v29.16b
	WORD $0x4ebd1fad // mov v13.16b, v29.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4e2ccdcd // fmla v13.4s, v14.4s, v12.4s
	WORD $0x4ebe1fc5 // mov v5.16b, v30.16b
	WORD $0x4ebe1fce // mov v14.16b, v30.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4e2ccdae // fmla v14.4s, v13.4s, v12.4s
	WORD $0x6e23dc66 // fmul v6.4s, v3.4s, v3.4s
	WORD $0x6e2cdd8f // fmul v15.4s, v12.4s, v12.4s
	WORD $0x4e25ccc3 // fmla v3.4s, v6.4s, v5.4s
	WORD $0x4e2ecdec // fmla v12.4s, v15.4s, v14.4s
	WORD $0x4f3f0445 // sshr v5.4s, v2.4s, #1
	WORD $0x4f3f056e // sshr v14.4s, v11.4s, #1
	WORD $0x6ea58442 // sub v2.4s, v2.4s, v5.4s
	WORD $0x6eae856b // sub v11.4s, v11.4s, v14.4s
	WORD $0x4f375442 // shl v2.4s, v2.4s, #23
	WORD $0x4f37556b // shl v11.4s, v11.4s, #23
	WORD $0x4eb68442 // add v2.4s, v2.4s, v22.4s
	WORD $0x4eb6856b // add v11.4s, v11.4s, v22.4s
	WORD $0x4f3754a5 // shl v5.4s, v5.4s, #23
	WORD $0x4f3755ce // shl v14.4s, v14.4s, #23
	WORD $0x4eb684a5 // add v5.4s, v5.4s, v22.4s
	WORD $0x4eb685ce // add v14.4s, v14.4s, v22.4s
	WORD $0x4ea21c44 // mov v4.16b, v2.16b
	WORD $0x4eab1d6d // mov v13.16b, v11.16b
	WORD $0x4e23cc44 // fmla v4.4s, v2.4s, v3.4s
	WORD $0x4e2ccd6d // fmla v13.4s, v11.4s, v12.4s
	WORD $0x6e25dc84 // fmul v4.4s, v4.4s, v5.4s
	WORD $0x6e2eddad // fmul v13.4s, v13.4s, v14.4s
	WORD $0x4e36d486 // fadd v6.4s, v4.4s, v22.4s
	WORD $0x4e36d5af // fadd v15.4s, v13.4s, v22.4s
	WORD $0x4ea6d6c7 // fsub v7.4s, v22.4s, v6.4s
	WORD $0x4eafd6df // fsub v31.4s, v22.4s, v15.4s
	WORD $0x4e24d4e7 // fadd v7.4s, v7.4s, v4.4s
	WORD $0x4e2dd7ff // fadd v31.4s, v31.4s, v13.4s
	WORD $0x4f210405 // sshr v5.4s, v0.4s, #31
	WORD $0x4f21052e // sshr v14.4s, v9.4s, #31
	WORD $0x6e761c85 // bsl v5.16b, v4.16b, v22.16b
	WORD $0x6e761dae // bsl v14.16b, v13.16b, v22.16b
	WORD $0x4ea1d8c1 // frecpe v1.4s, v6.4s
	WORD $0x4ea1d9ea // frecpe v10.4s, v15.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x4e2ffd4b // frecps v11.4s, v10.4s, v15.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x6e2bdd4a // fmul v10.4s, v10.4s, v11.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x4e2ffd4b // frecps v11.4s, v10.4s, v15.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x6e2bdd4a // fmul v10.4s, v10.4s, v11.4s
	WORD $0x6e21dca2 // fmul v2.4s, v5.4s, v1.4s
	WORD $0x6e2addcb // fmul v11.4s, v14.4s, v10.4s
	WORD $0x4ea6cc45 // fmls v5.4s, v2.4s, v6.4s
	WORD $0x4eafcd6e // fmls v14.4s, v11.4s, v15.4s
	WORD $0x4ea7cc45 // fmls v5.4s, v2.4s, v7.4s
	WORD $0x4ebfcd6e // fmls v14.4s, v11.4s, v31.4s
	WORD $0x4e21cca2 // fmla v2.4s, v5.4s, v1.4s
	WORD $0x4e2acdcb // fmla v11.4s, v14.4s, v10.4s
	VST1.P [V2.S4], 16(R0)
	VST1.P [V11.S4], 16(R0)
	SUBS   $1, R4
	BNE    sigmoidNEONPairs

sigmoidNEONOne:
	// An odd whole vector left over from the pairs.
	TBZ    $0, R2, sigmoidNEONLast
	VLD1.P 16(R1), [V0.S4]
	WORD $0x4eb01c01 // orr v1.16b, v0.16b, v16.16b
	WORD $0x4e31f421 // fmax v1.4s, v1.4s, v17.4s
	WORD $0x6e33dc22 // fmul v2.4s, v1.4s, v19.4s
	WORD $0x4e218842 // frintn v2.4s, v2.4s
	WORD $0x4ea11c23 // mov v3.16b, v1.16b
	WORD $0x4e34cc43 // fmla v3.4s, v2.4s, v20.4s
	WORD $0x4e35cc43 // fmla v3.4s, v2.4s, v21.4s
	WORD $0x4ea1b842 // fcvtzs v2.4s, v2.4s
	WORD $0x4eb91f24 // mov v4.16b, v25.16b
	WORD $0x4e23cf04 // fmla v4.4s, v24.4s, v3.4s
	WORD $0x4eba1f45 // mov v5.16b, v26.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4ebb1f64 // mov v4.16b, v27.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4ebc1f85 // mov v5.16b, v28.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4ebd1fa4 // mov v4.16b, v29.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4ebe1fc5 // mov v5.16b, v30.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x6e23dc66 // fmul v6.4s, v3.4s, v3.4s
	WORD $0x4e25ccc3 // fmla v3.4s, v6.4s, v5.4s
	WORD $0x4f3f0445 // sshr v5.4s, v2.4s, #1
	WORD $0x6ea58442 // sub v2.4s, v2.4s, v5.4s
	WORD $0x4f375442 // shl v2.4s, v2.4s, #23
	WORD $0x4eb68442 // add v2.4s, v2.4s, v22.4s
	WORD $0x4f3754a5 // shl v5.4s, v5.4s, #23
	WORD $0x4eb684a5 // add v5.4s, v5.4s, v22.4s
	WORD $0x4ea21c44 // mov v4.16b, v2.16b
	WORD $0x4e23cc44 // fmla v4.4s, v2.4s, v3.4s
	WORD $0x6e25dc84 // fmul v4.4s, v4.4s, v5.4s
	WORD $0x4e36d486 // fadd v6.4s, v4.4s, v22.4s
	WORD $0x4ea6d6c7 // fsub v7.4s, v22.4s, v6.4s
	WORD $0x4e24d4e7 // fadd v7.4s, v7.4s, v4.4s
	WORD $0x4f210405 // sshr v5.4s, v0.4s, #31
	WORD $0x6e761c85 // bsl v5.16b, v4.16b, v22.16b
	WORD $0x4ea1d8c1 // frecpe v1.4s, v6.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x6e21dca2 // fmul v2.4s, v5.4s, v1.4s
	WORD $0x4ea6cc45 // fmls v5.4s, v2.4s, v6.4s
	WORD $0x4ea7cc45 // fmls v5.4s, v2.4s, v7.4s
	WORD $0x4e21cca2 // fmla v2.4s, v5.4s, v1.4s
	VST1.P [V2.S4], 16(R0)

sigmoidNEONLast:
	// The last whole vector, loaded before any store (it may overlap the vectors
	// before it, and dst may alias x).
	VMOV V8.B16, V0.B16
	WORD $0x4eb01c01 // orr v1.16b, v0.16b, v16.16b
	WORD $0x4e31f421 // fmax v1.4s, v1.4s, v17.4s
	WORD $0x6e33dc22 // fmul v2.4s, v1.4s, v19.4s
	WORD $0x4e218842 // frintn v2.4s, v2.4s
	WORD $0x4ea11c23 // mov v3.16b, v1.16b
	WORD $0x4e34cc43 // fmla v3.4s, v2.4s, v20.4s
	WORD $0x4e35cc43 // fmla v3.4s, v2.4s, v21.4s
	WORD $0x4ea1b842 // fcvtzs v2.4s, v2.4s
	WORD $0x4eb91f24 // mov v4.16b, v25.16b
	WORD $0x4e23cf04 // fmla v4.4s, v24.4s, v3.4s
	WORD $0x4eba1f45 // mov v5.16b, v26.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4ebb1f64 // mov v4.16b, v27.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4ebc1f85 // mov v5.16b, v28.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x4ebd1fa4 // mov v4.16b, v29.16b
	WORD $0x4e23cca4 // fmla v4.4s, v5.4s, v3.4s
	WORD $0x4ebe1fc5 // mov v5.16b, v30.16b
	WORD $0x4e23cc85 // fmla v5.4s, v4.4s, v3.4s
	WORD $0x6e23dc66 // fmul v6.4s, v3.4s, v3.4s
	WORD $0x4e25ccc3 // fmla v3.4s, v6.4s, v5.4s
	WORD $0x4f3f0445 // sshr v5.4s, v2.4s, #1
	WORD $0x6ea58442 // sub v2.4s, v2.4s, v5.4s
	WORD $0x4f375442 // shl v2.4s, v2.4s, #23
	WORD $0x4eb68442 // add v2.4s, v2.4s, v22.4s
	WORD $0x4f3754a5 // shl v5.4s, v5.4s, #23
	WORD $0x4eb684a5 // add v5.4s, v5.4s, v22.4s
	WORD $0x4ea21c44 // mov v4.16b, v2.16b
	WORD $0x4e23cc44 // fmla v4.4s, v2.4s, v3.4s
	WORD $0x6e25dc84 // fmul v4.4s, v4.4s, v5.4s
	WORD $0x4e36d486 // fadd v6.4s, v4.4s, v22.4s
	WORD $0x4ea6d6c7 // fsub v7.4s, v22.4s, v6.4s
	WORD $0x4e24d4e7 // fadd v7.4s, v7.4s, v4.4s
	WORD $0x4f210405 // sshr v5.4s, v0.4s, #31
	WORD $0x6e761c85 // bsl v5.16b, v4.16b, v22.16b
	WORD $0x4ea1d8c1 // frecpe v1.4s, v6.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x4e26fc22 // frecps v2.4s, v1.4s, v6.4s
	WORD $0x6e22dc21 // fmul v1.4s, v1.4s, v2.4s
	WORD $0x6e21dca2 // fmul v2.4s, v5.4s, v1.4s
	WORD $0x4ea6cc45 // fmls v5.4s, v2.4s, v6.4s
	WORD $0x4ea7cc45 // fmls v5.4s, v2.4s, v7.4s
	WORD $0x4e21cca2 // fmla v2.4s, v5.4s, v1.4s
	VST1 [V2.S4], (R3)
	RET
