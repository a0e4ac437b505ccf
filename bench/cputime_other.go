//go:build !linux

package bench

import "time"

// threadCPUTime reports false: the frontier falls back to wall-clock time.
func threadCPUTime() (time.Duration, bool) { return 0, false }
