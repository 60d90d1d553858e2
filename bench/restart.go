package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/tidwall/buntdb"
	bolt "go.etcd.io/bbolt"
)

// restartTail is the number of writes after the snapshot in the
// snapshot restart.
const restartTail = 10_000

// fill writes keys 0..n-1 to s in chunks of chunk keys through SetMany,
// with values that differ by round.
func fill(s batchSetter, n, chunk, round int) error {
	keys := make([]string, 0, chunk)
	vals := make([][]byte, 0, chunk)
	for lo := 0; lo < n; lo += chunk {
		keys, vals = keys[:0], vals[:0]
		for i := lo; i < min(lo+chunk, n); i++ {
			keys = append(keys, key(i))
			vals = append(vals, value(i+round))
		}
		if err := s.SetMany(keys, vals); err != nil {
			return err
		}
	}
	return nil
}

// timed runs f after a GC and returns how long it took.
func timed(f func() error) (time.Duration, error) {
	runtime.GC()
	t0 := time.Now()
	err := f()
	return time.Since(t0), err
}

// medianOf runs f n times and returns the median of the durations it
// reports.
func medianOf(n int, f func() (time.Duration, error)) (time.Duration, error) {
	var ds []float64
	for range n {
		d, err := f()
		if err != nil {
			return 0, err
		}
		ds = append(ds, float64(d))
	}
	return time.Duration(median(ds)), nil
}

// runRestart measures the time until every one of cfg.restartKeys keys is
// readable again after a restart, as records per second.
func runRestart(cfg *config, emit func(figure)) error {
	n := cfg.restartKeys
	r, err := restartHurrah(cfg, n)
	if err != nil {
		return err
	}
	var peers []entry
	for _, p := range []struct {
		name string
		f    func(*config, int) (time.Duration, error)
	}{{"buntdb", restartBunt}, {"bbolt", restartBolt}, {"badger", restartBadger}} {
		d, err := p.f(cfg, n)
		if err != nil {
			return fmt.Errorf("restart %s: %w", p.name, err)
		}
		peers = append(peers, entry{p.name, float64(n) / d.Seconds()})
	}
	size := ""
	if n != 1_000_000 {
		size = fmt.Sprintf(" [%d keys]", n)
	}
	f := figure{name: "restart/journal", unit: "records/s", hurrah: r.journal,
		peers:  append([]entry{{"hurrah-journal-batched", r.batched}}, peers...),
		target: "≥1e6 records/s from the journal" + size, met: yesNo(r.journal >= 1e6),
		note: "hurrah: one journal record per key (SetBytes from 64 goroutines at Written), automatic snapshots off; " +
			"hurrah-journal-batched: the same keys written with Batch writes of 1000 keys, so 1000 keys per record (its rate counts keys); " +
			"peers: time until every key is readable (buntdb loads its file; bbolt and badger open and iterate every key)"}
	emit(f)
	f = figure{name: "restart/snapshot", unit: "records/s", hurrah: r.snapshot,
		peers:  append([]entry{{"hurrah-journal", r.journal}, {"hurrah-journal-batched", r.batched}}, peers...),
		target: "≥1.5× hurrah-journal" + size, note: fmt.Sprintf("hurrah: a snapshot of %d keys plus %d journal records", n, restartTail)}
	f.met = yesNo(f.ratio("hurrah-journal") >= 1.5)
	emit(f)
	return nil
}

// restartRates are hurrah's restart rates, in keys per second.
type restartRates struct {
	journal  float64 // from a journal of one record per key
	batched  float64 // from a journal of 1000 keys per record
	snapshot float64 // from a snapshot plus restartTail records
}

// restartHurrah measures hurrah's restarts of n keys: from a journal of one
// record per key; from a journal written in batches of 1000; and from a
// snapshot of the first store plus restartTail more records.
func restartHurrah(cfg *config, n int) (restartRates, error) {
	var r restartRates
	opts := &hurrah.Options{Durability: hurrah.Written, SnapshotThreshold: -1}
	batchedDir, err := os.MkdirTemp(cfg.tmp, "restart-hurrah-batched-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(batchedDir)
	if err := withHurrah(batchedDir, opts, func(db *hurrah.DB) error { return fill(newHurrahStore(db), n, 1000, 0) }); err != nil {
		return r, err
	}
	if r.batched, err = reopenRate(cfg, batchedDir, opts, n); err != nil {
		return r, err
	}
	dir, err := os.MkdirTemp(cfg.tmp, "restart-hurrah-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	if err := withHurrah(dir, opts, func(db *hurrah.DB) error { return fillSingly(db, n) }); err != nil {
		return r, err
	}
	if r.journal, err = reopenRate(cfg, dir, opts, n); err != nil {
		return r, err
	}
	err = withHurrah(dir, opts, func(db *hurrah.DB) error {
		if err := db.Snapshot(bg); err != nil {
			return err
		}
		for i := range restartTail {
			if err := db.SetBytes(bg, key(i*(n/restartTail)), value(i+1)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	var records uint64
	d, err := medianOf(cfg.restartRuns, func() (time.Duration, error) {
		var db *hurrah.DB
		d, err := timed(func() (err error) { db, err = hurrah.Open(dir, opts); return err })
		if err != nil {
			return 0, err
		}
		rec := db.Recovery()
		if rec.Snapshot == "" || rec.SnapshotKeys != n {
			db.Close()
			return 0, fmt.Errorf("hurrah snapshot restart: restored %q with %d keys, want %d", rec.Snapshot, rec.SnapshotKeys, n)
		}
		records = uint64(rec.SnapshotKeys) + rec.Records
		return d, db.Close()
	})
	if err != nil {
		return r, err
	}
	r.snapshot = float64(records) / d.Seconds()
	return r, nil
}

// withHurrah opens the store in dir, runs f on it and closes it.
func withHurrah(dir string, opts *hurrah.Options, f func(*hurrah.DB) error) error {
	db, err := hurrah.Open(dir, opts)
	if err != nil {
		return err
	}
	return errors.Join(f(db), db.Close())
}

// fillSingly writes keys 0..n-1 to db one SetBytes each, from 64
// goroutines, so the journal holds one record per key.
func fillSingly(db *hurrah.DB, n int) error {
	const writers = 64
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				if err := db.SetBytes(bg, key(i), value(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// reopenRate times Open of the store in dir, which must hold n keys, and
// returns the median rate in keys per second.
func reopenRate(cfg *config, dir string, opts *hurrah.Options, n int) (float64, error) {
	d, err := medianOf(cfg.restartRuns, func() (time.Duration, error) {
		var db *hurrah.DB
		d, err := timed(func() (err error) { db, err = hurrah.Open(dir, opts); return err })
		if err != nil {
			return 0, err
		}
		if got, err := db.Len(bg); err != nil || got != n {
			db.Close()
			return 0, fmt.Errorf("hurrah journal restart: %d keys (%v), want %d", got, err, n)
		}
		return d, db.Close()
	})
	if err != nil {
		return 0, err
	}
	return float64(n) / d.Seconds(), nil
}

// restartBunt times buntdb's Open, which loads its whole file.
func restartBunt(cfg *config, n int) (time.Duration, error) {
	return restartPeer(cfg, n, "buntdb", 1000,
		func(dir string) (fillCloser, error) { return openBunt(dir, buntdb.EverySecond, false) },
		func(dir string) (io.Closer, int, error) {
			db, err := buntdb.Open(filepath.Join(dir, "bunt.db"))
			if err != nil {
				return nil, 0, err
			}
			var got int
			err = db.View(func(tx *buntdb.Tx) (err error) { got, err = tx.Len(); return err })
			return db, got, err
		})
}

// restartBolt times bbolt's Open and a scan over every key.
func restartBolt(cfg *config, n int) (time.Duration, error) {
	return restartPeer(cfg, n, "bbolt", 10_000,
		func(dir string) (fillCloser, error) { return openBolt(dir, false) },
		func(dir string) (io.Closer, int, error) {
			db, err := bolt.Open(filepath.Join(dir, "bolt.db"), 0o600, nil)
			if err != nil {
				return nil, 0, err
			}
			got, err := (&boltStore{db: db}).count()
			return db, got, err
		})
}

// restartBadger times badger's Open and an iteration over every key.
func restartBadger(cfg *config, n int) (time.Duration, error) {
	return restartPeer(cfg, n, "badger", 10_000,
		func(dir string) (fillCloser, error) { return openBadger(dir, false) },
		func(dir string) (io.Closer, int, error) {
			b, err := openBadger(dir, false)
			if err != nil {
				return nil, 0, err
			}
			got, err := b.count()
			return b, got, err
		})
}

// fillCloser is a store that takes batches of sets.
type fillCloser interface {
	batchSetter
	io.Closer
}

// restartPeer fills a new store made by create with n keys, chunk keys per
// write, closes it, and times reopen, which opens it again and counts its
// keys, cfg.restartRuns times; it returns the median.
func restartPeer(cfg *config, n int, name string, chunk int,
	create func(dir string) (fillCloser, error),
	reopen func(dir string) (io.Closer, int, error),
) (time.Duration, error) {
	dir, err := os.MkdirTemp(cfg.tmp, "restart-"+name+"-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	s, err := create(dir)
	if err != nil {
		return 0, err
	}
	if err := errors.Join(fill(s, n, chunk, 0), s.Close()); err != nil {
		return 0, err
	}
	return medianOf(cfg.restartRuns, func() (time.Duration, error) {
		var db io.Closer
		var got int
		d, err := timed(func() (err error) {
			db, got, err = reopen(dir)
			return err
		})
		if db != nil {
			err = errors.Join(err, db.Close())
		}
		if err == nil && got != n {
			err = fmt.Errorf("%d keys after reopen, want %d", got, n)
		}
		return d, err
	})
}
