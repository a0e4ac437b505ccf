//go:build linux

package bench

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPUTime is the CPU time the calling OS thread has used, and true; the caller
// locks its goroutine to the thread. Time spent waiting for a CPU that other processes
// hold is not in it, which is what makes it the fairer cost on a shared machine.
func threadCPUTime() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
