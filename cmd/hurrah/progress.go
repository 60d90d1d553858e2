package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// activity shows long work on standard error while it runs, if that is a
// terminal: a bar when the amount of work is known, a spinner with the
// time spent when not. A nil *activity shows nothing, so callers need not
// ask whether there is a terminal.
type activity struct {
	bar *progressbar.ProgressBar
}

// spinner starts showing desc with a spinner, on a terminal.
func (inv *invocation) spinner(desc string) *activity {
	return inv.progress(desc, -1)
}

// working starts a spinner for work on the store in dir, described by
// verb ("checking") and the size of the directory, on a terminal. The
// store does not say how far its replay has gone, so the spinner shows
// only the time spent.
func (inv *invocation) working(verb, dir string) *activity {
	if !inv.tty {
		return nil
	}
	desc := verb + " " + dir
	if _, size, err := diskUsage(dir); err == nil {
		desc += " (" + sizeText(size) + " on disk)"
	}
	return inv.spinner(desc)
}

// progress starts a bar for total units of work (-1: unknown, a spinner)
// described by desc, on a terminal.
func (inv *invocation) progress(desc string, total int64) *activity {
	if !inv.tty || inv.stderr == nil {
		return nil
	}
	return &activity{bar: newBar(inv.stderr, desc, total)}
}

// newBar makes the bar activity shows: on w, cleared once finished, so
// that what a command prints next starts on a clean line.
func newBar(w io.Writer, desc string, total int64) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(total > 0),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	}
	if total > 0 {
		opts = append(opts, progressbar.OptionShowCount())
	}
	return progressbar.NewOptions64(total, opts...)
}

// add counts n more units done.
func (a *activity) add(n int64) {
	if a != nil {
		_ = a.bar.Add64(n) // a bar that fails to draw costs nothing but the drawing
	}
}

// done ends the activity and clears its line. (The library's spinner
// goroutine sees the bar finished at its next tick and returns.)
func (a *activity) done() {
	if a != nil {
		_ = a.bar.Finish()
	}
}
