//go:build unix

package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chronograd/chronograd/cell"
)

// endless is a training run that does not end by itself, checkpointing every sequence
// (or, with every 0, only at the end) into save.
func endless(save string, every int) []string {
	return []string{"train", "-task", "sine", "-length", "20", "-hidden", "8", "-sequences", "1000000000",
		"-eval-every", "0", "-checkpoint-every", strconv.Itoa(every), "-save", save}
}

// SIGINT and SIGTERM end a training run with a final checkpoint and exit 1, so the work
// since the last checkpoint is not lost: here there is no checkpoint before the end
// (-checkpoint-every 0), so without the handler the file would not exist at all.
func TestTrainSignalSavesAndExits(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		dir := t.TempDir()
		save := filepath.Join(dir, "m.safetensors")
		// The handler is installed once the model is built; a signal that arrives before
		// ends the process as the default action does, so wait longer and try again.
		var code int
		var stderr bytes.Buffer
		for _, wait := range []time.Duration{300 * time.Millisecond, time.Second, 4 * time.Second} {
			stderr.Reset()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			cmd := chronograd(t, ctx, dir, 0, endless(save, 0)...)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(wait)
			cmd.Process.Signal(sig)
			cmd.Wait()
			cancel()
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			code = cmd.ProcessState.ExitCode()
			if !ws.Signaled() {
				break
			}
		}
		msg := stderr.String()
		if code != 1 || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "signal received") || !strings.Contains(msg, "saved in "+save) {
			t.Fatalf("%v: exit %d, stderr %q; want exit 1 and one line saying the model was saved", sig, code, msg)
		}
		if _, err := cell.LoadModel(save); err != nil {
			t.Fatalf("%v: the model saved on the signal does not load: %v", sig, err)
		}
	}
}

// kill -9 at random moments of a run that checkpoints every sequence: whenever the file
// exists it loads (the writes are atomic), and the temporary files the killed processes
// left are removed by the next save to the same place.
func TestTrainKill9AlwaysLeavesALoadableModel(t *testing.T) {
	dir := t.TempDir()
	save := filepath.Join(dir, "m.safetensors")
	rng := rand.New(rand.NewPCG(18, 9))
	loaded := 0
	deadline := time.Now().Add(3 * time.Second)
	for kills := 0; kills < 4 || time.Now().Before(deadline); kills++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := chronograd(t, ctx, dir, 0, endless(save, 1)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(40+rng.IntN(160)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		cancel()
		if _, err := os.Stat(save); err != nil {
			continue // killed before the first checkpoint
		}
		if _, err := cell.LoadModel(save); err != nil {
			t.Fatalf("after kill %d: %v", kills, err)
		}
		loaded++
	}
	if loaded == 0 {
		t.Fatal("no run lived to its first checkpoint; the test proved nothing")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	t.Logf("%d kills found a model, which loaded; %d temporary files left by them", loaded, len(left))
	// One run that finishes: its save cleans what the killed ones left.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := endless(save, 1)
	args[8] = "2" // -sequences
	if out, err := chronograd(t, ctx, dir, 0, args...).CombinedOutput(); err != nil {
		t.Fatalf("a clean run: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(save) {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if _, err := cell.LoadModel(save); err != nil {
		t.Fatal(err)
	}
}
