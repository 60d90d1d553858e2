package hurrah

import "context"

// GetBytesMany returns copies of the values stored under keys, in the same
// order, all read at one point in time in a single request to the store: the
// way to read many keys at once without paying one round trip per key. A
// missing key's entry is nil; a stored empty value is a non-nil empty slice.
// Every key is checked first (ErrInvalidKey, ErrTooLarge).
//
// The copies share one allocation, which stays alive while any of them
// does. If nothing changed since the owner goroutine last published an
// image of the store, the lookups read that image in the calling goroutine,
// with no round trip (see Get). Otherwise they run in the owner goroutine
// as one step, which holds up every other request meanwhile (about
// 0.1–0.3 µs a key here): split lists of many thousands of keys into
// several calls.
func (db *DB) GetBytesMany(ctx context.Context, keys []string) ([][]byte, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := db.checkRead(k); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	vals := make([][]byte, len(keys))
	fill := func(i int, v []byte, found bool) {
		if found && v == nil {
			v = empty // found, but stored empty as nil
		}
		vals[i] = v
	}
	if !db.eng.LookupMany(keys, fill) { // lock-free if nothing changed (store/publish.go)
		err := db.eng.Read(ctx, func() {
			for i, k := range keys {
				v, ok := db.kv.Get(k)
				fill(i, v, ok)
			}
		})
		if err != nil {
			return nil, db.err(err)
		}
	}
	// Stored values are never changed in place, so they are copied here,
	// in the caller's goroutine, into one allocation.
	n := 0
	for _, v := range vals {
		n += len(v)
	}
	buf := make([]byte, 0, n)
	for i, v := range vals {
		if v == nil {
			continue
		}
		start := len(buf)
		buf = append(buf, v...)
		vals[i] = buf[start:len(buf):len(buf)]
	}
	return vals, nil
}

// empty marks a found key whose value is empty.
var empty = []byte{}
