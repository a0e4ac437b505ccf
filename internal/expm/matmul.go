package expm

// Dense float64 products for the O(n³) work of this package, in pure Go.
//
// The product is cache-blocked and register-tiled: a kc×nc block of B (kc = 256,
// nc = 128) is packed into panels of four columns; each panel (8 KiB) stays in L1 while
// blockM = 64 rows of A (128 KiB, in L2) stream past it, and the micro-kernel keeps a 2×4
// tile of C in registers (8 accumulators, 2 + 4 operand loads per 16 flops). It runs on
// one goroutine and allocates nothing; on the development machine it reaches about the
// speed of gonum's two-goroutine Dgemm (BenchmarkGemmCompare).

const (
	blockK = 256 // rows of B (columns of A) per packed block
	blockN = 128 // columns of B per packed block; a multiple of 4
	blockM = 64  // rows of A per pass over the packed panels
)

// gemm computes C = alpha·A·B (acc false) or C += alpha·A·B (acc true) for row-major A
// (m×k, row stride lda), B (k×n, ldb) and C (m×n, ldc). pack is scratch of at least
// blockK·blockN values. C must not overlap A or B (disjoint blocks of one array are fine).
func gemm(m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, acc bool, pack []float64) {
	if !acc {
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
	}
	if k == 0 {
		return
	}
	for kk := 0; kk < k; kk += blockK {
		kc := min(blockK, k-kk)
		for jj := 0; jj < n; jj += blockN {
			nc := min(blockN, n-jj)
			n4 := nc &^ 3
			// Pack B[kk:kk+kc, jj:jj+n4] into panels of 4 columns, each kc×4 row-major.
			for q := 0; q < n4; q += 4 {
				panel := pack[q*kc : (q+4)*kc]
				for p := range kc {
					src := b[(kk+p)*ldb+jj+q : (kk+p)*ldb+jj+q+4]
					dst := panel[p*4 : p*4+4 : p*4+4]
					dst[0], dst[1], dst[2], dst[3] = src[0], src[1], src[2], src[3]
				}
			}
			// Each 4-column panel (kc·4 values) stays in L1 while a block of blockM rows of A
			// (blockM·kc values, in L2) streams past it.
			for ii := 0; ii < m; ii += blockM {
				iend := min(ii+blockM, m)
				for q := 0; q < n4; q += 4 {
					panel := pack[q*kc : (q+4)*kc]
					i := ii
					for ; i+2 <= iend; i += 2 {
						kernel2x4(alpha, a[i*lda+kk:i*lda+kk+kc], a[(i+1)*lda+kk:(i+1)*lda+kk+kc], panel,
							c[i*ldc+jj+q:i*ldc+jj+q+4], c[(i+1)*ldc+jj+q:(i+1)*ldc+jj+q+4])
					}
					if i < iend {
						kernel1x4(alpha, a[i*lda+kk:i*lda+kk+kc], panel, c[i*ldc+jj+q:i*ldc+jj+q+4])
					}
				}
				for i := ii; i < iend; i++ {
					a0 := a[i*lda+kk : i*lda+kk+kc]
					for q := n4; q < nc; q++ {
						c[i*ldc+jj+q] += alpha * dotStrided(a0, b[kk*ldb+jj+q:], ldb)
					}
				}
			}
		}
	}
}

// kernel2x4 adds alpha·[a0; a1]·P to the 2×4 tile [c0; c1], where P is a len(a0)×4 row-major panel.
func kernel2x4(alpha float64, a0, a1, panel, c0, c1 []float64) {
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	a1 = a1[:len(a0)]
	panel = panel[:4*len(a0)]
	for p, x0 := range a0 {
		x1 := a1[p]
		b := panel[4*p : 4*p+4 : 4*p+4]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		s00 += x0 * b0
		s01 += x0 * b1
		s02 += x0 * b2
		s03 += x0 * b3
		s10 += x1 * b0
		s11 += x1 * b1
		s12 += x1 * b2
		s13 += x1 * b3
	}
	c0 = c0[:4]
	c1 = c1[:4]
	c0[0] += alpha * s00
	c0[1] += alpha * s01
	c0[2] += alpha * s02
	c0[3] += alpha * s03
	c1[0] += alpha * s10
	c1[1] += alpha * s11
	c1[2] += alpha * s12
	c1[3] += alpha * s13
}

// kernel1x4 adds alpha·a0·P to the 1×4 tile c0.
func kernel1x4(alpha float64, a0, panel, c0 []float64) {
	var s0, s1, s2, s3 float64
	panel = panel[:4*len(a0)]
	for p, x := range a0 {
		b := panel[4*p : 4*p+4 : 4*p+4]
		s0 += x * b[0]
		s1 += x * b[1]
		s2 += x * b[2]
		s3 += x * b[3]
	}
	c0 = c0[:4]
	c0[0] += alpha * s0
	c0[1] += alpha * s1
	c0[2] += alpha * s2
	c0[3] += alpha * s3
}

// dotStrided returns Σ_p a[p]·b[p·stride].
func dotStrided(a, b []float64, stride int) float64 {
	var s float64
	for p, x := range a {
		s += x * b[p*stride]
	}
	return s
}

// axpy adds alpha·x to y (len(y) ≥ len(x)).
func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs := x[i : i+4 : i+4]
		ys := y[i : i+4 : i+4]
		ys[0] += alpha * xs[0]
		ys[1] += alpha * xs[1]
		ys[2] += alpha * xs[2]
		ys[3] += alpha * xs[3]
	}
	for ; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}

// transpose writes the transpose of the n×n matrix a into dst (dst ≠ a).
func transpose(dst, a []float64, n int) {
	const tile = 32
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := 0; j0 < n; j0 += tile {
			for i := i0; i < min(i0+tile, n); i++ {
				for j := j0; j < min(j0+tile, n); j++ {
					dst[j*n+i] = a[i*n+j]
				}
			}
		}
	}
}
