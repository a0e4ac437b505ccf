package rtrl

import (
	"runtime"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/cell"
)

// NewExact refuses influence matrices larger than ExactOptions.MemLimit before it
// allocates them, with one line naming the bytes and the limit.
func TestExactRefusesOverTheMemoryLimit(t *testing.T) {
	m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 200, Input: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := NewExact(m, ExactOptions{MemLimit: 1 << 20})
	runtime.ReadMemStats(&after)
	if err == nil {
		r.Close()
		t.Fatal("exact RTRL with 200 units was built under a 1 MiB limit")
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "influence") || !strings.Contains(msg, "1048576 bytes") {
		t.Errorf("error %q: want one line naming the influence matrices and the limit", msg)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
		t.Errorf("the refused constructor allocated %d bytes", grown)
	}
	r, err = NewExact(m, ExactOptions{MemLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Bytes() <= 1<<20 {
		t.Errorf("the model holds %d bytes; the test needs more than its limit", r.Bytes())
	}
	r.Close()
}
