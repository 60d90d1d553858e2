package hurrah

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/journal"
)

// streamBackups returns backups of a DB on disk (LSN > 0), with and
// without deadlines, and of a System, each with what OpenBackup must give.
func streamBackups(t *testing.T) (db, timed, sys []byte) {
	ctx := context.Background()
	backup := func(b interface {
		Backup(context.Context, io.Writer) (uint64, error)
	}) []byte {
		var buf bytes.Buffer
		_, err := b.Backup(ctx, &buf)
		require.NoError(t, err)
		return buf.Bytes()
	}
	src := openT(t, newDir(t), nil)
	for i := range 40 {
		require.NoError(t, src.SetBytes(ctx, fmt.Sprintf("k%02d", i), bytes.Repeat([]byte{byte(i)}, i)))
	}
	db = backup(src)
	require.NoError(t, src.SetBytes(ctx, "soon", []byte("x"), Deadline(time.Now().Add(time.Hour))))
	timed = backup(src)
	s, err := OpenSystem[bank, bankCmd]("", nil, nil)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Commit(ctx, bankCmd{Op: "open", To: "ada"}))
	require.NoError(t, s.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 7}))
	return db, timed, backup(s)
}

// openAny opens b with OpenBackup, or OpenSystemBackup if system is set,
// and closes what it opened.
func openAny(t *testing.T, b []byte, system bool) (uint64, error) {
	ctx := context.Background()
	if system {
		s, lsn, err := OpenSystemBackup[bank, bankCmd](ctx, bytes.NewReader(b), nil)
		if err == nil {
			require.NoError(t, s.Close())
		}
		return lsn, err
	}
	db, lsn, err := OpenBackup(ctx, bytes.NewReader(b), nil)
	if err == nil {
		require.NoError(t, db.Close())
	}
	return lsn, err
}

// OpenBackup and OpenSystemBackup load the records as they read them, but
// a backup damaged at any byte, or cut short at any length, still returns
// ErrCorrupt and no store (goleak, in TestMain, finds no goroutine left).
func TestOpenBackupDamagedAnywhere(t *testing.T) {
	db, timed, sys := streamBackups(t)
	for _, c := range []struct {
		name   string
		b      []byte
		system bool
	}{{"db", db, false}, {"deadlines", timed, false}, {"system", sys, true}} {
		t.Run(c.name, func(t *testing.T) {
			_, err := openAny(t, c.b, c.system)
			require.NoError(t, err)
			for off := range c.b {
				b := bytes.Clone(c.b)
				b[off] ^= 0x10
				lsn, err := openAny(t, b, c.system)
				require.ErrorIs(t, err, ErrCorrupt, "byte %d flipped", off)
				require.Zero(t, lsn)
			}
			for n := range len(c.b) {
				_, err := openAny(t, c.b[:n], c.system)
				require.ErrorIs(t, err, ErrCorrupt, "cut at %d", n)
			}
			_, err = openAny(t, append(bytes.Clone(c.b), 0), c.system)
			require.ErrorIs(t, err, ErrCorrupt, "a byte after the end")
		})
	}
}

// A store OpenBackup loads holds the source's keys, values, deadlines and
// LSN: a backup of it holds the same LSN.
func TestOpenBackupSameAsSource(t *testing.T) {
	ctx := context.Background()
	src := openT(t, newDir(t), nil)
	at := time.Now().Add(time.Hour).Truncate(time.Nanosecond)
	for i := range 10_000 { // more than one chunk of the engine's restore
		var opts []SetOption
		if i%7 == 0 {
			opts = append(opts, Deadline(at.Add(time.Duration(i))))
		}
		require.NoError(t, src.SetBytes(ctx, fmt.Sprint("key-", i), []byte(fmt.Sprint(i)), opts...))
	}
	_, err := src.Delete(ctx, "key-3")
	require.NoError(t, err)
	var buf bytes.Buffer
	lsn, err := src.Backup(ctx, &buf)
	require.NoError(t, err)
	require.Greater(t, lsn, uint64(10_000))

	db, got, err := OpenBackup(ctx, &buf, nil) // a Buffer: read as it streams
	require.NoError(t, err)
	defer db.Close()
	require.Equal(t, lsn, got)
	require.Equal(t, storeContents(t, src), storeContents(t, db))
	for _, k := range []string{"key-0", "key-7", "key-8"} {
		want, err := src.ExpiresAt(ctx, k)
		require.NoError(t, err)
		have, err := db.ExpiresAt(ctx, k)
		require.NoError(t, err)
		require.True(t, want.Equal(have), "%s: %v, want %v", k, have, want)
	}
	again, err := db.Backup(ctx, io.Discard)
	require.NoError(t, err)
	require.Equal(t, lsn, again, "the loaded store's LSN")
}

// onlyReader hides all but Read, so OpenBackup cannot learn the size.
type onlyReader struct{ io.Reader }

// A backup whose checksums all pass but whose header claims far more
// records than it holds (made by hand) returns ErrCorrupt without making
// room for them: before LimitRestore, OpenBackup made a map for the count
// the header gave (800 MB allocated here), with its size known or not.
func TestOpenBackupHeaderCountBounded(t *testing.T) {
	b := handMadeBackup(1<<23, nil)
	for _, r := range []func() io.Reader{
		func() io.Reader { return bytes.NewReader(b) },
		func() io.Reader { return onlyReader{bytes.NewReader(b)} },
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := OpenBackup(context.Background(), r(), nil)
		runtime.ReadMemStats(&after)
		require.ErrorIs(t, err, ErrCorrupt)
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(150<<20), "bytes allocated")
	}
}

// A backup whose checksums pass but that holds a key twice (made by hand;
// Backup never writes one) returns ErrCorrupt, as Open refuses its
// restored directory.
func TestOpenBackupKeyTwice(t *testing.T) {
	b := handMadeBackup(2, [][2]string{{"a", "1"}, {"a", "2"}})
	_, _, err := OpenBackup(context.Background(), bytes.NewReader(b), nil)
	require.ErrorIs(t, err, ErrCorrupt)
}

// OpenBackup returns ctx's error if ctx has ended, and no store.
func TestOpenBackupContext(t *testing.T) {
	db, _, _ := streamBackups(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, _, err := OpenBackup(ctx, bytes.NewReader(db), nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, got)
}

// handMadeBackup returns the backup of a DB, at LSN 5, whose header gives
// count records and whose body holds recs (forgeSnapshot's), every
// checksum right.
func handMadeBackup(count uint64, recs [][2]string) []byte {
	le := binary.LittleEndian
	b := append([]byte(nil), journal.BackupMagic[:]...)
	b = le.AppendUint32(b, journal.BackupVersion)
	b = le.AppendUint32(b, backupKV)
	b = le.AppendUint32(b, crc32.Checksum(b, castagnoli))
	b = le.AppendUint32(b, 0)
	snap := forgeSnapshot(5, recs)
	le.PutUint64(snap[24:32], count)
	le.PutUint32(snap[32:36], crc32.Checksum(snap[:32], castagnoli))
	return append(b, snap...)
}
