//go:build purego || !amd64

package kernels

// transposeStrips reports false: Transpose's portable loop does the whole matrix.
func transposeStrips(Mat, Mat, int, int) bool { return false }
