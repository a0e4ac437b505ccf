package kernels

import (
	"os"
	"strings"
	"testing"
)

// TestEnvOverride runs this test binary again with CHRONOGRAD_KERNELS set and checks the
// tier it starts with and what it says on stderr.
func TestEnvOverride(t *testing.T) {
	if os.Getenv("CHRONOGRAD_ENV_CHILD") == "1" {
		os.Stdout.WriteString("impl=" + Impl() + "\n")
		return
	}
	run := func(value string) (impl, stderr string) {
		t.Helper()
		cmd := selfCommand(t, "-test.run=^TestEnvOverride$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CHRONOGRAD_ENV_CHILD=1", EnvVar+"="+value)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s=%s: child failed: %v\n%s%s", EnvVar, value, err, out.String(), errb.String())
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if v, ok := strings.CutPrefix(line, "impl="); ok {
				return v, errb.String()
			}
		}
		t.Fatalf("child printed no impl line:\n%s", out.String())
		return "", ""
	}
	best := Best().String()
	for _, tier := range Tiers() {
		impl, stderr := run(tier.String())
		if impl != tier.String() || stderr != "" {
			t.Errorf("%s=%s: impl %s, stderr %q", EnvVar, tier, impl, stderr)
		}
	}
	for _, bad := range []string{"sse9", unsupportedTierName()} {
		if bad == "" {
			continue
		}
		impl, stderr := run(bad)
		if impl != best {
			t.Errorf("%s=%s: impl %s, want the best tier %s", EnvVar, bad, impl, best)
		}
		if strings.Count(stderr, EnvVar) != 1 || !strings.Contains(stderr, bad) {
			t.Errorf("%s=%s: want one stderr line naming the value, got %q", EnvVar, bad, stderr)
		}
	}
}

func unsupportedTierName() string {
	for t := Generic; t <= NEON; t++ {
		if !Supported(t) {
			return t.String()
		}
	}
	return ""
}
