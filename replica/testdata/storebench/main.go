// storebench measures raft-boltdb/v2 against raft-wal as a replica
// Node's log store: replicated writes/s through a 3-node in-process
// cluster (in-memory transport, stores on disk, 64 clients), and the time
// to restart the cluster over its directories and replay the log. Runs
// of the two alternate. It is a module of its own, under testdata, so
// that raft-wal stays out of the replica module:
//
//	cd replica/testdata/storebench && go run . -rounds 5 -d 5s
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hurrahdb/hurrah/replica"
)

type store interface {
	raft.LogStore
	raft.StableStore
	Close() error
}

func open(kind, dir string) store {
	switch kind {
	case "bolt":
		s, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
		must(err)
		return s
	default:
		must(os.MkdirAll(filepath.Join(dir, "wal"), 0o700))
		meta := &metadb.BoltMetaDB{} // WAL.Close leaves its meta DB open (v0.4.0)
		w, err := wal.Open(filepath.Join(dir, "wal"), wal.WithMetaStore(meta))
		must(err)
		return walStore{w, meta}
	}
}

type walStore struct {
	*wal.WAL
	meta *metadb.BoltMetaDB
}

func (w walStore) Close() error {
	must(w.WAL.Close())
	return w.meta.Close()
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func rc() *raft.Config {
	c := raft.DefaultConfig()
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	c.SnapshotThreshold = 1 << 40 // a restart replays the whole log
	c.SnapshotInterval = time.Hour
	c.Logger = hclog.NewNullLogger()
	return c
}

type cluster struct {
	nodes  []*replica.Node
	stores []store
}

func start(kind, base string, boot bool) *cluster {
	c := &cluster{}
	var trs []*raft.InmemTransport
	var servers []replica.Server
	for i := range 3 {
		id := fmt.Sprintf("n%d", i+1)
		_, tr := raft.NewInmemTransport(raft.ServerAddress(id))
		trs = append(trs, tr)
		servers = append(servers, replica.Server{ID: id, Addr: id})
	}
	for _, a := range trs {
		for _, b := range trs {
			if a != b {
				a.Connect(b.LocalAddr(), b)
			}
		}
	}
	for i, tr := range trs {
		dir := filepath.Join(base, servers[i].ID)
		must(os.MkdirAll(dir, 0o700))
		s := open(kind, dir)
		snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hclog.NewNullLogger())
		must(err)
		n, err := replica.NewNode(replica.Config{ID: servers[i].ID, Transport: tr, LogStore: s, StableStore: s, SnapshotStore: snaps, Raft: rc()})
		must(err)
		c.nodes = append(c.nodes, n)
		c.stores = append(c.stores, s)
	}
	if boot {
		must(c.nodes[0].Bootstrap(servers...))
	}
	return c
}

func (c *cluster) leader() *replica.Node {
	for {
		for _, n := range c.nodes {
			if n.IsLeader() {
				return n
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (c *cluster) close() {
	for i, n := range c.nodes {
		must(n.Close())
		must(c.stores[i].Close())
	}
}

// load runs clients writing for d and returns acknowledged writes/s.
func load(l *replica.Node, clients int, d time.Duration) float64 {
	var ok atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	val := make([]byte, 100)
	var wg sync.WaitGroup
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if l.SetBytes(context.Background(), fmt.Sprintf("c%d-%d", g, i%1000), val) == nil {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(ok.Load()) / d.Seconds()
}

func main() {
	rounds := flag.Int("rounds", 3, "runs of each store, interleaved")
	dur := flag.Duration("d", 5*time.Second, "load per run")
	clients := flag.Int("clients", 64, "concurrent writers")
	flag.Parse()
	kinds := []string{"bolt", "wal"}
	for r := range *rounds {
		for j := range kinds {
			kind := kinds[(r+j)%2] // alternate which goes first
			base, err := os.MkdirTemp("", "storebench-")
			must(err)
			c := start(kind, base, true)
			l := c.leader()
			wps := load(l, *clients, *dur)
			last := l.AppliedIndex()
			c.close()
			t0 := time.Now()
			c = start(kind, base, false)
			opened := time.Since(t0)
			for _, n := range c.nodes { // every node has replayed its log
				for n.AppliedIndex() < last {
					time.Sleep(time.Millisecond)
				}
			}
			replayed := time.Since(t0)
			c.close()
			fmt.Printf("round %d %-4s writes/s %8.0f  log entries %6d  restart: NewNode x3 %v, all replayed %v\n",
				r, kind, wps, last, opened.Round(time.Millisecond), replayed.Round(time.Millisecond))
			must(os.RemoveAll(base))
		}
	}
}
