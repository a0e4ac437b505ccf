package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/chronograd/chronograd/kernels"
)

func runCPU(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cpu", stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	name := kernels.CPUName()
	if name == "" {
		name = "(not detected in this build)"
	}
	var tiers []string
	for _, t := range kernels.Tiers() {
		tiers = append(tiers, t.String())
	}
	fmt.Fprintf(stdout, "cpu: %s\n", name)
	fmt.Fprintf(stdout, "arch: %s/%s, %d logical CPUs, GOMAXPROCS %d\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "features: %s\n", strings.Join(kernels.Features(), " "))
	fmt.Fprintf(stdout, "tiers: %s\n", strings.Join(tiers, " "))
	fmt.Fprintf(stdout, "kernels: %s\n", kernels.Impl())
	return nil
}
