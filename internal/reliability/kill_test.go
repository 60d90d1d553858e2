package reliability

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// The kill -9 loop.
//
// TestCrashKill re-executes the test binary as a child (TestHelperProcess in
// "crash" mode) that opens a directory and writes to it from crashWriters
// goroutines, printing each acknowledgement only after the call returned.
// The parent kills the child with SIGKILL at a moment chosen by a seeded
// RNG: before Open, during Open (recovering what the previous kill left),
// or after a random number of acknowledgements, and then checks what a
// reopen recovers. The directory carries over from cycle to cycle (for
// killEpoch cycles), so each child starts by recovering what the previous
// kill left.
//
// SIGKILL keeps the page cache, so this checks the promise of the Written
// level (and, a fortiori, of Synced): what was handed to the OS survives.
// Power loss is another matter, checked elsewhere with a crashable file
// system.

// crashWriters is how many goroutines of a "crash" helper write at once.
const crashWriters = 4

// crashOp returns op j of writer w in cycle c of the kill loop: the key it
// sets and the value it sets it to. Writer w writes its own keys, w, w+W,
// w+2W... (W = crashWriters), in order; every fourth op instead sets again
// one of the writer's earlier keys (alternately the one it set last and one
// picked by a hash), so that a recovery that reorders or drops writes leaves
// a value the ops before it do not imply. Each value names its writer and op
// and has a length that varies with them, so that frames, and so segment
// rotations, fall at varied offsets.
func crashOp(c, w, j int) (key, value string) {
	k := j - j/4 // keys of w set before op j: its index if op j sets a new one
	if j%4 == 3 {
		if (j/4)%2 == 0 {
			k-- // the key this writer set last
		} else {
			k = int((uint64(j)*2654435761 + uint64(w)) % uint64(k))
		}
	}
	key = "c" + strconv.Itoa(c) + "-" + strconv.Itoa(w+k*crashWriters)
	value = fmt.Sprintf("w%d-op%d-%s", w, j, strings.Repeat("x", (j*37+w*11)%97))
	return key, value
}

// parseCrashValue returns the writer and op that crashOp says wrote v in
// cycle c to key, or ok false if v is not such a value.
func parseCrashValue(c int, key, v string) (w, j int, ok bool) {
	if _, err := fmt.Sscanf(v, "w%d-op%d-", &w, &j); err != nil || w < 0 || w >= crashWriters || j < 0 {
		return 0, 0, false
	}
	k, want := crashOp(c, w, j)
	return w, j, k == key && want == v
}

// killMode says when a cycle of the kill loop kills its child.
type killMode int

const (
	killAtStart killMode = iota // at a random moment between the start of the process and Open
	killInOpen                  // at a random moment around Open: while it recovers, or just after it returned
	killAtAcks                  // after a random number of acknowledgements, plus a random short delay
)

func (m killMode) String() string {
	return [...]string{"at start", "in Open", "at acks"}[m]
}

// killPlan is what a cycle chose before it started its child. Every cycle
// draws the same random numbers, so the plans are a function of the seed
// and of which cycles left a torn tail (the cycle after one is killed in
// Open), whatever the timing does.
type killPlan struct {
	cycle   int
	level   string
	segment int64 // Options.SegmentSize; 0 for the default
	mode    killMode
	acks    int     // killAtAcks: acknowledgements (of all writers) to wait for
	delay   bool    // killAtAcks: then wait a random delay of up to 2ms
	frac    float64 // where in its window (start, Open, delay) the kill lands
}

// ackDelay is how long a kill at acks waits after the planned
// acknowledgements.
func (p killPlan) ackDelay() time.Duration {
	if !p.delay {
		return 0
	}
	return time.Duration(p.frac * float64(2*time.Millisecond)).Round(time.Microsecond)
}

func (p killPlan) String() string {
	s := fmt.Sprintf("cycle %d (%s, segment size %d, kill %s", p.cycle, p.level, p.segment, p.mode)
	switch p.mode {
	case killAtAcks:
		s += fmt.Sprintf(" %d + %v", p.acks, p.ackDelay())
	default:
		s += fmt.Sprintf(", at %.2f of the window", p.frac)
	}
	return s + ")"
}

// crashChild is what the parent learned from one child.
type crashChild struct {
	opening, opened bool                              // the child printed OPENING, OPEN
	startup, open   time.Duration                     // start to OPENING, OPENING to OPEN
	acks            [crashWriters]int                 // acknowledged ops per writer (ops 0..acks[w]-1)
	acksAt          [crashWriters][][crashWriters]int // acksAt[w][j]: acks once the child had printed ACK w j
	synced          [crashWriters]int                 // Buffered: acknowledged ops per writer covered by a Sync that returned
	syncing         map[string][crashWriters]int      // Sync id -> acks when it started
}

// killLoop is the state the kill loop carries from cycle to cycle.
type killLoop struct {
	t      *testing.T
	dir    string // the store's directory, carried over
	tmp    string // scratch: the child's stderr, copies of dir to check
	sample *rand.Rand

	// Timing estimates that place the kill windows, updated as children
	// report.
	startup, open time.Duration

	// What the store must hold: every key recovered so far (all cycles
	// before the current one) and its value, the keys in the order they
	// were added, and the LSN of the last record.
	model   map[string]string
	keys    []string
	lastLSN uint64

	// The figures.
	cycles      int
	acked       int  // acknowledgements seen
	checked     int  // acknowledged writes checked (at Buffered, those a Sync covered)
	lost        int  // of those, not recovered: must stay 0
	maxTail     int  // largest unacknowledged tail recovered in one cycle
	tails       int  // recovered records beyond the acknowledged ones, all cycles
	unwritten   int  // Buffered: most acknowledged writes (not covered by a Sync) that one kill lost
	beforeOpen  int  // kills before Open returned
	inOpen      int  // of those, kills after the child printed OPENING
	torn        int  // reopens that cut a torn tail
	tornLeft    bool // the directory holds a torn tail that no child has cut yet
	tornInOpen  int  // kills while Open recovered a directory with a torn tail
	maxSegments int  // most segment files seen
	snapshots   int  // snapshots taken between cycles
	fromSnap    int  // reopens that restored a snapshot
}

// TestCrashKill is the kill -9 loop described above. For each cycle it
// checks, on a copy of the directory so that the next child recovers the
// original as the kill left it:
//
//   - the reopen succeeds, and everything earlier cycles recovered is there,
//     unchanged (every key, and the values of a sample of them, or of all
//     every eighth cycle);
//   - for each writer, the ops recovered from this cycle are exactly a
//     prefix of its sequence, the keys hold the values that prefix implies
//     (the newest of each key's overwrites), and nothing else of this cycle
//     is there;
//   - the log holds one record per recovered op, no more;
//   - every acknowledged op is in its writer's prefix (at Buffered, every op
//     acknowledged before a Sync that returned), and the prefix goes at most
//     one op beyond the acknowledged ones: the op each writer had in flight;
//   - across writers, no op is there unless every op acknowledged before it
//     started is there too (at every level: the log is applied in order).
//
// The levels rotate across cycles, and half the cycles use the smallest
// segment size so that kills land during segment rotation too. Every
// killSnapEvery cycles, unless a torn tail waits for the next child to cut
// it, the parent snapshots the directory between two children, so that
// children recover from a snapshot and the journal after it, and are
// killed doing so.
//
// By default it runs a few cycles; HURRAH_LONG=1 runs hundreds, and
// HURRAH_KILL_CYCLES=N runs N, in a new directory every killEpoch cycles.
// A run that nears the test deadline stops early and says so. HURRAH_SEED=S repeats the random choices
// of a run (the timing of a kill is never exactly repeatable).
func TestCrashKill(t *testing.T) {
	cycles := 10
	if harnessLong() {
		cycles = 1000
	}
	if s := os.Getenv("HURRAH_KILL_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err, "HURRAH_KILL_CYCLES")
		require.Positive(t, n, "HURRAH_KILL_CYCLES")
		cycles = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("HURRAH_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "HURRAH_SEED")
	}
	t.Logf("seed %d (HURRAH_SEED=%d repeats the choices)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	l := &killLoop{
		t:       t,
		tmp:     t.TempDir(),
		sample:  rand.New(rand.NewPCG(seed, 1)),
		startup: 40 * time.Millisecond,
		open:    5 * time.Millisecond,
	}
	levels := []string{"written", "synced", "buffered"}
	start := time.Now()
	deadline, hasDeadline := t.Deadline()
	for cycle := range cycles {
		if hasDeadline && time.Until(deadline) < 2*bound {
			t.Logf("stopping after %d of %d cycles: the test deadline is near (raise -timeout for more)", cycle, cycles)
			break
		}
		if cycle%killEpoch == 0 {
			l.fresh()
		}
		p := killPlan{cycle: cycle, level: levels[cycle%len(levels)], mode: killAtAcks}
		// Kills at start and in Open come in a fixed pattern, so that even
		// a short run has them, and after a kill that left a torn tail
		// the child is killed in Open, while it may be cutting that
		// tail; everything else is drawn.
		switch {
		case cycle%4 == 1 || l.tornLeft:
			p.mode = killInOpen
		case cycle%8 == 3:
			p.mode = killAtStart
		}
		if rng.IntN(2) == 0 {
			p.segment = hurrah.MinSegmentSize
		}
		p.acks = 1 + rng.IntN(300)
		p.delay = rng.IntN(2) == 0
		p.frac = rng.Float64()
		l.cycle(p)
		if t.Failed() {
			t.Logf("failed in cycle %d of %d; seed %d", cycle, cycles, seed)
			return
		}
	}
	t.Logf("kills before Open returned: %d (%d of them during Open, %d while it recovered a torn tail); "+
		"reopens that cut a torn tail: %d; snapshots taken between cycles: %d; reopens that restored a snapshot: %d; "+
		"most segments: %d; acknowledgements seen: %d; recovered unacknowledged records: %d; "+
		"most acknowledged Buffered writes not covered by a Sync lost to one kill: %d; %v",
		l.beforeOpen, l.inOpen, l.tornInOpen, l.torn, l.snapshots, l.fromSnap, l.maxSegments, l.acked, l.tails, l.unwritten, time.Since(start).Round(time.Millisecond))
	t.Logf("figure: kill -9: %d cycles (%d reopens restored a snapshot), %d acknowledgements seen, %d promised writes checked (at Buffered, those a Sync covered), %d lost, largest unacknowledged tail %d records",
		l.cycles, l.fromSnap, l.acked, l.checked, l.lost, l.maxTail)
}

// killEpoch is how many cycles share a directory. Every child recovers all
// the directory holds, so a long run starts afresh now and then to keep
// each cycle about as quick as the first ones.
const killEpoch = 50

// fresh moves the loop to a new, empty directory.
func (l *killLoop) fresh() {
	if l.dir != "" {
		require.NoError(l.t, os.RemoveAll(l.dir)) // no child is running
	}
	l.dir = filepath.Join(l.tmp, fmt.Sprintf("db%d", l.cycles))
	l.model, l.keys, l.lastLSN, l.tornLeft = map[string]string{}, nil, 0, false
}

// cycle runs one child to its kill and checks what a reopen recovers.
func (l *killLoop) cycle(p killPlan) {
	t := l.t
	t.Helper()
	ch := l.run(p)
	if t.Failed() {
		return
	}
	l.cycles++
	if !ch.opened {
		l.beforeOpen++
		if ch.opening {
			l.inOpen++
			if l.tornLeft {
				l.tornInOpen++
			}
		}
	}
	// Update the estimates that place the kill windows.
	if ch.opening {
		l.startup = (3*l.startup + ch.startup) / 4
	}
	if ch.opened {
		l.open = (3*l.open + ch.open) / 4
	}
	l.check(p, ch)
	if p.cycle%killSnapEvery == killSnapEvery-1 && !l.tornLeft && !t.Failed() {
		l.snapshot()
	}
}

// killSnapEvery is how many cycles of the kill loop go by between two
// snapshots the parent takes.
const killSnapEvery = 3

// snapshot opens the directory itself, which holds no torn tail, checks it
// holds the log the last check recovered, snapshots it (removing the
// segments the snapshot covers and every older snapshot) and closes it.
func (l *killLoop) snapshot() {
	t := l.t
	t.Helper()
	db, err := hurrah.Open(l.dir, &hurrah.Options{KeepSnapshots: 1})
	require.NoError(t, err, "open %s to snapshot it", l.dir)
	defer db.Close()
	rec := db.Recovery()
	require.Nil(t, rec.TornTail, "the directory held a torn tail")
	require.Equal(t, l.lastLSN, rec.LastLSN, "the directory holds another log than its copy did")
	require.NoError(t, db.Snapshot(t.Context()))
	if rec.SnapshotLSN != l.lastLSN { // else the snapshot there holds this state already
		require.Equal(t, l.lastLSN, db.Stats().LastSnapshotLSN)
		l.snapshots++
	}
	require.NoError(t, db.Close())
}

// run starts a child for plan p, kills it as p says, and returns what it
// printed. It returns only once the child is dead and its output read.
func (l *killLoop) run(p killPlan) *crashChild {
	t := l.t
	t.Helper()
	errPath := filepath.Join(l.tmp, "stderr")
	errFile, err := os.Create(errPath)
	require.NoError(t, err)
	defer errFile.Close()

	cmd := helperCmd(t.Context(), "crash", "HURRAH_DIR="+l.dir, "HURRAH_LEVEL="+p.level,
		"HURRAH_SEGMENT="+strconv.FormatInt(p.segment, 10), "HURRAH_CYCLE="+strconv.Itoa(p.cycle))
	cmd.Stderr = errFile // a file: the child writes it directly, and it is read after Wait
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	started := time.Now()
	lines := readLines(out)

	ch := &crashChild{syncing: map[string][crashWriters]int{}}
	var openingAt time.Time
	done := false // the child was reaped
	defer func() {
		if !done { // a failure before the kill: end the child and the reader
			cmd.Process.Kill()
			for range lines {
			}
			cmd.Wait()
		}
	}()
	stderr := func() string {
		b, _ := os.ReadFile(errPath)
		return string(b)
	}
	record := func(line string) {
		f := strings.Fields(line)
		switch {
		case line == "OPENING":
			ch.opening, openingAt = true, time.Now()
			ch.startup = openingAt.Sub(started)
		case line == "OPEN":
			ch.opened = true
			ch.open = time.Since(openingAt)
		case len(f) == 3 && f[0] == "ACK":
			w, err1 := strconv.Atoi(f[1])
			j, err2 := strconv.Atoi(f[2])
			if err1 != nil || err2 != nil || w < 0 || w >= crashWriters || j != ch.acks[w] {
				t.Fatalf("child said %q after acknowledging ops %v", line, ch.acks)
			}
			ch.acks[w]++
			ch.acksAt[w] = append(ch.acksAt[w], ch.acks)
		case len(f) == 2 && f[0] == "SYNCING":
			ch.syncing[f[1]] = ch.acks
		case len(f) == 2 && f[0] == "SYNCED":
			for w, n := range ch.syncing[f[1]] {
				ch.synced[w] = max(ch.synced[w], n)
			}
		default:
			t.Fatalf("child said %q; stderr:\n%s", line, stderr())
		}
	}
	total := func() (n int) {
		for _, a := range ch.acks {
			n += a
		}
		return n
	}

	// The kill timer is armed when the plan's moment comes near: at once
	// for a kill at start, at OPENING for one in Open, after the planned
	// acknowledgements for one at acks.
	var kill <-chan time.Time
	arm := func(d time.Duration) {
		if kill == nil {
			kill = time.After(d)
		}
	}
	if p.mode == killAtStart {
		arm(time.Duration(p.frac * float64(l.startup)))
	}
	timeout := time.NewTimer(bound)
	defer timeout.Stop()
	for killed := false; !killed; {
		select {
		case line, ok := <-lines:
			if !ok {
				done = true
				err := cmd.Wait()
				t.Fatalf("child exited by itself (%v) after acknowledging %v; stderr:\n%s", err, ch.acks, stderr())
			}
			record(line)
			switch {
			case p.mode == killInOpen && line == "OPENING":
				// Around Open: mostly while it runs, sometimes just after.
				arm(time.Duration(p.frac * 1.5 * float64(l.open)))
			case p.mode == killAtAcks && total() >= p.acks:
				arm(p.ackDelay())
			}
		case <-kill:
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
		case <-timeout.C:
			t.Fatalf("no kill before the bound (%v, acknowledged %v); stderr:\n%s", p, ch.acks, stderr())
		}
	}
	// The child printed some lines before the kill landed that are still
	// in the pipe: they count too. The pipe ends when the child is dead.
	for drained := false; !drained; {
		select {
		case line, ok := <-lines:
			if ok {
				record(line)
			}
			drained = !ok
		case <-timeout.C:
			t.Fatalf("the child's output did not end within the bound after the kill")
		}
	}
	done = true
	err = cmd.Wait()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "child ended with %v, not a kill; stderr:\n%s", err, stderr())
	ws, ok := ee.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child status %v; stderr:\n%s", ws, stderr())
	// A race-enabled child reports races on stderr, and would exit with an
	// error only at its end, which never comes.
	require.NotContains(t, stderr(), "DATA RACE", "the child raced")
	return ch
}
