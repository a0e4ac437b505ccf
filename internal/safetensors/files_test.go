//go:build unix

package safetensors

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/internal/deadline"
	"golang.org/x/sys/unix"
)

// Paths that are not safetensors files get one clear line each, and none blocks.
func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	source := filepath.Join(dir, "main.go")
	if err := os.WriteFile(source, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(dir, "notjson")
	if err := os.WriteFile(notJSON, build("[1,2,3]", nil), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want string
	}{
		{"", "input path is empty"},
		{fifo, fifo + " is not a regular file (it is a named pipe)"},
		{dir, dir + " is not a regular file (it is a directory)"},
		{"/dev/null", "/dev/null is not a regular file (it is a character device)"},
		{filepath.Join(dir, "missing"), "no such file or directory"},
		{source, source + " is not a safetensors file (its first 8 bytes give a header length of 2334385649972633968, over the 104857600-byte limit)"},
		{empty, empty + " is not a safetensors file (it is empty)"},
		{short, short + " is not a safetensors file (it is 3 bytes long, shorter than the 8-byte header length)"},
		{notJSON, notJSON + " is not a safetensors file (its header is not a JSON object)"},
	}
	for _, c := range cases {
		deadline.Within(t, "ReadFile("+c.path+")", func() {
			f, err := ReadFile(c.path)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("ReadFile(%q) = %v, %v\nwant an error containing %q", c.path, f, err, c.want)
			}
		})
	}
	if _, err := ReadFile(source); !errors.Is(err, ErrNotSafetensors) {
		t.Errorf("%v does not wrap ErrNotSafetensors", err)
	}
	// A corrupt safetensors file is not called "not a safetensors file".
	corrupt := filepath.Join(dir, "corrupt")
	if err := os.WriteFile(corrupt, build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32bytes(1, float32(nan()))), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(corrupt); err == nil || errors.Is(err, ErrNotSafetensors) || !strings.Contains(err.Error(), corrupt+`: tensor "w": element 1 is NaN`) {
		t.Errorf("corrupt file: %v", err)
	}
}

// The written file is 0644 whatever the umask, a symbolic link is written through, and
// nothing that is not a regular file is replaced.
func TestWriteFileTargets(t *testing.T) {
	old := unix.Umask(0o077)
	defer unix.Umask(old)
	dir := t.TempDir()
	real := filepath.Join(dir, "real.safetensors")
	if err := os.WriteFile(real, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.safetensors")
	if err := os.Symlink("real.safetensors", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, sampleFile()); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v, %v", info.Mode(), err)
	}
	info, err := os.Stat(real)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v under umask 077, want 0644", info.Mode().Perm())
	}
	if f, err := ReadFile(real); err != nil || len(f.Tensors) != 5 {
		t.Fatalf("the link's target: %v", err)
	}
	devnull := filepath.Join(dir, "devnull")
	if err := os.Symlink("/dev/null", devnull); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/null", devnull, dir} {
		if err := WriteFile(p, sampleFile()); err == nil || !strings.Contains(err.Error(), "is not a regular file") {
			t.Errorf("WriteFile(%s): %v", p, err)
		}
	}
	if info, err := os.Lstat("/dev/null"); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is now %v", info.Mode())
	}
	if err := WriteFile("", sampleFile()); err == nil || err.Error() != "safetensors: output path is empty" {
		t.Errorf("empty path: %v", err)
	}
	if err := WriteFile(filepath.Join(dir, "nil.safetensors"), nil); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Errorf("nil file: %v", err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, nil); err == nil || buf.Len() != 0 {
		t.Errorf("Encode(nil): %v, %d bytes", err, buf.Len())
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"devnull", "link.safetensors", "real.safetensors"}) {
		t.Errorf("directory holds %v", names)
	}
}
