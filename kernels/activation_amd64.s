//go:build !purego

#include "textflag.h"

// Tanh and Sigmoid for the avx2 (AVX2+FMA, VEX only) and avx512 (AVX-512 F) tiers. Each
// vector goes through exactly the steps of tanh32 / sigmoid32 in activation_generic.go
// (read that file's comment for the method and its error analysis); the only difference
// is that a fused multiply-add here rounds once where the Go twin, going through float64,
// may round twice, so the tiers agree with generic within 1 ulp.
//
// NaN propagation: VMINPS/VMAXPS return their second Intel source, the first Go operand,
// when either input is NaN, so the clamps list the data first and a NaN passes through.
//
// Tails: the kernels need len >= one vector (the Go wrappers send shorter slices to the
// generic loop). The last whole vector x[n-w:n] is loaded before anything is stored and
// is processed last, overlapping the vectors before it; the overlapped elements get the
// same values again, and dst may alias x because that input was read before any store.
//
// Registers: SI = x, DI = dst, CX = bytes in whole vectors, AX = byte offset,
// R8 = address of dst's last vector; the tail input is kept in Y13 / Z13.

#define ABSMASK 0	// |x| mask
#define SIGNMASK 32	// sign bit
#define TANHMAX 64	// 20, the clamp of |x| for tanh
#define SIGMIN 96	// -104, the clamp of -|x| for sigmoid
#define NEGTWO 128	// -2
#define LOG2E 160	// log2(e)
#define NEGLN2HI 192	// -ln2, 9-bit head
#define NEGLN2LO 224	// -ln2, tail (ln2Lo is negative)
#define ONE 256	// 1.0, also the exponent bits of 2^0
#define TWO 288	// 2.0
#define P8 320	// 1/8!
#define P7 352	// 1/7!
#define P6 384	// 1/6!
#define P5 416	// 1/5!
#define P4 448	// 1/4!
#define P3 480	// 1/3!
#define P2 512	// 1/2!

DATA actConst<>+0(SB)/4, $0x7fffffff
DATA actConst<>+4(SB)/4, $0x7fffffff
DATA actConst<>+8(SB)/4, $0x7fffffff
DATA actConst<>+12(SB)/4, $0x7fffffff
DATA actConst<>+16(SB)/4, $0x7fffffff
DATA actConst<>+20(SB)/4, $0x7fffffff
DATA actConst<>+24(SB)/4, $0x7fffffff
DATA actConst<>+28(SB)/4, $0x7fffffff
DATA actConst<>+32(SB)/4, $0x80000000
DATA actConst<>+36(SB)/4, $0x80000000
DATA actConst<>+40(SB)/4, $0x80000000
DATA actConst<>+44(SB)/4, $0x80000000
DATA actConst<>+48(SB)/4, $0x80000000
DATA actConst<>+52(SB)/4, $0x80000000
DATA actConst<>+56(SB)/4, $0x80000000
DATA actConst<>+60(SB)/4, $0x80000000
DATA actConst<>+64(SB)/4, $0x41a00000
DATA actConst<>+68(SB)/4, $0x41a00000
DATA actConst<>+72(SB)/4, $0x41a00000
DATA actConst<>+76(SB)/4, $0x41a00000
DATA actConst<>+80(SB)/4, $0x41a00000
DATA actConst<>+84(SB)/4, $0x41a00000
DATA actConst<>+88(SB)/4, $0x41a00000
DATA actConst<>+92(SB)/4, $0x41a00000
DATA actConst<>+96(SB)/4, $0xc2d00000
DATA actConst<>+100(SB)/4, $0xc2d00000
DATA actConst<>+104(SB)/4, $0xc2d00000
DATA actConst<>+108(SB)/4, $0xc2d00000
DATA actConst<>+112(SB)/4, $0xc2d00000
DATA actConst<>+116(SB)/4, $0xc2d00000
DATA actConst<>+120(SB)/4, $0xc2d00000
DATA actConst<>+124(SB)/4, $0xc2d00000
DATA actConst<>+128(SB)/4, $0xc0000000
DATA actConst<>+132(SB)/4, $0xc0000000
DATA actConst<>+136(SB)/4, $0xc0000000
DATA actConst<>+140(SB)/4, $0xc0000000
DATA actConst<>+144(SB)/4, $0xc0000000
DATA actConst<>+148(SB)/4, $0xc0000000
DATA actConst<>+152(SB)/4, $0xc0000000
DATA actConst<>+156(SB)/4, $0xc0000000
DATA actConst<>+160(SB)/4, $0x3fb8aa3b
DATA actConst<>+164(SB)/4, $0x3fb8aa3b
DATA actConst<>+168(SB)/4, $0x3fb8aa3b
DATA actConst<>+172(SB)/4, $0x3fb8aa3b
DATA actConst<>+176(SB)/4, $0x3fb8aa3b
DATA actConst<>+180(SB)/4, $0x3fb8aa3b
DATA actConst<>+184(SB)/4, $0x3fb8aa3b
DATA actConst<>+188(SB)/4, $0x3fb8aa3b
DATA actConst<>+192(SB)/4, $0xbf318000
DATA actConst<>+196(SB)/4, $0xbf318000
DATA actConst<>+200(SB)/4, $0xbf318000
DATA actConst<>+204(SB)/4, $0xbf318000
DATA actConst<>+208(SB)/4, $0xbf318000
DATA actConst<>+212(SB)/4, $0xbf318000
DATA actConst<>+216(SB)/4, $0xbf318000
DATA actConst<>+220(SB)/4, $0xbf318000
DATA actConst<>+224(SB)/4, $0x395e8083
DATA actConst<>+228(SB)/4, $0x395e8083
DATA actConst<>+232(SB)/4, $0x395e8083
DATA actConst<>+236(SB)/4, $0x395e8083
DATA actConst<>+240(SB)/4, $0x395e8083
DATA actConst<>+244(SB)/4, $0x395e8083
DATA actConst<>+248(SB)/4, $0x395e8083
DATA actConst<>+252(SB)/4, $0x395e8083
DATA actConst<>+256(SB)/4, $0x3f800000
DATA actConst<>+260(SB)/4, $0x3f800000
DATA actConst<>+264(SB)/4, $0x3f800000
DATA actConst<>+268(SB)/4, $0x3f800000
DATA actConst<>+272(SB)/4, $0x3f800000
DATA actConst<>+276(SB)/4, $0x3f800000
DATA actConst<>+280(SB)/4, $0x3f800000
DATA actConst<>+284(SB)/4, $0x3f800000
DATA actConst<>+288(SB)/4, $0x40000000
DATA actConst<>+292(SB)/4, $0x40000000
DATA actConst<>+296(SB)/4, $0x40000000
DATA actConst<>+300(SB)/4, $0x40000000
DATA actConst<>+304(SB)/4, $0x40000000
DATA actConst<>+308(SB)/4, $0x40000000
DATA actConst<>+312(SB)/4, $0x40000000
DATA actConst<>+316(SB)/4, $0x40000000
DATA actConst<>+320(SB)/4, $0x37d00d01
DATA actConst<>+324(SB)/4, $0x37d00d01
DATA actConst<>+328(SB)/4, $0x37d00d01
DATA actConst<>+332(SB)/4, $0x37d00d01
DATA actConst<>+336(SB)/4, $0x37d00d01
DATA actConst<>+340(SB)/4, $0x37d00d01
DATA actConst<>+344(SB)/4, $0x37d00d01
DATA actConst<>+348(SB)/4, $0x37d00d01
DATA actConst<>+352(SB)/4, $0x39500d01
DATA actConst<>+356(SB)/4, $0x39500d01
DATA actConst<>+360(SB)/4, $0x39500d01
DATA actConst<>+364(SB)/4, $0x39500d01
DATA actConst<>+368(SB)/4, $0x39500d01
DATA actConst<>+372(SB)/4, $0x39500d01
DATA actConst<>+376(SB)/4, $0x39500d01
DATA actConst<>+380(SB)/4, $0x39500d01
DATA actConst<>+384(SB)/4, $0x3ab60b61
DATA actConst<>+388(SB)/4, $0x3ab60b61
DATA actConst<>+392(SB)/4, $0x3ab60b61
DATA actConst<>+396(SB)/4, $0x3ab60b61
DATA actConst<>+400(SB)/4, $0x3ab60b61
DATA actConst<>+404(SB)/4, $0x3ab60b61
DATA actConst<>+408(SB)/4, $0x3ab60b61
DATA actConst<>+412(SB)/4, $0x3ab60b61
DATA actConst<>+416(SB)/4, $0x3c088889
DATA actConst<>+420(SB)/4, $0x3c088889
DATA actConst<>+424(SB)/4, $0x3c088889
DATA actConst<>+428(SB)/4, $0x3c088889
DATA actConst<>+432(SB)/4, $0x3c088889
DATA actConst<>+436(SB)/4, $0x3c088889
DATA actConst<>+440(SB)/4, $0x3c088889
DATA actConst<>+444(SB)/4, $0x3c088889
DATA actConst<>+448(SB)/4, $0x3d2aaaab
DATA actConst<>+452(SB)/4, $0x3d2aaaab
DATA actConst<>+456(SB)/4, $0x3d2aaaab
DATA actConst<>+460(SB)/4, $0x3d2aaaab
DATA actConst<>+464(SB)/4, $0x3d2aaaab
DATA actConst<>+468(SB)/4, $0x3d2aaaab
DATA actConst<>+472(SB)/4, $0x3d2aaaab
DATA actConst<>+476(SB)/4, $0x3d2aaaab
DATA actConst<>+480(SB)/4, $0x3e2aaaab
DATA actConst<>+484(SB)/4, $0x3e2aaaab
DATA actConst<>+488(SB)/4, $0x3e2aaaab
DATA actConst<>+492(SB)/4, $0x3e2aaaab
DATA actConst<>+496(SB)/4, $0x3e2aaaab
DATA actConst<>+500(SB)/4, $0x3e2aaaab
DATA actConst<>+504(SB)/4, $0x3e2aaaab
DATA actConst<>+508(SB)/4, $0x3e2aaaab
DATA actConst<>+512(SB)/4, $0x3f000000
DATA actConst<>+516(SB)/4, $0x3f000000
DATA actConst<>+520(SB)/4, $0x3f000000
DATA actConst<>+524(SB)/4, $0x3f000000
DATA actConst<>+528(SB)/4, $0x3f000000
DATA actConst<>+532(SB)/4, $0x3f000000
DATA actConst<>+536(SB)/4, $0x3f000000
DATA actConst<>+540(SB)/4, $0x3f000000
GLOBL actConst<>(SB), RODATA|NOPTR, $544

// TANH_AVX2 computes tanh of Y0 into Y2. Needs Y15 = |x| mask, Y14 = 20, Y12 = log2 e,
// Y11/Y10 = -ln2 head/tail, Y9 = 1, Y8 = 2. Clobbers Y1-Y7.
#define TANH_AVX2 \
	VANDPS       Y15, Y0, Y1 /* a = |x| */ \
	VMINPS       Y1, Y14, Y1 /* a = min(a, 20), NaN kept */ \
	VMULPS       actConst<>+NEGTWO(SB), Y1, Y1 /* t = -2a */ \
	VMULPS       Y12, Y1, Y2                         \
	VROUNDPS     $0, Y2, Y2 /* k = round(t log2 e) */ \
	VMOVAPS      Y1, Y3                              \
	VFMADD231PS  Y11, Y2, Y3 /* r = t - k ln2 (head) */ \
	VFMADD231PS  Y10, Y2, Y3 /* r -= k ln2 (tail) */ \
	VCVTPS2DQ    Y2, Y2                              \
	VMOVUPS      actConst<>+P8(SB), Y4               \
	VFMADD213PS  actConst<>+P7(SB), Y3, Y4 /* p = p r + c, Horner */ \
	VFMADD213PS  actConst<>+P6(SB), Y3, Y4           \
	VFMADD213PS  actConst<>+P5(SB), Y3, Y4           \
	VFMADD213PS  actConst<>+P4(SB), Y3, Y4           \
	VFMADD213PS  actConst<>+P3(SB), Y3, Y4           \
	VFMADD213PS  actConst<>+P2(SB), Y3, Y4           \
	VMULPS       Y3, Y3, Y5                          \
	VFMADD213PS  Y3, Y5, Y4 /* q = r + r² p = e^r - 1 */ \
	VPSLLD       $23, Y2, Y2                         \
	VPADDD       Y9, Y2, Y2 /* s = 2^k */ \
	VSUBPS       Y9, Y2, Y5                          \
	VFMADD231PS  Y4, Y2, Y5 /* m = s q + (s - 1) = e^t - 1 */ \
	VADDPS       Y8, Y5, Y6 /* d = 2 + m */ \
	VSUBPS       Y6, Y8, Y7                          \
	VADDPS       Y5, Y7, Y7 /* dl = (2 - d) + m, exact */ \
	VDIVPS       Y6, Y9, Y1 /* r0 = 1/d */ \
	VMULPS       Y1, Y5, Y2 /* y0 = m r0 (sign fixed below) */ \
	VFNMADD231PS Y6, Y2, Y5 /* c = m - y0 d, exact */ \
	VFNMADD231PS Y7, Y2, Y5 /* c -= y0 dl */ \
	VFMADD231PS  Y5, Y1, Y2 /* y = y0 + c r0 */ \
	VANDPS       Y15, Y2, Y2                         \
	VANDNPS      Y0, Y15, Y3 /* sign of x */ \
	VORPS        Y3, Y2, Y2

// SIGMOID_AVX2 computes sigmoid of Y0 into Y2. Needs Y15 = sign bit, Y14 = -104,
// Y12 = log2 e, Y11/Y10 = -ln2 head/tail, Y9 = 1. Clobbers Y1-Y7.
#define SIGMOID_AVX2 \
	VORPS        Y15, Y0, Y1 /* t = -|x| */ \
	VMAXPS       Y1, Y14, Y1 /* t = max(t, -104), NaN kept */ \
	VMULPS       Y12, Y1, Y2                         \
	VROUNDPS     $0, Y2, Y2 /* k = round(t log2 e) */ \
	VMOVAPS      Y1, Y3                              \
	VFMADD231PS  Y11, Y2, Y3                         \
	VFMADD231PS  Y10, Y2, Y3 /* r = t - k ln2 */ \
	VCVTPS2DQ    Y2, Y2                              \
	VMOVUPS      actConst<>+P8(SB), Y4               \
	VFMADD213PS  actConst<>+P7(SB), Y3, Y4           \
	VFMADD213PS  actConst<>+P6(SB), Y3, Y4           \
	VFMADD213PS  actConst<>+P5(SB), Y3, Y4           \
	VFMADD213PS  actConst<>+P4(SB), Y3, Y4           \
	VFMADD213PS  actConst<>+P3(SB), Y3, Y4           \
	VFMADD213PS  actConst<>+P2(SB), Y3, Y4           \
	VMULPS       Y3, Y3, Y5                          \
	VFMADD213PS  Y3, Y5, Y4 /* q = e^r - 1 */ \
	VPSRAD       $1, Y2, Y5 /* k2 = k >> 1 */ \
	VPSUBD       Y5, Y2, Y2 /* k1 = k - k2 */ \
	VPSLLD       $23, Y2, Y2                         \
	VPADDD       Y9, Y2, Y2 /* s1 = 2^k1 */ \
	VPSLLD       $23, Y5, Y5                         \
	VPADDD       Y9, Y5, Y5 /* s2 = 2^k2 */ \
	VFMADD213PS  Y2, Y2, Y4 /* s1 q + s1 */ \
	VMULPS       Y5, Y4, Y4 /* e = e^t */ \
	VADDPS       Y9, Y4, Y6 /* d = 1 + e */ \
	VSUBPS       Y6, Y9, Y7                          \
	VADDPS       Y4, Y7, Y7 /* dl = (1 - d) + e, exact */ \
	VBLENDVPS    Y0, Y4, Y9, Y5 /* num = x < 0 (sign bit) ? e : 1 */ \
	VDIVPS       Y6, Y9, Y1 /* r0 = 1/d */ \
	VMULPS       Y1, Y5, Y2 /* y0 = num r0 */ \
	VFNMADD231PS Y6, Y2, Y5 /* c = num - y0 d, exact */ \
	VFNMADD231PS Y7, Y2, Y5 /* c -= y0 dl */ \
	VFMADD231PS  Y5, Y1, Y2 /* y = y0 + c r0 */

// func tanhAVX2(dst, x []float32)
TEXT ·tanhAVX2(SB), NOSPLIT, $0-48
	VMOVUPS actConst<>+ABSMASK(SB), Y15
	VMOVUPS actConst<>+TANHMAX(SB), Y14
	VMOVUPS actConst<>+LOG2E(SB), Y12
	VMOVUPS actConst<>+NEGLN2HI(SB), Y11
	VMOVUPS actConst<>+NEGLN2LO(SB), Y10
	VMOVUPS actConst<>+ONE(SB), Y9
	VMOVUPS actConst<>+TWO(SB), Y8
	MOVQ    dst_base+0(FP), DI
	MOVQ    x_base+24(FP), SI
	MOVQ    x_len+32(FP), CX
	SHLQ    $2, CX
	VMOVUPS -32(SI)(CX*1), Y13
	LEAQ    -32(DI)(CX*1), R8
	ANDQ    $-32, CX
	XORQ    AX, AX

tanhAVX2Loop:
	VMOVUPS (SI)(AX*1), Y0
	TANH_AVX2
	VMOVUPS Y2, (DI)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, CX
	JLT     tanhAVX2Loop

	VMOVAPS Y13, Y0
	TANH_AVX2
	VMOVUPS Y2, (R8)
	VZEROUPPER
	RET

// func sigmoidAVX2(dst, x []float32)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-48
	VMOVUPS actConst<>+SIGNMASK(SB), Y15
	VMOVUPS actConst<>+SIGMIN(SB), Y14
	VMOVUPS actConst<>+LOG2E(SB), Y12
	VMOVUPS actConst<>+NEGLN2HI(SB), Y11
	VMOVUPS actConst<>+NEGLN2LO(SB), Y10
	VMOVUPS actConst<>+ONE(SB), Y9
	MOVQ    dst_base+0(FP), DI
	MOVQ    x_base+24(FP), SI
	MOVQ    x_len+32(FP), CX
	SHLQ    $2, CX
	VMOVUPS -32(SI)(CX*1), Y13
	LEAQ    -32(DI)(CX*1), R8
	ANDQ    $-32, CX
	XORQ    AX, AX

sigmoidAVX2Loop:
	VMOVUPS (SI)(AX*1), Y0
	SIGMOID_AVX2
	VMOVUPS Y2, (DI)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, CX
	JLT     sigmoidAVX2Loop

	VMOVAPS Y13, Y0
	SIGMOID_AVX2
	VMOVUPS Y2, (R8)
	VZEROUPPER
	RET

// TANH_AVX512 is TANH_AVX2 on ZMM registers (AVX-512 F has no VANDPS & co. on ZMM, so
// the bitwise steps use VPANDD/VPANDND/VPORD). Needs Z15 = |x| mask, Z14 = 20,
// Z12 = log2 e, Z11/Z10 = -ln2 head/tail, Z9 = 1, Z8 = 2, Z16 = -2, Z17-Z23 = P8..P2.
#define TANH_AVX512 \
	VPANDD       Z15, Z0, Z1      \
	VMINPS       Z1, Z14, Z1      \
	VMULPS       Z16, Z1, Z1      \
	VMULPS       Z12, Z1, Z2      \
	VRNDSCALEPS  $0, Z2, Z2       \
	VMOVAPS      Z1, Z3           \
	VFMADD231PS  Z11, Z2, Z3      \
	VFMADD231PS  Z10, Z2, Z3      \
	VCVTPS2DQ    Z2, Z2           \
	VMOVAPS      Z17, Z4          \
	VFMADD213PS  Z18, Z3, Z4      \
	VFMADD213PS  Z19, Z3, Z4      \
	VFMADD213PS  Z20, Z3, Z4      \
	VFMADD213PS  Z21, Z3, Z4      \
	VFMADD213PS  Z22, Z3, Z4      \
	VFMADD213PS  Z23, Z3, Z4      \
	VMULPS       Z3, Z3, Z5       \
	VFMADD213PS  Z3, Z5, Z4       \
	VPSLLD       $23, Z2, Z2      \
	VPADDD       Z9, Z2, Z2       \
	VSUBPS       Z9, Z2, Z5       \
	VFMADD231PS  Z4, Z2, Z5       \
	VADDPS       Z8, Z5, Z6       \
	VSUBPS       Z6, Z8, Z7       \
	VADDPS       Z5, Z7, Z7       \
	VDIVPS       Z6, Z9, Z1       \
	VMULPS       Z1, Z5, Z2       \
	VFNMADD231PS Z6, Z2, Z5       \
	VFNMADD231PS Z7, Z2, Z5       \
	VFMADD231PS  Z5, Z1, Z2       \
	VPANDD       Z15, Z2, Z2      \
	VPANDND      Z0, Z15, Z3      \
	VPORD        Z3, Z2, Z2

// SIGMOID_AVX512 is SIGMOID_AVX2 on ZMM registers; the blend takes its mask from the
// sign bits via VPTESTMD into K1. Needs Z15 = sign bit, Z14 = -104, Z12 = log2 e,
// Z11/Z10 = -ln2 head/tail, Z9 = 1, Z17-Z23 = P8..P2.
#define SIGMOID_AVX512 \
	VPORD        Z15, Z0, Z1      \
	VMAXPS       Z1, Z14, Z1      \
	VMULPS       Z12, Z1, Z2      \
	VRNDSCALEPS  $0, Z2, Z2       \
	VMOVAPS      Z1, Z3           \
	VFMADD231PS  Z11, Z2, Z3      \
	VFMADD231PS  Z10, Z2, Z3      \
	VCVTPS2DQ    Z2, Z2           \
	VMOVAPS      Z17, Z4          \
	VFMADD213PS  Z18, Z3, Z4      \
	VFMADD213PS  Z19, Z3, Z4      \
	VFMADD213PS  Z20, Z3, Z4      \
	VFMADD213PS  Z21, Z3, Z4      \
	VFMADD213PS  Z22, Z3, Z4      \
	VFMADD213PS  Z23, Z3, Z4      \
	VMULPS       Z3, Z3, Z5       \
	VFMADD213PS  Z3, Z5, Z4       \
	VPSRAD       $1, Z2, Z5       \
	VPSUBD       Z5, Z2, Z2       \
	VPSLLD       $23, Z2, Z2      \
	VPADDD       Z9, Z2, Z2       \
	VPSLLD       $23, Z5, Z5      \
	VPADDD       Z9, Z5, Z5       \
	VFMADD213PS  Z2, Z2, Z4       \
	VMULPS       Z5, Z4, Z4       \
	VADDPS       Z9, Z4, Z6       \
	VSUBPS       Z6, Z9, Z7       \
	VADDPS       Z4, Z7, Z7       \
	VPTESTMD     Z15, Z0, K1      \
	VBLENDMPS    Z4, Z9, K1, Z5   \
	VDIVPS       Z6, Z9, Z1       \
	VMULPS       Z1, Z5, Z2       \
	VFNMADD231PS Z6, Z2, Z5       \
	VFNMADD231PS Z7, Z2, Z5       \
	VFMADD231PS  Z5, Z1, Z2

#define POLY_AVX512 \
	VBROADCASTSS actConst<>+P8(SB), Z17 \
	VBROADCASTSS actConst<>+P7(SB), Z18 \
	VBROADCASTSS actConst<>+P6(SB), Z19 \
	VBROADCASTSS actConst<>+P5(SB), Z20 \
	VBROADCASTSS actConst<>+P4(SB), Z21 \
	VBROADCASTSS actConst<>+P3(SB), Z22 \
	VBROADCASTSS actConst<>+P2(SB), Z23


// func tanhAVX512(dst, x []float32)
TEXT ·tanhAVX512(SB), NOSPLIT, $0-48
	VBROADCASTSS actConst<>+ABSMASK(SB), Z15
	VBROADCASTSS actConst<>+TANHMAX(SB), Z14
	VBROADCASTSS actConst<>+LOG2E(SB), Z12
	VBROADCASTSS actConst<>+NEGLN2HI(SB), Z11
	VBROADCASTSS actConst<>+NEGLN2LO(SB), Z10
	VBROADCASTSS actConst<>+ONE(SB), Z9
	VBROADCASTSS actConst<>+TWO(SB), Z8
	VBROADCASTSS actConst<>+NEGTWO(SB), Z16
	POLY_AVX512
	MOVQ    dst_base+0(FP), DI
	MOVQ    x_base+24(FP), SI
	MOVQ    x_len+32(FP), CX
	SHLQ    $2, CX
	VMOVUPS -64(SI)(CX*1), Z13
	LEAQ    -64(DI)(CX*1), R8
	ANDQ    $-64, CX
	XORQ    AX, AX

tanhAVX512Loop:
	VMOVUPS (SI)(AX*1), Z0
	TANH_AVX512
	VMOVUPS Z2, (DI)(AX*1)
	ADDQ    $64, AX
	CMPQ    AX, CX
	JLT     tanhAVX512Loop

	VMOVAPS Z13, Z0
	TANH_AVX512
	VMOVUPS Z2, (R8)
	VZEROUPPER
	RET

// func sigmoidAVX512(dst, x []float32)
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-48
	VBROADCASTSS actConst<>+SIGNMASK(SB), Z15
	VBROADCASTSS actConst<>+SIGMIN(SB), Z14
	VBROADCASTSS actConst<>+LOG2E(SB), Z12
	VBROADCASTSS actConst<>+NEGLN2HI(SB), Z11
	VBROADCASTSS actConst<>+NEGLN2LO(SB), Z10
	VBROADCASTSS actConst<>+ONE(SB), Z9
	POLY_AVX512
	MOVQ    dst_base+0(FP), DI
	MOVQ    x_base+24(FP), SI
	MOVQ    x_len+32(FP), CX
	SHLQ    $2, CX
	VMOVUPS -64(SI)(CX*1), Z13
	LEAQ    -64(DI)(CX*1), R8
	ANDQ    $-64, CX
	XORQ    AX, AX

sigmoidAVX512Loop:
	VMOVUPS (SI)(AX*1), Z0
	SIGMOID_AVX512
	VMOVUPS Z2, (DI)(AX*1)
	ADDQ    $64, AX
	CMPQ    AX, CX
	JLT     sigmoidAVX512Loop

	VMOVAPS Z13, Z0
	SIGMOID_AVX512
	VMOVUPS Z2, (R8)
	VZEROUPPER
	RET
