//go:build !unix

package rtrl

func processCPUTime() (int64, bool) { return 0, false }
