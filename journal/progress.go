package journal

import (
	"sync/atomic"

	"github.com/hurrahdb/hurrah/internal/wake"
)

// The journal's progress, for readers outside the actor: the last LSN
// written to a segment (handed to the OS) and the last LSN known to be on
// stable storage, each kept in an atomic by the writer, and a Signal that
// wakes whoever waits for either to advance, or for the journal to fail.
// The change feed reads segments up to WrittenLSN and, in its durable mode,
// delivers nothing beyond SyncedLSN; statistics report both.

// progress is the writer's published progress.
type progress struct {
	written atomic.Uint64 // written by the actor goroutine, read by any: the last LSN written
	synced  atomic.Uint64 // written by the actor goroutine, read by any: the last LSN fsynced
	moved   wake.Signal   // notified by the actor goroutine when either advances or the journal fails
}

// setWritten records that every entry up to lsn is written.
func (p *progress) setWritten(lsn uint64) {
	p.written.Store(lsn)
	p.moved.Notify()
}

// setSynced records that every entry up to lsn is durable.
func (p *progress) setSynced(lsn uint64) {
	if lsn > p.synced.Load() {
		p.synced.Store(lsn)
		p.moved.Notify()
	}
}

// WrittenLSN returns the LSN of the last entry written to a segment (handed
// to the operating system, not necessarily durable); 0 if there is none.
// Every entry up to it can be read from the segments, unless compaction has
// removed it. Right after Open it is the last LSN recovered.
func (j *Journal) WrittenLSN() uint64 { return j.w.prog.written.Load() }

// SyncedLSN returns the LSN of the last entry known to be on stable
// storage: a crash loses no entry up to it. It never passes WrittenLSN.
// Right after Open it is the last LSN recovered.
func (j *Journal) SyncedLSN() uint64 { return j.w.prog.synced.Load() }

// Progress returns a channel that is closed the next time WrittenLSN or
// SyncedLSN advances or the journal fails (Err). To wait for an LSN, call
// Progress first, then check the LSN, then wait on the channel: an advance
// between the check and the wait closes the channel, so none is missed.
func (j *Journal) Progress() <-chan struct{} { return j.w.prog.moved.Wait() }
