package hurrah

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// runWriters starts four writers on db, each setting, deleting and
// batching over keys of its own until stop is closed, and returns a
// channel that gets a value every 500 writes of writer 0 (dropped if
// nobody takes it) and a wait for the writers to end.
func runWriters(t *testing.T, db *DB, stop <-chan struct{}) (ticks <-chan struct{}, wait func()) {
	t.Helper()
	ctx := context.Background()
	tick := make(chan struct{}, 1)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d/%d", w, i%40)
				var err error
				switch i % 7 {
				case 3:
					_, err = db.Delete(ctx, key)
				case 5:
					var b Batch
					b.SetBytes(key, []byte(fmt.Sprint(i)))
					b.SetBytes(key+"+", []byte(fmt.Sprint(i)))
					err = db.Write(ctx, &b)
				default:
					err = db.SetBytes(ctx, key, []byte(fmt.Sprint(i)))
				}
				if err != nil {
					t.Error(err)
					return
				}
				if w == 0 && i%500 == 499 {
					select {
					case tick <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	return tick, wg.Wait
}

// TestBackupUnderWriters takes backups while four writers go on, and
// checks that each restores to exactly the state the journal replayed up
// to the backup's LSN holds.
func TestBackupUnderWriters(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	// No snapshots: the journal keeps every record from LSN 1.
	db := openT(t, dir, &Options{SnapshotThreshold: -1, Durability: Buffered})
	stop := make(chan struct{})
	ticks, wait := runWriters(t, db, stop)
	backups := map[uint64][]byte{}
	for range 4 {
		<-ticks
		var buf bytes.Buffer
		lsn, err := db.Backup(ctx, &buf)
		require.NoError(t, err)
		backups[lsn] = buf.Bytes()
	}
	close(stop)
	wait()
	require.NoError(t, db.Close())
	require.Len(t, backups, 4, "four backups at four LSNs")

	states := replayStates(t, dir, slices.Collect(maps.Keys(backups)))
	for lsn, b := range backups {
		rdir, rep := restoreT(t, b)
		require.Equal(t, lsn, rep.LSN)
		restored := openT(t, rdir, nil)
		require.Equal(t, states[lsn], storeContents(t, restored), "backup at LSN %d", lsn)
		require.NotEmpty(t, states[lsn])
	}
}

// replayStates replays the journal in dir from LSN 1 into a key-value
// state and returns its contents as they are after each of the LSNs given.
func replayStates(t *testing.T, dir string, at []uint64) map[uint64]map[string]string {
	t.Helper()
	kv := store.NewKV(0)
	states := map[uint64]map[string]string{}
	record := func() {
		img, release, err := kv.Freeze()
		require.NoError(t, err)
		m := map[string]string{}
		for k, v := range img.All {
			m[k] = string(v)
		}
		release()
		states[0] = m
	}
	j, _, err := journal.Open(vfs.OS, dir, journal.Options{}, func(en handoff.Entry) error {
		c, err := store.DecodeCommand(en.Data)
		if err != nil {
			return err
		}
		if _, _, err := kv.Apply(c); err != nil {
			return err
		}
		if slices.Contains(at, en.LSN) {
			record()
			states[en.LSN] = states[0]
		}
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, j.Close())
	for _, lsn := range at {
		require.Contains(t, states, lsn, "the journal reaches LSN %d", lsn)
	}
	return states
}
