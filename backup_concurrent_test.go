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
	eng := store.NewKVEngine(kv) // never started: it only replays
	j, _, err := journal.Open(vfs.OS, dir, journal.Options{}, func(en handoff.Entry) error {
		if err := eng.Replay(en); err != nil {
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

// TestBackupDuringSnapshots takes backups while four writers each add keys
// of their own in order, one record each, and snapshots and views come
// and go: every backup holds, for each writer, exactly the first n of its
// keys, and as many keys in all as its LSN says records were written.
func TestBackupDuringSnapshots(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), &Options{SnapshotThreshold: 64 << 10})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	tick := make(chan struct{}, 1)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := db.SetBytes(ctx, fmt.Sprintf("w%d/%06d", w, i), []byte(fmt.Sprint(i))); err != nil {
					t.Error(err)
					return
				}
				if w == 0 && i%300 == 299 {
					select {
					case tick <- struct{}{}:
					default:
					}
				}
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.Snapshot(ctx); err != nil {
				t.Error(err)
				return
			}
			v, err := db.View(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			v.Close()
		}
	})
	var backups [][]byte
	for range 4 {
		<-tick
		var buf bytes.Buffer
		_, err := db.Backup(ctx, &buf)
		require.NoError(t, err)
		backups = append(backups, buf.Bytes())
	}
	close(stop)
	wg.Wait()
	require.Positive(t, db.Stats().Snapshots, "snapshots were taken meanwhile")
	for _, b := range backups {
		rdir, rep := restoreT(t, b)
		got := storeContents(t, openT(t, rdir, nil))
		require.Len(t, got, int(rep.LSN), "one key per record")
		for w := range 4 {
			n := 0
			for ; ; n++ {
				v, ok := got[fmt.Sprintf("w%d/%06d", w, n)]
				if !ok {
					break
				}
				require.Equal(t, fmt.Sprint(n), v)
			}
			for k := range got {
				var kw, ki int
				_, err := fmt.Sscanf(k, "w%d/%d", &kw, &ki)
				require.NoError(t, err)
				require.False(t, kw == w && ki >= n, "writer %d: key %d without key %d", w, ki, n)
			}
		}
	}
}
