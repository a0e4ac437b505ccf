// Package deadline turns a hang into a test failure: tests of code whose defects were
// hangs (a FIFO opened for reading, a step that spins forever) run it through Within.
package deadline

import (
	"testing"
	"time"
)

// Within runs f and fails the test if it has not returned after five seconds; a hung test
// binary says nothing useful. f runs on its own goroutine, so it must not call t.Fatal.
func Within(t testing.TB, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still blocked after 5 s", what)
	}
}
