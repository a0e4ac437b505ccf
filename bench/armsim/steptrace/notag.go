//go:build !armsimtrace

// Command steptrace counts the kernel calls of training steps for bench/armsim's
// whole-step model. It needs the armsimtrace build tag, which makes package kernels count
// its calls; without it there is nothing to count:
//
//	GOARCH=arm64 go run -tags armsimtrace -exec qemu-aarch64-static ./bench/armsim/steptrace
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "steptrace: build with -tags armsimtrace (see go doc ./bench/armsim/steptrace)")
	os.Exit(2)
}
