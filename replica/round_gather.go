package replica

import "time"

// Gathering. Once a round is answered, its callers come back (a client
// that writes in a loop joins again at once), but each needs a core for
// a moment first: the loop, if it took the open round at once, would
// propose it without them, and they would make up the round after,
// so the busy node's writes would split into two halves that take
// turns (about 30 writes per entry with 64 clients). Instead the loop
// waits, at most gatherWait, until the open round holds as many calls as
// were waiting when the last round was answered: those of the open round
// then, and the answered round's own. A call that does not come back
// (its client is done, or busy elsewhere) costs a round gatherWait once;
// a full round (MaxBatchBytes) ends the wait at once, as does Close.
//
// Measured with 64 clients and 3 nodes in one process on a 2-core
// machine (BenchmarkWrites): see the README's "Write throughput against
// the baseline".

// gatherWait bounds how long the loop waits for a round's callers to
// come back: a few times what 64 callers need to rejoin on a busy 2-core
// machine, and small beside a raft round trip over a network.
const gatherWait = 100 * time.Microsecond

// calls returns how many calls the open round holds (none if there is
// no open round).
func (rs *rounds) calls() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.lastCalls()
}

// lastCalls is calls, for a caller holding rs.mu.
func (rs *rounds) lastCalls() int {
	if k := len(rs.open); k > 0 {
		return rs.open[k-1].calls
	}
	return 0
}

// gather waits until the open round holds want calls, or a round after
// it opened (the open one is full), or wait (gatherWait) has passed, or
// the node stops. t is the loop's timer, stopped.
func (n *node) gather(want int, t *time.Timer, wait time.Duration) {
	rs := &n.rounds
	rs.mu.Lock()
	if rs.lastCalls() >= want || len(rs.open) > 1 {
		rs.mu.Unlock()
		return
	}
	rs.want = want
	rs.mu.Unlock()
	t.Reset(wait)
	select {
	case <-rs.full:
	case <-t.C:
	case <-n.stop:
	}
	if !t.Stop() { // a tick left in t.C, as a main module at go 1.22 or before keeps, ends the next wait at once
		select {
		case <-t.C:
		default:
		}
	}
	rs.mu.Lock()
	rs.want = 0
	rs.mu.Unlock()
	select { // a signal sent as the wait ended is stale
	case <-rs.full:
	default:
	}
}

// joined tells a gathering loop that a call joined round r, opened it
// or not. The caller holds rs.mu.
func (rs *rounds) joined(r *round, opened bool) {
	r.calls++
	if rs.want == 0 || (r.calls < rs.want && !(opened && len(rs.open) > 1)) {
		return
	}
	rs.want = 0
	select {
	case rs.full <- struct{}{}:
	default:
	}
}
