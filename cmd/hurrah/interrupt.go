package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// isTerminal reports whether f is a terminal: backup and restore refuse to
// write a backup to one, or wait for one to be typed.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// interruptible returns a context that an interrupt (Ctrl-C) or SIGTERM
// ends, for backup and restore: they write files of their own, which they
// remove when interrupted rather than leave half-written. The first signal
// ends the context and gives the default handling back, so a second one
// ends the process at once (if the work is stuck, on a pipe say). stop
// gives it back too and must be called.
func interruptible(ctx context.Context) (_ context.Context, stop context.CancelFunc) {
	ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done() // an interrupt, or stop
		stop()
	}()
	return ctx, stop
}
