//go:build purego || !(amd64 || arm64)

package kernels

var (
	hasAVX2   = false
	hasAVX512 = false
	hasNEON   = false
)

// CPUName is empty where the kernels do not detect features (purego builds and
// architectures without assembly).
func CPUName() string { return "" }

// Features is empty where the kernels do not detect features.
func Features() []string { return nil }
