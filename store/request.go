package store

import "sync/atomic"

type kind uint8

const (
	kindUpdate kind = iota + 1
	kindQuery
	kindSync
	kindExec      // run exec, journal what it returns
	kindRead      // run read
	kindSnapshot  // save a snapshot
	kindSnapDone  // a save ended (sent by the engine itself)
	kindNudge     // wake the owner to fold (sent by the owner itself)
	kindIndexDone // install an index built in the background (read)
)

// Request states. A caller that gives up moves a pending request to
// withdrawn; the owner moves it to taken before acting on it. Whoever wins
// decides whether the request runs. A fixed request, whose caller cannot
// give up, skips this: the owner runs it without moving it.
const (
	pending uint32 = iota
	taken
	withdrawn
)

// request is one message to the owner goroutine. It doubles as the
// handoff.Waiter the journal settles, so a write needs no allocation beyond
// its pooled request.
type request[C, Q, R any] struct {
	kind  kind
	level Level
	cmd   C
	data  []byte // encoded cmd, journaled as is
	query Q
	exec  func() ([]byte, error)
	read  func()
	snap  *snapDone[C, Q, R]

	result R // written by the owner before it replies
	// fixed says the caller cannot withdraw the request (its context
	// never ends), so the owner need not settle the race with state.
	fixed bool
	state atomic.Uint32
	reply chan error // buffered to one: the owner never blocks on it
}

// Done settles the request; it implements handoff.Waiter.
func (r *request[C, Q, R]) Done(err error) { r.reply <- err }

// reset clears the request for reuse.
func (r *request[C, Q, R]) reset() {
	var c C
	var q Q
	var res R
	r.cmd, r.query, r.result, r.data = c, q, res, nil
	r.exec, r.read, r.snap = nil, nil, nil
	r.fixed = false
	r.state.Store(pending)
}
