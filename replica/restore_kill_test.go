package replica

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// restoreKillEnv names the node directory of TestRestoreKillHelper's
// child, and restoreKillAt where it stalls: "copy", as raft copies the
// backup into its snapshot, or "closed", once that snapshot is whole and
// before the FSM restores it. Without them the helper does nothing.
const (
	restoreKillEnv = "HURRAH_REPLICA_RESTORE_KILL_DIR"
	restoreKillAt  = "HURRAH_REPLICA_RESTORE_KILL_AT"
)

// stallingRestore is raft's snapshot store whose first snapshot (the
// user restore's: snapshots are taken only when asked) stalls as the env
// says, saying so on stdout: the moment the parent kills the process.
type stallingRestore struct {
	raft.SnapshotStore
	at string
}

func (s *stallingRestore) Create(v raft.SnapshotVersion, index, term uint64, c raft.Configuration,
	ci uint64, tr raft.Transport) (raft.SnapshotSink, error) {
	sink, err := s.SnapshotStore.Create(v, index, term, c, ci, tr)
	if err != nil {
		return sink, err
	}
	return &stallingRestoreSink{SnapshotSink: sink, at: s.at}, nil
}

type stallingRestoreSink struct {
	raft.SnapshotSink
	at      string
	written int
}

func (s *stallingRestoreSink) Write(p []byte) (int, error) {
	n, err := s.SnapshotSink.Write(p)
	if s.written += n; s.at == "copy" && s.written >= 16<<10 {
		fmt.Println("STALLED")
		select {} // until the parent kills the process
	}
	return n, err
}

func (s *stallingRestoreSink) Close() error {
	err := s.SnapshotSink.Close()
	if s.at == "closed" && err == nil {
		fmt.Println("STALLED")
		select {}
	}
	return err
}

// TestRestoreKillHelper is not a test: it is the body of the child
// process of TestKillDuringRestore. In a one-node cluster in the
// directory the environment names, it writes "a" keys, backs them up,
// clears them and writes "b" keys (the state the parent expects if the
// restore is lost), then restores the backup, which stalls as the
// environment says until the process is killed.
func TestRestoreKillHelper(t *testing.T) {
	s := childStores(t, restoreKillEnv, "TestKillDuringRestore")
	rc := fastRaft()
	rc.SnapshotThreshold = 1 << 30 // no snapshot but the restore's
	n := childLeader(rc, s, &stallingRestore{SnapshotStore: s.Snapshots, at: os.Getenv(restoreKillAt)})
	ctx := context.Background()
	put := func(prefix string) {
		v := []byte(strings.Repeat(".", 100))
		for i := 0; i < 2000; i += 500 {
			var ops []op
			for j := i; j < i+500; j++ {
				ops = append(ops, op{kind: opSet, key: fmt.Sprint(prefix, j), value: v})
			}
			if err := n.write(ctx, ops...); err != nil {
				fail(err)
			}
		}
	}
	put("a")
	var b bytes.Buffer
	if _, err := n.Backup(ctx, &b); err != nil {
		fail(err)
	}
	if err := n.Clear(ctx); err != nil {
		fail(err)
	}
	put("b")
	fmt.Println("RESTORING")
	n.Restore(ctx, &b)
	time.Sleep(time.Minute) // the parent kills it long before
	os.Exit(1)
}

// A node killed with SIGKILL mid-restore holds, after a restart, either
// the old state or the restored one, wholly: killed as raft copies the
// backup into a snapshot, the old one (the snapshot cut short is
// ignored); killed once that snapshot is whole, the restored one. The
// restore's spool, left behind, goes at the restart.
func TestKillDuringRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	for _, tc := range []struct{ at, want string }{{"copy", "b"}, {"closed", "a"}} {
		t.Run(tc.at, func(t *testing.T) {
			dir := t.TempDir()
			killChild(t, "TestRestoreKillHelper", []string{restoreKillEnv + "=" + dir, restoreKillAt + "=" + tc.at,
				"TMPDIR=" + dir}, // the child's node has no Dir (its snapshot store stalls): its spool goes here
				map[string]bool{}, func(line string) bool { return line == "STALLED" })
			spools, err := filepath.Glob(filepath.Join(dir, spoolPattern))
			require.NoError(t, err)
			require.Len(t, spools, 1, "the spool left by the kill")

			n, err := NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Dir: dir, Raft: fastRaft()})
			require.NoError(t, err)
			defer n.Close()
			spools, err = filepath.Glob(filepath.Join(dir, spoolPattern))
			require.NoError(t, err)
			require.Empty(t, spools, "removed at the start")
			_, err = n.WaitLeader(context.Background())
			require.NoError(t, err)
			_, err = n.GetBytes(context.Background(), tc.want+"0") // linearizable: the log is applied
			require.NoError(t, err)
			have := contents(t, n)
			require.Len(t, have, 2000)
			for k := range have {
				require.True(t, strings.HasPrefix(k, tc.want), "key %s in the state of %s", k, tc.want)
			}
		})
	}
}
