package algo_test

import (
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
)

// The memory models saturate instead of wrapping: a sequence length or a window that
// makes the product overflow an int64 gives math.MaxInt64, which no limit admits, and
// never a small or negative figure that every limit would.
func TestBytesSaturate(t *testing.T) {
	huge := []algo.Dims{
		algo.DimsOf(cell.GRU, 1, 100_000_000, 1),
		algo.DimsOf(cell.LSTM, 512, 64, 3),
		algo.StackDims(cell.RNNTanh, 3, 256, 1_000_000, 1000),
	}
	for _, text := range []string{"bptt", "bptt-checkpoint:1000000000000", "tbptt:1,1000000000000000", "tbptt:1000000000000000,1000000000000000",
		"rtrl", "snap1", "uoro", "tbptt-adaptive:0.1"} {
		spec := algo.MustParse(text)
		for _, d := range huge {
			if spec.Supports(d) != nil {
				continue
			}
			small := spec.Bytes(d, algo.Options{Steps: 1000})
			for _, T := range []int{1_000_000_000_000, 1 << 50, math.MaxInt} {
				got := spec.Bytes(d, algo.Options{Steps: T})
				if got <= 0 || got < small {
					t.Errorf("%s on %v H=%d I=%d, T=%d: %d bytes, less than the %d for T=1000", spec, d.Kind, d.H, d.I, T, got, small)
				}
			}
		}
	}
	if got := algo.MustParse("bptt").Bytes(algo.DimsOf(cell.GRU, 1, 100_000_000, 1), algo.Options{Steps: math.MaxInt}); got != math.MaxInt64 {
		t.Errorf("full BPTT over 2⁶³ steps: %d bytes, want math.MaxInt64", got)
	}
}

// Spec.New refuses an algorithm whose memory model exceeds Options.MemLimit before it
// allocates any of it, with one line that names the bytes and the limit.
func TestNewRefusesOverTheMemoryLimit(t *testing.T) {
	m, err := cell.NewModel(cell.Config{Kind: cell.GRU, Hidden: 200, Input: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	spec := algo.MustParse("rtrl") // M is about 2·201·(3·200·210)·4 bytes ≈ 200 MB
	need := spec.Bytes(algo.DimsOfModel(m), algo.Options{})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	a, err := spec.New(m, algo.Options{MemLimit: 1 << 20})
	runtime.ReadMemStats(&after)
	if err == nil {
		a.Close()
		t.Fatal("rtrl over a 1 MiB limit was built")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "1048576 bytes") || !strings.Contains(msg, "rtrl") || !strings.Contains(msg, strconv.FormatInt(need, 10)) {
		t.Errorf("error %q: want one line naming rtrl, the %d bytes needed and the 1048576-byte limit", msg, need)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
		t.Errorf("the refused constructor allocated %d bytes", grown)
	}
	// A limit it fits in, and no limit, build it.
	for _, limit := range []int64{need + 1<<20, -1} {
		a, err := spec.New(m, algo.Options{MemLimit: limit})
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		a.Close()
	}
	// A window that asks for more than the limit: refused the same way.
	if _, err := algo.MustParse("tbptt:1,100000000").New(m, algo.Options{MemLimit: 1 << 30}); err == nil || !strings.Contains(err.Error(), "memory limit") {
		t.Errorf("tbptt:1,100000000 under 1 GiB: %v", err)
	}
}
