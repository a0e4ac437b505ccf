package memlimit

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeRoot builds a tree of /proc and /sys files under a temporary directory.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const meminfo16G = "MemTotal:       16777216 kB\nMemFree:         1000 kB\n"

func TestAvailableLinux(t *testing.T) {
	cases := []struct {
		name   string
		files  map[string]string
		want   int64
		source string
	}{
		{"physical only", map[string]string{"proc/meminfo": meminfo16G}, 16 << 30, "physical memory"},
		{"no meminfo", map[string]string{}, fallbackMemory, "assumed"},
		{"garbled meminfo", map[string]string{"proc/meminfo": "MemTotal: lots\n"}, fallbackMemory, "assumed"},
		{"v2 limit", map[string]string{
			"proc/meminfo":     meminfo16G,
			"proc/self/cgroup": "0::/user.slice/job\n",
			"sys/fs/cgroup/user.slice/job/memory.max": "4294967296\n",
		}, 4 << 30, "cgroup memory limit"},
		{"v2 max, ancestor lower", map[string]string{
			"proc/meminfo":                 meminfo16G,
			"proc/self/cgroup":             "0::/a/b\n",
			"sys/fs/cgroup/a/b/memory.max": "max\n",
			"sys/fs/cgroup/a/memory.max":   "2147483648\n",
		}, 2 << 30, "cgroup memory limit"},
		{"v2 above physical", map[string]string{
			"proc/meminfo":               meminfo16G,
			"proc/self/cgroup":           "0::/a\n",
			"sys/fs/cgroup/a/memory.max": "68719476736\n",
		}, 16 << 30, "physical memory"},
		{"v2 namespaced path above the mount", map[string]string{
			"proc/meminfo":             meminfo16G,
			"proc/self/cgroup":         "0::/docker/abc\n",
			"sys/fs/cgroup/memory.max": "1073741824\n",
		}, 1 << 30, "cgroup memory limit"},
		{"v1 limit", map[string]string{
			"proc/meminfo":     meminfo16G,
			"proc/self/cgroup": "5:cpu,cpuacct:/\n4:memory:/jobs/x\n0::/\n",
			"sys/fs/cgroup/memory/jobs/x/memory.limit_in_bytes": "3221225472\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":        "9223372036854771712\n",
		}, 3 << 30, "cgroup memory limit"},
		{"v1 unlimited", map[string]string{
			"proc/meminfo":     meminfo16G,
			"proc/self/cgroup": "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		}, 16 << 30, "physical memory"},
	}
	for _, c := range cases {
		got, source := available(fakeRoot(t, c.files))
		if got != c.want || source != c.source {
			t.Errorf("%s: %d (%s), want %d (%s)", c.name, got, source, c.want, c.source)
		}
	}
	// Under ulimit -v the limit less the mapped virtual size counts, when it is lower.
	page := int64(os.Getpagesize())
	saved := addressSpaceLimit
	defer func() { addressSpaceLimit = saved }()
	for _, c := range []struct {
		name   string
		limit  uint64
		statm  string
		want   int64
		source string
	}{
		{"rlimit below physical", 3 << 30, "262144 1000 0 0 0 0 0\n", 3<<30 - 262144*page, "address-space limit (ulimit -v) less what is mapped"},
		{"rlimit above physical", 64 << 30, "262144 1000 0 0 0 0 0\n", 16 << 30, "physical memory"},
		{"no rlimit", 0, "262144 1000 0 0 0 0 0\n", 16 << 30, "physical memory"},
		{"mapped beyond the rlimit", 1 << 30, "9999999 1000 0 0 0 0 0\n", 1, "address-space limit (ulimit -v) less what is mapped"},
		{"statm unreadable", 1 << 30, "", 16 << 30, "physical memory"},
	} {
		addressSpaceLimit = func() uint64 { return c.limit }
		files := map[string]string{"proc/meminfo": meminfo16G}
		if c.statm != "" {
			files["proc/self/statm"] = c.statm
		}
		got, source := available(fakeRoot(t, files))
		if got != c.want || source != c.source {
			t.Errorf("%s: %d (%s), want %d (%s)", c.name, got, source, c.want, c.source)
		}
	}
	// On this machine the figure is positive and no more than the physical memory.
	if n, _ := Available(); n <= 0 || n > physical("/") {
		t.Errorf("Available() = %d, physical %d", n, physical("/"))
	}
}
