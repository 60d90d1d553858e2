package vfs

import "sync"

// Injector chooses the operation a Faulty file system fails: it counts the
// operations it is asked about, from 1, and fails the At-th, and, when
// Lasting, every one after it. Its Inject method is what Faulty.Inject
// wants. An Injector must not be copied after first use.
type Injector struct {
	// At is the operation to fail, counting from 1. Zero fails nothing,
	// which makes the Injector a counter.
	At int
	// Lasting fails every operation from the At-th on; otherwise only the
	// At-th fails (the fault heals).
	Lasting bool
	// Err returns the error for an operation that fails, given the
	// operation and its name, as Faulty.Inject gets them. Nil means EIO
	// for every operation.
	Err func(op Op, name string) error

	mu    sync.Mutex
	n     int    // operations seen
	first string // the first failed operation, as "op name"
}

// Inject counts the operation and returns the error it is to fail with, or
// nil.
func (in *Injector) Inject(op Op, name string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.n++
	if in.At == 0 || in.n < in.At || (in.n > in.At && !in.Lasting) {
		return nil
	}
	if in.first == "" {
		in.first = op.String() + " " + name
	}
	if in.Err != nil {
		return in.Err(op, name)
	}
	return EIO
}

// Count returns how many operations the Injector has been asked about.
func (in *Injector) Count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.n
}

// Failed returns the first operation that was failed, as "op name" (such as
// "sync /data/00000000000000000001.wal"), or "" if none has been.
func (in *Injector) Failed() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.first
}
