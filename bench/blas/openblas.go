// Package blas benchmarks chronograd's kernels side by side with OpenBLAS (single
// thread). It is a separate module because it needs cgo; the library itself is cgo-free.
// The package's only code is thin wrappers over CBLAS; the benchmarks are in its tests.
package blas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
char *openblas_get_config(void);

// Each helper runs its routine reps times, so one cgo call (tens of ns) is spread over
// enough work not to distort the smallest sizes.
static void sgemm_reps(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, int reps) {
	for (int r = 0; r < reps; r++)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 1.0f, c, ldc);
}
static void sgemv_reps(int trans, int m, int n, const float *a, int lda, const float *x, float beta, float *y, int reps) {
	for (int r = 0; r < reps; r++)
		cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, m, n, 1.0f, a, lda, x, 1, beta, y, 1);
}
static void sger_reps(int m, int n, float alpha, const float *x, const float *y, float *a, int lda, int reps) {
	for (int r = 0; r < reps; r++)
		cblas_sger(CblasRowMajor, m, n, alpha, x, 1, y, 1, a, lda);
}
static float sdot_reps(int n, const float *x, const float *y, int reps) {
	float s = 0;
	for (int r = 0; r < reps; r++)
		s += cblas_sdot(n, x, 1, y, 1);
	return s;
}
*/
import "C"

import (
	"fmt"

	"github.com/chronograd/chronograd/kernels"
)

// SetThreads sets OpenBLAS's thread count.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// Threads returns OpenBLAS's thread count.
func Threads() int { return int(C.openblas_get_num_threads()) }

// Core names the kernel set OpenBLAS chose for this CPU (e.g. "SkylakeX", "Haswell").
func Core() string { return C.GoString(C.openblas_get_corename()) }

// Config is OpenBLAS's build configuration string.
func Config() string { return C.GoString(C.openblas_get_config()) }

func check(op string, ok bool, sizes ...int) {
	if !ok {
		panic(fmt.Sprintf("blas: %s: mismatched sizes %v", op, sizes))
	}
}

// Sgemm computes C += A·B reps times (cblas_sgemm, row-major, alpha = beta = 1).
func Sgemm(c, a, b kernels.Mat, reps int) {
	check("Sgemm", a.Rows == c.Rows && b.Cols == c.Cols && a.Cols == b.Rows && len(c.Data) > 0 && len(a.Data) > 0 && len(b.Data) > 0,
		c.Rows, c.Cols, a.Rows, a.Cols, b.Rows, b.Cols)
	C.sgemm_reps(C.int(c.Rows), C.int(c.Cols), C.int(a.Cols),
		(*C.float)(&a.Data[0]), C.int(a.Stride), (*C.float)(&b.Data[0]), C.int(b.Stride),
		(*C.float)(&c.Data[0]), C.int(c.Stride), C.int(reps))
}

// Sgemv computes y = A·x (trans false, beta 0) or y += Aᵀ·x (trans true, beta 1) reps
// times.
func Sgemv(trans bool, y []float32, a kernels.Mat, x []float32, reps int) {
	t, beta := 0, float32(0)
	ylen, xlen := a.Rows, a.Cols
	if trans {
		t, beta = 1, 1
		ylen, xlen = a.Cols, a.Rows
	}
	check("Sgemv", len(y) == ylen && len(x) == xlen && len(a.Data) > 0, len(y), len(x), a.Rows, a.Cols)
	C.sgemv_reps(C.int(t), C.int(a.Rows), C.int(a.Cols), (*C.float)(&a.Data[0]), C.int(a.Stride),
		(*C.float)(&x[0]), C.float(beta), (*C.float)(&y[0]), C.int(reps))
}

// Sger computes A += alpha·x·yᵀ reps times.
func Sger(a kernels.Mat, alpha float32, x, y []float32, reps int) {
	check("Sger", len(x) == a.Rows && len(y) == a.Cols && len(a.Data) > 0, len(x), len(y), a.Rows, a.Cols)
	C.sger_reps(C.int(a.Rows), C.int(a.Cols), C.float(alpha), (*C.float)(&x[0]), (*C.float)(&y[0]),
		(*C.float)(&a.Data[0]), C.int(a.Stride), C.int(reps))
}

// Sdot returns the sum of reps dot products x·y.
func Sdot(x, y []float32, reps int) float32 {
	check("Sdot", len(x) == len(y) && len(x) > 0, len(x), len(y))
	return float32(C.sdot_reps(C.int(len(x)), (*C.float)(&x[0]), (*C.float)(&y[0]), C.int(reps)))
}
