package main

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"
)

// damageEntry changes the last byte of needle in the raft log entry of
// the bbolt file at path that holds it, through bbolt: damage its page
// checks cannot see, as a flipped bit on the disk would be.
func damageEntry(t *testing.T, path, needle string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *bbolt.Tx) error {
		logs := tx.Bucket([]byte("logs")) // raft-boltdb's
		c := logs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if i := bytes.Index(v, []byte(needle)); i >= 0 {
				v = slices.Clone(v)
				v[i+len(needle)-1] ^= 1
				return logs.Put(slices.Clone(k), v)
			}
		}
		return errors.New("no entry holds the needle")
	}))
}

// The operator's way through a damaged log entry, with real processes: a
// follower restarted over a raft.db whose copy of an entry is damaged
// says so in /status, leaves raft and answers 503, while the others
// serve; stopped, its -dir wiped and started again with the same command
// line, it catches up and serves every write.
func TestDamagedEntryWipeAndRestart(t *testing.T) {
	bin := build(t)
	const token, victim = "halt-token", "value-as-written"
	n1 := startProc(t, bin, "n1", token, "-heartbeat", "300ms", "-bootstrap")
	n2 := startProc(t, bin, "n2", token, "-heartbeat", "300ms", "-join", n1.http)
	n3 := startProc(t, bin, "n3", token, "-heartbeat", "300ms", "-join", n1.http)
	procs := []*proc{n1, n2, n3}
	c := newClient(t, token, nil)
	put := func(via *proc, k, v string) {
		code, body, err := c.do(t.Context(), "PUT", via.http, "/key/"+k, v)
		require.NoError(t, err)
		require.Equal(t, http.StatusNoContent, code, body)
	}
	get := func(p *proc, k string) (int, string) {
		code, body, err := c.do(t.Context(), "GET", p.http, "/key/"+k+"?stale=1", "")
		require.NoError(t, err)
		return code, body
	}
	put(n1, "victim", victim)
	p := leaderOr(t, c, procs, false, nil)
	waitApplied(t, c, procs, p)
	require.NoError(t, p.kill(syscall.SIGTERM))
	damageEntry(t, filepath.Join(p.dir, "raft.db"), victim)

	p.start(bin)
	require.Eventually(t, func() bool { return strings.Contains(c.status(t, p.http).Health, "damaged log entry") },
		30*time.Second, 20*time.Millisecond, "%s", p.tail())
	require.Equal(t, "Halted", c.status(t, p.http).State)
	require.Eventually(t, func() bool { // it left raft: its raft port is closed
		conn, err := net.DialTimeout("tcp", p.raft, time.Second)
		if err == nil {
			conn.Close()
		}
		return err != nil
	}, 30*time.Second, 20*time.Millisecond, "the halted node did not leave raft\n%s", p.tail())
	code, body := get(p, "victim")
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	l := leaderOr(t, c, procs, true, nil)
	put(l, "after", "the damage") // the others serve on

	require.NoError(t, p.kill(syscall.SIGTERM))
	require.NoError(t, os.RemoveAll(p.dir))
	p.start(bin)
	waitApplied(t, c, procs, p)
	require.Equal(t, "ok", c.status(t, p.http).Health)
	for k, v := range map[string]string{"victim": victim, "after": "the damage"} {
		code, body := get(p, k)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, v, body)
	}
}
