//go:build !purego && (amd64 || arm64)

package kernels

import "unsafe"

// Blocked Gemm driver (GotoBLAS/BLIS loop nest), shared by every SIMD tier.
//
// Loop nest, outermost first (C is M×N, A is M×K, B is K×N):
//
//	jc: columns of C and B in blocks of nc  (packed B block, kc×nc, lives in L2)
//	pc: the K dimension in blocks of kc     (pack B[pc:pc+kc, jc:jc+nc])
//	ic: rows of C and A in blocks of mc     (the A block, mc×kc, stays in L2)
//	jr: nr-wide micro-panels of the B block (one B micro-panel, kc×nr, stays in L1)
//	ir: mr-high micro-panels of the A block -> micro-kernel: C tile (mr×nr) += A·B
//
// # Micro-kernel contract
//
// A tier supplies a gemmKernel{id, mr, nr, kc} and a micro-kernel reached through
// gemmMicro(id, kc, a, rsa, csa, b, ldb, c, ldc, rows, mode), defined per architecture. With mr
// and nr fixed by the kernel, kc ≥ 1 of any value, 1 ≤ rows ≤ mr, every stride counted in
// float32 elements and no alignment assumed, it computes
//
//	for i < rows { for j < nr { for p < kc { c[i*ldc+j] += a[i*rsa+p*csa] * b[p*ldb+j] } } }
//
// It may compute (not store) all mr rows, so a must have mr readable rows.
//
//   - a is an A micro-panel, element (i, p) at a[i*rsa+p*csa]: either A itself (rsa ==
//     A's stride, csa == 1) for full panels, or, for the last panel when M is not a
//     multiple of mr, a packed copy (rsa == 1, csa == mr: k-major groups of mr floats)
//     whose rows past M are zeros. A is not packed otherwise: it is small next to B in the
//     products we care about, and the kernel's strided broadcasts cost nothing extra.
//   - b is kc rows of nr consecutive floats, row p at b[p*ldb]: either a packed B
//     micro-panel (ldb == nr, columns past N zeros) or, when copying would not pay, B
//     itself (ldb == B's stride, only ever a full nr-wide column block of B).
//   - c is a rows×nr tile with row stride ldc, read and written whole. The last A panel
//     reads and stores only its valid rows; for the last, narrower column block the
//     driver passes a scratch tile (ldc == nr), zeroed or (seq) holding C's valid part,
//     and adds (copies) its valid part into C itself. So C outside the M×N block, and
//     between Cols and Stride, is never touched.
//
// The kernel takes a mode (gemmAdd, gemmSeqMode, gemmStore). In gemmAdd the accumulators
// start at zero and the tile of C is added at the end (prefetched at the start, so its
// load never stalls); gemmStore stores them instead and never reads C (MatMul, for its
// first K block); in gemmSeqMode (GemmSeq) they start from C's tile and each k term is added into C's own value by one
// fused multiply-add, in p order, as the loop above says. Then every element of C sees
// the same sequence of roundings however the driver blocks K, and a product split along
// K into several calls gives the same bits as one call.
//
// Scratch comes from a free list of fixed-size buffers (gemmScratchFree), so a
// steady-state call allocates nothing and concurrent callers never share a buffer.

// gemmKernel describes one micro-kernel: its register tile and its preferred K block.
type gemmKernel struct {
	id     int // which micro-kernel gemmMicro calls
	mr, nr int // register tile of C; mr ≤ gemmMaxMR, mr·nr ≤ gemmMaxTile
	kc     int // largest K block, ≤ gemmMaxKC: a kc×nr B micro-panel fills about half of L1
}

const (
	gemmMaxMR   = 16
	gemmMaxKC   = 512
	gemmMaxTile = 16 * 64
	// gemmBufB (float32s) bounds the packed B block (kc×nc, ≤ 768 KiB: most of L2); nc
	// follows the actual kc, so a small K buys a longer block in the same memory.
	gemmBufB = 192 * 1024
	// gemmBlockA bounds the A block (mc×kc floats) the inner loops sweep once per B
	// micro-panel; it should stay in L2 next to the B block.
	gemmBlockA = 32 * 1024
	// A B micro-panel read in place spans kc rows of B's stride; within this many floats
	// (L1's size) its rows cannot evict each other from L1 by aliasing, so it need not be
	// copied.
	gemmInPlaceBSpan = 32 * 1024 / 4
	gemmFreeList     = 16 // scratch buffers kept for reuse
)

// gemmStreamBytes is the size from which a packed A is read with software prefetches
// (gemmMicroTiles' stream): four L2s of a Zen 3 core. Below it (an rnn_tanh's weights
// at n = 512, 1 MiB) they cost 2-4% of a minibatch step (BenchmarkMinibatch's shapes,
// prefetching on and off alternated); above (LSTM and GRU at n = 512, 3 and 4 MiB) they
// save 5-8% at B = 32 and 1-8% at B = 8. A variable only so that tests and
// BenchmarkGemmPackedStream can set it.
var gemmStreamBytes int64 = 2 << 20

type gemmScratch struct {
	a    [gemmMaxMR * gemmMaxKC]float32 // the packed last A panel
	b    [gemmBufB]float32
	tile [gemmMaxTile]float32
}

// gemmScratchFree holds idle scratch buffers. It is a channel rather than a sync.Pool
// because a GC empties a Pool, and the next Gemm would then allocate ~800 KiB in what
// callers rely on being an allocation-free steady state.
var gemmScratchFree = make(chan *gemmScratch, gemmFreeList)

func getGemmScratch() *gemmScratch {
	select {
	case s := <-gemmScratchFree:
		return s
	default:
		return new(gemmScratch)
	}
}

func putGemmScratch(s *gemmScratch) {
	select {
	case gemmScratchFree <- s:
	default: // more buffers than we keep: let the GC have this one
	}
}

// Besides gemmMicro, each architecture provides gemmCopyRows(dst, src, lds, rows, width),
// which copies rows rows of width floats (src row p at src[p*lds]) to dst packed and
// reports whether it handled that width; the Go loop in gemmPackB covers the rest.

// gemmBlocked computes C += A·B (C = A·B in store mode) with micro-kernel k. Sizes are checked by Gemm; none is 0.
// Modes of the micro-kernels: add the product to C (Gemm), add it one term at a time
// starting from C (GemmSeq), or store it without reading C (MatMul).
const (
	gemmAdd = iota
	gemmSeqMode
	gemmStore
)

func gemmBlocked(c, a, b Mat, k gemmKernel, mode int) { gemmBlockedT(c, a, b, k, mode, false) }

// gemmBlockedT is gemmBlocked with A given transposed when transA is set: the stored a
// is K×M and the product is C += aᵀ·B. The micro-kernels read A through two strides, so
// a transposed full panel is read in place (rsa = 1, csa = a's stride: mr consecutive
// floats of each row of a); only the last, partial panel is packed.
func gemmBlockedT(c, a, b Mat, k gemmKernel, mode int, transA bool) {
	gemmDrive(c, a, b, k, mode, transA, nil, 0)
}

// gemmDrive is gemmBlockedT reading A's panels from pk when it is not nil: pk holds A
// packed (see Packed), and C's row 0 is row prow (a multiple of mr) of the product pk
// stands for. The micro-kernel calls, and so the bits, are the same either way.
func gemmDrive(c, a, b Mat, k gemmKernel, mode int, transA bool, pk *Packed, prow int) {
	m, n, kk := c.Rows, c.Cols, a.Cols
	if transA {
		kk = a.Rows
	}
	mPad := 0
	if pk != nil {
		mPad = (pk.rows + k.mr - 1) / k.mr * k.mr
	}
	mr, nr := k.mr, k.nr
	s := getGemmScratch()
	defer putGemmScratch(s)

	kcMax, mcMax, ncMax := gemmBlocks(k, kk)
	// A packed A this large has left the caches by the time it is read again (a
	// minibatch step reads each weight matrix once, between steps that sweep megabytes
	// of tape), so the micro-kernel fetches it ahead itself.
	stream := pk != nil && pk.Bytes() >= gemmStreamBytes
	mFull := m - m%mr // rows covered by full A panels, read in place

	for jc := 0; jc < n; jc += ncMax {
		nc := min(ncMax, n-jc)
		for pc := 0; pc < kk; pc += kcMax {
			kc := min(kcMax, kk-pc)
			// Store mode stores only the first K block; the later ones add to it.
			kmode := mode
			if mode == gemmStore && pc > 0 {
				kmode = gemmAdd
			}
			seq := kmode == gemmSeqMode
			// A B micro-panel is reused by every A panel: copy it unless there is only
			// one, or it is compact enough to stay in L1 where it is. With several M
			// blocks, copy the whole B block once; with one, copy each micro-panel just
			// before its use, so the copy is still in L1 when the kernel reads it.
			copyB := m > mr && kc*b.Stride > gemmInPlaceBSpan
			packB := copyB && m > mcMax
			packPanel := copyB && !packB
			if packB {
				gemmPackB(s.b[:], b, pc, jc, kc, nc, nr)
			}
			if mFull < m && pk == nil {
				if traceEnabled {
					traceCall("gemmPackA", m-mFull, kc)
				}
				if transA {
					gemmPackAT(s.a[:mr*kc], a, mFull, pc, m-mFull, kc, mr)
				} else {
					gemmPackA(s.a[:mr*kc], a, mFull, pc, m-mFull, kc, mr)
				}
			}
			for ic := 0; ic < m; ic += mcMax {
				mc := min(mcMax, m-ic)
				for jr := 0; jr < nc; jr += nr {
					nrValid := min(nr, nc-jr)
					var bp *float32
					ldb := nr
					switch {
					case packB:
						bp = &s.b[jr*kc]
					case nrValid == nr && !packPanel:
						bp = &b.Data[pc*b.Stride+jc+jr]
						ldb = b.Stride
					default:
						gemmPackB(s.b[:], b, pc, jc+jr, kc, nrValid, nr)
						bp = &s.b[0]
					}
					// The block's full A panels down a full-width B micro-panel go in one
					// call (the same tiles gemmMicro would run one by one); the loop
					// below takes what is left, the last, partial panel.
					ir0 := 0
					if full := max(0, min(mc, mFull-ic)) / mr; nrValid == nr && full > 1 {
						var ap *float32
						rsa, csa, astep := 1, mr, mr*kc
						switch {
						case pk != nil:
							ap = &pk.data[pc*mPad+(prow+ic)*kc]
						case transA:
							ap, csa, astep = &a.Data[pc*a.Stride+ic], a.Stride, mr
						default:
							ap, rsa, csa, astep = &a.Data[ic*a.Stride+pc], a.Stride, 1, mr*a.Stride
						}
						gemmMicroTiles(k, kc, ap, rsa, csa, astep, bp, ldb, &c.Data[ic*c.Stride+jc+jr], c.Stride, kmode, full, stream)
						ir0 = full * mr
					}
					for ir := ir0; ir < mc; ir += mr {
						row, col := ic+ir, jc+jr
						mrValid := min(mr, m-row)
						ap, rsa, csa := &s.a[0], 1, mr
						if pk != nil {
							ap = &pk.data[pc*mPad+(prow+row)*kc]
						} else if mrValid == mr {
							if transA {
								ap, rsa, csa = &a.Data[pc*a.Stride+row], 1, a.Stride
							} else {
								ap, rsa, csa = &a.Data[row*a.Stride+pc], a.Stride, 1
							}
						}
						if nrValid == nr {
							gemmMicro(k.id, kc, ap, rsa, csa, bp, ldb, &c.Data[row*c.Stride+col], c.Stride, mrValid, kmode)
							continue
						}
						// The narrow last column block goes through a zero-padded tile:
						// sequentially, one holding C's valid part, copied back after;
						// otherwise a zeroed one, added into C after (copied, in store
						// mode).
						if traceEnabled {
							traceCall("gemmTile", mrValid, nrValid)
						}
						tile := s.tile[:mr*nr]
						clear(tile)
						if seq {
							for i := 0; i < mrValid; i++ {
								copy(tile[i*nr:], c.Data[(row+i)*c.Stride+col:(row+i)*c.Stride+col+nrValid])
							}
						}
						gemmMicro(k.id, kc, ap, rsa, csa, bp, ldb, &tile[0], nr, mr, kmode)
						for i := 0; i < mrValid; i++ {
							crow := c.Data[(row+i)*c.Stride+col : (row+i)*c.Stride+col+nrValid]
							if kmode != gemmAdd {
								copy(crow, tile[i*nr:i*nr+nrValid])
								continue
							}
							for j, v := range tile[i*nr : i*nr+nrValid] {
								crow[j] += v
							}
						}
					}
				}
			}
		}
	}
}

// gemmMicroEach runs tiles full mr-row tiles down one B micro-panel, one gemmMicroAhead
// call each: tile i's A panel is astep floats after a, its C tile mr·i rows below c.
func gemmMicroEach(k gemmKernel, kc int, a *float32, rsa, csa, astep int, b *float32, ldb int, c *float32, ldc, mode, tiles, ahead int) {
	for i := range tiles {
		gemmMicroAhead(k.id, kc, (*float32)(unsafe.Add(unsafe.Pointer(a), 4*i*astep)), rsa, csa, b, ldb,
			(*float32)(unsafe.Add(unsafe.Pointer(c), 4*i*k.mr*ldc)), ldc, k.mr, mode, ahead)
	}
}

// gemmBlocks returns the largest K, M and N blocks for a product with inner size kk.
func gemmBlocks(k gemmKernel, kk int) (kcMax, mcMax, ncMax int) {
	// Split K into equal blocks no longer than k.kc, so no block is a sliver.
	nk := (kk + k.kc - 1) / k.kc
	kcMax = (kk + nk - 1) / nk
	mcMax = max(k.mr, gemmBlockA/kcMax/k.mr*k.mr)
	ncMax = max(k.nr, gemmBufB/kcMax/k.nr*k.nr)
	return kcMax, mcMax, ncMax
}

// gemmPackA copies rows [i0, i0+rows) and columns [pc, pc+kc) of A into dst as one
// micro-panel, kc groups of mr floats (k-major), zero-padding rows past rows.
func gemmPackA(dst []float32, a Mat, i0, pc, rows, kc, mr int) {
	clear(dst)
	for i := 0; i < rows; i++ {
		off := (i0+i)*a.Stride + pc
		for p, v := range a.Data[off : off+kc] {
			dst[p*mr+i] = v
		}
	}
}

// gemmPackAT is gemmPackA for a transposed A: the stored at is K×M, and the panel holds
// rows [i0, i0+rows) of atᵀ, columns [pc, pc+kc).
func gemmPackAT(dst []float32, at Mat, i0, pc, rows, kc, mr int) {
	clear(dst)
	for p := 0; p < kc; p++ {
		off := (pc+p)*at.Stride + i0
		copy(dst[p*mr:p*mr+rows], at.Data[off:off+rows])
	}
}

// gemmPackB copies B[pc:pc+kc, jc:jc+nc] into dst as ceil(nc/nr) micro-panels, each kc
// rows of nr floats, zero-padding columns past nc.
func gemmPackB(dst []float32, b Mat, pc, jc, kc, nc, nr int) {
	for jr := 0; jr < nc; jr += nr {
		panel := dst[jr*kc : jr*kc+nr*kc]
		cols := min(nr, nc-jr)
		off := pc*b.Stride + jc + jr
		if cols == nr && gemmCopyRows(panel, b.Data[off:], b.Stride, kc, nr) {
			continue
		}
		if traceEnabled {
			traceCall("gemmPackBGo", kc, cols)
		}
		for p := 0; p < kc; p++ {
			row := panel[p*nr : p*nr+nr]
			copy(row, b.Data[off+p*b.Stride:off+p*b.Stride+cols])
			clear(row[cols:])
		}
	}
}

// gemmSmall reports whether a product is so small, or so thin, that the blocked driver's
// fixed costs (scratch, packing, a zero-padded mr×nr tile per K block) exceed the work,
// and gemmGeneric is faster. Measured with BenchmarkGemmSmall: a product a few columns
// wide (N < 4) loses to generic's short loops unless both M and K are long enough for
// the tile to pay for itself. Only arm64 uses it: there gemmGeneric's c += a·b compiles
// to the same fused multiply-adds as the NEON kernel, so both paths round alike; amd64
// does not fuse it (see gemm in gemm_amd64.go).
func gemmSmall(m, n, k int) bool {
	return m*n*k < 512 || n < 4 && min(m, k) < 8
}
