package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// On a file that is not a terminal (a CI log) progress comes as periodic lines with the
// share done, the time taken and an estimate of the time left, then a closing line.
func TestProgressLinesOnAFile(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0 // a line on every step
	path := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := newProgressBar(f, 4, "profile")
	if p.lines == nil || p.bar != nil {
		t.Fatal("a plain file is not shown periodic lines")
	}
	p.start = time.Now().Add(-10 * time.Second) // as if the first step took 10 s
	p.Step("rtrl gru n=64")
	p.Step("snap1 gru n=64")
	p.Step("uoro gru n=64")
	p.Step("last") // the end has its own line
	p.Done()
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 3 progress lines and the closing one:\n%s", len(lines), b)
	}
	if !regexp.MustCompile(`^profile: 25% after 10s, about 30s left: rtrl gru n=64$`).MatchString(lines[0]) {
		t.Errorf("first line %q", lines[0])
	}
	if !strings.HasPrefix(lines[2], "profile: 75% after 10s, about 3s left: uoro") {
		t.Errorf("third line %q", lines[2])
	}
	if !regexp.MustCompile(`^profile: done in 10s$`).MatchString(lines[3]) {
		t.Errorf("last line %q", lines[3])
	}
}

// Lines are rate-limited: with the default interval, a fast job prints nothing at all.
func TestProgressLinesAreThrottled(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 100, "train", progressLines, true)
	for range 100 {
		p.Step("x")
	}
	p.Done()
	if got := buf.String(); got != "" {
		t.Errorf("output %q, want nothing from a job shorter than the interval", got)
	}
}

// Advance weighs steps by their cost: the share done is that of the cost, not the count.
func TestProgressAdvanceWeighs(t *testing.T) {
	p := newProgress(nil, 10, "profile", progressNone, false)
	p.Advance(1, "cheap")
	p.Advance(8, "dear")
	if s := p.status(p.start.Add(9*time.Second), ""); s != "90% after 9s, about 1s left" {
		t.Errorf("status %q", s)
	}
	p.Advance(5, "over") // never past the total
	if p.done != 10 {
		t.Errorf("done %v, want 10", p.done)
	}
}

// On a terminal the bar shows the elapsed time and the time left, and is cleared at the end.
func TestProgressBarShowsETA(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 50, "train", progressTerminal, true)
	for range 24 {
		p.Step("loss 0.2")
	}
	time.Sleep(150 * time.Millisecond) // past the redraw throttle
	p.Step("loss 0.1")
	out := buf.String()
	// The bar's brackets hold elapsed:left, as in [0s:0s].
	last := out[strings.LastIndex(out, "\r"):]
	if !regexp.MustCompile(`\(2[45]/50\) \[0s:0s\] train loss 0\.1 *$`).MatchString(last) {
		t.Errorf("bar without count, elapsed:left or description: %q", last)
	}
	p.Done()
	if end := buf.String()[len(out):]; !regexp.MustCompile(`^\r {20,}\r$`).MatchString(end) {
		t.Errorf("bar not cleared at the end: %q", end)
	}
}

// Anything that is not a file (a test's buffer) gets nothing.
func TestProgressSilentOnBuffers(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressBar(&buf, 3, "profile")
	p.Step("a")
	p.Done()
	if buf.Len() != 0 {
		t.Errorf("wrote %q to a buffer", buf.String())
	}
}
