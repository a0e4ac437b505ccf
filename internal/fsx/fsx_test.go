//go:build unix

package fsx

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chronograd/chronograd/internal/deadline"
	"golang.org/x/sys/unix"
)

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := unix.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func wantErr(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one containing %q", what, parts)
		return
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("%s: error spans lines: %q", what, msg)
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("%s: error %q lacks %q", what, msg, p)
		}
	}
}

func TestOpenInputRegular(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in")
	writeFile(t, path, "hello")
	link := filepath.Join(dir, "link")
	if err := os.Symlink("in", link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, link} {
		f, err := OpenInput(p)
		if err != nil {
			t.Fatal(err)
		}
		// The descriptor is back in blocking mode.
		rc, err := f.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var flags int
		if err := rc.Control(func(fd uintptr) { flags, err = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil {
			t.Fatal(err)
		}
		if flags&unix.O_NONBLOCK != 0 {
			t.Errorf("%s: O_NONBLOCK still set", p)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil || string(b) != "hello" {
			t.Errorf("%s: read %q, %v", p, b, err)
		}
	}
}

func TestOpenInputRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	fifoLink := filepath.Join(dir, "fifolink")
	if err := os.Symlink(fifo, fifoLink); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	cases := []struct {
		path string
		want []string
	}{
		{"", []string{"input path is empty"}},
		{fifo, []string{fifo, "is not a regular file (it is a named pipe)"}},
		{fifoLink, []string{fifoLink, "is not a regular file (it is a named pipe)"}},
		{dir, []string{dir, "is not a regular file (it is a directory)"}},
		{sock, []string{sock, "is not a regular file (it is a socket)"}},
		{"/dev/null", []string{"/dev/null is not a regular file (it is a character device)"}},
		{filepath.Join(dir, "missing"), []string{"no such file or directory"}},
	}
	for _, c := range cases {
		deadline.Within(t, "OpenInput("+c.path+")", func() {
			f, err := OpenInput(c.path)
			if f != nil {
				f.Close()
			}
			wantErr(t, c.path, err, c.want...)
		})
	}
	if _, err := OpenInput(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v does not wrap fs.ErrNotExist", err)
	}
	if _, err := OpenInput(fifo); !errors.Is(err, ErrNotRegular) {
		t.Errorf("fifo: %v does not wrap ErrNotRegular", err)
	}
	// The check that counts is the one on the open descriptor: a file swapped for a
	// named pipe after the stat must not hang either.
	deadline.Within(t, "openRegular(fifo)", func() {
		f, err := openRegular(fifo)
		if f != nil {
			f.Close()
		}
		wantErr(t, "openRegular(fifo)", err, "is not a regular file (it is a named pipe)")
	})
}

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.st")
	data := filepath.Join(dir, "d.st")
	writeFile(t, model, "model")
	writeFile(t, data, "data")
	symlink := filepath.Join(dir, "sym")
	if err := os.Symlink("m.st", symlink); err != nil {
		t.Fatal(err)
	}
	chain := filepath.Join(dir, "chain")
	if err := os.Symlink("sym", chain); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard")
	if err := os.Link(data, hard); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	writeFile(t, other, "other")
	otherLink := filepath.Join(dir, "otherlink")
	if err := os.Symlink("other", otherLink); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink("nothing-yet", dangling); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	relModel, err := filepath.Rel(wd, model)
	if err != nil {
		t.Fatal(err)
	}

	refused := []struct {
		out  string
		want []string
	}{
		{"", []string{"output path is empty"}},
		{model, []string{model, "is also an input"}},
		{relModel, []string{relModel, "same file as the input " + model}},
		{symlink, []string{symlink, "same file as the input " + model}},
		{chain, []string{chain, "same file as the input " + model}},
		{hard, []string{hard, "same file as the input " + data}},
		{dir, []string{dir, "is not a regular file (it is a directory)"}},
		{dir + "/", []string{"is not a regular file"}},
		{"/dev/null", []string{"/dev/null is not a regular file (it is a character device)"}},
		{fifo, []string{fifo, "is not a regular file (it is a named pipe)"}},
		{filepath.Join(dir, "nodir", "x"), []string{"directory " + filepath.Join(dir, "nodir") + ": no such file or directory"}},
		{filepath.Join(model, "x"), []string{"not a directory"}},
		{loop, []string{"levels of symbolic links"}},
	}
	for _, c := range refused {
		deadline.Within(t, "CheckOutput("+c.out+")", func() {
			wantErr(t, c.out, CheckOutput(c.out, model, "", data, filepath.Join(dir, "missing-input")), c.want...)
		})
	}
	for _, out := range []string{other, otherLink, dangling, filepath.Join(dir, "new")} {
		if err := CheckOutput(out, model, data); err != nil {
			t.Errorf("%s: %v", out, err)
		}
	}
	if got := names(t, dir); len(got) != 10 {
		t.Errorf("CheckOutput changed the directory: %v", got)
	}
}

func TestProbeOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "model.st")
	if err := ProbeOutput(out); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("probe left %v", got)
	}
	wantErr(t, "missing dir", ProbeOutput(filepath.Join(dir, "no", "m.st")), "no such file or directory")
	// /proc refuses new files even to root, which a chmod'ed directory would not.
	wantErr(t, "read-only place", ProbeOutput("/proc/chronograd-probe"), "/proc/chronograd-probe cannot be written")
	wantErr(t, "device", ProbeOutput("/dev/null"), "not a regular file")
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	writeFile(t, path, "old")
	failing := errors.New("disk on fire")
	err := WriteAtomic(path, 0o644, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return failing
	})
	if !errors.Is(err, failing) {
		t.Fatalf("err %v", err)
	}
	if got := readFile(t, path); got != "old" {
		t.Errorf("failed write changed the file to %q", got)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"r.csv"}) {
		t.Errorf("failed write left %v", got)
	}
	if err := WriteAtomic(path, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "new" {
		t.Errorf("file holds %q", got)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"r.csv"}) {
		t.Errorf("directory holds %v", got)
	}
	wantErr(t, "empty", WriteAtomic("", 0o644, func(io.Writer) error { return nil }), "output path is empty")
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// The permissions are exactly perm whatever the umask: reports and models are ordinary
// files that other users may read.
func TestWriteAtomicPermissions(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	for _, perm := range []fs.FileMode{0o644, 0o600, 0o640} {
		path := filepath.Join(dir, "f")
		if err := WriteAtomic(path, perm, writeString("x")); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != perm {
			t.Errorf("mode %v, want %v", info.Mode().Perm(), perm)
		}
	}
}

// A symbolic link is written through: it stays a link and its target gets the content.
func TestWriteAtomicThroughSymlinks(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(sub, "real")
	writeFile(t, real, "old")
	// dir/a -> dir/b -> sub/real, with a relative hop.
	b := filepath.Join(dir, "b")
	if err := os.Symlink(filepath.Join("sub", "real"), b); err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(dir, "a")
	if err := os.Symlink("b", a); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(a, 0o644, writeString("new")); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{a, b} {
		info, err := os.Lstat(l)
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link: %v %v", l, info.Mode(), err)
		}
	}
	if got := readFile(t, real); got != "new" {
		t.Errorf("target holds %q", got)
	}
	if got := names(t, sub); !slices.Equal(got, []string{"real"}) {
		t.Errorf("target directory holds %v", got)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"a", "b", "sub"}) {
		t.Errorf("link directory holds %v", got)
	}

	// A link whose target is reached through a linked directory and "..": the kernel's
	// meaning, not the lexical one.
	deep := filepath.Join(dir, "deep", "er")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	dlink := filepath.Join(dir, "dlink")
	if err := os.Symlink(deep, dlink); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../up", filepath.Join(deep, "l")); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(filepath.Join(dlink, "l"), 0o644, writeString("up")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "deep", "up")); got != "up" {
		t.Errorf("deep/up holds %q", got)
	}

	// A dangling link creates its target.
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join("sub", "created"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(dangling, 0o644, writeString("c")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(sub, "created")); got != "c" {
		t.Errorf("created holds %q", got)
	}
}

// Nothing that is not a regular file is ever replaced.
func TestWriteAtomicRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	devlink := filepath.Join(dir, "devnull")
	if err := os.Symlink("/dev/null", devlink); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	called := false
	write := func(w io.Writer) error { called = true; return nil }
	for _, c := range []struct{ path, kind string }{
		{"/dev/null", "a character device"},
		{devlink, "a character device"},
		{fifo, "a named pipe"},
		{sub, "a directory"},
	} {
		deadline.Within(t, c.path, func() {
			wantErr(t, c.path, WriteAtomic(c.path, 0o644, write), "is not a regular file (it is "+c.kind+")")
		})
	}
	if called {
		t.Error("write was called for a refused target")
	}
	info, err := os.Lstat("/dev/null")
	if err != nil || info.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is now %v", info.Mode())
	}
	if got := names(t, dir); !slices.Equal(got, []string{"devnull", "fifo", "sub"}) {
		t.Errorf("directory holds %v", got)
	}
	wantErr(t, "missing dir", WriteAtomic(filepath.Join(dir, "no", "f"), 0o644, write), "no such file or directory")
}

// Temporary files of our naming left by an earlier process (a kill -9 during a write)
// are removed by the next write to the same target; anything newer, of another naming
// or for another target stays.
func TestWriteAtomicRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.st")
	writeFile(t, path, "old")
	before := processStart.Add(-time.Hour)
	stale := []string{".model.st.tmp-123", ".model.st.tmp-4294967295", ".model.st.tmp77"}
	kept := []string{
		".model.st.tmp-999",   // fresh: modified after this process started
		".model.st.tmp-12x",   // not os.CreateTemp's naming
		".other.st.tmp-5",     // another target
		"model.st.tmp-5",      // not hidden: not ours
		".model.st.tmp-6.bak", // not ours
	}
	for _, n := range append(slices.Clone(stale), kept...) {
		writeFile(t, filepath.Join(dir, n), strings.Repeat("x", 100))
		if n != ".model.st.tmp-999" {
			if err := os.Chtimes(filepath.Join(dir, n), before, before); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An old directory of the same naming is not a file we wrote.
	if err := os.Mkdir(filepath.Join(dir, ".model.st.tmp-8"), 0o755); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, ".model.st.tmp-8")
	// A temporary file this process is still writing is never stale.
	busy := filepath.Join(dir, ".model.st.tmp-31")
	writeFile(t, busy, "busy")
	if err := os.Chtimes(busy, before, before); err != nil {
		t.Fatal(err)
	}
	live.Store(busy, struct{}{})
	defer live.Delete(busy)
	kept = append(kept, ".model.st.tmp-31")

	if err := WriteAtomic(path, 0o644, writeString("new")); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(kept), "model.st")
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
}

// Content larger than any buffer arrives whole.
func TestWriteAtomicLargeContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big")
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	if err := WriteAtomic(path, 0o644, func(w io.Writer) error { _, err := w.Write(content); return err }); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != string(content) {
		t.Error("content differs")
	}
}

func TestMissingDirectoryIsNotExist(t *testing.T) {
	out := filepath.Join(t.TempDir(), "no", "f")
	for _, err := range []error{CheckOutput(out), ProbeOutput(out), WriteAtomic(out, 0o644, writeString(""))} {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%v does not wrap fs.ErrNotExist", err)
		}
	}
}
