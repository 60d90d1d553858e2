package replica

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A follower's raft.db is damaged under it while it runs (every page but
// bbolt's two meta pages overwritten in place, which its memory map
// sees), or cut short under its memory map, and the cluster takes more
// writes: bbolt panics as it appends (a slice out of range, from a
// damaged branch page), or reads a page past the file's end (SIGBUS, a
// fatal fault but for the guard's debug.SetPanicOnFault), in raft's
// goroutine, which ended the process. The node halts instead and leaves
// (ErrStoreFailed; or ErrCorruptEntry, for an entry whose checksum
// fails), and the others serve on with every acknowledged write.
// Started again on its directory, it is refused with ErrCorruptDir.
func TestBoltDamagedWhileRunning(t *testing.T) {
	leftAlone(t)
	for _, from := range []int{2, 4, 8, 0} { // the first page damaged; 0: cut short
		c := newDiskCluster(t, nil)
		want := c.setKeys("a", 200)
		f := c.followers(c.leader())[0]
		caughtUp(t, f, c.leader().AppliedIndex())
		path := filepath.Join(c.dir(f.ID()), logFile)
		file, err := os.OpenFile(path, os.O_RDWR, 0)
		require.NoError(t, err)
		fi, err := file.Stat()
		require.NoError(t, err)
		const page = 4096
		junk := make([]byte, page-16)
		for i := range junk {
			junk[i] = byte(i*7 + from)
		}
		if from == 0 { // cut short instead: pages past the end fault (SIGBUS)
			require.NoError(t, file.Truncate(2*page))
		}
		for off := int64(from * page); from > 0 && off+page <= fi.Size(); off += page {
			_, err := file.WriteAt(junk, off+16)
			require.NoError(t, err)
		}
		require.NoError(t, file.Close())
		for k, v := range c.setKeys(fmt.Sprintf("b%d-", from), 200) {
			want[k] = v
		}
		l := c.leader()
		for _, n := range c.followers(l) {
			if n != f {
				caughtUp(t, n, l.AppliedIndex())
				require.Subset(t, contents(t, n), want)
			}
		}
		select {
		case <-f.left:
		case <-time.After(waitFor):
			t.Fatalf("from page %d: the node did not leave raft (health %v)", from, f.Health())
		}
		err = f.Health()
		t.Logf("from page %d: %v", from, err)
		require.True(t, errors.Is(err, ErrStoreFailed) || errors.Is(err, ErrCorruptEntry), "%v", err)
		c.closeAll()
		_, err = NewNode(Config{ID: f.ID(), Cluster: "c", Transport: inmemTransport(f.ID()), Dir: c.dir(f.ID()), Raft: testRaft()})
		require.ErrorIs(t, err, ErrCorruptDir, "from page %d: started again on its directory", from)
	}
}
