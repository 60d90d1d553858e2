package main

import (
	"os"
	"path/filepath"
	"sync"
)

// bareMailbox is the owner loop's mailbox size, hurrah's default.
const bareMailbox = 1024

// bareOp says what a bareReq asks of the owner.
type bareOp uint8

const (
	bareGet bareOp = iota
	bareSet
	bareGetMany
	bareSetMany
)

// bareReq is one request to the bare owner loop, pooled with its buffered
// reply channel.
type bareReq struct {
	op    bareOp
	key   string
	value []byte
	found bool
	keys  []string
	vals  [][]byte
	reply chan struct{}
}

// bareOwner is the floor of hurrah's design: one goroutine that owns a map
// and answers requests sent over a channel. Nothing else: no batching,
// journal, context, validation or encoding. Callers copy values before
// sending (Set) and after the reply (Get); the owner never changes a stored
// slice in place, so that is safe.
type bareOwner struct {
	mailbox chan *bareReq
	stopped chan struct{}
	pool    sync.Pool
}

func newBareOwner() *bareOwner {
	o := &bareOwner{
		mailbox: make(chan *bareReq, bareMailbox),
		stopped: make(chan struct{}),
		pool:    sync.Pool{New: func() any { return &bareReq{reply: make(chan struct{}, 1)} }},
	}
	go o.loop(make(map[string][]byte))
	return o
}

func (o *bareOwner) loop(m map[string][]byte) {
	defer close(o.stopped)
	for r := range o.mailbox {
		switch r.op {
		case bareGet:
			r.value, r.found = m[r.key]
		case bareSet:
			m[r.key] = r.value
		case bareGetMany:
			for i, k := range r.keys {
				r.vals[i] = m[k]
			}
		case bareSetMany:
			for i, k := range r.keys {
				m[k] = r.vals[i]
			}
		}
		r.reply <- struct{}{}
	}
}

// call sends r and waits for the reply.
func (o *bareOwner) call(r *bareReq) {
	o.mailbox <- r
	<-r.reply
}

func (o *bareOwner) Get(k string) ([]byte, error) {
	r := o.pool.Get().(*bareReq)
	r.op, r.key = bareGet, k
	o.call(r)
	var v []byte
	if r.found {
		v = append([]byte(nil), r.value...)
	}
	found := r.found
	r.key, r.value, r.found = "", nil, false
	o.pool.Put(r)
	if !found {
		return nil, errNotFound
	}
	return v, nil
}

func (o *bareOwner) Set(k string, v []byte) error {
	r := o.pool.Get().(*bareReq)
	r.op, r.key, r.value = bareSet, k, append([]byte(nil), v...)
	o.call(r)
	r.key, r.value = "", nil
	o.pool.Put(r)
	return nil
}

func (o *bareOwner) GetMany(keys []string) ([][]byte, error) {
	r := o.pool.Get().(*bareReq)
	r.op, r.keys, r.vals = bareGetMany, keys, make([][]byte, len(keys))
	o.call(r)
	vals := copyAll(r.vals)
	r.keys, r.vals = nil, nil
	o.pool.Put(r)
	return vals, nil
}

func (o *bareOwner) SetMany(keys []string, vals [][]byte) error {
	r := o.pool.Get().(*bareReq)
	r.op, r.keys, r.vals = bareSetMany, keys, copyAll(vals)
	o.call(r)
	r.keys, r.vals = nil, nil
	o.pool.Put(r)
	return nil
}

func (o *bareOwner) Close() error {
	close(o.mailbox)
	<-o.stopped
	return nil
}

// recordSize is the size of a bare group-commit record: a 16-byte key and
// a 100-byte value.
const recordSize = 16 + valueLen

// commitReq is one write waiting for the bare group-commit loop.
type commitReq struct {
	rec   [recordSize]byte
	err   error
	reply chan struct{}
}

// bareGroupCommit is the floor of durable writes: one goroutine drains
// whatever writes are queued, appends them to a buffer, writes the buffer
// to a file with one write and one fsync, and then answers every waiter.
// No map, no encoding, no checksums.
type bareGroupCommit struct {
	f       *os.File
	mailbox chan *commitReq
	stopped chan struct{}
	pool    sync.Pool
}

func openBareGroupCommit(dir string) (*bareGroupCommit, error) {
	f, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	g := &bareGroupCommit{
		f:       f,
		mailbox: make(chan *commitReq, bareMailbox),
		stopped: make(chan struct{}),
		pool:    sync.Pool{New: func() any { return &commitReq{reply: make(chan struct{}, 1)} }},
	}
	go g.loop()
	return g, nil
}

func (g *bareGroupCommit) loop() {
	defer close(g.stopped)
	var (
		buf     []byte
		waiters []*commitReq
	)
	for r := range g.mailbox {
		buf = append(buf[:0], r.rec[:]...)
		waiters = append(waiters[:0], r)
	drain:
		for {
			select {
			case r, ok := <-g.mailbox:
				if !ok {
					break drain
				}
				buf = append(buf, r.rec[:]...)
				waiters = append(waiters, r)
			default:
				break drain
			}
		}
		_, err := g.f.Write(buf)
		if err == nil {
			err = g.f.Sync()
		}
		for _, w := range waiters {
			w.err = err
			w.reply <- struct{}{}
		}
		clear(waiters)
	}
}

func (g *bareGroupCommit) Set(k string, v []byte) error {
	r := g.pool.Get().(*commitReq)
	copy(r.rec[copy(r.rec[:16], k):], v)
	g.mailbox <- r
	<-r.reply
	err := r.err
	r.err = nil
	g.pool.Put(r)
	return err
}

func (g *bareGroupCommit) Get(string) ([]byte, error) { return nil, errUnsupported }

func (g *bareGroupCommit) Close() error {
	close(g.mailbox)
	<-g.stopped
	return g.f.Close()
}

func (g *bareGroupCommit) skipPreload() {}
