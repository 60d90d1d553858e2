package replica

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stallWriter blocks its first Write until release is closed, telling
// started when it begins.
type stallWriter struct {
	bytes.Buffer
	started, release chan struct{}
	once             bool
}

func (s *stallWriter) Write(p []byte) (int, error) {
	if !s.once {
		s.once = true
		close(s.started)
		<-s.release
	}
	return s.Buffer.Write(p)
}

// A Backup whose writer is slow does not hold up a Restore (the freeze is
// not held while it writes), and when the Restore replaces the state under
// it, the Backup still writes the whole state it froze, at its index.
func TestBackupRacesRestore(t *testing.T) {
	b, _, _ := backupOf(t, "new", 5)
	c := newCluster(t, 1, nil)
	l := c.leader()
	fill(t, l, 3000)
	w := &stallWriter{started: make(chan struct{}), release: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		_, err := l.Backup(context.Background(), w)
		errc <- err
	}()
	<-w.started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, l.Restore(ctx, bytes.NewReader(b)), "a slow backup writer holds up no restore")
	close(w.release)
	require.NoError(t, <-errc)
	got, _ := openBackup(t, w.Bytes())
	require.Len(t, got, 3000, "the state before the restore, whole")
	require.NoError(t, l.SetBytes(context.Background(), "after", []byte("x")))
}
