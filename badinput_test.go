package hurrah

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// unchanged records what a store holds in memory and on disk, so that a test
// can check a rejected call changed neither.
type unchanged struct {
	db   *DB
	dir  string
	m    model
	disk map[string][]byte
}

func recordState(t *testing.T, db *DB, dir string, m model) unchanged {
	t.Helper()
	u := unchanged{db: db, dir: dir, m: m}
	requireContents(t, t.Context(), db, m)
	if dir != "" {
		u.disk = snapshotDir(t, dir)
	}
	return u
}

func (u unchanged) check(t *testing.T) {
	t.Helper()
	requireContents(t, t.Context(), u.db, u.m)
	if u.dir != "" {
		requireSameDir(t, u.disk, u.dir)
	}
}

// badInputStore opens a store with small limits (keys up to 8 bytes, values
// up to 16) holding "k" = "orig" and "raw" = bytes.
func badInputStore(t *testing.T, persistent bool) unchanged {
	t.Helper()
	dir := ""
	if persistent {
		dir = newDir(t)
	}
	db := openT(t, dir, &Options{MaxKeySize: 8, MaxValueSize: 16, SyncInterval: time.Hour})
	require.NoError(t, Set(t.Context(), db, "k", "orig"))
	require.NoError(t, db.SetBytes(t.Context(), "raw", []byte("raw")))
	return recordState(t, db, dir, model{"k": {s: "orig"}, "raw": {raw: true, s: "raw"}})
}

type withFunc struct {
	Name string
	F    func()
}

func TestBadInputChangesNothing(t *testing.T) {
	longKey := strings.Repeat("K", 9)
	// Reads and deletes accept keys over MaxKeySize (a larger limit may
	// have written them) but not over the hard limit.
	hugeKey := strings.Repeat("K", MaxKeySizeLimit+1)
	cases := []struct {
		name string
		want error
		call func(t *testing.T, db *DB) error
	}{
		{"Set chan", ErrEncode, func(t *testing.T, db *DB) error { return Set(t.Context(), db, "k", make(chan int)) }},
		{"Set func", ErrEncode, func(t *testing.T, db *DB) error { return Set(t.Context(), db, "k", func() {}) }},
		{"Set struct with func", ErrEncode, func(t *testing.T, db *DB) error {
			return Set(t.Context(), db, "k", withFunc{Name: "x", F: func() {}})
		}},
		{"Set map of chans", ErrEncode, func(t *testing.T, db *DB) error {
			return Set(t.Context(), db, "new", map[string]chan int{"a": nil})
		}},
		{"Set complex", ErrEncode, func(t *testing.T, db *DB) error { return Set(t.Context(), db, "new", complex(1, 2)) }},

		{"Set empty key", ErrInvalidKey, func(t *testing.T, db *DB) error { return Set(t.Context(), db, "", "v") }},
		{"SetBytes empty key", ErrInvalidKey, func(t *testing.T, db *DB) error { return db.SetBytes(t.Context(), "", []byte("v")) }},
		{"Get empty key", ErrInvalidKey, func(t *testing.T, db *DB) error { _, err := Get[string](t.Context(), db, ""); return err }},
		{"GetBytes empty key", ErrInvalidKey, func(t *testing.T, db *DB) error { _, err := db.GetBytes(t.Context(), ""); return err }},
		{"Has empty key", ErrInvalidKey, func(t *testing.T, db *DB) error { _, err := db.Has(t.Context(), ""); return err }},
		{"Delete empty key", ErrInvalidKey, func(t *testing.T, db *DB) error { _, err := db.Delete(t.Context(), ""); return err }},
		{"Set empty key bad value", ErrInvalidKey, func(t *testing.T, db *DB) error { return Set(t.Context(), db, "", make(chan int)) }},

		{"Set long key", ErrTooLarge, func(t *testing.T, db *DB) error { return Set(t.Context(), db, longKey, "v") }},
		{"SetBytes long key", ErrTooLarge, func(t *testing.T, db *DB) error { return db.SetBytes(t.Context(), longKey, nil) }},
		{"Get huge key", ErrTooLarge, func(t *testing.T, db *DB) error { _, err := Get[string](t.Context(), db, hugeKey); return err }},
		{"GetBytes huge key", ErrTooLarge, func(t *testing.T, db *DB) error { _, err := db.GetBytes(t.Context(), hugeKey); return err }},
		{"Has huge key", ErrTooLarge, func(t *testing.T, db *DB) error { _, err := db.Has(t.Context(), hugeKey); return err }},
		{"Delete huge key", ErrTooLarge, func(t *testing.T, db *DB) error { _, err := db.Delete(t.Context(), hugeKey); return err }},
		{"SetBytes large value", ErrTooLarge, func(t *testing.T, db *DB) error {
			return db.SetBytes(t.Context(), "k", make([]byte, 17))
		}},
		{"Set large value", ErrTooLarge, func(t *testing.T, db *DB) error {
			return Set(t.Context(), db, "k", strings.Repeat("v", 16)) // 17 bytes of CBOR
		}},
		{"Set large new key", ErrTooLarge, func(t *testing.T, db *DB) error {
			return Set(t.Context(), db, "new", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
		}},

		{"Get string as int", ErrDecode, func(t *testing.T, db *DB) error { _, err := Get[int](t.Context(), db, "k"); return err }},
		{"Get string as struct", ErrDecode, func(t *testing.T, db *DB) error { _, err := Get[point](t.Context(), db, "k"); return err }},
		{"Get raw bytes as string", ErrDecode, func(t *testing.T, db *DB) error { _, err := Get[string](t.Context(), db, "raw"); return err }},
	}
	for _, persistent := range []bool{false, true} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("persistent=%v/%s", persistent, c.name), func(t *testing.T) {
				u := badInputStore(t, persistent)
				err := c.call(t, u.db)
				require.ErrorIs(t, err, c.want)
				u.check(t)
			})
		}
	}
}

// TestSizeLimitsBoundary: exactly at the limit is accepted.
func TestSizeLimitsBoundary(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), &Options{MaxKeySize: 8, MaxValueSize: 16})
	require.NoError(t, Set(ctx, db, "12345678", strings.Repeat("v", 15))) // 16 bytes of CBOR
	require.NoError(t, db.SetBytes(ctx, "8bytes!!", make([]byte, 16)))
	requireContents(t, ctx, db, model{
		"12345678": {s: strings.Repeat("v", 15)},
		"8bytes!!": {raw: true, s: string(make([]byte, 16))},
	})
}

// TestDecodeErrorKeepsValue: a Get into the wrong type fails with ErrDecode
// and the value still reads back with the right type.
func TestDecodeErrorKeepsValue(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), nil)
	p := point{X: 1, Y: 2}
	require.NoError(t, Set(ctx, db, "s", "a string"))
	require.NoError(t, Set(ctx, db, "p", p))
	require.NoError(t, Set(ctx, db, "big", 1000))

	n, err := Get[int](ctx, db, "s")
	require.ErrorIs(t, err, ErrDecode)
	require.Zero(t, n)
	sl, err := Get[[]int](ctx, db, "p")
	require.ErrorIs(t, err, ErrDecode)
	require.Nil(t, sl)
	_, err = Get[int8](ctx, db, "big")
	require.ErrorIs(t, err, ErrDecode, "overflow")
	_, err = Get[map[string]string](ctx, db, "s")
	require.ErrorIs(t, err, ErrDecode)

	s, err := Get[string](ctx, db, "s")
	require.NoError(t, err)
	require.Equal(t, "a string", s)
	gp, err := Get[point](ctx, db, "p")
	require.NoError(t, err)
	require.Equal(t, p, gp)
	big, err := Get[int](ctx, db, "big")
	require.NoError(t, err)
	require.Equal(t, 1000, big)
}

func TestInvalidOptions(t *testing.T) {
	cases := []struct {
		name  string
		noDir bool
		opts  Options
	}{
		{"negative SyncInterval", false, Options{SyncInterval: -time.Millisecond}},
		{"SegmentSize too small", false, Options{SegmentSize: MinSegmentSize - 1}},
		{"SegmentSize 1", false, Options{SegmentSize: 1}},
		{"SegmentSize negative", false, Options{SegmentSize: -1}},
		{"SegmentSize too large", false, Options{SegmentSize: MaxSegmentSize + 1}},
		{"negative MaxKeySize", false, Options{MaxKeySize: -1}},
		{"MaxKeySize over the limit", false, Options{MaxKeySize: MaxKeySizeLimit + 1}},
		{"negative MaxValueSize", false, Options{MaxValueSize: -1}},
		{"MaxValueSize over the limit", false, Options{MaxValueSize: MaxValueLimit + 1}},
		{"negative MailboxSize", false, Options{MailboxSize: -1}},
		{"negative MaxDrain", false, Options{MaxDrain: -1}},
		{"unknown Durability", false, Options{Durability: Synced + 1}},
		{"unknown Durability 255", false, Options{Durability: 255}},
		{"unknown Durability memory", true, Options{Durability: 200}},
		{"MemoryOnly with a dir", false, Options{Durability: MemoryOnly}},
		{"Buffered without a dir", true, Options{Durability: Buffered}},
		{"Written without a dir", true, Options{Durability: Written}},
		{"Synced without a dir", true, Options{Durability: Synced}},
		{"memory negative MaxDrain", true, Options{MaxDrain: -1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "db")
			arg := dir
			if c.noDir {
				arg = ""
			}
			opts := c.opts
			db, err := Open(arg, &opts)
			require.ErrorIs(t, err, ErrInvalidOptions)
			require.Nil(t, db)
			_, err = os.Stat(dir)
			require.ErrorIs(t, err, fs.ErrNotExist, "Open created the directory")
			ents, err := os.ReadDir(parent)
			require.NoError(t, err)
			require.Empty(t, ents)
		})
	}
}

func TestValidOptionBounds(t *testing.T) {
	for _, opts := range []Options{
		{SegmentSize: MinSegmentSize},
		{SegmentSize: MaxSegmentSize},
		{MaxKeySize: MaxKeySizeLimit, MaxValueSize: MaxValueLimit},
		{MaxKeySize: 1, MaxValueSize: 1},
		{MailboxSize: 1, MaxDrain: 1, SyncInterval: time.Nanosecond},
		{Durability: Buffered},
		{Durability: Synced},
	} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			db := openT(t, newDir(t), &opts)
			require.NoError(t, db.SetBytes(t.Context(), "k", []byte("v")))
			require.NoError(t, db.Close())
		})
	}
}

func TestDirIsAFile(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	require.NoError(t, os.WriteFile(file, []byte("not a directory"), 0o644))
	for _, dir := range []string{file, filepath.Join(file, "sub")} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			before := snapshotDir(t, parent)
			db, err := Open(dir, nil)
			require.ErrorIs(t, err, ErrBadDir)
			require.ErrorIs(t, err, syscall.ENOTDIR)
			require.Nil(t, db)
			requireSameDir(t, before, parent)
		})
	}
}

// TestDirUnwritable injects a permission error where an unwritable
// directory would fail: tests run as root, whom chmod does not stop.
func TestDirUnwritable(t *testing.T) {
	for _, op := range []vfs.Op{vfs.OpMkdirAll, vfs.OpLock, vfs.OpCreate, vfs.OpSyncDir, vfs.OpList} {
		t.Run(op.String(), func(t *testing.T) {
			dir := newDir(t)
			perm := &fs.PathError{Op: op.String(), Path: dir, Err: fs.ErrPermission}
			db, err := Open(dir, &Options{fs: faultyFS(op, nil, perm, nil)})
			require.ErrorIs(t, err, ErrBadDir)
			require.ErrorIs(t, err, fs.ErrPermission)
			require.Nil(t, db)

			// Nothing is left held: the directory opens at once.
			db = openT(t, dir, nil)
			require.NoError(t, db.Close())
		})
	}
	t.Run("read-only file system", func(t *testing.T) {
		dir := newDir(t)
		_, err := Open(dir, &Options{fs: faultyFS(vfs.OpCreate, nil, syscall.EROFS, nil)})
		require.ErrorIs(t, err, ErrBadDir)
		require.ErrorIs(t, err, syscall.EROFS)
	})
}

func TestDirUnwritableChmod(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: chmod does not deny root; TestDirUnwritable injects the error instead")
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "db")
	require.NoError(t, os.Mkdir(dir, 0o500))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	_, err := Open(dir, nil)
	require.ErrorIs(t, err, ErrBadDir)
	require.ErrorIs(t, err, fs.ErrPermission)

	require.NoError(t, os.Chmod(parent, 0o500))
	t.Cleanup(func() { os.Chmod(parent, 0o755) })
	_, err = Open(filepath.Join(parent, "new"), nil)
	require.ErrorIs(t, err, ErrBadDir)
	require.ErrorIs(t, err, fs.ErrPermission)
}

// setVersion sets the format version in the segment header at the start of
// b, and its checksum, as a newer build would write it.
func setVersion(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b[8:12], v)
	binary.LittleEndian.PutUint32(b[28:32], crc32.Checksum(b[:28], crc32.MakeTable(crc32.Castagnoli)))
}

func TestNewerVersion(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, nil)
	require.NoError(t, Set(ctx, db, "k", "v"))
	require.NoError(t, db.Close())

	wal := onlyWAL(t, dir)
	b, err := os.ReadFile(wal)
	require.NoError(t, err)
	require.Equal(t, uint32(1), binary.LittleEndian.Uint32(b[8:12]))
	setVersion(b, 2)
	require.NoError(t, os.WriteFile(wal, b, 0o644))
	before := snapshotDir(t, dir)

	db, err = Open(dir, nil)
	require.ErrorIs(t, err, ErrVersion)
	require.Nil(t, db)
	requireSameDir(t, before, dir)
	var ce *CorruptError
	require.False(t, errors.As(err, &ce), "a newer version is not corruption: %v", err)
}

func TestClosed(t *testing.T) {
	calls := []struct {
		name string
		call func(t *testing.T, db *DB) error
	}{
		{"Sync", func(t *testing.T, db *DB) error { return db.Sync(t.Context()) }},
		{"Keys", func(t *testing.T, db *DB) error { _, err := db.Keys(t.Context()); return err }},
		{"Set", func(t *testing.T, db *DB) error { return Set(t.Context(), db, "k", "v") }},
		{"Get", func(t *testing.T, db *DB) error { _, err := Get[string](t.Context(), db, "k"); return err }},
		{"Get missing", func(t *testing.T, db *DB) error { _, err := Get[string](t.Context(), db, "nope"); return err }},
		{"SetBytes", func(t *testing.T, db *DB) error { return db.SetBytes(t.Context(), "k", []byte("v")) }},
		{"GetBytes", func(t *testing.T, db *DB) error { _, err := db.GetBytes(t.Context(), "k"); return err }},
		{"Has", func(t *testing.T, db *DB) error { _, err := db.Has(t.Context(), "k"); return err }},
		{"Delete", func(t *testing.T, db *DB) error { _, err := db.Delete(t.Context(), "k"); return err }},
		{"Delete missing", func(t *testing.T, db *DB) error { _, err := db.Delete(t.Context(), "nope"); return err }},
		{"Clear", func(t *testing.T, db *DB) error { return db.Clear(t.Context()) }},
		{"Len", func(t *testing.T, db *DB) error { _, err := db.Len(t.Context()); return err }},
	}
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("persistent=%v", persistent), func(t *testing.T) {
			dir := ""
			if persistent {
				dir = newDir(t)
			}
			db, err := Open(dir, nil)
			require.NoError(t, err)
			require.NoError(t, Set(t.Context(), db, "k", "v"))
			first := db.Close()
			require.NoError(t, first)
			for _, c := range calls {
				require.ErrorIs(t, c.call(t, db), ErrClosed, c.name)
			}
			require.Equal(t, first, db.Close(), "second Close")
			require.Equal(t, first, db.Close(), "third Close")
			if persistent {
				// The data written before Close is all there.
				db2 := openT(t, dir, nil)
				requireContents(t, t.Context(), db2, model{"k": {s: "v"}})
			}
		})
	}
}

// TestHugeOptions opens stores with MailboxSize or MaxDrain far too large to
// allocate, in a child process since the attempt may kill it: Open should
// refuse them with ErrInvalidOptions (or cope), never crash.
func TestHugeOptions(t *testing.T) {
	for _, opt := range []string{"MailboxSize", "MaxDrain"} {
		t.Run(opt, func(t *testing.T) {
			out, err := helperCmd(t.Context(), "opts", "HURRAH_OPT="+opt).CombinedOutput()
			got := strings.TrimSpace(string(out))
			require.NoError(t, err, "the child crashed: %s", got)
			require.Equal(t, "INVALID", got, "Open(\"\", &Options{%s: 1<<50}) must return ErrInvalidOptions", opt)
		})
	}
}

// TestClosedBadInput: the doc of Close says every method returns ErrClosed
// after it, including calls whose arguments are also wrong.
func TestClosedBadInput(t *testing.T) {
	db, err := Open("", nil)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	ctx := t.Context()
	for name, err := range map[string]error{
		"Set empty key":      Set(ctx, db, "", "v"),
		"Set chan":           Set(ctx, db, "k", make(chan int)),
		"SetBytes empty key": db.SetBytes(ctx, "", nil),
		"Has empty key":      func() error { _, err := db.Has(ctx, ""); return err }(),
		"Delete empty key":   func() error { _, err := db.Delete(ctx, ""); return err }(),
	} {
		require.ErrorIs(t, err, ErrClosed, name)
	}
}

// TestJournalEmptyKey forges journal records that set, delete and batch an
// empty key, with valid checksums: no call writes one, so Open refuses each
// as corruption rather than hold a key nothing could read or delete.
func TestJournalEmptyKey(t *testing.T) {
	for name, c := range map[string]store.Command{
		"set":    {Op: store.OpSet, Key: "", Value: []byte("v")},
		"delete": {Op: store.OpDelete, Key: ""},
		"batch":  {Op: store.OpBatch, Batch: []store.Mutation{{Op: store.OpSet, Key: "k"}, {Op: store.OpSet, Key: ""}}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := newDir(t)
			j, _, err := journal.Open(vfs.OS, dir, journal.Options{}, nil)
			require.NoError(t, err)
			data, err := store.EncodeCommand(c)
			require.NoError(t, err)
			done := make(chan error, 1)
			require.NoError(t, j.Append(context.Background(), &handoff.Parcel{
				Entries:   []handoff.Entry{{LSN: 1, Data: data}},
				AfterSync: []handoff.Waiter{chanWaiter(done)},
			}))
			require.NoError(t, <-done)
			require.NoError(t, j.Close())
			_, err = Open(dir, nil)
			require.ErrorIs(t, err, ErrCorrupt)
			rep, err := Check(dir)
			require.NoError(t, err)
			require.NotNil(t, rep.Damage, "Check sees it too")
		})
	}
}

// chanWaiter is a handoff.Waiter that reports on a channel.
type chanWaiter chan error

func (c chanWaiter) Done(err error) { c <- err }
