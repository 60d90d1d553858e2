package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// The kill -9 loop for answers that changed nothing.
//
// At Synced, a SetIfAbsent that finds its key present writes nothing, but
// reports what it read; the README promises that such an answer waits
// until the state it read is durable. TestCrashKillNoop starts a child
// ("noop" mode) in which, for key after key, one goroutine sets the key
// while another races it with SetIfAbsent; the child prints PRESENT for
// every SetIfAbsent that found the key already there. The parent kills the
// child at a random moment and checks, after a reopen, that every key
// reported present is there. Before the fix, "present" could come from a
// set that the journal had not yet written, which the kill then lost: with
// the fix taken out, this test failed in the first or second cycle of each
// of three long runs. The mechanism itself is pinned by store's
// TestEngineNoopWaitsForSync.

// noopPairs is how many racing pairs of goroutines the "noop" child runs.
const noopPairs = 4

// noopKey is the key pair p races on in its i-th round of cycle c.
func noopKey(c, p, i int) string { return fmt.Sprintf("n%d-%d-%d", c, p, i) }

// helperNoop is the child of TestCrashKillNoop: it opens dir at Synced and
// runs noopPairs pairs of racing goroutines until killed (or until the
// bound), printing OPEN once open and "PRESENT <pair> <round>" for each
// SetIfAbsent that found its key present.
func helperNoop(dir string) {
	cycle, err := strconv.Atoi(os.Getenv("HURRAH_CYCLE"))
	if err != nil {
		fmt.Println("ERR HURRAH_CYCLE:", err)
		os.Exit(2)
	}
	db, err := hurrah.Open(dir, &hurrah.Options{Durability: hurrah.Synced})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	var mu sync.Mutex // one line, one write
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	say("OPEN")
	ctx := context.Background()
	deadline := time.Now().Add(bound)
	var wg sync.WaitGroup
	for p := range noopPairs {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				key := noopKey(cycle, p, i)
				set := make(chan error, 1)
				go func() { set <- db.SetBytes(ctx, key, []byte("set")) }()
				runtime.Gosched() // most often, let the set reach the owner first
				stored, err := db.SetBytesIfAbsent(ctx, key, []byte("if-absent"))
				if err == nil && !stored {
					say("PRESENT %d %d", p, i)
				}
				if err == nil {
					err = <-set
				}
				if err != nil {
					say("ERR %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	db.Close()
}

// TestCrashKillNoop runs the kill loop described above: 10 cycles, 200
// with HURRAH_LONG=1.
func TestCrashKillNoop(t *testing.T) {
	cycles := 10
	if harnessLong() {
		cycles = 200
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	dir := newDir(t)
	checked := 0
	for cycle := range cycles {
		present := runNoopChild(t, dir, cycle, time.Duration(rng.IntN(100_000))*time.Microsecond)
		db, err := hurrah.Open(dir, nil)
		require.NoError(t, err, "cycle %d", cycle)
		for _, key := range present {
			_, err := db.GetBytes(t.Context(), key)
			require.NoError(t, err, "cycle %d: SetIfAbsent reported %s present at Synced, and the kill lost it", cycle, key)
		}
		checked += len(present)
		require.NoError(t, db.Close())
	}
	t.Logf("figure: kill -9 of no-op answers: %d cycles, %d \"present\" answers checked, 0 lost", cycles, checked)
}

// runNoopChild starts a "noop" child on dir, lets it run for about d after
// it opened, kills it with SIGKILL and returns the keys it reported
// present.
func runNoopChild(t *testing.T, dir string, cycle int, d time.Duration) []string {
	t.Helper()
	cmd := helperCmd(t.Context(), "noop", "HURRAH_DIR="+dir, "HURRAH_CYCLE="+strconv.Itoa(cycle))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := readLines(out)
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
		}
		for range lines { // drain, so the reader goroutine ends
		}
		cmd.Wait()
	}()
	var present []string
	record := func(line string) {
		var p, i int
		switch {
		case line == "OPEN":
		case strings.HasPrefix(line, "PRESENT "):
			_, err := fmt.Sscanf(line, "PRESENT %d %d", &p, &i)
			require.NoError(t, err, "child said %q", line)
			present = append(present, noopKey(cycle, p, i))
		default:
			t.Fatalf("cycle %d: child said %q", cycle, line)
		}
	}
	line, ok := <-lines
	require.True(t, ok, "cycle %d: the child ended before it opened", cycle)
	record(line)
	require.Equal(t, "OPEN", line, "cycle %d", cycle)
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "cycle %d: the child ended before it was killed", cycle)
			record(line)
		case <-timer.C:
			require.NoError(t, cmd.Process.Kill())
			killed = true
			// Lines already in the pipe were printed before the kill,
			// so their answers were given: they count too.
			for line := range lines {
				record(line)
			}
			return present
		}
	}
}
