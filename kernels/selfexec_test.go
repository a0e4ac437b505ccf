package kernels

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

// qemuUser names the qemu user-mode emulator for each GOARCH that CI runs under
// go test -exec.
var qemuUser = map[string]string{
	"arm64": "qemu-aarch64-static",
	"arm":   "qemu-arm-static",
}

// selfCommand returns a command that runs this test binary again with args. Under
// go test -exec qemu-…-static without binfmt_misc (containers, most CI runners) the
// kernel cannot exec a foreign binary directly; the emulated process can still exec the
// host's emulator, so the child goes through the same qemu (QEMU_CPU is inherited).
func selfCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	self := os.Args[0]
	probe := exec.Command(self, "-test.run=^$")
	err := probe.Run()
	if err == nil || !errors.Is(err, syscall.ENOEXEC) {
		return exec.Command(self, args...)
	}
	name, ok := qemuUser[runtime.GOARCH]
	if !ok {
		t.Fatalf("cannot run %s again: %v, and no emulator is known for GOARCH=%s", self, err, runtime.GOARCH)
	}
	qemu, lookErr := exec.LookPath(name)
	if lookErr != nil {
		t.Fatalf("cannot run %s again (%v) and %s is not on PATH: %v", self, err, name, lookErr)
	}
	return exec.Command(qemu, append([]string{self}, args...)...)
}
