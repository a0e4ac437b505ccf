//go:build !linux

package bptt_test

import "time"

var start = time.Now()

// threadCPU falls back to wall time where RUSAGE_THREAD does not exist.
func threadCPU() time.Duration { return time.Since(start) }
