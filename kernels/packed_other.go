//go:build purego || !(amd64 || arm64)

package kernels

// Without the blocked driver nothing is packed: GemmPacked reads the source.

func packFor(p *Packed) {}

func gemmPackedRun(c Mat, p *Packed, b Mat) bool { return false }

func (w *Workers) splitPacked(c Mat, p *Packed, b Mat) bool { return false }

func packedRuns(c Mat, p *Packed) bool { return false }

func packedBytes(m, k, n int) int64 { return 0 }
