//go:build !purego

#include "textflag.h"

DATA gateOne<>+0(SB)/4, $1.0
GLOBL gateOne<>(SB), RODATA|NOPTR, $4

// func lstmGateGradsAVX2(gi, gf, gc, gout, ig, fg, gg, og, tc, cprev, vh, vc *float32, n int)
// Per unit, as lstmDerivs and lstm.gateGradients write it:
//   di = (g·i)·(1−i)   df = (c·f)·(1−f)   dg = i·(1−g·g)   dhdc = o·(1−tc·tc)
//   do = (tc·o)·(1−o)
//   gi = vh·(dhdc·di) + vc·di   (likewise gf with df, gc with dg)   gout = vh·do
// AX is the byte offset of the current eight units in every array.
TEXT ·lstmGateGradsAVX2(SB), NOSPLIT, $0-104
	MOVQ gi+0(FP), SI
	MOVQ gf+8(FP), DI
	MOVQ gc+16(FP), DX
	MOVQ gout+24(FP), CX
	MOVQ ig+32(FP), R8
	MOVQ fg+40(FP), R9
	MOVQ gg+48(FP), R10
	MOVQ og+56(FP), R11
	MOVQ tc+64(FP), R12
	MOVQ cprev+72(FP), R13
	MOVQ vh+80(FP), R14
	MOVQ vc+88(FP), BX
	VBROADCASTSS gateOne<>(SB), Y15
	MOVQ n+96(FP), AX
	SHLQ $2, AX
	MOVQ AX, n+96(FP) // n in bytes from here on
	XORQ AX, AX
lgloop:
	VMOVUPS (R8)(AX*1), Y0
	VMOVUPS (R9)(AX*1), Y1
	VMOVUPS (R10)(AX*1), Y2
	VMOVUPS (R11)(AX*1), Y3
	VMOVUPS (R12)(AX*1), Y4
	VMOVUPS (R13)(AX*1), Y5
	VMULPS  Y0, Y2, Y6   // g·i
	VSUBPS  Y0, Y15, Y7  // 1−i
	VMULPS  Y7, Y6, Y6   // di
	VMULPS  Y1, Y5, Y7   // c·f
	VSUBPS  Y1, Y15, Y8  // 1−f
	VMULPS  Y8, Y7, Y7   // df
	VMULPS  Y2, Y2, Y8   // g·g
	VSUBPS  Y8, Y15, Y8  // 1−g·g
	VMULPS  Y8, Y0, Y8   // dg
	VMULPS  Y4, Y4, Y9   // tc·tc
	VSUBPS  Y9, Y15, Y9  // 1−tc·tc
	VMULPS  Y9, Y3, Y9   // dhdc
	VMULPS  Y3, Y4, Y10  // tc·o
	VSUBPS  Y3, Y15, Y11 // 1−o
	VMULPS  Y11, Y10, Y10 // do
	VMOVUPS (R14)(AX*1), Y0 // vh
	VMOVUPS (BX)(AX*1), Y1  // vc
	VMULPS  Y6, Y9, Y2
	VMULPS  Y2, Y0, Y2
	VMULPS  Y6, Y1, Y3
	VADDPS  Y3, Y2, Y2
	VMOVUPS Y2, (SI)(AX*1)
	VMULPS  Y7, Y9, Y2
	VMULPS  Y2, Y0, Y2
	VMULPS  Y7, Y1, Y3
	VADDPS  Y3, Y2, Y2
	VMOVUPS Y2, (DI)(AX*1)
	VMULPS  Y8, Y9, Y2
	VMULPS  Y2, Y0, Y2
	VMULPS  Y8, Y1, Y3
	VADDPS  Y3, Y2, Y2
	VMOVUPS Y2, (DX)(AX*1)
	VMULPS  Y10, Y0, Y2
	VMOVUPS Y2, (CX)(AX*1)
	ADDQ $32, AX
	CMPQ AX, n+96(FP)
	JLT  lgloop
	VZEROUPPER
	RET

// func gruGateGradsAVX2(ir, iz, in, hr, hz, hn, rg, zg, ng, aux, prev, v *float32, n int)
// Per unit, as gruUnitDerivs and gru.gateGradients write it:
//   dn = (1−z)·(1−n·n)   cr = ((dn·aux)·r)·(1−r)   cz = ((prev−n)·z)·(1−z)
//   ir = hr = v·cr   iz = hz = v·cz   in = v·dn   hn = v·(dn·r)
// AX is the byte offset of the current eight units in every array.
TEXT ·gruGateGradsAVX2(SB), NOSPLIT, $0-104
	MOVQ ir+0(FP), SI
	MOVQ iz+8(FP), DI
	MOVQ in+16(FP), DX
	MOVQ hr+24(FP), CX
	MOVQ hz+32(FP), R8
	MOVQ hn+40(FP), R9
	MOVQ rg+48(FP), R10
	MOVQ zg+56(FP), R11
	MOVQ ng+64(FP), R12
	MOVQ aux+72(FP), R13
	MOVQ prev+80(FP), R14
	MOVQ v+88(FP), BX
	VBROADCASTSS gateOne<>(SB), Y15
	MOVQ n+96(FP), AX
	SHLQ $2, AX
	MOVQ AX, n+96(FP) // n in bytes from here on
	XORQ AX, AX
ggloop:
	VMOVUPS (R10)(AX*1), Y0 // r
	VMOVUPS (R11)(AX*1), Y1 // z
	VMOVUPS (R12)(AX*1), Y2 // n
	VMOVUPS (R13)(AX*1), Y3 // aux
	VMOVUPS (R14)(AX*1), Y4 // prev
	VMOVUPS (BX)(AX*1), Y5  // v
	VSUBPS  Y1, Y15, Y6     // 1−z
	VMULPS  Y2, Y2, Y7      // n·n
	VSUBPS  Y7, Y15, Y7     // 1−n·n
	VMULPS  Y7, Y6, Y7      // dn
	VMULPS  Y3, Y7, Y8      // dn·aux
	VMULPS  Y0, Y8, Y8      // ·r
	VSUBPS  Y0, Y15, Y9     // 1−r
	VMULPS  Y9, Y8, Y8      // cr
	VSUBPS  Y2, Y4, Y10     // prev−n
	VMULPS  Y1, Y10, Y10    // ·z
	VMULPS  Y6, Y10, Y10    // cz
	VMULPS  Y8, Y5, Y11     // v·cr
	VMOVUPS Y11, (SI)(AX*1)
	VMOVUPS Y11, (CX)(AX*1)
	VMULPS  Y10, Y5, Y11    // v·cz
	VMOVUPS Y11, (DI)(AX*1)
	VMOVUPS Y11, (R8)(AX*1)
	VMULPS  Y7, Y5, Y11     // v·dn
	VMOVUPS Y11, (DX)(AX*1)
	VMULPS  Y0, Y7, Y12     // dn·r
	VMULPS  Y12, Y5, Y12    // v·(dn·r)
	VMOVUPS Y12, (R9)(AX*1)
	ADDQ $32, AX
	CMPQ AX, n+96(FP)
	JLT  ggloop
	VZEROUPPER
	RET

// func lstmDirectVJPAVX2(dh, dc, fg, og, tc, vh, vc *float32, n int)
// Per unit, as lstmDirectVJPGo writes it: dc = f·(vc + (vh·o)·(1−tc·tc)), dh = 0. Each
// unit's vh and vc are read before its dh and dc are written, so dh may alias vh and dc vc.
// AX is the byte offset of the current eight units in every array.
TEXT ·lstmDirectVJPAVX2(SB), NOSPLIT, $0-64
	MOVQ dh+0(FP), SI
	MOVQ dc+8(FP), DI
	MOVQ fg+16(FP), R8
	MOVQ og+24(FP), R9
	MOVQ tc+32(FP), R10
	MOVQ vh+40(FP), R11
	MOVQ vc+48(FP), R12
	MOVQ n+56(FP), CX
	SHLQ $2, CX // n in bytes
	VBROADCASTSS gateOne<>(SB), Y15
	VXORPS Y14, Y14, Y14
	XORQ AX, AX
ldloop:
	VMOVUPS (R11)(AX*1), Y0    // vh
	VMOVUPS (R12)(AX*1), Y1    // vc
	VMOVUPS (R10)(AX*1), Y2    // tc
	VMULPS  (R9)(AX*1), Y0, Y0 // vh·o
	VMULPS  Y2, Y2, Y2         // tc·tc
	VSUBPS  Y2, Y15, Y2        // 1−tc·tc
	VMULPS  Y2, Y0, Y0         // (vh·o)·(1−tc·tc)
	VADDPS  Y0, Y1, Y1         // vc + …
	VMULPS  (R8)(AX*1), Y1, Y1 // f·(vc + …)
	VMOVUPS Y14, (SI)(AX*1)
	VMOVUPS Y1, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  ldloop
	VZEROUPPER
	RET
