package main

import (
	"context"
	"sync"

	"github.com/hurrahdb/hurrah"
)

// hurrahStore is hurrah through its raw-bytes API.
type hurrahStore struct {
	db      *hurrah.DB
	batches sync.Pool
}

var bg = context.Background()

// openHurrah opens hurrah at the given level; MemoryOnly ignores dir.
func openHurrah(dir string, level hurrah.Durability) (store, error) {
	var (
		db  *hurrah.DB
		err error
	)
	if level == hurrah.MemoryOnly {
		db, err = hurrah.Open("", nil)
	} else {
		db, err = hurrah.Open(dir, &hurrah.Options{Durability: level})
	}
	if err != nil {
		return nil, err
	}
	return newHurrahStore(db), nil
}

func newHurrahStore(db *hurrah.DB) *hurrahStore {
	return &hurrahStore{db: db, batches: sync.Pool{New: func() any { return new(hurrah.Batch) }}}
}

func (h *hurrahStore) Get(k string) ([]byte, error) { return h.db.GetBytes(bg, k) }

func (h *hurrahStore) Set(k string, v []byte) error { return h.db.SetBytes(bg, k, v) }

func (h *hurrahStore) Close() error { return h.db.Close() }

func (h *hurrahStore) GetMany(keys []string) ([][]byte, error) {
	return h.db.GetBytesMany(bg, keys)
}

func (h *hurrahStore) SetMany(keys []string, vals [][]byte) error {
	return writeBatch(h.db, &h.batches, keys, vals)
}

// writeBatch writes keys and vals with one db.Write, reusing a pooled Batch.
func writeBatch(db *hurrah.DB, pool *sync.Pool, keys []string, vals [][]byte) error {
	b := pool.Get().(*hurrah.Batch)
	for i, k := range keys {
		b.SetBytes(k, vals[i])
	}
	err := db.Write(bg, b)
	b.Reset()
	pool.Put(b)
	return err
}
