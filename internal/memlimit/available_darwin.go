package memlimit

import "golang.org/x/sys/unix"

// available asks the kernel for hw.memsize.
func available(string) (int64, string) {
	n, err := unix.SysctlUint64("hw.memsize")
	if err != nil || n == 0 || n > uint64(Saturated) {
		return fallbackMemory, "assumed"
	}
	return int64(n), "physical memory"
}
