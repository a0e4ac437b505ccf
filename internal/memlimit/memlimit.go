// Package memlimit checks memory estimates against a limit before anything large is
// allocated, so that an oversized request ends in one line naming the bytes it needs
// instead of the Go runtime's "fatal error: out of memory" and a goroutine dump.
//
// Estimates are int64 byte counts built with the saturating Mul, Add and Product: a
// product of sizes that overflows int64 becomes Saturated, which no limit admits, instead
// of wrapping to a small or negative number that every limit would admit.
package memlimit

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// Saturated is the value Mul, Add and Product return when the true result does not fit
// in an int64 (or an operand is negative): larger than any limit.
const Saturated int64 = math.MaxInt64

// Mul returns a·b for non-negative a and b, or Saturated if the product overflows int64
// or either operand is negative (a negative size is always a mistake, and refusing it is
// safer than computing with it).
func Mul(a, b int64) int64 {
	if a < 0 || b < 0 {
		return Saturated
	}
	if a == 0 || b == 0 {
		return 0
	}
	if a > Saturated/b {
		return Saturated
	}
	return a * b
}

// Add returns a+b for non-negative a and b, or Saturated if the sum overflows int64 or
// either operand is negative.
func Add(a, b int64) int64 {
	if a < 0 || b < 0 || a > Saturated-b {
		return Saturated
	}
	return a + b
}

// Product returns the product of factors as Mul does (Saturated on overflow or on a
// negative factor, 0 if any factor is 0 and none is negative, 1 for no factors).
func Product(factors ...int64) int64 {
	p := int64(1)
	for _, f := range factors {
		if f < 0 {
			return Saturated
		}
	}
	for _, f := range factors {
		p = Mul(p, f)
	}
	return p
}

// Error is the error Check returns: What needs Need bytes, over Limit.
type Error struct {
	What  string
	Need  int64
	Limit int64
	// Hint, when not empty, tells the user how to raise the limit; it is appended after
	// a semicolon, for instance "raise it with -mem-limit".
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.What)
	if e.Need == Saturated {
		b.WriteString(" needs more bytes than an int64 can count")
	} else {
		fmt.Fprintf(&b, " needs %d bytes (%s)", e.Need, FormatBytes(e.Need))
	}
	fmt.Fprintf(&b, ", over the memory limit of %d bytes (%s)", e.Limit, FormatBytes(e.Limit))
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Check returns an *Error when need exceeds limit, and nil otherwise. A limit of 0 means
// Default(); a negative limit means no limit. what names the allocation for the user, for
// instance "the RTRL influence matrix (1024 units)".
func Check(what string, need, limit int64) error {
	return Limit{Bytes: limit}.Check(what, need)
}

// Limit is a memory limit with the hint that tells a user how to raise it. The zero
// value is the default limit without a hint.
type Limit struct {
	// Bytes is the limit; 0 means Default() and a negative value means no limit.
	Bytes int64
	// Hint is appended to the error, for instance "raise it with -mem-limit".
	Hint string
}

// Effective returns the limit in bytes that Check applies: Bytes, Default() when Bytes
// is 0, or Saturated when Bytes is negative.
func (l Limit) Effective() int64 {
	switch {
	case l.Bytes == 0:
		return Default()
	case l.Bytes < 0:
		return Saturated
	}
	return l.Bytes
}

// Check returns an *Error carrying l's hint when need exceeds the limit, and nil
// otherwise. A negative need is treated as Saturated (an overflowed estimate).
func (l Limit) Check(what string, need int64) error {
	if l.Bytes < 0 {
		return nil
	}
	if need < 0 {
		need = Saturated
	}
	limit := l.Effective()
	if need <= limit {
		return nil
	}
	return &Error{What: what, Need: need, Limit: limit, Hint: l.Hint}
}

// FormatBytes writes n with a binary unit and three significant digits, for instance
// "12.5 GiB" or "512 B".
func FormatBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	prec := 2
	switch {
	case v >= 100:
		prec = 0
	case v >= 10:
		prec = 1
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + units[i]
}

// ParseBytes reads a byte count written as a plain integer or with a unit: B, K/KB/KiB,
// M/MB/MiB, G/GB/GiB, T/TB/TiB (all binary, case-insensitive), with an optional decimal
// fraction ("1.5GiB"). "0" is accepted (it means the default limit where a Limit holds
// it); negative, fractional-byte and overflowing values are refused. "off", "none" and
// "unlimited" return -1 (no limit).
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "":
		return 0, errors.New("empty size")
	case "off", "none", "unlimited":
		return -1, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	shift := 0
	switch unit {
	case "", "b":
	case "k", "kb", "kib":
		shift = 10
	case "m", "mb", "mib":
		shift = 20
	case "g", "gb", "gib":
		shift = 30
	case "t", "tb", "tib":
		shift = 40
	default:
		return 0, fmt.Errorf("size %q: unknown unit %q (want B, KiB, MiB, GiB or TiB)", s, unit)
	}
	if num == "" {
		return 0, fmt.Errorf("size %q is not a number of bytes", s)
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > Saturated>>shift {
			return 0, fmt.Errorf("size %q is too large", s)
		}
		return n << shift, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q is not a number of bytes", s)
	}
	f = math.Ldexp(f, shift)
	if f >= math.Ldexp(1, 63) {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	return int64(f), nil
}

// Fraction is the share of the machine's memory that Default allows: one half. A Go
// program's heap grows to about twice its live data before the collector runs (GOGC=100),
// so live data of half the memory can already peak at all of it; the other processes on
// the machine need some too. Estimates are of live data, so half is the most that can be
// admitted without risking the out-of-memory killer.
const Fraction = 0.5

// fallbackMemory is assumed where the machine's memory cannot be read (systems other than
// Linux and Darwin, or a Linux without /proc): 2 GiB, the smallest memory of the boards
// chronograd targets, so the default limit (1 GiB) errs on the side of refusing. Users of
// larger machines raise it explicitly.
const fallbackMemory int64 = 2 << 30

// Default returns the default limit: Fraction of the memory available to this process,
// which is the smallest of the physical memory, the cgroup memory limit (v2 memory.max
// or v1 memory.limit_in_bytes, of the process's cgroup and its ancestors), on Linux the
// address space left under RLIMIT_AS (ulimit -v) and, when set, Go's soft memory limit (GOMEMLIMIT, not halved: the runtime already keeps the heap
// under it). It is computed once.
func Default() int64 {
	return defaultOnce()
}

var defaultOnce = sync.OnceValue(func() int64 {
	total, _ := Available()
	limit := int64(float64(total) * Fraction)
	if soft := debug.SetMemoryLimit(-1); soft > 0 && soft < limit {
		limit = soft
	}
	return limit
})

// Available returns the memory available to this process in bytes and where the figure
// comes from ("physical memory", "cgroup memory limit" or "assumed"), for messages.
func Available() (bytes int64, source string) {
	return available(sysRoot)
}

// sysRoot is the root that the Linux files are read under; tests point it at a fake tree.
var sysRoot = "/"
