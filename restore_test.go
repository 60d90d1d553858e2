package hurrah

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
)

// smallBackup returns the backup of a store of a few keys.
func smallBackup(t testing.TB) []byte {
	t.Helper()
	db := openT(t, newDir(t), nil)
	fillDB(t, db, 3)
	var buf bytes.Buffer
	_, err := db.Backup(context.Background(), &buf)
	require.NoError(t, err)
	return buf.Bytes()
}

// craftBackup returns a backup of kind holding the records given.
func craftBackup(t testing.TB, kind uint32, lsn uint64, records ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := journal.NewBackupWriter(&buf, kind, lsn, uint64(len(records)/2))
	require.NoError(t, err)
	for i := 0; i+1 < len(records); i += 2 {
		require.NoError(t, w.Add(records[i], []byte(records[i+1])))
	}
	_, err = w.Close()
	require.NoError(t, err)
	return buf.Bytes()
}

// patch returns a copy of b with the uint32 at off set to v and the CRC32C
// of b[start:sumAt] stored at sumAt, as a newer writer would have made it.
func patch(b []byte, off int, v uint32, start, sumAt int) []byte {
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint32(c[off:], v)
	sum := crc32.Checksum(c[start:sumAt], crc32.MakeTable(crc32.Castagnoli))
	binary.LittleEndian.PutUint32(c[sumAt:], sum)
	return c
}

// restoreMem restores b into /db on a fresh in-memory file system and
// returns the error and what /db holds afterwards.
func restoreMem(t testing.TB, b []byte) (error, []string) {
	t.Helper()
	m := vfs.NewMem()
	_, err := Restore(context.Background(), "/db", bytes.NewReader(b), &RestoreOptions{fs: m})
	names, lerr := m.List("/db")
	if errors.Is(lerr, fs.ErrNotExist) {
		return err, nil
	}
	require.NoError(t, lerr)
	return err, names
}

// TestRestoreBadBackup feeds Restore damaged backups: each is refused with
// a typed error, ErrCorrupt naming an offset within the backup or
// ErrVersion, and leaves nothing behind, on disk or in memory.
func TestRestoreBadBackup(t *testing.T) {
	good := smallBackup(t)
	const snap = journal.BackupHeaderSize // where the snapshot starts
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"wrong magic", append([]byte("NOTABKUP"), good[8:]...), ErrCorrupt},
		{"a snapshot file, not a backup", good[snap:], ErrCorrupt},
		{"newer backup version", patch(good, 8, journal.BackupVersion+1, 0, 16), ErrVersion},
		{"unknown kind", patch(good, 12, 9, 0, 16), ErrVersion},
		{"newer snapshot version", patch(good, snap+8, 3, snap, snap+32), ErrVersion}, // it is 1 (2 adds deadlines)
		{"older backup version", patch(good, 8, 0, 0, 16), ErrCorrupt},
		{"bytes after the end", append(bytes.Clone(good), 0), ErrCorrupt},
		{"an empty key in a DB's backup", craftBackup(t, backupKV, 5, "", "v"), ErrCorrupt},
		{"a System's backup of two records", craftBackup(t, backupSystem, 5, "", "a", "b", "c"), ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := newDir(t)
			_, err := Restore(t.Context(), dir, bytes.NewReader(c.b), nil)
			require.ErrorIs(t, err, c.want)
			if c.want == ErrCorrupt {
				var ce *CorruptError
				require.ErrorAs(t, err, &ce)
				require.Equal(t, "backup", ce.File)
				require.LessOrEqual(t, ce.Offset, int64(len(c.b)))
			}
			require.NoFileExists(t, dir)
			require.NoDirExists(t, dir)
		})
	}
}

// TestRestoreEveryDamage cuts a small backup short at every offset and
// flips every bit of it in turn: Restore refuses each with ErrCorrupt,
// naming an offset within the backup, and leaves no file behind.
func TestRestoreEveryDamage(t *testing.T) {
	good := smallBackup(t)
	err, names := restoreMem(t, good)
	require.NoError(t, err)
	require.NotEmpty(t, names)
	check := func(b []byte, what string, args ...any) {
		err, names := restoreMem(t, b)
		require.ErrorIs(t, err, ErrCorrupt, append([]any{what}, args...)...)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		require.LessOrEqual(t, ce.Offset, int64(len(b)))
		require.Empty(t, names, append([]any{what}, args...)...)
	}
	for n := range len(good) {
		check(good[:n], "cut at %d", n)
	}
	for bit := range 8 * len(good) {
		b := bytes.Clone(good)
		b[bit/8] ^= 1 << (bit % 8)
		check(b, "bit %d flipped", bit)
	}
	// On disk too, at a few offsets: the directory Restore made is gone.
	for _, n := range []int{0, 10, journal.BackupHeaderSize + 5, len(good) / 2, len(good) - 1} {
		dir := newDir(t)
		_, err := Restore(t.Context(), dir, bytes.NewReader(good[:n]), nil)
		require.ErrorIs(t, err, ErrCorrupt)
		require.NoDirExists(t, dir)
	}
}

// TestRestoreRefusesDir checks the directories Restore refuses: one that
// holds a store, a file, a path under a file. None changes.
func TestRestoreRefusesDir(t *testing.T) {
	good := smallBackup(t)
	ctx := t.Context()
	held := newDir(t)
	fillDB(t, openT(t, held, nil), 1)
	before := snapshotDir(t, held)
	_, err := Restore(ctx, held, bytes.NewReader(good), nil)
	require.ErrorIs(t, err, ErrStoreExists, "an open store")
	requireSameDir(t, before, held)

	sdir := newDir(t)
	require.NoError(t, openBank(t, sdir, nil).Close())
	before = snapshotDir(t, sdir)
	_, err = Restore(ctx, sdir, bytes.NewReader(good), nil)
	require.ErrorIs(t, err, ErrStoreExists, "a closed System")
	requireSameDir(t, before, sdir)

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	_, err = Restore(ctx, file, bytes.NewReader(good), nil)
	require.ErrorIs(t, err, ErrBadDir)
	_, err = Restore(ctx, filepath.Join(file, "db"), bytes.NewReader(good), nil)
	require.ErrorIs(t, err, ErrBadDir)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, "x", string(b))

	_, err = Restore(ctx, "", bytes.NewReader(good), nil)
	require.ErrorIs(t, err, ErrBadDir)
	_, err = Restore(ctx, newDir(t), bytes.NewReader(good), &RestoreOptions{FileMode: 0o400})
	require.ErrorIs(t, err, ErrInvalidOptions)
}

// TestRestoreIntoExistingDir restores into a directory that exists and
// holds no store: other files stay; the remains of a restore cut short (a
// temp file, the LOCK file, a SYSTEM marker) do not stand in the way; and
// a failed restore leaves the directory as it was.
func TestRestoreIntoExistingDir(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	want := fillDB(t, db, 5)
	var buf bytes.Buffer
	lsn, err := db.Backup(ctx, &buf)
	require.NoError(t, err)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600))
	before := snapshotDir(t, dir)
	_, err = Restore(ctx, dir, bytes.NewReader(buf.Bytes()[:buf.Len()-1]), nil)
	require.ErrorIs(t, err, ErrCorrupt)
	requireSameDir(t, before, dir)

	tmp := filepath.Join(dir, fmt.Sprintf("snap-%020d.hsnap.tmp", lsn))
	require.NoError(t, os.WriteFile(tmp, []byte("half a snapshot"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "LOCK"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, systemMarker), nil, 0o600))
	_, err = Restore(ctx, dir, bytes.NewReader(buf.Bytes()), nil)
	require.NoError(t, err)
	require.NoFileExists(t, tmp)
	require.NoFileExists(t, filepath.Join(dir, systemMarker), "a DB's directory is not marked")
	require.Equal(t, want, storeContents(t, openT(t, dir, nil)))
	require.FileExists(t, filepath.Join(dir, "notes.txt"))
}

// TestRestoreCanceled cancels a restore midway: it returns the context's
// error and leaves nothing behind.
func TestRestoreCanceled(t *testing.T) {
	db := openT(t, "", nil)
	fillDB(t, db, 20_000)
	var buf bytes.Buffer
	_, err := db.Backup(t.Context(), &buf)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	dir := newDir(t)
	_, err = Restore(ctx, dir, bytes.NewReader(buf.Bytes()), &RestoreOptions{Progress: func(p BackupProgress) {
		if p.Records > 0 {
			cancel()
		}
	}})
	require.ErrorIs(t, err, context.Canceled)
	require.NoDirExists(t, dir)
}

// TestRestoreFileMode checks the modes of what Restore creates: the
// default, and RestoreOptions.FileMode.
func TestRestoreFileMode(t *testing.T) {
	good := smallBackup(t)
	for _, mode := range []os.FileMode{0, 0o640} {
		dir := newDir(t)
		rep, err := Restore(t.Context(), dir, bytes.NewReader(good), &RestoreOptions{FileMode: mode})
		require.NoError(t, err)
		want := mode
		if want == 0 {
			want = DefaultFileMode
		}
		for _, p := range []string{rep.Snapshot, filepath.Join(dir, "LOCK")} {
			fi, err := os.Stat(p)
			require.NoError(t, err)
			require.Equal(t, want, fi.Mode().Perm(), p)
		}
		fi, err := os.Stat(dir)
		require.NoError(t, err)
		require.Equal(t, vfs.DirMode(want), fi.Mode().Perm())
	}
}

// TestRestoreDuplicateKey restores a backup made by hand whose checksums
// pass but which holds a key twice: Restore does not decode the records,
// so it succeeds, and Open refuses the directory with ErrCorrupt.
func TestRestoreDuplicateKey(t *testing.T) {
	dir, _ := restoreT(t, craftBackup(t, backupKV, 5, "a", "1", "a", "2"))
	_, err := Open(dir, nil)
	require.ErrorIs(t, err, ErrCorrupt)
}
