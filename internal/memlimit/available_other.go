//go:build !linux && !darwin

package memlimit

// available assumes fallbackMemory: reading the memory size portably needs a system call
// per system, and a conservative guess that users raise is safer than none.
func available(string) (int64, string) {
	return fallbackMemory, "assumed"
}
