package replica

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"
)

// A damaged entry halts the machine: it is not applied (not as the
// write it now reads as, nor skipped as a refused one), nor is any entry
// after it, the applied index stays before it, and no snapshot is taken.
func TestApplyHaltsOnDamagedEntry(t *testing.T) {
	f := newTestFSM(t)
	require.Nil(t, applyAt(t, f, 1, op{kind: opSet, key: "a", value: []byte("1")}))
	bad := appendEntry(nil, []op{{kind: opSet, key: "a", value: []byte("2")}})
	bad[len(bad)-crcSize-2] ^= 1 // the value: "3", a write that decodes
	res := f.Apply(&raft.Log{Index: 2, Type: raft.LogCommand, Data: bad})
	require.ErrorIs(t, res.(error), ErrCorruptEntry)
	res = applyAt(t, f, 3, op{kind: opSet, key: "b", value: []byte("2")})
	require.ErrorIs(t, res.(error), ErrCorruptEntry)
	require.ErrorIs(t, res.(error), ErrUncertain, "applied elsewhere, not here")
	require.Equal(t, map[string]string{"a": "1"}, fsmContents(t, f))
	require.Equal(t, uint64(1), f.appliedIndex())
	_, err := f.Snapshot()
	require.ErrorIs(t, err, ErrCorruptEntry)

	s, err := newSystemFSM[tally, tallyCmd](t.Context(), nil)
	require.NoError(t, err)
	defer s.close()
	cmd, err := encodeCommand[tally](tallyCmd{Key: "a", Add: 1})
	require.NoError(t, err)
	entry := sealEntry(appendCommand(appendHeader(nil, systemEntryTag, 1), cmd))
	entry[3] ^= 0x40
	require.ErrorIs(t, s.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: entry}).(error), ErrCorruptEntry)
	_, err = s.Snapshot()
	require.ErrorIs(t, err, ErrCorruptEntry)
	require.Zero(t, s.appliedIndex())
}

// damageEntry changes the last byte of needle in the log entry of dir's
// raft.db that holds it, through bbolt, as damage that bbolt's page
// checks cannot see (a flipped bit on the disk, a bad write by the
// device) would, and returns the entry's index. Raft's copy of the entry
// still reads, as a write of another value.
func damageEntry(t *testing.T, dir string, needle []byte) uint64 {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(dir, logFile), 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	var index uint64
	require.NoError(t, db.Update(func(tx *bbolt.Tx) error {
		logs := tx.Bucket(logsBucket)
		c := logs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if i := bytes.Index(v, needle); i >= 0 {
				index = binary.BigEndian.Uint64(k)
				v = slices.Clone(v)
				v[i+len(needle)-1] ^= 1
				return logs.Put(slices.Clone(k), v)
			}
		}
		return errors.New("no entry holds the needle")
	}))
	return index
}

// One node of three restarted over a raft.db with a damaged entry (bbolt
// sees nothing wrong): it refuses reads and writes with ErrCorruptEntry,
// applies nothing from the entry on, and leaves raft, while the other two
// serve on; wiped and started again, it catches up from the leader with
// every acknowledged write.
func TestDamagedEntryHaltsOneNode(t *testing.T) {
	ctx := context.Background()
	c := newDiskCluster(t, nil)
	want := c.setKeys("a", 20)
	const victim = "value-as-written"
	require.NoError(t, c.leader().SetBytes(ctx, "victim", []byte(victim)))
	want["victim"] = victim
	for k, v := range c.setKeys("b", 20) {
		want[k] = v
	}
	l := c.leader()
	f := c.followers(l)[0]
	id := f.ID()
	caughtUp(t, f, l.AppliedIndex())
	c.stop(id)
	bad := damageEntry(t, c.dir(id), []byte(victim))

	f = c.start(id)
	require.Eventually(t, func() bool { return errors.Is(f.Health(), ErrCorruptEntry) }, waitFor, 5*time.Millisecond)
	require.Less(t, f.AppliedIndex(), bad)
	_, err := f.GetBytes(ctx, "a0", Stale(0))
	require.ErrorIs(t, err, ErrCorruptEntry)
	require.ErrorIs(t, f.SetBytes(ctx, "x", []byte("y")), ErrCorruptEntry)
	for k, v := range c.setKeys("c", 20) { // the others serve on
		want[k] = v
	}
	got, err := c.leader().GetBytes(ctx, "victim")
	require.NoError(t, err)
	require.Equal(t, victim, string(got))

	retired(t, f) // it leaves raft, its directory kept
	_, err = os.Stat(filepath.Join(c.dir(id), logFile))
	require.NoError(t, err)

	c.stop(id)
	require.NoError(t, os.RemoveAll(c.dir(id)))
	f = c.start(id)
	caughtUp(t, f, c.leader().AppliedIndex())
	require.NoError(t, f.Health())
	require.Equal(t, want, contents(t, f))
}
