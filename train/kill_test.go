//go:build unix

package train_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/chronograd/chronograd/algo"
	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/train"
)

// snapshotChildEnv names the file TestSnapshotChild writes; unset, it does nothing.
const snapshotChildEnv = "CHRONOGRAD_SNAPSHOT_CHILD"

// TestSnapshotChild is the process TestSnapshotKill9AlwaysLeavesALoadableModel kills: a
// learner that observes events and snapshots itself as fast as it can, forever (or once,
// with CHRONOGRAD_SNAPSHOT_ONCE=1). Run by go test directly, it returns at once.
func TestSnapshotChild(t *testing.T) {
	path := os.Getenv(snapshotChildEnv)
	if path == "" {
		return
	}
	m, err := cell.NewModel(cell.Config{Kind: cell.LSTM, Hidden: 48, Input: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 2)), cell.InitDefault)
	alg, err := algo.MustParse("snap1").New(m, algo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := train.NewOnline(m, alg, &train.Adam{LR: 0.01}, train.OnlineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	pred := make([]float32, 1)
	for i := 0; ; i++ {
		x, y := event(i)
		l.Observe(pred, x, y)
		if err := l.Snapshot(path); err != nil {
			t.Fatal(err)
		}
		if os.Getenv("CHRONOGRAD_SNAPSHOT_ONCE") == "1" {
			return
		}
	}
}

// kill -9 at random moments of a learner that snapshots continually: whenever the file
// exists it loads, because Snapshot writes atomically; the temporary files the killed
// processes leave are cleaned by the next snapshot to the same place.
func TestSnapshotKill9AlwaysLeavesALoadableModel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snap.safetensors")
	args := []string{"-test.run=^TestSnapshotChild$", "-test.count=1"}
	name := os.Args[0]
	if err := exec.Command(os.Args[0], "-test.run=^$").Run(); errors.Is(err, syscall.ENOEXEC) {
		qemu, lookErr := exec.LookPath(map[string]string{"arm64": "qemu-aarch64-static", "arm": "qemu-arm-static"}[runtime.GOARCH])
		if lookErr != nil {
			t.Fatalf("cannot run %s (%v) and no emulator found: %v", os.Args[0], err, lookErr)
		}
		name, args = qemu, append([]string{os.Args[0]}, args...)
	}
	rng := rand.New(rand.NewPCG(18, 10))
	loaded := 0
	deadline := time.Now().Add(2 * time.Second)
	for kills := 0; kills < 4 || time.Now().Before(deadline); kills++ {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), snapshotChildEnv+"="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(30+rng.IntN(120)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
			t.Fatalf("the child ended by itself: %v", cmd.ProcessState)
		}
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if _, err := cell.LoadModel(path); err != nil {
			t.Fatalf("after kill %d: %v", kills, err)
		}
		loaded++
	}
	if loaded == 0 {
		t.Fatal("no child lived to its first snapshot; the test proved nothing")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	t.Logf("%d kills found a snapshot, which loaded; %d temporary files left by them", loaded, len(left))
	// One more snapshot, by a process started after them, cleans them.
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), snapshotChildEnv+"="+path, "CHRONOGRAD_SNAPSHOT_ONCE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("a clean snapshot: %v\n%s", err, out)
	}
	if _, err := cell.LoadModel(path); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left after a clean snapshot: %v", left)
	}
}
