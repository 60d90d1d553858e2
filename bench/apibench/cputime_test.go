//go:build unix

package apibench

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system,
// all threads (the collector's workers too). On a machine shared with
// other jobs it moves far less with their load than the wall clock does.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
