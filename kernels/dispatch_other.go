//go:build purego || !(amd64 || arm64)

package kernels

// Without assembly every kernel is its generic twin.

func dot(x, y []float32) float32                       { return dotGeneric(x, y) }
func axpy(alpha float32, x, y []float32)               { axpyGeneric(alpha, x, y) }
func scale(alpha float32, x []float32)                 { scaleGeneric(alpha, x) }
func mul(dst, x, y []float32)                          { mulGeneric(dst, x, y) }
func add(dst, x, y []float32)                          { addGeneric(dst, x, y) }
func mulAdd(dst, x, y []float32)                       { mulAddGeneric(dst, x, y) }
func matVec(y []float32, a Mat, x []float32, acc bool) { matVecGeneric(y, a, x, acc) }
func matTVecAdd(y []float32, a Mat, x []float32)       { matTVecAddGeneric(y, a, x) }
func ger(a Mat, alpha float32, x, y []float32)         { gerGeneric(a, alpha, x, y) }
func gemm(c, a, b Mat)                                 { gemmGeneric(c, a, b) }
func gemmTN(c, at, b Mat)                              { gemmTNGeneric(c, at, b) }
func gemmSeq(c, a, b Mat)                              { gemmGeneric(c, a, b) }
func matMul(c, a, b Mat)                               { clearMat(c); gemmGeneric(c, a, b) }
func tanhVec(dst, x []float32)                         { tanhGeneric(dst, x) }
func sigmoidVec(dst, x []float32)                      { sigmoidGeneric(dst, x) }

// parallelJob: nothing is split without the blocked driver.
type parallelJob struct{}

func (w *Workers) part(int) {}

func (w *Workers) split(int, Mat, Mat, Mat) bool { return false }
