//go:build !linux

package expm

import "time"

var start = time.Now()

// threadCPU falls back to wall time where the thread CPU clock does not exist.
func threadCPU() time.Duration { return time.Since(start) }
