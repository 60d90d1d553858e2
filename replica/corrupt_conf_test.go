package replica

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"
)

// A node restarted over a raft.db whose first entry, the cluster's
// configuration (raft's own, with no checksum), no longer decodes is
// refused with ErrCorruptDir: raft would panic. Wiped and started again,
// it catches up from the leader.
func TestDamagedConfigEntryIsRefused(t *testing.T) {
	c := newDiskCluster(t, nil)
	want := c.setKeys("a", 5)
	id := c.followers(c.leader())[0].ID()
	c.stop(id)
	db, err := bbolt.Open(filepath.Join(c.dir(id), logFile), 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bbolt.Tx) error {
		logs := tx.Bucket(logsBucket)
		k := binary.BigEndian.AppendUint64(nil, 1) // the bootstrap configuration
		v := slices.Clone(logs.Get(k))
		i := bytes.Index(v, []byte("Servers"))
		require.Positive(t, i)
		v[i+len("Servers")] ^= 0xff // the servers' array header
		return logs.Put(k, v)
	}))
	require.NoError(t, db.Close())

	tr := inmemTransport(id)
	_, err = NewNode(Config{ID: id, Cluster: "c", Transport: tr, Dir: c.dir(id), Raft: testRaft()})
	require.ErrorIs(t, err, ErrCorruptDir)
	require.NoError(t, tr.Close())

	require.NoError(t, os.RemoveAll(c.dir(id)))
	f := c.start(id)
	caughtUp(t, f, c.leader().AppliedIndex())
	require.Equal(t, want, contents(t, f))
}
