//go:build !purego

package kernels

// Micro-kernels of the blocked Gemm driver (see gemm_blocked.go for their contract).
const (
	gemmKernelAVX2_6x16 = iota
	gemmKernelAVX512_8x32
	gemmKernelAVX2_12x8
)

// Tile shapes: 8 rows divide RTRL's M = n = 16, 32, 64 exactly, so its products never
// compute padding rows on avx512; 32 columns (two ZMM) divide its N = n². kc makes a B
// micro-panel (kc×nr floats) 16 KiB, half of L1, in both tiers; kc = 128 vs 256 on
// avx512 measured ~10% apart at n = 256 (BenchmarkGemm, best of 6).
var (
	gemmAVX2   = gemmKernel{id: gemmKernelAVX2_6x16, mr: 6, nr: 16, kc: 256}
	gemmAVX512 = gemmKernel{id: gemmKernelAVX512_8x32, mr: 8, nr: 32, kc: 128}
)

// The narrow tile, 12×8, for products whose B has at most 8 columns (a minibatch of 8
// sequences): there the 6×16 tile computes half zeros and the 8×32 one three quarters.
// It takes the tier's kc, so its K blocks, and with them the bits, are the wide kernel's
// (each element's terms are added in the same order in every kernel); VEX only, so the
// avx512 tier runs it too.
var (
	gemmAVX2Narrow   = gemmKernel{id: gemmKernelAVX2_12x8, mr: 12, nr: 8, kc: gemmAVX2.kc}
	gemmAVX512Narrow = gemmKernel{id: gemmKernelAVX2_12x8, mr: 12, nr: 8, kc: gemmAVX512.kc}
)

// gemmNarrowCols is the widest B the narrow tile takes.
const gemmNarrowCols = 8

func gemm(c, a, b Mat) {
	if active == Generic || gemmSmall(c.Rows, c.Cols, a.Cols) {
		gemmGeneric(c, a, b)
		return
	}
	gemmBlocked(c, a, b, gemmTierFor(c.Cols), gemmAdd)
}

func gemmTN(c, at, b Mat) {
	if active == Generic || gemmSmall(c.Rows, c.Cols, at.Rows) {
		gemmTNGeneric(c, at, b)
		return
	}
	gemmBlockedT(c, at, b, gemmTierFor(c.Cols), gemmAdd, true)
}

func matMul(c, a, b Mat) {
	if active == Generic || gemmSmall(c.Rows, c.Cols, a.Cols) {
		clearMat(c)
		gemmGeneric(c, a, b)
		return
	}
	gemmBlocked(c, a, b, gemmTierFor(c.Cols), gemmStore)
}

// gemmSeq sends every product of a SIMD tier through the micro-kernels, small ones
// included: Go does not fuse c += a·b on amd64, so gemmGeneric would round a small
// product differently from the kernels.
func gemmSeq(c, a, b Mat) {
	if active == Generic {
		gemmGeneric(c, a, b)
		return
	}
	gemmBlocked(c, a, b, gemmTierFor(c.Cols), gemmSeqMode)
}

func gemmTier() gemmKernel {
	if active == AVX512 {
		return gemmAVX512
	}
	return gemmAVX2
}

// gemmTierFor is the micro-kernel for a product whose C has n columns: the narrow tile
// up to gemmNarrowCols, the tier's own beyond.
func gemmTierFor(n int) gemmKernel {
	if n > gemmNarrowCols {
		return gemmTier()
	}
	if active == AVX512 {
		return gemmAVX512Narrow
	}
	return gemmAVX2Narrow
}

// gemmMicro calls micro-kernel id; a switch rather than a func value so each call is
// direct.
func gemmMicro(id, kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, mode int) {
	gemmMicroAhead(id, kc, a, rsa, csa, b, ldb, c, ldc, rows, mode, 0)
}

// gemmMicroAhead is gemmMicro with the avx2 kernels prefetching A ahead bytes ahead of
// their reads when ahead > 0 (see gemmMicroTiles); the avx512 kernel ignores it.
func gemmMicroAhead(id, kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, mode, ahead int) {
	switch id {
	case gemmKernelAVX512_8x32:
		gemmKernel8x32AVX512(kc, a, rsa, csa, b, ldb, c, ldc, rows, mode)
		return
	case gemmKernelAVX2_12x8:
		gemmKernel12x8AVX2(kc, a, rsa, csa, b, ldb, c, ldc, rows, mode, ahead)
		return
	}
	gemmKernel6x16AVX2(kc, a, rsa, csa, b, ldb, c, ldc, rows, mode, 1, 0, ahead)
}

// gemmMicroTiles runs tiles full mr-row tiles down one B micro-panel, tile i's A panel at
// a + i·astep and its C tile mr·i rows below c: the calls gemmMicro would make one by one,
// and so their bits. The avx2 6×16 kernel loops over the tiles itself: a Go loop's call
// per tile cost 3% of a minibatch step at n = 128, B = 32 (K = 128, each call ~800
// cycles of multiply-adds).
//
// With stream set (a packed A too large for the caches) the avx2 kernels prefetch A 128
// k steps ahead of their reads, about 800 cycles on the 6×16 tile: more than a memory
// latency. On a Zen 3 core BenchmarkGemmPackedStream's 4 MiB A from memory runs 9-18%
// faster with it on the 6×16 tile (53-62 → 59-68 GFLOP/s) and 19-23% on the 12×8 (29-32
// → 35-38); an A in L2 or L3 runs a few percent slower, hence the flag. The avx512
// kernel ignores it.
func gemmMicroTiles(k gemmKernel, kc int, a *float32, rsa, csa, astep int, b *float32, ldb int, c *float32, ldc, mode, tiles int, stream bool) {
	ahead := 0
	if stream {
		ahead = 128 * 4 * csa
	}
	if k.id == gemmKernelAVX2_6x16 {
		gemmKernel6x16AVX2(kc, a, rsa, csa, b, ldb, c, ldc, k.mr, mode, tiles, astep, ahead)
		return
	}
	gemmMicroEach(k, kc, a, rsa, csa, astep, b, ldb, c, ldc, mode, tiles, ahead)
}

// gemmCopyRows packs a full-width B micro-panel for the blocked driver; both tiers use
// the VEX copy routines.
func gemmCopyRows(dst, src []float32, lds, rows, width int) bool {
	if len(dst) < rows*width || len(src) < (rows-1)*lds+width {
		panic("kernels: gemmCopyRows: short buffer")
	}
	switch width {
	case 16:
		gemmPackB16AVX2(&dst[0], &src[0], lds, rows)
	case 32:
		gemmPackB32AVX2(&dst[0], &src[0], lds, rows)
	default:
		return false
	}
	return true
}

// gemmPackB16AVX2 and gemmPackB32AVX2 copy rows rows of 16 or 32 floats, source row
// stride lds, to dst packed.
//
//go:noescape
func gemmPackB16AVX2(dst, src *float32, lds, rows int)

//go:noescape
func gemmPackB32AVX2(dst, src *float32, lds, rows int)

// gemmInPlacePanel runs one full 16-column micro-panel of gemmInPlace's store mode, its
// tiles full A panels, in one call when micro-kernel k has a fused panel routine (the
// avx2 6×16 one): see gemmInPlacePanel6x16AVX2. It reports whether it did.
func gemmInPlacePanel(k gemmKernel, kc int, a *float32, rsa int, x *float32, ldx int, buf *float32, tiles int, next *float32, ahead, pf int) bool {
	if k.id != gemmKernelAVX2_6x16 {
		return false
	}
	gemmInPlacePanel6x16AVX2(kc, a, rsa, x, ldx, buf, tiles, next, ahead, pf)
	return true
}

// gemmInPlacePanel6x16AVX2 stores the first tiles 6×16 tiles of A·B over X, B being X's
// first kc rows of 16 floats, which it saves into buf as the first tile reads them, and
// prefetches up to ahead rows of next (stride ldx, pf rows in all) before each tile.
//
//go:noescape
func gemmInPlacePanel6x16AVX2(kc int, a *float32, rsa int, x *float32, ldx int, buf *float32, tiles int, next *float32, ahead, pf int)

// gemmKernel6x16AVX2 adds the first rows rows of the 6×16 product of a A micro-panel and a B micro-panel
// into c (or, by mode, adds them sequentially or stores them; see gemm_blocked.go), and
// likewise for tiles−1 more tiles below, the next A panel astep floats on and the next C
// tile six rows down (tiles ≥ 1); ahead > 0 prefetches A that many bytes ahead of its
// reads. It uses only VEX encodings (Y0-Y15).
//
//go:noescape
func gemmKernel6x16AVX2(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, mode, tiles, astep, ahead int)

// gemmKernel12x8AVX2 adds the first rows rows of the 12×8 product of an A micro-panel and
// a B micro-panel into c (or, by mode, adds them sequentially or stores them; see
// gemm_blocked.go); ahead > 0 prefetches A that many bytes ahead of its reads. VEX
// encodings only (Y0-Y15).
//
//go:noescape
func gemmKernel12x8AVX2(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, mode, ahead int)

// gemmKernel8x32AVX512 adds the first rows rows of the 8×32 product of an A micro-panel and a B micro-panel
// into c (or, by mode, adds them sequentially or stores them; see gemm_blocked.go).
//
//go:noescape
func gemmKernel8x32AVX512(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc, rows, mode int)

// matMulInPlace takes the path matMul takes for the same product, so the bits agree.
func matMulInPlace(x, a Mat) {
	if active == Generic || gemmSmall(x.Rows, x.Cols, a.Cols) {
		matMulInPlaceGeneric(x, a)
		return
	}
	gemmInPlace(x, a, gemmTier(), gemmStore)
}

// gemmPlan says which micro-kernel and mode the serial op runs on C's shape through the
// blocked driver, or ok = false when it takes another path (generic, or a small product).
func gemmPlan(op int, c, a Mat) (k gemmKernel, mode int, ok bool) {
	if active == Generic {
		return k, 0, false
	}
	switch op {
	case opGemm:
		return gemmTierFor(c.Cols), gemmAdd, !gemmSmall(c.Rows, c.Cols, a.Cols)
	case opGemmTN:
		return gemmTierFor(c.Cols), gemmAdd, !gemmSmall(c.Rows, c.Cols, a.Rows)
	case opGemmSeq:
		return gemmTierFor(c.Cols), gemmSeqMode, true
	}
	return k, 0, false
}
