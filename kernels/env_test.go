package kernels

import (
	"os"
	"strings"
	"testing"
)

// TestEnvOverride runs this test binary again with CHRONOGRAD_KERNELS set and checks the
// tier it starts with, the error EnvError keeps, and that the package printed nothing:
// reporting a bad value is the program's job, not the library's.
func TestEnvOverride(t *testing.T) {
	if os.Getenv("CHRONOGRAD_ENV_CHILD") == "1" {
		msg := "<nil>"
		if err := EnvError(); err != nil {
			msg = err.Error()
		}
		os.Stdout.WriteString("impl=" + Impl().String() + "\nenverr=" + msg + "\n")
		return
	}
	run := func(value string) (impl, envErr, stderr string) {
		t.Helper()
		cmd := selfCommand(t, "-test.run=^TestEnvOverride$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CHRONOGRAD_ENV_CHILD=1", EnvVar+"="+value)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s=%s: child failed: %v\n%s%s", EnvVar, value, err, out.String(), errb.String())
		}
		gotImpl, gotErr := false, false
		for _, line := range strings.Split(out.String(), "\n") {
			if v, ok := strings.CutPrefix(line, "impl="); ok {
				impl, gotImpl = v, true
			}
			if v, ok := strings.CutPrefix(line, "enverr="); ok {
				envErr, gotErr = v, true
			}
		}
		if !gotImpl || !gotErr {
			t.Fatalf("child printed no impl or enverr line:\n%s", out.String())
		}
		return impl, envErr, errb.String()
	}
	best := Best().String()
	if impl, envErr, stderr := run(""); impl != best || envErr != "<nil>" || stderr != "" {
		t.Errorf("%s empty: impl %s, EnvError %s, stderr %q; want %s, <nil>, nothing", EnvVar, impl, envErr, stderr, best)
	}
	for _, tier := range Tiers() {
		impl, envErr, stderr := run(tier.String())
		if impl != tier.String() || envErr != "<nil>" || stderr != "" {
			t.Errorf("%s=%s: impl %s, EnvError %s, stderr %q", EnvVar, tier, impl, envErr, stderr)
		}
	}
	for _, bad := range []string{"sse9", unsupportedTierName()} {
		if bad == "" {
			continue
		}
		impl, envErr, stderr := run(bad)
		if impl != best {
			t.Errorf("%s=%s: impl %s, want the best tier %s", EnvVar, bad, impl, best)
		}
		if stderr != "" {
			t.Errorf("%s=%s: the library printed %q; it must leave reporting to the program", EnvVar, bad, stderr)
		}
		want := EnvVar + "=" + bad + " ignored: "
		if !strings.HasPrefix(envErr, want) || !strings.HasSuffix(envErr, "; using "+best) || strings.Contains(envErr, "\n") {
			t.Errorf("%s=%s: EnvError %q, want one line starting %q and naming the tier used (%s)", EnvVar, bad, envErr, want, best)
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
