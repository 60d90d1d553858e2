package main

import (
	"errors"
	"path/filepath"

	"github.com/tidwall/buntdb"
)

// buntStore is buntdb: one Update per Set, one View per Get. buntdb keeps
// strings, so both directions copy.
type buntStore struct{ db *buntdb.DB }

// openBunt opens buntdb in dir with the given sync policy, or in memory
// when mem is set.
func openBunt(dir string, policy buntdb.SyncPolicy, mem bool) (*buntStore, error) {
	path := filepath.Join(dir, "bunt.db")
	if mem {
		path = ":memory:"
	}
	db, err := buntdb.Open(path)
	if err != nil {
		return nil, err
	}
	var cfg buntdb.Config
	if err := db.ReadConfig(&cfg); err != nil {
		db.Close()
		return nil, err
	}
	cfg.SyncPolicy = policy
	if err := db.SetConfig(cfg); err != nil {
		db.Close()
		return nil, err
	}
	return &buntStore{db: db}, nil
}

func (b *buntStore) Get(k string) ([]byte, error) {
	var v []byte
	err := b.db.View(func(tx *buntdb.Tx) error {
		s, err := tx.Get(k)
		if err != nil {
			return err
		}
		v = []byte(s)
		return nil
	})
	if errors.Is(err, buntdb.ErrNotFound) {
		return nil, errNotFound
	}
	return v, err
}

func (b *buntStore) Set(k string, v []byte) error {
	return b.db.Update(func(tx *buntdb.Tx) error {
		_, _, err := tx.Set(k, string(v), nil)
		return err
	})
}

func (b *buntStore) SetMany(keys []string, vals [][]byte) error {
	return b.db.Update(func(tx *buntdb.Tx) error {
		for i, k := range keys {
			if _, _, err := tx.Set(k, string(vals[i]), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *buntStore) Close() error { return b.db.Close() }
