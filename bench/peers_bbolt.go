package main

import (
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// boltStore is bbolt with one bucket. Set is one db.Update, or one db.Batch
// (bbolt's group commit) when batch is set.
type boltStore struct {
	db    *bolt.DB
	batch bool
}

var boltBucket = []byte("kv")

func openBolt(dir string, batch bool) (*boltStore, error) {
	db, err := bolt.Open(filepath.Join(dir, "bolt.db"), 0o600, nil)
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(boltBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &boltStore{db: db, batch: batch}, nil
}

func (b *boltStore) Get(k string) ([]byte, error) {
	var v []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		got := tx.Bucket(boltBucket).Get([]byte(k))
		if got == nil {
			return errNotFound
		}
		v = append([]byte(nil), got...) // valid only inside the transaction
		return nil
	})
	return v, err
}

func (b *boltStore) Set(k string, v []byte) error {
	put := func(tx *bolt.Tx) error { return tx.Bucket(boltBucket).Put([]byte(k), v) }
	if b.batch {
		return b.db.Batch(put) // put may run more than once; it is idempotent
	}
	return b.db.Update(put)
}

func (b *boltStore) SetMany(keys []string, vals [][]byte) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(boltBucket)
		for i, k := range keys {
			if err := bk.Put([]byte(k), vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func (b *boltStore) Close() error { return b.db.Close() }

// count iterates over every key and returns how many there are.
func (b *boltStore) count() (int, error) {
	n := 0
	err := b.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(boltBucket).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}
