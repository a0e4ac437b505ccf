//go:build !purego

package kernels

// prefetchRows asks for the 64 bytes at p in each of rows rows, stride bytes apart, to
// be brought into L1.
//
//go:noescape
func prefetchRows(p *float32, stride, rows int)
