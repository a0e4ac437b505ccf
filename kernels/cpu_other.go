//go:build purego || !(amd64 || arm64)

package kernels

var (
	hasAVX2   = false
	hasAVX512 = false
	hasNEON   = false
)
