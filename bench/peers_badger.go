package main

import (
	"errors"

	badger "github.com/dgraph-io/badger/v4"
)

// badgerStore is badger v4 with its default options, logging off, and
// SyncWrites as asked.
type badgerStore struct{ db *badger.DB }

func openBadger(dir string, syncWrites bool) (*badgerStore, error) {
	db, err := badger.Open(badger.DefaultOptions(dir).WithSyncWrites(syncWrites).WithLogger(nil))
	if err != nil {
		return nil, err
	}
	return &badgerStore{db: db}, nil
}

func (b *badgerStore) Get(k string) ([]byte, error) {
	var v []byte
	err := b.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(k))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, errNotFound
	}
	return v, err
}

func (b *badgerStore) Set(k string, v []byte) error {
	// badger may hold on to v until the commit is done; a copy keeps the
	// caller free to reuse its buffer whatever badger does with it.
	c := append([]byte(nil), v...)
	return b.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(k), c) })
}

func (b *badgerStore) SetMany(keys []string, vals [][]byte) error {
	wb := b.db.NewWriteBatch()
	defer wb.Cancel()
	for i, k := range keys {
		if err := wb.Set([]byte(k), append([]byte(nil), vals[i]...)); err != nil {
			return err
		}
	}
	return wb.Flush()
}

func (b *badgerStore) Close() error { return b.db.Close() }

// count iterates over every key and returns how many there are.
func (b *badgerStore) count() (int, error) {
	n := 0
	err := b.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n, err
}
