//go:build !purego

package kernels

// The NEON tier's Gemm is the blocked driver (gemm_blocked.go) around one micro-kernel.

const gemmKernelNEON_8x8 = 0

// kc = 256 keeps a 256×8 B micro-panel (8 KiB) plus an 8×256 A micro-panel (8 KiB) in
// half the 32 KiB L1D of Cortex-A72 (N1 has 64 KiB). 8×8 rather than a wider tile because
// A is read in place four k steps per load, which takes eight operand registers.
var gemmNEON = gemmKernel{id: gemmKernelNEON_8x8, mr: 8, nr: 8, kc: 256}

// The NEON kernel always accumulates sequentially (it starts from C's tile), and
// gemmGeneric's c += a·b compiles to the same fused multiply-adds on arm64, so Gemm and
// GemmSeq are one product here.
func gemm(c, a, b Mat) {
	if active == Generic || gemmSmall(c.Rows, c.Cols, a.Cols) {
		if active == NEON {
			if traceEnabled {
				traceCall("gemmGeneric", c.Rows, c.Cols, a.Cols)
			}
		}
		gemmGeneric(c, a, b)
		return
	}
	gemmBlocked(c, a, b, gemmNEON, gemmSeqMode)
}

func gemmSeq(c, a, b Mat) { gemm(c, a, b) }

func gemmTN(c, at, b Mat) {
	if active == Generic || gemmSmall(c.Rows, c.Cols, at.Rows) {
		gemmTNGeneric(c, at, b)
		return
	}
	gemmBlockedT(c, at, b, gemmNEON, gemmSeqMode, true)
}

// The NEON kernel always reads C, so MatMul clears it first.
func matMul(c, a, b Mat) {
	if active == NEON {
		if traceEnabled {
			traceCall("clearMat", c.Rows, c.Cols)
		}
	}
	clearMat(c)
	gemm(c, a, b)
}

// gemmMicroAhead is gemmMicro: the NEON kernel takes no prefetch hint.
func gemmMicroAhead(id, kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, mode, _ int) {
	gemmMicro(id, kc, a, rsa, csa, b, ldb, c, ldc, rows, mode)
}

// gemmMicro calls micro-kernel id; arm64 has only the NEON one, which is always
// sequential.
func gemmMicro(_, kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, _ int) {
	if traceEnabled {
		traceCall("gemmKernel8x8NEON", kc, 0, rsa, csa, 0, ldb, 0, ldc, rows)
	}
	gemmKernel8x8NEON(kc, a, rsa, csa, b, ldb, c, ldc, rows)
}

// gemmMicroTiles runs tiles full tiles down one B micro-panel (see gemmMicroEach); the
// NEON kernel takes no prefetch hint, so stream is ignored.
func gemmMicroTiles(k gemmKernel, kc int, a *float32, rsa, csa, astep int, b *float32, ldb int, c *float32, ldc, mode, tiles int, _ bool) {
	gemmMicroEach(k, kc, a, rsa, csa, astep, b, ldb, c, ldc, mode, tiles, 0)
}

// gemmKernel8x8NEON adds the first rows rows of the 8×8 product of an A micro-panel and
// a B micro-panel into c.
//
//go:noescape
func gemmKernel8x8NEON(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows int)

// gemmCopyRows copies rows rows of 8 floats (src row p at src[p*lds]) into dst packed,
// for the driver's B micro-panels. The bounds are checked once here; the NEON loop then
// moves a row with one 32 B load and store (Go's loop needs about 20 instructions a row).
// Other widths are left to the driver's loop.
func gemmCopyRows(dst, src []float32, lds, rows, width int) bool {
	if width != 8 {
		return false
	}
	if rows == 0 {
		return true
	}
	_ = dst[rows*8-1]
	_ = src[(rows-1)*lds+7]
	if traceEnabled {
		traceCall("gemmCopyRows8NEON", 0, 0, lds, rows)
	}
	gemmCopyRows8NEON(&dst[0], &src[0], lds, rows)
	return true
}

// gemmCopyRows8NEON copies rows ≥ 1 rows of 8 floats, src row p at src[p*lds], to dst
// packed.
//
//go:noescape
func gemmCopyRows8NEON(dst, src *float32, lds, rows int)

// matMulInPlace takes the path matMul takes for the same product (C cleared, then gemm's
// choice), so the bits agree.
func matMulInPlace(x, a Mat) {
	if active == Generic || gemmSmall(x.Rows, x.Cols, a.Cols) {
		matMulInPlaceGeneric(x, a)
		return
	}
	gemmInPlace(x, a, gemmNEON, gemmSeqMode)
}

// gemmPlan says which micro-kernel and mode the serial op runs on C's shape through the
// blocked driver, or ok = false when it takes another path (generic, or a small product).
func gemmPlan(op int, c, a Mat) (k gemmKernel, mode int, ok bool) {
	if active == Generic {
		return k, 0, false
	}
	inner := a.Cols
	if op == opGemmTN {
		inner = a.Rows
	}
	return gemmNEON, gemmSeqMode, !gemmSmall(c.Rows, c.Cols, inner)
}

// gemmTier is the micro-kernel the blocked products run.
func gemmTier() gemmKernel { return gemmNEON }

// gemmTierFor is the micro-kernel for a product whose C has n columns: NEON's one tile.
func gemmTierFor(int) gemmKernel { return gemmNEON }

// gemmInPlacePanel reports false: NEON has no fused in-place panel routine, and
// gemmInPlace runs its panels through the micro-kernel.
func gemmInPlacePanel(gemmKernel, int, *float32, int, *float32, int, *float32, int, *float32, int, int) bool {
	return false
}
