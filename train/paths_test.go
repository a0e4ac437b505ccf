package train_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/train"
)

// Snapshot to an empty path, a directory, a device or a missing directory is refused
// with one line naming what is wrong, and creates nothing (it once said "rename
// ./..tmp-943987861: no such file or directory" for the empty path).
func TestSnapshotRefusesBadPaths(t *testing.T) {
	l, _ := learnerFor(t, "sgd")
	dir := t.TempDir()
	for _, c := range []struct{ path, want string }{
		{"", "output path is empty"},
		{dir, "is not a regular file (it is a directory)"},
		{dir + string(os.PathSeparator), "is not a regular file"},
		{os.DevNull, os.DevNull + " is not a regular file (it is a character device)"},
		{filepath.Join(dir, "missing", "s.st"), "no such file or directory"},
	} {
		err := l.Snapshot(c.path)
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), ".tmp-") {
			t.Errorf("Snapshot(%q) = %v; want one line with %q", c.path, err, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused snapshots left %v", entries)
	}
}

// Nil and zero models are errors everywhere they can be handed in, never panics.
func TestNilAndZeroModels(t *testing.T) {
	var nilModel *cell.Model
	path := filepath.Join(t.TempDir(), "m.st")
	for name, m := range map[string]*cell.Model{"nil": nilModel, "zero": {}, "no readout": {Layers: []cell.Cell{nil}}} {
		if err := m.Save(path); err == nil {
			t.Errorf("%s model: Save succeeded", name)
		}
		if err := m.SaveVectors(path, nil, nil); err == nil {
			t.Errorf("%s model: SaveVectors succeeded", name)
		}
		if _, err := m.WriteTo(&bytes.Buffer{}); err == nil {
			t.Errorf("%s model: WriteTo succeeded", name)
		}
		for _, spec := range []string{"bptt", "rtrl", "snap1", "uoro", "tbptt:2,4", "bptt-checkpoint:3", "tbptt-adaptive:0.1"} {
			if a, err := algo.MustParse(spec).New(m, algo.Options{}); err == nil {
				a.Close()
				t.Errorf("%s model: %s was built", name, spec)
			}
		}
		if _, err := train.NewOnline(m, nil, &train.SGD{LR: 0.1}, train.OnlineConfig{}); err == nil {
			t.Errorf("%s model: NewOnline succeeded", name)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused save created %s", path)
	}
	for _, p := range []string{"", t.TempDir(), "online.go"} {
		if _, err := cell.LoadModel(p); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("LoadModel(%q) = %v", p, err)
		}
	}
	if _, err := cell.LoadModel("online.go"); err == nil || !strings.Contains(err.Error(), "online.go is not a safetensors file") {
		t.Errorf("LoadModel(online.go): %v", err)
	}
}
