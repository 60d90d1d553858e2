package main

import "sync"

// rwMap is a map behind a sync.RWMutex; its batch methods take the lock
// once per batch.
type rwMap struct {
	mu sync.RWMutex
	m  map[string][]byte
}

func newRWMap() *rwMap { return &rwMap{m: make(map[string][]byte)} }

func (r *rwMap) Get(k string) ([]byte, error) {
	r.mu.RLock()
	v, ok := r.m[k]
	r.mu.RUnlock()
	if !ok {
		return nil, errNotFound
	}
	// Stored slices are never changed in place, so the copy is made
	// outside the lock.
	return append([]byte(nil), v...), nil
}

func (r *rwMap) Set(k string, v []byte) error {
	c := append([]byte(nil), v...)
	r.mu.Lock()
	r.m[k] = c
	r.mu.Unlock()
	return nil
}

func (r *rwMap) Close() error { return nil }

func (r *rwMap) GetMany(keys []string) ([][]byte, error) {
	vals := make([][]byte, len(keys))
	r.mu.RLock()
	for i, k := range keys {
		vals[i] = r.m[k]
	}
	r.mu.RUnlock()
	return copyAll(vals), nil
}

func (r *rwMap) SetMany(keys []string, vals [][]byte) error {
	cs := copyAll(vals)
	r.mu.Lock()
	for i, k := range keys {
		r.m[k] = cs[i]
	}
	r.mu.Unlock()
	return nil
}

// copyAll returns copies of vals in one allocation, keeping nil entries nil.
func copyAll(vals [][]byte) [][]byte {
	n := 0
	for _, v := range vals {
		n += len(v)
	}
	// The same copy as hurrah's GetBytesMany makes, so that the
	// comparison is like for like.
	buf := make([]byte, 0, n)
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if v == nil {
			continue
		}
		s := len(buf)
		buf = append(buf, v...)
		out[i] = buf[s:len(buf):len(buf)]
	}
	return out
}

// syncMap is a sync.Map of string to []byte.
type syncMap struct{ m sync.Map }

func (s *syncMap) Get(k string) ([]byte, error) {
	v, ok := s.m.Load(k)
	if !ok {
		return nil, errNotFound
	}
	return append([]byte(nil), v.([]byte)...), nil
}

func (s *syncMap) Set(k string, v []byte) error {
	s.m.Store(k, append([]byte(nil), v...))
	return nil
}

func (s *syncMap) Close() error { return nil }
