package memlimit

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// available reads MemTotal from /proc/meminfo and lowers it to the cgroup limit of this
// process, if there is one, looking in the usual mount points /sys/fs/cgroup (v2, or
// /sys/fs/cgroup/unified in hybrid mode) and /sys/fs/cgroup/memory (v1), and then to the
// address space this process may still map under its RLIMIT_AS (ulimit -v), if set.
func available(root string) (int64, string) {
	total, source := physical(root), "physical memory"
	if total <= 0 {
		total, source = fallbackMemory, "assumed"
	}
	if c := cgroupLimit(root); c > 0 && c < total {
		total, source = c, "cgroup memory limit"
	}
	if h := addressSpaceLeft(root); h > 0 && h < total {
		total, source = h, "address-space limit (ulimit -v) less what is mapped"
	}
	return total, source
}

// addressSpaceLimit returns RLIMIT_AS's soft limit, or 0 when there is none; tests
// replace it.
var addressSpaceLimit = func() uint64 {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &r); err != nil || r.Cur == unix.RLIM_INFINITY {
		return 0
	}
	return r.Cur
}

// addressSpaceLeft returns how much more address space this process may map under its
// RLIMIT_AS: the limit less the virtual size already mapped (/proc/self/statm), which
// for a Go program includes the runtime's reservations. It is 0 when there is no limit
// or the size cannot be read, and at least 1 when the limit is set (a process already
// at its limit can allocate nothing).
func addressSpaceLeft(root string) int64 {
	lim := addressSpaceLimit()
	if lim == 0 {
		return 0
	}
	if lim > uint64(Saturated) {
		return 0
	}
	b, err := os.ReadFile(path.Join(root, "proc/self/statm"))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	pages, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || pages < 0 {
		return 0
	}
	left := int64(lim) - Mul(pages, int64(os.Getpagesize()))
	return max(left, 1)
}

// physical returns MemTotal in bytes, or 0 if it cannot be read.
func physical(root string) int64 {
	b, err := os.ReadFile(path.Join(root, "proc/meminfo"))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb <= 0 {
			return 0
		}
		return Mul(kb, 1024)
	}
	return 0
}

// cgroupLimit returns the smallest memory limit of this process's cgroup and its
// ancestors, or 0 if there is none. A cgroup namespace or a container's private mount can
// make the path in /proc/self/cgroup start above the mounted hierarchy; walking up to
// the mount's root reads the limits that exist.
func cgroupLimit(root string) int64 {
	b, err := os.ReadFile(path.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0
	}
	var best int64
	lower := func(n int64) {
		if n > 0 && (best == 0 || n < best) {
			best = n
		}
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			for _, mount := range []string{"sys/fs/cgroup", "sys/fs/cgroup/unified"} {
				lower(walk(path.Join(root, mount), parts[2], "memory.max"))
			}
		case hasController(parts[1], "memory"):
			lower(walk(path.Join(root, "sys/fs/cgroup/memory"), parts[2], "memory.limit_in_bytes"))
		}
	}
	return best
}

func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// walk reads file in mount/cg and each ancestor up to mount itself and returns the
// smallest limit found (0 for none; "max" means none).
func walk(mount, cg, file string) int64 {
	var best int64
	cg = path.Clean("/" + cg)
	for {
		b, err := os.ReadFile(path.Join(mount, cg, file))
		if err == nil {
			s := strings.TrimSpace(string(b))
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && (best == 0 || n < best) {
				best = n
			}
		}
		if cg == "/" {
			return best
		}
		cg = path.Dir(cg)
	}
}
