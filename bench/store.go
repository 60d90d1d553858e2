package main

import "errors"

// store is what every contender offers the workloads. Get returns a copy of
// the value that the caller may keep, and Set keeps its own copy of v.
type store interface {
	Get(k string) ([]byte, error)
	Set(k string, v []byte) error
	Close() error
}

// batchGetter is a store that reads many keys in one call. A missing key's
// entry is nil.
type batchGetter interface {
	GetMany(keys []string) ([][]byte, error)
}

// batchSetter is a store that writes many keys in one call.
type batchSetter interface {
	SetMany(keys []string, vals [][]byte) error
}

// preloadSkipper is a store that holds no data to preload (the bare
// group-commit loop only appends).
type preloadSkipper interface {
	skipPreload()
}

// errUnsupported is returned by a contender asked for an operation it was
// not built for.
var errUnsupported = errors.New("operation not supported by this contender")

// errNotFound is returned by a peer's Get for a missing key.
var errNotFound = errors.New("key not found")

// singleOnly hides a store's batch methods, so that batch workloads fall
// back to one call per key.
type singleOnly struct{ store }

// contender names a store and says how to open it in a fresh directory.
type contender struct {
	name string
	open func(dir string) (store, error)
}
