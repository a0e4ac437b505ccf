//go:build purego || !(amd64 || arm64)

package kernels

func matMulInPlace(x, a Mat) { matMulInPlaceGeneric(x, a) }
