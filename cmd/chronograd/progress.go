package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progressBar draws a one-line bar on a terminal, redrawn at most ten times a second. On
// anything that is not a terminal (a file, a pipe, a test's buffer) it draws nothing, so
// logs stay clean.
type progressBar struct {
	w           io.Writer
	on          bool
	total, done int
	label       string
	start, last time.Time
}

func newProgressBar(w io.Writer, total int, label string) *progressBar {
	f, ok := w.(*os.File)
	on := ok && term.IsTerminal(int(f.Fd()))
	return &progressBar{w: w, on: on, total: max(total, 1), label: label, start: time.Now()}
}

// Step advances the bar by one and shows what is being done.
func (p *progressBar) Step(what string) {
	p.done++
	if !p.on || (time.Since(p.last) < 100*time.Millisecond && p.done < p.total) {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := width * p.done / p.total
	elapsed := time.Since(p.start).Round(time.Second)
	fmt.Fprintf(p.w, "\r\033[K%s [%s%s] %d/%d %v %s", p.label,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.done, p.total, elapsed, what)
}

// Done ends the bar's line.
func (p *progressBar) Done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
