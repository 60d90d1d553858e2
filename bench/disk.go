package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/tidwall/buntdb"
)

const (
	diskKeys   = 100_000 // keys overwritten in the disk figure
	diskRounds = 10      // times each key is written
)

// dirBytes returns the total size of the regular files under dir.
func dirBytes(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		total += fi.Size()
		return nil
	})
	return total, err
}

// overwrite writes diskKeys keys diskRounds times to the store that open
// returns, in batches of 1000, runs before on it, closes it, and returns
// the bytes left in its directory over the live data.
func overwrite(cfg *config, name string, open func(dir string) (store, error), before func(store) error) (float64, error) {
	dir, err := os.MkdirTemp(cfg.tmp, "disk-"+name+"-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	s, err := open(dir)
	if err != nil {
		return 0, err
	}
	for r := range diskRounds {
		if err := fill(s.(batchSetter), diskKeys, 1000, r); err != nil {
			s.Close()
			return 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := checkGet(s, key(diskKeys-1)); err != nil {
		s.Close()
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if before != nil {
		if err := before(s); err != nil {
			s.Close()
			return 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := s.Close(); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	n, err := dirBytes(dir)
	return float64(n) / float64(diskKeys*recordSize), err
}

// runDisk measures the disk used after overwriting 100k keys 10 times, as
// a multiple of the live data.
func runDisk(cfg *config, emit func(figure)) error {
	defaults, err := overwrite(cfg, "hurrah", func(dir string) (store, error) {
		return openHurrah(dir, hurrah.Written)
	}, nil)
	if err != nil {
		return err
	}
	keep1, err := overwrite(cfg, "hurrah-keep1", func(dir string) (store, error) {
		db, err := hurrah.Open(dir, &hurrah.Options{KeepSnapshots: 1})
		if err != nil {
			return nil, err
		}
		return newHurrahStore(db), nil
	}, func(s store) error { return s.(*hurrahStore).db.Snapshot(bg) })
	if err != nil {
		return err
	}
	bunt, err := overwrite(cfg, "buntdb", func(dir string) (store, error) {
		return openBunt(dir, buntdb.EverySecond, false)
	}, func(s store) error { return shrinkBunt(s.(*buntStore).db) })
	if err != nil {
		return err
	}
	bolt, err := overwrite(cfg, "bbolt", func(dir string) (store, error) { return openBolt(dir, false) }, nil)
	if err != nil {
		return err
	}
	badger, err := overwrite(cfg, "badger", func(dir string) (store, error) { return openBadger(dir, false) }, nil)
	if err != nil {
		return err
	}
	peers := []entry{{"buntdb", bunt}, {"bbolt", bolt}, {"badger", badger}}
	const target = "≤2× live data (lower is better; ratio=hurrah÷peer)"
	const how = "; writes in Batches of 1000; buntdb after an explicit Shrink, bbolt and badger after Close"
	for _, f := range []figure{
		{name: "disk/defaults", hurrah: defaults, note: "hurrah with default options, after Close" + how},
		{name: "disk/keep1+snapshot", hurrah: keep1, note: "hurrah with KeepSnapshots 1, after a final Snapshot and Close" + how},
	} {
		f.unit, f.lower, f.peers = "×live", true, peers
		f.target, f.met = target, yesNo(f.hurrah <= 2)
		emit(f)
	}
	return nil
}

// shrinkBunt runs buntdb's Shrink. buntdb also shrinks on its own in the
// background, and an explicit Shrink that meets one running fails with
// ErrShrinkInProcess: it then waits for that one to end and tries again,
// for up to a minute.
func shrinkBunt(db *buntdb.DB) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := db.Shrink()
		if !errors.Is(err, buntdb.ErrShrinkInProcess) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}
