package journal

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// backupRecords are the records of the backups below: empty keys and
// values, and a value longer than the writers' buffers.
var backupRecords = [][2]string{
	{"", ""}, {"a", "1"}, {"key", ""}, {"big", strings.Repeat("x", snapshotBuffer+10)},
}

// TestBackupHoldsSnapshotFile writes a backup and the snapshot file of the
// same records: the snapshot CopySnapshot copies out of the backup is that
// file, byte for byte, and decodeSnapshot accepts it.
func TestBackupHoldsSnapshotFile(t *testing.T) {
	var backup bytes.Buffer
	bw, err := NewBackupWriter(&backup, 7, 42, uint64(len(backupRecords)))
	require.NoError(t, err)
	m := vfs.NewMem()
	sw, err := CreateSnapshot(m, ".", 42, uint64(len(backupRecords)))
	require.NoError(t, err)
	for _, r := range backupRecords {
		require.NoError(t, bw.Add(r[0], []byte(r[1])))
		require.NoError(t, sw.Add(r[0], []byte(r[1])))
	}
	size, err := bw.Close()
	require.NoError(t, err)
	require.EqualValues(t, backup.Len(), size)
	require.Equal(t, size, bw.Written())
	_, err = sw.Commit()
	require.NoError(t, err)
	file, err := m.ReadFile(snapshotName(42))
	require.NoError(t, err)

	br, err := NewBackupReader(bytes.NewReader(backup.Bytes()), "b")
	require.NoError(t, err)
	require.Equal(t, BackupInfo{Kind: 7, LSN: 42, Count: uint64(len(backupRecords))}, br.Info())
	var out bytes.Buffer
	n, err := br.CopySnapshot(context.Background(), &out, CopyOptions{})
	require.NoError(t, err)
	require.EqualValues(t, out.Len(), n)
	require.Equal(t, file, out.Bytes())
	require.Equal(t, int64(backup.Len()), br.Read())
	s, err := decodeSnapshot(filepath.Join("d", snapshotName(42)), out.Bytes())
	require.NoError(t, err)
	require.EqualValues(t, 42, s.LSN)
	_, err = br.CopySnapshot(context.Background(), &out, CopyOptions{})
	require.Error(t, err, "a second copy")

	br, err = NewBackupReader(bytes.NewReader(backup.Bytes()), "b")
	require.NoError(t, err)
	_, err = br.CopySnapshot(context.Background(), &out, CopyOptions{KeyRequired: true})
	require.ErrorIs(t, err, ErrCorrupt, "the empty key")
}

// TestBackupWriterMisuse checks that a writer given more or fewer records
// than it promised, or closed twice, fails, and that a failure sticks.
func TestBackupWriterMisuse(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewBackupWriter(&buf, 1, 1, 1)
	require.NoError(t, err)
	_, err = w.Close()
	require.ErrorContains(t, err, "0 records added, 1 promised")
	require.Error(t, w.Add("k", nil), "a failure sticks")

	w, err = NewBackupWriter(&buf, 1, 1, 1)
	require.NoError(t, err)
	require.NoError(t, w.Add("k", nil))
	require.ErrorContains(t, w.Add("k2", nil), "more than the 1 records promised")

	w, err = NewBackupWriter(&buf, 1, 1, 0)
	require.NoError(t, err)
	_, err = w.Close()
	require.NoError(t, err)
	_, err = w.Close()
	require.ErrorContains(t, err, "Close after Close")
}

// TestRestoreBackupLeavesNothing restores a backup cut short at a few
// offsets of its body into a directory RestoreBackup creates: it fails
// with ErrCorrupt and leaves no file there.
func TestRestoreBackupLeavesNothing(t *testing.T) {
	var backup bytes.Buffer
	bw, err := NewBackupWriter(&backup, 1, 9, 2)
	require.NoError(t, err)
	require.NoError(t, bw.Add("a", []byte("1")))
	require.NoError(t, bw.Add("b", []byte("2")))
	_, err = bw.Close()
	require.NoError(t, err)
	for _, n := range []int{BackupHeaderSize + snapshotHeaderSize, backup.Len() - 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			br, err := NewBackupReader(bytes.NewReader(backup.Bytes()[:n]), "b")
			require.NoError(t, err)
			dir := filepath.Join(t.TempDir(), "db")
			_, err = RestoreBackup(context.Background(), vfs.OS, dir, br, RestoreOptions{})
			require.ErrorIs(t, err, ErrCorrupt)
			require.NoDirExists(t, dir)
		})
	}
	br, err := NewBackupReader(bytes.NewReader(backup.Bytes()), "b")
	require.NoError(t, err)
	dir := t.TempDir()
	path, err := RestoreBackup(context.Background(), vfs.OS, dir, br, RestoreOptions{})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, snapshotName(9)), path)
	held, err := HoldsStore(vfs.OS, dir)
	require.NoError(t, err)
	require.True(t, held)
}
