package hurrah

import (
	"runtime/debug"
	"sync"
)

// replayGCPercent is the collector's GOGC while Open restores a snapshot
// and replays the journal.
//
// Why: a replay allocates almost nothing but the keys and values it keeps,
// so the heap only grows, and at the default GOGC of 100 the collector runs
// every time it doubles, marking the whole live store each time; on two
// cores that marking took about a third of a 4M-key Open (pprof). At 400 it
// runs about a third as often while the heap grows (a cycle per 5× instead
// of per 2×), and, since there is little garbage to find, the heap peaks
// hardly higher than the store itself. A memory limit (GOMEMLIMIT or
// debug.SetMemoryLimit) still bounds the heap: the collector honours it
// whatever GOGC says. The figures are in the README's "Restart" paragraph.
const replayGCPercent = 400

// replayGC is the process's collector setting shared by every Open
// replaying now: the first raises GOGC, the last puts back what it found.
var replayGC = gcRelaxer{set: debug.SetGCPercent}

// gcRelaxer raises GOGC to at least a given percent while one or more
// callers hold it. GOGC is the whole process's, so concurrent Opens count
// themselves in and out rather than each saving and restoring it (two of
// them doing that could leave the raised value behind).
type gcRelaxer struct {
	mu   sync.Mutex
	set  func(percent int) int // debug.SetGCPercent, or a test's fake
	n    int                   // holders now
	prev int                   // the percent the first holder found
}

// relax raises GOGC to percent unless the collector is already off or set
// higher, and returns the function that ends this hold; the last hold to
// end restores the percent the first found.
func (g *gcRelaxer) relax(percent int) (done func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == 0 {
		g.prev = g.set(percent)
		if g.prev < 0 || g.prev >= percent {
			g.set(g.prev) // off or already higher: leave it be
		}
	}
	g.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.n--; g.n == 0 {
				g.set(g.prev)
			}
		})
	}
}
