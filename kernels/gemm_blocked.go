//go:build !purego && (amd64 || arm64)

package kernels

// Blocked Gemm driver (GotoBLAS/BLIS loop nest), shared by every SIMD tier.
//
// Loop nest, outermost first (C is M×N, A is M×K, B is K×N):
//
//	jc: columns of C and B in blocks of nc    (packed B block, kc×nc, lives in L2/L3)
//	pc: the K dimension in blocks of kc       (pack B[pc:pc+kc, jc:jc+nc])
//	ic: rows of C and A in blocks of mc       (pack A[ic:ic+mc, pc:pc+kc], lives in L2)
//	jr: nr-wide micro-panels of the B block   (one B micro-panel, kc×nr, stays in L1)
//	ir: mr-high micro-panels of the A block   -> micro-kernel: C tile (mr×nr) += Ã·B̃
//
// # Micro-kernel contract
//
// A tier supplies a gemmKernel{mr, nr, kc} and a micro-kernel reached through
// gemmMicro(id, kc, a, b, ldb, c, ldc), defined per architecture. The micro-kernel computes
//
//	for i < mr { for j < nr { for p < kc { c[i*ldc+j] += a[p*mr+i] * b[p*ldb+j] } } }
//
// with mr, nr fixed by the kernel (not arguments), kc ≥ 1 any value (no multiple needed),
// all strides in float32 elements, and no alignment assumed.
//   - a is a packed A micro-panel: kc groups of mr consecutive floats, group p holding
//     column p of the mr rows (k-major). Rows past M are packed as zeros.
//   - b is kc rows of nr consecutive floats, row p at b[p*ldb]. It is either a packed
//     B micro-panel (ldb == nr, columns past N packed as zeros) or, when packing would not
//     pay, B itself (ldb == B's stride; only ever a full nr-wide column block of B).
//   - c is an mr×nr tile with row stride ldc. The kernel reads and writes all mr×nr
//     elements, so edges never reach it: when the tile sticks out of C (M or N not a
//     multiple of mr or nr) the driver passes a zeroed scratch tile (ldc == nr) and adds
//     its valid part into C itself, so C outside the M×N block, and between Cols and
//     Stride, is never touched.
//
// Packing scratch comes from a free list of fixed-size buffers (gemmScratchFree), so a
// steady-state call allocates nothing and concurrent callers never share a buffer.

// gemmKernel describes one micro-kernel: its register tile and its preferred K block.
type gemmKernel struct {
	id     int // which micro-kernel gemmMicro calls
	mr, nr int // register tile of C
	kc     int // largest K block: a kc×nr B micro-panel should fill about half of L1
}

// Packing buffer sizes in float32s. The A block (mc×kc) should stay in L2, the B block
// (kc×nc) in L2/L3; mc and nc are derived from the actual kc so that a small K buys
// longer blocks in the same memory.
const (
	gemmBufA     = 48 * 1024  // 192 KiB
	gemmBufB     = 192 * 1024 // 768 KiB
	gemmMaxTile  = 16 * 64    // largest mr×nr of any micro-kernel
	gemmFreeList = 16         // buffers kept for reuse; more concurrent callers allocate
)

type gemmScratch struct {
	a    [gemmBufA]float32
	b    [gemmBufB]float32
	tile [gemmMaxTile]float32
}

// gemmScratchFree holds idle scratch buffers. It is a channel rather than a sync.Pool
// because a GC empties a Pool, and the next Gemm would then allocate ~1 MiB in what
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

// gemmBlocked computes C += A·B with micro-kernel k. Sizes are checked by Gemm; none is 0.
func gemmBlocked(c, a, b Mat, k gemmKernel) {
	m, n, kk := c.Rows, c.Cols, a.Cols
	mr, nr := k.mr, k.nr
	s := getGemmScratch()
	defer putGemmScratch(s)

	kcMax, mcMax, ncMax := gemmBlocks(k, kk)

	// With a single A micro-panel each B element is used once per call, so copying B
	// costs as much as it saves; the kernel then reads B in place (full-width panels).
	packB := m > mr

	for jc := 0; jc < n; jc += ncMax {
		nc := min(ncMax, n-jc)
		for pc := 0; pc < kk; pc += kcMax {
			kc := min(kcMax, kk-pc)
			if packB {
				gemmPackB(s.b[:], b, pc, jc, kc, nc, nr)
			}
			for ic := 0; ic < m; ic += mcMax {
				mc := min(mcMax, m-ic)
				gemmPackA(s.a[:], a, ic, pc, mc, kc, mr)
				for jr := 0; jr < nc; jr += nr {
					nrValid := min(nr, nc-jr)
					var bp *float32
					ldb := nr
					switch {
					case packB:
						bp = &s.b[jr*kc]
					case nrValid == nr:
						bp = &b.Data[pc*b.Stride+jc+jr]
						ldb = b.Stride
					default:
						gemmPackB(s.b[:], b, pc, jc+jr, kc, nrValid, nr)
						bp = &s.b[0]
					}
					for ir := 0; ir < mc; ir += mr {
						mrValid := min(mr, mc-ir)
						ap := &s.a[ir*kc]
						row, col := ic+ir, jc+jr
						if mrValid == mr && nrValid == nr {
							gemmMicro(k.id, kc, ap, bp, ldb, &c.Data[row*c.Stride+col], c.Stride)
							continue
						}
						tile := s.tile[:mr*nr]
						clear(tile)
						gemmMicro(k.id, kc, ap, bp, ldb, &tile[0], nr)
						for i := 0; i < mrValid; i++ {
							crow := c.Data[(row+i)*c.Stride+col : (row+i)*c.Stride+col+nrValid]
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

// gemmBlocks returns the largest K, M and N blocks for a product with inner size kk.
func gemmBlocks(k gemmKernel, kk int) (kcMax, mcMax, ncMax int) {
	// Split K into equal blocks no longer than k.kc, so no block is a sliver.
	nk := (kk + k.kc - 1) / k.kc
	kcMax = (kk + nk - 1) / nk
	mcMax = max(k.mr, gemmBufA/kcMax/k.mr*k.mr)
	ncMax = max(k.nr, gemmBufB/kcMax/k.nr*k.nr)
	return kcMax, mcMax, ncMax
}

// gemmPackA copies A[ic:ic+mc, pc:pc+kc] into dst as ceil(mc/mr) micro-panels, each kc
// groups of mr floats (k-major), zero-padding rows past mc.
func gemmPackA(dst []float32, a Mat, ic, pc, mc, kc, mr int) {
	for ir := 0; ir < mc; ir += mr {
		panel := dst[ir*kc : ir*kc+mr*kc]
		rows := min(mr, mc-ir)
		for i := 0; i < rows; i++ {
			off := (ic+ir+i)*a.Stride + pc
			src := a.Data[off : off+kc]
			for p, v := range src {
				panel[p*mr+i] = v
			}
		}
		for i := rows; i < mr; i++ {
			for p := 0; p < kc; p++ {
				panel[p*mr+i] = 0
			}
		}
	}
}

// gemmPackB copies B[pc:pc+kc, jc:jc+nc] into dst as ceil(nc/nr) micro-panels, each kc
// rows of nr floats, zero-padding columns past nc.
func gemmPackB(dst []float32, b Mat, pc, jc, kc, nc, nr int) {
	for jr := 0; jr < nc; jr += nr {
		panel := dst[jr*kc : jr*kc+nr*kc]
		cols := min(nr, nc-jr)
		for p := 0; p < kc; p++ {
			off := (pc+p)*b.Stride + jc + jr
			row := panel[p*nr : p*nr+nr]
			copy(row, b.Data[off:off+cols])
			clear(row[cols:])
		}
	}
}

// gemmSmall reports whether a product is so small that the blocked driver's fixed
// costs (scratch, packing, a padded tile) exceed the work; such products go to
// gemmGeneric.
func gemmSmall(m, n, k int) bool { return m*n*k < gemmSmallFlops }

const gemmSmallFlops = 512
