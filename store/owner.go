package store

import (
	"context"

	"github.com/hurrahdb/hurrah/internal/batch"
)

// owner is the actor handler: the only code that touches the machine after
// Start.
type owner[C, Q, R any] struct {
	e *Engine[C, Q, R]
}

// Handle applies a drained batch of requests and hands what changed to the
// sink in one batch.
func (o *owner[C, Q, R]) Handle(reqs []*request[C, Q, R]) {
	e := o.e
	var out *batch.Batch // allocated at the first write or sync, if there is a sink
	var failed error
	if e.sink != nil {
		failed = e.sink.Err()
	}
	journal := func() *batch.Batch {
		if out == nil {
			out = &batch.Batch{}
		}
		return out
	}
	for _, r := range reqs {
		if !r.state.CompareAndSwap(pending, taken) {
			continue // its caller gave up before we got to it
		}
		switch r.kind {
		case kindQuery:
			r.result = e.m.Query(r.query)
			r.reply <- nil
		case kindSync:
			if e.sink == nil {
				r.reply <- nil
			} else {
				b := journal()
				b.AfterSync = append(b.AfterSync, r)
			}
		case kindUpdate:
			if failed != nil {
				r.reply <- failed
				continue
			}
			res, changed, err := e.m.Apply(r.cmd)
			r.result = res
			if err != nil || !changed || e.sink == nil {
				r.reply <- err
				continue
			}
			e.lsn++
			b := journal()
			b.Entries = append(b.Entries, batch.Entry{LSN: e.lsn, Data: r.data})
			switch r.level {
			case AckWritten:
				b.AfterWrite = append(b.AfterWrite, r)
			case AckSynced:
				b.AfterSync = append(b.AfterSync, r)
			default:
				r.reply <- nil
			}
		}
	}
	if out == nil || out.Empty() {
		return
	}
	// The journal closes only after the owner has stopped, so this send
	// waits for room but cannot find the journal gone.
	if err := e.sink.Append(context.Background(), out); err != nil {
		for _, w := range out.AfterWrite {
			w.Done(err)
		}
		for _, w := range out.AfterSync {
			w.Done(err)
		}
	}
}
