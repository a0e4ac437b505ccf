//go:build !purego

package kernels

// transposeStrips transposes src's first rows8·8 rows and cols8·8 columns into dst, one
// strip of eight rows at a time, each strip by 8×8 blocks in registers, and reports
// whether it did (the avx2 and avx512 tiers; the caller transposes the rest).
func transposeStrips(dst, src Mat, rows8, cols8 int) bool {
	if active == Generic || rows8 == 0 || cols8 == 0 {
		return false
	}
	for s := range rows8 {
		r := 8 * s
		transposeStrip8AVX2(&dst.Data[r], dst.Stride, &src.Data[r*src.Stride], src.Stride, cols8)
	}
	return true
}

// transposeStrip8AVX2 writes the transposes of blocks 8×8 blocks of the eight rows at src
// (row stride lss floats), block j from columns 8j…8j+7, into dst's rows 8j…8j+7 (row
// stride lds), eight columns each. VEX only.
//
//go:noescape
func transposeStrip8AVX2(dst *float32, lds int, src *float32, lss int, blocks int)
