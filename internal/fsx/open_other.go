//go:build !unix

package fsx

import "os"

// openRegular opens path and checks, on the open file, that it is a regular file. Systems
// outside unix have no named pipes that a plain open waits on.
func openRegular(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, info.Mode())
	}
	return f, nil
}

// syncDir does nothing: outside unix a directory cannot be opened to be synced, and the
// rename is as durable as the system makes it.
func syncDir(string) error { return nil }
