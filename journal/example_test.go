package journal_test

import (
	"context"
	"fmt"
	"os"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
)

// synced is a waiter that reports when its entries are on stable storage.
type synced chan error

func (s synced) Done(err error) { s <- err }

// A journal appends the owner's parcels of entries and settles their
// waiters; reopened, it replays every entry in LSN order, showing each run
// of entries to Options.Peek first (a store looks their keys up there, so
// replay finds them in the cache).
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "journal-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	j, _, err := journal.Open(vfs.OS, dir, journal.Options{}, nil)
	if err != nil {
		panic(err)
	}
	done := make(synced, 1)
	parcel := &handoff.Parcel{AfterSync: []handoff.Waiter{done}}
	for lsn := j.NextLSN(); lsn < 71; lsn++ {
		parcel.Entries = append(parcel.Entries, handoff.Entry{LSN: lsn, Data: fmt.Appendf(nil, "set k%d", lsn)})
	}
	if err := j.Append(context.Background(), parcel); err != nil {
		panic(err)
	}
	if err := <-done; err != nil { // the 70 entries are synced
		panic(err)
	}
	if err := j.Close(); err != nil {
		panic(err)
	}

	var runs []int
	var last string
	j, _, err = journal.Open(vfs.OS, dir, journal.Options{
		From: 10, // entries 1 to 10 are in a snapshot, say
		Peek: func(es []handoff.Entry) { runs = append(runs, len(es)) },
	}, func(e handoff.Entry) error {
		last = string(e.Data)
		return nil
	})
	if err != nil {
		panic(err)
	}
	defer j.Close()
	fmt.Println("peeked runs:", runs, "of at most", journal.PeekRun)
	fmt.Println("last replayed:", last, "next LSN:", j.NextLSN())
	// Output:
	// peeked runs: [32 28] of at most 32
	// last replayed: set k70 next LSN: 71
}
