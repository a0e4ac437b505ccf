package memlimit

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestArithmetic(t *testing.T) {
	const max = math.MaxInt64
	muls := []struct{ a, b, want int64 }{
		{0, max, 0},
		{max, 1, max},
		{1 << 31, 1 << 31, 1 << 62},
		{1 << 32, 1 << 31, Saturated},
		{1e12, 1e6, 1e18},
		{1e12, 1e7, Saturated}, // 1e19 wraps to a negative int64
		{3037000500, 3037000500, Saturated},
		{3037000499, 3037000499, 3037000499 * 3037000499},
		{-1, 5, Saturated},
		{5, -1, Saturated},
		{-1, 0, Saturated},
	}
	for _, c := range muls {
		if got := Mul(c.a, c.b); got != c.want {
			t.Errorf("Mul(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	adds := []struct{ a, b, want int64 }{
		{1, 2, 3},
		{max - 1, 1, max},
		{max, 1, Saturated},
		{max / 2, max/2 + 2, Saturated},
		{-1, 1, Saturated},
	}
	for _, c := range adds {
		if got := Add(c.a, c.b); got != c.want {
			t.Errorf("Add(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	products := []struct {
		f    []int64
		want int64
	}{
		{nil, 1},
		{[]int64{4, 1024, 1024}, 4 << 20},
		{[]int64{1e12, 1e6, 4}, 4e18},
		{[]int64{1e12, 1e6, 10}, Saturated},
		{[]int64{1e12, 1e12, 0}, 0},
		{[]int64{1e12, 1e12, 1e12, 0}, 0},
		{[]int64{0, -3}, Saturated},
	}
	for _, c := range products {
		if got := Product(c.f...); got != c.want {
			t.Errorf("Product(%v) = %d, want %d", c.f, got, c.want)
		}
	}
	// Saturation is sticky.
	if got := Add(Mul(1<<40, 1<<40), 1); got != Saturated {
		t.Errorf("sticky: %d", got)
	}
}

func TestCheck(t *testing.T) {
	if err := Check("x", 100, 100); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if err := Check("x", 1<<50, -1); err != nil {
		t.Errorf("no limit: %v", err)
	}
	err := Check("the influence matrix", 13<<30, 8<<30)
	const want = "the influence matrix needs 13958643712 bytes (13.0 GiB), over the memory limit of 8589934592 bytes (8.00 GiB)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Need != 13<<30 || e.Limit != 8<<30 {
		t.Errorf("errors.As: %#v", e)
	}
	err = Limit{Bytes: 1 << 20, Hint: "raise it with -mem-limit"}.Check("the batch", Product(1e12, 1e12))
	const want2 = "the batch needs more bytes than an int64 can count, over the memory limit of 1048576 bytes (1.00 MiB); raise it with -mem-limit"
	if err == nil || err.Error() != want2 {
		t.Errorf("got %v\nwant %s", err, want2)
	}
	if err := Check("negative", -5, 1<<40); err == nil {
		t.Error("a negative (overflowed) estimate passed")
	}
	if err := Check("default", Default()+1, 0); err == nil || !strings.Contains(err.Error(), FormatBytes(Default())) {
		t.Errorf("limit 0 is not the default: %v", err)
	}
	if Default() <= 0 {
		t.Errorf("Default() = %d", Default())
	}
	if (Limit{}).Effective() != Default() || (Limit{Bytes: -1}).Effective() != Saturated || (Limit{Bytes: 7}).Effective() != 7 {
		t.Error("Effective")
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.00 KiB", 1536: "1.50 KiB", 10 << 20: "10.0 MiB",
		12_500 << 20: "12.2 GiB", 300 << 30: "300 GiB", Saturated: "8.00 EiB",
	} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	good := map[string]int64{
		"0": 0, "123": 123, "4KiB": 4096, "4k": 4096, "1.5GiB": 3 << 29, "8 GB": 8 << 30,
		"2T": 2 << 40, "off": -1, "Unlimited": -1, "512b": 512, "8388607TiB": 8388607 << 40,
	}
	for s, want := range good {
		if got, err := ParseBytes(s); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "1.5", "0.1k", "8388608TiB", "9223372036854775808", "1e9", "12 apples", "GiB", "NaN", "1..5G"} {
		if n, err := ParseBytes(s); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", s, n)
		}
	}
}
