package replica

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// restoreDone is raft's last progress line of a restore of size bytes,
// all read (hclog's format of "snapshot restore progress").
func restoreDone(size int64) []string {
	return []string{"snapshot restore progress", fmt.Sprintf("read-bytes=%d", size), `percent-complete="100.00%"`}
}

// hasLine reports whether one line of log holds every one of parts.
func hasLine(log string, parts []string) bool {
	for line := range strings.Lines(log) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// A restore reports its progress in raft's log (Config.Raft.Logger):
// raft v1.7.2 logs "snapshot restore progress", the bytes read and the
// percentage, every 10 s and at the end, from the bytes Restore reads
// through its counting reader, so Restore must read through it (and not
// the store's reader it unwraps to find the size). Here the last line
// says every byte was read: at a node's start, and in an install on a
// node that joins.
func TestRestoreProgressInRaftLog(t *testing.T) {
	t.Run("start", func(t *testing.T) {
		b := smallBackup(t, 3)
		snaps := raft.NewInmemSnapshotStore()
		storeSnapshot(t, snaps, b)
		logs := raft.NewInmemStore()
		_, tr := raft.NewInmemTransport("n1")
		defer tr.Close()
		logged := &raftLog{}
		rc := testRaft()
		rc.Logger = hclog.New(&hclog.LoggerOptions{Output: logged, Level: hclog.Info})
		n, err := NewNode(Config{ID: "n1", Transport: tr, LogStore: logs, StableStore: logs, SnapshotStore: snaps, Raft: rc})
		require.NoError(t, err)
		defer n.Close()
		out, _ := logged.since(0)
		require.True(t, hasLine(out, restoreDone(int64(len(b)))), "raft's log:\n%s", out)
	})
	t.Run("install", func(t *testing.T) {
		ctx := context.Background()
		c := newCluster(t, 1, func(rc *raft.Config) { rc.TrailingLogs = 5 })
		l := c.leader()
		c.setKeys("k", 200)
		require.NoError(t, l.Raft().Snapshot().Error())
		logged := &raftLog{}
		c.tune = func(rc *raft.Config) {
			rc.TrailingLogs = 5
			rc.Logger = hclog.New(&hclog.LoggerOptions{Output: logged, Level: hclog.Info})
		}
		c.ids = append(c.ids, "n2")
		n := c.start("n2")
		c.tune = nil
		require.NoError(t, l.Join(ctx, "n2", "n2"))
		caughtUp(t, n, l.AppliedIndex())
		metas, err := c.stores["n2"].snaps.List()
		require.NoError(t, err)
		require.Len(t, metas, 1, "n2 installed a snapshot")
		want := restoreDone(metas[0].Size)
		require.Eventually(t, func() bool { // raft logs it as Restore returns
			out, _ := logged.since(0)
			return hasLine(out, want)
		}, waitFor, 5*time.Millisecond, "raft's log has no line with %q:\n%s", want, func() string { s, _ := logged.since(0); return s }())
	})
}
