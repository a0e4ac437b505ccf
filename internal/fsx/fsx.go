// Package fsx opens input files and writes output files so that hostile paths cannot
// hang, alias or destroy anything: inputs are opened without blocking and must be
// regular files, outputs must not be any input and, when they exist, must be regular
// files, and writes are atomic (a temporary file in the target's directory, fsync,
// rename, fsync of the directory).
//
// Symbolic links are followed everywhere: an output path that is a link to a regular
// file is written through (the link stays, its target is replaced).
package fsx

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// processStart is when this package was initialised, which is after the process started
// and before it could have written anything: a temporary file older than this was left
// by an earlier process.
var processStart = time.Now()

// maxLinks bounds the symbolic links followed while resolving a path (Linux's limit).
const maxLinks = 40

// ErrNotRegular is wrapped by the errors that refuse a path because it exists and is not a
// regular file (a directory, named pipe, socket or device).
var ErrNotRegular = errors.New("not a regular file")

// notRegular describes why a file of the given mode is refused.
func notRegular(path string, mode fs.FileMode) error {
	return fmt.Errorf("%s is %w (it is %s)", path, ErrNotRegular, describe(mode))
}

// describe names the kind of a file that is not regular.
func describe(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a block device"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file"
}

// OpenInput opens path for reading and returns it only if it is a regular file. It never
// blocks: the file is opened non-blocking (so a named pipe without a writer cannot hang
// the caller), checked with fstat on the open descriptor (so it cannot be swapped between
// the check and the open), and switched back to blocking reads. An empty path, a missing
// file, a directory, a named pipe, a socket or a device is refused with an error naming
// the path and what it is.
func OpenInput(path string) (*os.File, error) {
	if path == "" {
		return nil, errors.New("input path is empty")
	}
	// A stat first refuses devices before they are opened at all: opening some devices
	// has side effects (a terminal, a tape drive). The check after opening is the one
	// that counts.
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, notRegular(path, info.Mode())
	}
	return openRegular(path)
}

// resolve follows the symbolic links at the end of path and returns the path of the
// final target, which may not exist yet. Targets of relative links are joined to the
// link's directory without lexical cleaning, so ".." keeps the meaning the kernel gives
// it when that directory is itself reached through a link.
func resolve(path string) (string, error) {
	p := path
	for range maxLinks {
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			dir, _ := split(p)
			target = dir + string(os.PathSeparator) + target
		}
		p = target
	}
	return "", fmt.Errorf("%s: more than %d levels of symbolic links", path, maxLinks)
}

// split returns the directory and the last element of path without cleaning it.
func split(path string) (dir, base string) {
	i := strings.LastIndexFunc(path, func(r rune) bool { return os.IsPathSeparator(uint8(r)) })
	switch {
	case i < 0:
		return ".", path
	case i == 0:
		return path[:1], path[1:]
	}
	return path[:i], path[i+1:]
}

// target resolves an output path and checks what is there: the final target's path, its
// directory and name, and its FileInfo (nil when it does not exist yet).
func target(out string) (resolved, dir, base string, info fs.FileInfo, err error) {
	if out == "" {
		return "", "", "", nil, errors.New("output path is empty")
	}
	resolved, err = resolve(out)
	if err != nil {
		// "OUT: not a directory" (a file where a directory should be), not the
		// system call's "lstat OUT: …".
		return "", "", "", nil, fmt.Errorf("%s: %w", out, unwrapPath(err))
	}
	dir, base = split(resolved)
	if base == "" || base == "." || base == ".." {
		return "", "", "", nil, fmt.Errorf("%s is %w (it names a directory)", out, ErrNotRegular)
	}
	info, err = os.Stat(resolved)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		info = nil
	case err != nil:
		return "", "", "", nil, err
	case !info.Mode().IsRegular():
		return "", "", "", nil, notRegular(out, info.Mode())
	}
	if info == nil {
		d, err := os.Stat(dir)
		if err != nil {
			// "OUT: directory DIR: no such file or directory", still fs.ErrNotExist.
			return "", "", "", nil, fmt.Errorf("%s: directory %s: %w", out, dir, unwrapPath(err))
		}
		if !d.IsDir() {
			return "", "", "", nil, fmt.Errorf("%s: %s is not a directory", out, dir)
		}
	}
	return resolved, dir, base, info, nil
}

// CheckOutput refuses an output path that would destroy something: an empty path; a path
// that exists (after following symbolic links) and is not a regular file, such as a
// directory or /dev/null; a path whose directory does not exist; and a path that is the
// same file as any of inputs, compared by device and inode after following links, so
// symbolic and hard links to an input are caught. Empty inputs and inputs that do not
// exist are skipped. CheckOutput changes nothing on disk.
func CheckOutput(out string, inputs ...string) error {
	_, _, _, info, err := target(out)
	if err != nil || info == nil {
		return err
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		ii, err := os.Stat(in)
		if err != nil {
			continue
		}
		if os.SameFile(info, ii) {
			if in == out {
				return fmt.Errorf("output %s is also an input; writing it would destroy the input", out)
			}
			return fmt.Errorf("output %s is the same file as the input %s; writing it would destroy the input", out, in)
		}
	}
	return nil
}

// ProbeOutput checks, as CheckOutput does, that out could be written, and then proves it
// by creating and removing an empty temporary file of WriteAtomic's naming next to the
// target, so a read-only or full directory is found before a long run rather than
// after it.
func ProbeOutput(out string) error {
	resolved, dir, base, _, err := target(out)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return fmt.Errorf("%s cannot be written: %w", resolved, unwrapPath(err))
	}
	name := tmp.Name()
	err = tmp.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("%s cannot be written: %w", resolved, err)
	}
	return nil
}

// unwrapPath drops the temporary file's name from a *fs.PathError, which means nothing
// to a user.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// tempPrefix is the start of the name of every temporary file written for base.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// live holds the temporary files this process is writing, which are never stale even on
// a file system whose coarse timestamps make them look older than the process.
var live sync.Map

// removeStale removes the temporary files of our naming for base in dir ("."+base+".tmp-"
// and digits, as os.CreateTemp makes them; also ".tmp" and digits, an older naming) that
// are regular files last modified before this process started: a process killed during
// a write leaves them, and nothing else would ever remove them. Failures are ignored:
// cleaning is a courtesy, the write does not depend on it.
func removeStale(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	stem := "." + base + ".tmp"
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), stem)
		if !ok {
			continue
		}
		rest = strings.TrimPrefix(rest, "-")
		if rest == "" || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		name := dir + string(os.PathSeparator) + e.Name()
		if _, busy := live.Load(name); busy {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(processStart) {
			continue
		}
		_ = os.Remove(name)
	}
}

// WriteAtomic writes path through a temporary file, so that a reader never sees a
// half-written file and a failure or a crash leaves any existing file as it was. It
// follows symbolic links at path to the final target (the link stays and its target is
// replaced), refuses a target that exists and is not a regular file, removes temporary
// files of its own naming for the same target left by earlier processes, and then
// writes ".NAME.tmp-*" in the target's directory with write, fsyncs it, sets its
// permissions to exactly perm (the umask does not apply), renames it over the target and
// fsyncs the directory. On any error the temporary file is removed; an error from write
// is wrapped so errors.Is finds it.
func WriteAtomic(path string, perm fs.FileMode, write func(io.Writer) error) (err error) {
	resolved, dir, base, _, err := target(path)
	if err != nil {
		return err
	}
	removeStale(dir, base)
	tmp, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return fmt.Errorf("writing %s: cannot create a temporary file in %s: %w", path, dir, unwrapPath(err))
	}
	name := tmp.Name()
	live.Store(name, struct{}{})
	defer live.Delete(name)
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	// The target may have been replaced by something else since target() looked.
	if info, lerr := os.Lstat(resolved); lerr == nil && !info.Mode().IsRegular() {
		return notRegular(path, info.Mode())
	}
	if err = os.Rename(name, resolved); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// The rename is durable only once the directory entry is on disk.
	if serr := syncDir(dir); serr != nil {
		return fmt.Errorf("writing %s: syncing directory %s: %w", path, dir, serr)
	}
	return nil
}
