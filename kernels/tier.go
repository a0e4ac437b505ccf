package kernels

import (
	"fmt"
	"os"
)

// Tier is one implementation of every kernel.
type Tier int

const (
	Generic Tier = iota // pure Go, compiled on every architecture
	AVX2                // amd64 AVX2 + FMA
	AVX512              // amd64 AVX-512 F + VL
	NEON                // arm64 Advanced SIMD
)

var tierNames = [...]string{Generic: "generic", AVX2: "avx2", AVX512: "avx512", NEON: "neon"}

// String names the tier as ParseTier and CHRONOGRAD_KERNELS spell it: "generic", "avx2",
// "avx512" or "neon".
func (t Tier) String() string {
	if t >= 0 && int(t) < len(tierNames) {
		return tierNames[t]
	}
	return fmt.Sprintf("Tier(%d)", int(t))
}

// ParseTier maps a tier's name (as printed by String) to the tier.
func ParseTier(name string) (Tier, error) {
	for t, n := range tierNames {
		if n == name {
			return Tier(t), nil
		}
	}
	return Generic, fmt.Errorf("kernels: unknown tier %q (want one of generic, avx2, avx512, neon)", name)
}

// active is read by every dispatching wrapper. It changes only at init and through
// UseTier.
var active Tier

// EnvVar names the environment variable that forces a tier at start.
const EnvVar = "CHRONOGRAD_KERNELS"

// envErr is why the value of EnvVar was ignored at start, or nil.
var envErr error

func init() {
	active = Best()
	if name, ok := os.LookupEnv(EnvVar); ok && name != "" {
		t, err := ParseTier(name)
		if err == nil && !Supported(t) {
			err = fmt.Errorf("kernels: tier %q is not supported by this CPU or build", name)
		}
		if err != nil {
			envErr = fmt.Errorf("%s=%s ignored: %w; using %s", EnvVar, name, err, active)
			return
		}
		active = t
	}
}

// EnvError reports why the tier named by the CHRONOGRAD_KERNELS environment variable was
// ignored at start (an unknown name, or a tier this CPU or build cannot run), in which
// case the best tier runs instead; it is nil when the variable was unset, empty or
// obeyed. The package prints nothing itself: a program that honours the variable shows
// this error to its user, once.
func EnvError() error { return envErr }

// Impl returns the active tier, the one every kernel call runs. Its String method names
// it: "generic", "avx2", "avx512" or "neon".
func Impl() Tier { return active }

// Supported reports whether this CPU and build can run tier t.
func Supported(t Tier) bool {
	switch t {
	case Generic:
		return true
	case AVX2:
		return hasAVX2
	case AVX512:
		return hasAVX512
	case NEON:
		return hasNEON
	}
	return false
}

// Tiers lists the tiers this CPU and build can run, generic first, best last.
func Tiers() []Tier {
	var ts []Tier
	for t := Generic; t <= NEON; t++ {
		if Supported(t) {
			ts = append(ts, t)
		}
	}
	return ts
}

// Best is the fastest tier this CPU and build can run.
func Best() Tier {
	switch {
	case hasAVX512:
		return AVX512
	case hasAVX2:
		return AVX2
	case hasNEON:
		return NEON
	}
	return Generic
}

// UseTier makes t the active tier and returns a function that restores the previous one.
// It is for tests and benchmarks: it must not race with running kernels. It returns an
// error, and changes nothing, when the CPU or build cannot run t.
func UseTier(t Tier) (restore func(), err error) {
	if !Supported(t) {
		return func() {}, fmt.Errorf("kernels: tier %s is not supported by this CPU or build", t)
	}
	prev := active
	active = t
	return func() { active = prev }, nil
}
