package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressEvery is how often a progress line is printed when stderr is a file or a pipe.
var progressEvery = 10 * time.Second

// progressBar shows how far a long job is and how long it has left. On a terminal it is
// a bar (github.com/schollz/progressbar) with the elapsed time and an estimate of the
// time left, redrawn at most ten times a second and cleared at the end. On a file or a
// pipe that is not a terminal (a CI log, `2> log`) it prints one line every
// progressEvery, and then one when the job ends, so a log shows progress as it happens
// (a job shorter than progressEvery prints nothing). Any other writer (a test's buffer,
// io.Discard) gets nothing.
//
// Work is counted in units: a step of a job whose steps cost alike is one unit (Step);
// a job whose steps do not (the profile: a training run costs as much as a hundred
// measurements) gives each step its estimated cost (Advance), so that the estimate of the
// time left is not fooled by cheap steps first.
type progressBar struct {
	bar         *progressbar.ProgressBar // on a terminal
	lines       io.Writer                // a file or pipe that is not a terminal
	printed     bool                     // a progress line has been printed
	label       string
	total, done float64
	start, last time.Time
}

// newProgressBar shows the progress of total unit steps on w.
func newProgressBar(w io.Writer, total int, label string) *progressBar {
	return newProgress(w, float64(total), label, progressModeOf(w), total > 0)
}

// progressModeOf is how progress shows on w: a bar on a terminal, lines on another file,
// nothing on anything else.
func progressModeOf(w io.Writer) progressMode {
	f, ok := w.(*os.File)
	switch {
	case !ok:
		return progressNone
	case term.IsTerminal(int(f.Fd())):
		return progressTerminal
	}
	return progressLines
}

type progressMode int

const (
	progressNone progressMode = iota
	progressLines
	progressTerminal
)

// newProgress builds the progress display for mode; count shows done/total on the bar
// (for unit steps, not for estimated costs).
func newProgress(w io.Writer, total float64, label string, mode progressMode, count bool) *progressBar {
	now := time.Now()
	p := &progressBar{label: label, total: max(total, 1), start: now, last: now}
	switch mode {
	case progressLines:
		p.lines = w
	case progressTerminal:
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionShowDescriptionAtLineEnd(),
		}
		if count {
			opts = append(opts, progressbar.OptionShowCount())
		}
		p.bar = progressbar.NewOptions64(int64(p.total), opts...)
	}
	return p
}

// Step advances by one unit and shows what is being done.
func (p *progressBar) Step(what string) { p.Advance(1, what) }

// Advance adds units of work done and shows what is being done now.
func (p *progressBar) Advance(units float64, what string) {
	before := p.done
	p.done = min(p.done+units, p.total)
	switch {
	case p.bar != nil:
		// Both calls redraw, at most ten times a second (the last step always). The bar
		// counts whole units: add the whole units this step crossed.
		p.bar.Describe(p.label + " " + what)
		p.bar.Add64(int64(p.done) - int64(before))
	case p.lines != nil:
		if now := time.Now(); now.Sub(p.last) >= progressEvery && p.done < p.total {
			p.last, p.printed = now, true
			fmt.Fprintf(p.lines, "%s: %s\n", p.label, p.status(now, what))
		}
	}
}

// status is "42% after 1m03s, about 1m27s left: WHAT".
func (p *progressBar) status(now time.Time, what string) string {
	elapsed := now.Sub(p.start)
	frac := p.done / p.total
	s := fmt.Sprintf("%.0f%% after %v", 100*frac, elapsed.Round(time.Second))
	if frac > 0 {
		left := time.Duration(float64(elapsed) * (1 - frac) / frac)
		s += fmt.Sprintf(", about %v left", left.Round(time.Second))
	}
	if what != "" {
		s += ": " + what
	}
	return s
}

// Done ends the display: the bar is cleared; a log that was shown progress lines gets a
// last one with the time taken (a job shorter than progressEvery leaves the log clean).
func (p *progressBar) Done() {
	switch {
	case p.bar != nil:
		p.bar.Exit()
		p.bar.Clear()
	case p.lines != nil && p.printed:
		fmt.Fprintf(p.lines, "%s: done in %v\n", p.label, time.Since(p.start).Round(time.Second))
	}
}
