//go:build unix

package kernels

import "syscall"

// processCPUTime is the CPU time (user + system, ns) the process has used. On a shared
// machine it measures the work a benchmark did, not how long it waited for a core.
func processCPUTime() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
