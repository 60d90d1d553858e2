package reliability

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
)

// The child of the kill -9 loop: TestCrashKill re-executes this package's
// test binary, which runs TestHelperProcess in "crash" mode.

// TestHelperProcess is not a test: it is the body of a child process that
// TestCrashKill starts by re-executing the test binary. Without the helper
// environment variable it does nothing.
//
// Mode "crash" opens HURRAH_DIR and writes to it from a few goroutines,
// printing each acknowledgement, until killed (see helperCrash); mode
// "noop" races sets against SetIfAbsent at Synced (see helperNoop).
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process body; runs only when re-executed by another test")
	}
	switch mode {
	case "crash":
		helperCrash(os.Getenv("HURRAH_DIR"))
	case "noop":
		helperNoop(os.Getenv("HURRAH_DIR"))
	default:
		fmt.Println("ERR unknown mode", mode)
	}
	os.Exit(0) // skip the test framework's own output
}

// helperCrash is the child of TestCrashKill: it opens dir with the level
// HURRAH_LEVEL ("written" by default, "synced" or "buffered") and the
// segment size HURRAH_SEGMENT (0 for the default), then crashWriters
// goroutines write, each its own sequence of ops from crashOp for cycle
// HURRAH_CYCLE, until the process is killed (or, should the parent never
// kill it, until the bound has passed). It prints, one line at a time:
//
//	OPENING        just before Open
//	OPEN           once Open returned
//	ACK <w> <j>    once op j of writer w returned nil, before w starts op j+1
//	SYNCING <id>   before a Sync call (Buffered level only, from writer 0)
//	SYNCED <id>    once that Sync returned nil
//	ERR <message>  on any error, and stops
func helperCrash(dir string) {
	var opts hurrah.Options
	switch level := os.Getenv("HURRAH_LEVEL"); level {
	case "", "written":
		opts.Durability = hurrah.Written
	case "synced":
		opts.Durability = hurrah.Synced
	case "buffered":
		opts.Durability = hurrah.Buffered
	default:
		fmt.Println("ERR unknown level", level)
		os.Exit(2)
	}
	var err error
	if s := os.Getenv("HURRAH_SEGMENT"); s != "" {
		if opts.SegmentSize, err = strconv.ParseInt(s, 10, 64); err != nil {
			fmt.Println("ERR HURRAH_SEGMENT:", err)
			os.Exit(2)
		}
	}
	cycle, err := strconv.Atoi(os.Getenv("HURRAH_CYCLE"))
	if err != nil {
		fmt.Println("ERR HURRAH_CYCLE:", err)
		os.Exit(2)
	}
	// os.Stdout is unbuffered: each line is one write to the pipe, so a
	// line the parent reads was printed whole, and the mutex keeps the
	// lines of the writers apart and in the order they were printed.
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	deadline := time.Now().Add(bound) // in case the parent never kills us
	say("OPENING")
	db, err := hurrah.Open(dir, &opts)
	if err != nil {
		say("ERR %v", err)
		os.Exit(2)
	}
	say("OPEN")
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			for j := 0; time.Now().Before(deadline); j++ {
				key, value := crashOp(cycle, w, j)
				if err := hurrah.Set(ctx, db, key, value); err != nil {
					say("ERR %v", err)
					return
				}
				say("ACK %d %d", w, j)
				if opts.Durability == hurrah.Buffered && w == 0 && j%8 == 7 {
					// Bracket a Sync, so the parent knows which
					// acknowledgements it made durable: those printed
					// before SYNCING.
					say("SYNCING %d", j)
					if err := db.Sync(ctx); err != nil {
						say("ERR %v", err)
						return
					}
					say("SYNCED %d", j)
				}
			}
		})
	}
	wg.Wait()
	db.Close()
}

// readLines sends each line of r on the returned channel, which is closed at
// EOF.
func readLines(r io.Reader) <-chan string {
	ch := make(chan string, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}
