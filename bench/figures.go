package main

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/hurrahdb/hurrah"
	"github.com/tidwall/buntdb"
)

// suite is a set of contenders opened together and measured on one
// workload at several goroutine counts, one figure per count. The first
// contender is the one reported as hurrah.
type suite struct {
	name       string // figure names are name/g=N; also the plot's name
	wl         workload
	unit       string
	contenders []contender
	quickGs    []int
	fullGs     []int
	target     func(g int) (string, func(*figure) bool)
	note       string // for RESULTS.md
}

var allGs = []int{1, 8, 64, 256}

// Contenders, each configured as its documentation recommends.
var (
	cHurrahMem     = contender{"hurrah", func(d string) (store, error) { return openHurrah(d, hurrah.MemoryOnly) }}
	cHurrahMemAlt  = contender{"hurrah-memory", func(d string) (store, error) { return openHurrah(d, hurrah.MemoryOnly) }}
	cHurrahWritten = contender{"hurrah", func(d string) (store, error) { return openHurrah(d, hurrah.Written) }}
	cHurrahWrAlt   = contender{"hurrah-written", func(d string) (store, error) { return openHurrah(d, hurrah.Written) }}
	cHurrahSynced  = contender{"hurrah", func(d string) (store, error) { return openHurrah(d, hurrah.Synced) }}
	cBareOwner     = contender{"bare-owner", func(string) (store, error) { return newBareOwner(), nil }}
	cBareOwnerOne  = contender{"bare-owner", func(string) (store, error) { return singleOnly{newBareOwner()}, nil }}
	cBareOwnerMany = contender{"bare-owner-batch", func(string) (store, error) { return newBareOwner(), nil }}
	cBareGroup     = contender{"bare-groupcommit", func(d string) (store, error) { return openBareGroupCommit(d) }}
	cRWMap         = contender{"rwmap", func(string) (store, error) { return newRWMap(), nil }}
	cRWMapOne      = contender{"rwmap", func(string) (store, error) { return singleOnly{newRWMap()}, nil }}
	cRWMapMany     = contender{"rwmap-batch", func(string) (store, error) { return newRWMap(), nil }}
	cSyncMap       = contender{"syncmap", func(string) (store, error) { return new(syncMap), nil }}
	cBunt          = contender{"buntdb", func(d string) (store, error) { return openBunt(d, buntdb.EverySecond, false) }}
	cBuntMem       = contender{"buntdb-mem", func(d string) (store, error) { return openBunt(d, buntdb.EverySecond, true) }}
	cBuntEvery     = contender{"buntdb-everysecond", func(d string) (store, error) { return openBunt(d, buntdb.EverySecond, false) }}
	cBuntNever     = contender{"buntdb-never", func(d string) (store, error) { return openBunt(d, buntdb.Never, false) }}
	cBuntAlways    = contender{"buntdb-always", func(d string) (store, error) { return openBunt(d, buntdb.Always, false) }}
	cBolt          = contender{"bbolt", func(d string) (store, error) { return openBolt(d, false) }}
	cBoltUpdate    = contender{"bbolt-update", func(d string) (store, error) { return openBolt(d, false) }}
	cBoltBatch     = contender{"bbolt-batch", func(d string) (store, error) { return openBolt(d, true) }}
	cBadger        = contender{"badger", func(d string) (store, error) { return openBadger(d, false) }}
	cBadgerNoSync  = contender{"badger-nosync", func(d string) (store, error) { return openBadger(d, false) }}
	cBadgerSync    = contender{"badger-sync", func(d string) (store, error) { return openBadger(d, true) }}
)

// noTarget is the target of a figure the design sets none for.
func noTarget(text string) func(int) (string, func(*figure) bool) {
	return func(int) (string, func(*figure) bool) { return text, nil }
}

// at64 applies a target at 64 goroutines only.
func at64(text string, check func(*figure) bool) func(int) (string, func(*figure) bool) {
	return func(g int) (string, func(*figure) bool) {
		if g != 64 {
			return "none (the target is set at g=64)", nil
		}
		return text, check
	}
}

var suites = []suite{
	{
		name: "get", wl: wGet, unit: "ops/s", quickGs: allGs, fullGs: allGs,
		note:       "buntdb is file-backed (EverySecond); buntdb-mem is \":memory:\"; bbolt and badger copy each value out of a read transaction; hurrah is memory-only",
		contenders: []contender{cHurrahMem, cBareOwner, cRWMap, cSyncMap, cBunt, cBuntMem, cBolt, cBadger},
		target: at64("≥1.5× buntdb; ≥1/1.2 of bare-owner", func(f *figure) bool {
			return f.ratio("buntdb") >= 1.5 && f.ratio("bare-owner") >= 1/1.2
		}),
	},
	{
		name: "set-memory", wl: wSet, unit: "ops/s", quickGs: allGs, fullGs: allGs,
		note:       "every contender in memory; bare-owner copies the value in the caller and stores it in the owner",
		contenders: []contender{cHurrahMem, cBareOwner, cRWMap, cSyncMap, cBuntMem},
		target:     noTarget("none (all in memory)"),
	},
	{
		name: "mixed", wl: wMixed, unit: "ops/s", quickGs: allGs, fullGs: allGs,
		note:       "one Set in ten; hurrah at Written, hurrah-memory memory-only, buntdb EverySecond, badger SyncWrites=false",
		contenders: []contender{cHurrahWritten, cHurrahMemAlt, cBunt, cBadger, cRWMap, cSyncMap, cBareOwner},
		target:     noTarget("none (90% get; hurrah at Written, buntdb EverySecond, badger SyncWrites=false)"),
	},
	{
		name: "set-written", wl: wSet, unit: "ops/s", quickGs: allGs, fullGs: allGs,
		note:       "buntdb EverySecond is its default; buntdb Never and badger SyncWrites=false never wait for a write; hurrah-memory and bare-owner (in memory) show what bounds hurrah: its owner round trip, journal or not",
		contenders: []contender{cHurrahWritten, cBuntEvery, cBuntNever, cBadgerNoSync, cHurrahMemAlt, cBareOwner},
		target: at64("≥5× buntdb-everysecond", func(f *figure) bool {
			return f.ratio("buntdb-everysecond") >= 5
		}),
	},
	{
		name: "set-synced", wl: wSet, unit: "ops/s", quickGs: []int{64}, fullGs: allGs,
		note:       "bbolt-batch is db.Batch, which waits up to MaxBatchDelay (10 ms) for more callers, so it helps only with many goroutines; bare-groupcommit writes raw 116-byte records",
		contenders: []contender{cHurrahSynced, cBuntAlways, cBoltUpdate, cBoltBatch, cBadgerSync, cBareGroup},
		target: at64("≥15× buntdb-always, bbolt-update, badger-sync; ≥0.7× bare-groupcommit", func(f *figure) bool {
			return f.ratio("buntdb-always") >= 15 && f.ratio("bbolt-update") >= 15 &&
				f.ratio("badger-sync") >= 15 && f.ratio("bare-groupcommit") >= 0.7
		}),
	},
	{
		name: "batch-get", wl: wBatchGet, unit: "keys/s", quickGs: []int{8}, fullGs: []int{1, 8, 64},
		note:       "hurrah GetBytesMany (memory-only); rwmap = 100 single-key calls (the target), rwmap-batch = one RLock per batch; bare-owner = 100 requests, bare-owner-batch = one request per batch",
		contenders: []contender{cHurrahMem, cRWMapOne, cRWMapMany, cBareOwnerOne, cBareOwnerMany},
		target:     batchTarget,
	},
	{
		name: "batch-set", wl: wBatchSet, unit: "keys/s", quickGs: []int{8}, fullGs: []int{1, 8, 64},
		note:       "hurrah Batch + Write (memory-only), hurrah-written the same at Written; rwmap = 100 single-key calls (the target), rwmap-batch = one Lock per batch; bare-owner = 100 requests, bare-owner-batch = one request per batch",
		contenders: []contender{cHurrahMem, cHurrahWrAlt, cRWMapOne, cRWMapMany, cBareOwnerOne, cBareOwnerMany},
		target:     batchTarget,
	},
}

// batchTarget: per key, a batch call beats single-key calls on an
// RWMutex-guarded map.
func batchTarget(int) (string, func(*figure) bool) {
	return "≥1× rwmap (single-key ops), per key", func(f *figure) bool { return f.ratio("rwmap") >= 1 }
}

// figureName names the figure of s at g goroutines.
func (s *suite) figureName(g int) string { return fmt.Sprintf("%s/g=%d", s.name, g) }

// run opens every contender of s, preloads them, measures each goroutine
// count whose figure cfg selects, and closes them again.
func (s *suite) run(cfg *config, emit func(figure)) (err error) {
	gs := s.quickGs
	if !cfg.quick {
		gs = s.fullGs
	}
	gs = slices.DeleteFunc(slices.Clone(gs), func(g int) bool { return !cfg.selected(s.figureName(g)) })
	if len(gs) == 0 {
		return nil
	}
	var (
		cs   []opened
		dirs []string
	)
	defer func() {
		for _, c := range cs {
			if cerr := c.s.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("close %s: %w", c.name, cerr))
			}
		}
		for _, d := range dirs {
			err = errors.Join(err, os.RemoveAll(d))
		}
	}()
	for _, c := range s.contenders {
		dir, err := os.MkdirTemp(cfg.tmp, c.name+"-")
		if err != nil {
			return err
		}
		dirs = append(dirs, dir)
		st, err := c.open(dir)
		if err != nil {
			return fmt.Errorf("open %s: %w", c.name, err)
		}
		cs = append(cs, opened{c.name, st})
		if err := preload(st, cfg.keys); err != nil {
			return fmt.Errorf("preload %s: %w", c.name, err)
		}
	}
	for _, g := range gs {
		meds, err := interleave(cfg, cs, s.wl, g, cfg.keys)
		if err != nil {
			return fmt.Errorf("%s: %w", s.figureName(g), err)
		}
		f := figure{name: s.figureName(g), unit: s.unit, hurrah: meds[0], workers: g, group: s.name, note: s.note}
		for i := 1; i < len(cs); i++ {
			f.peers = append(f.peers, entry{cs[i].name, meds[i]})
		}
		text, check := s.target(g)
		f.target, f.met = text, "n/a"
		if check != nil {
			f.met = yesNo(check(&f))
		}
		emit(f)
	}
	return nil
}
