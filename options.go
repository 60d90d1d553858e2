package hurrah

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Defaults and limits for Options.
const (
	DefaultSyncInterval = 100 * time.Millisecond
	DefaultSegmentSize  = 64 << 20
	DefaultMaxKeySize   = 64 << 10
	DefaultMaxValueSize = 16 << 20
	DefaultMailboxSize  = actor.DefaultMailbox
	DefaultMaxDrain     = actor.DefaultMaxDrain
	// DefaultSnapshotThreshold is the journal growth past which a store
	// snapshots on its own (if the growth also passes the size of the
	// last snapshot).
	DefaultSnapshotThreshold = 8 << 20
	DefaultKeepSnapshots     = 1
	// DefaultSlowFsync is the fsync duration from which a store logs a
	// slow fsync (Options.SlowFsync): a second, as etcd warns of a slow
	// fdatasync. A disk that healthy takes milliseconds.
	DefaultSlowFsync = time.Second
	// DefaultFileMode is the mode of the files a store creates: only
	// their owner may read or write them. Directories get 0700.
	DefaultFileMode os.FileMode = vfs.DefaultFileMode

	MinSegmentSize   = 4 << 10   // smallest SegmentSize accepted
	MaxSegmentSize   = 1 << 30   // largest SegmentSize accepted
	MaxKeySizeLimit  = 1 << 20   // largest MaxKeySize accepted
	MaxValueLimit    = 256 << 20 // largest MaxValueSize accepted
	MaxMailboxSize   = 1 << 20   // largest MailboxSize accepted
	MaxDrainLimit    = 1 << 16   // largest MaxDrain accepted
	MaxKeepSnapshots = 1 << 10   // largest KeepSnapshots accepted
)

// Options configure a store. A nil *Options, and every zero field, means the
// default given in the field's comment.
type Options struct {
	// Durability says when writes are acknowledged. Default: Written with
	// a directory, MemoryOnly without. MemoryOnly with a directory, or a
	// persistent level without one, is invalid.
	Durability Durability

	// SyncInterval is how often the journal fsyncs what it has written,
	// for the Buffered and Written levels (Synced writes and Sync calls do
	// not wait for it). Default 100ms; negative is invalid.
	SyncInterval time.Duration

	// SegmentSize is the size at which the journal starts a new segment
	// file. Default 64 MiB; from 4 KiB to 1 GiB.
	SegmentSize int64

	// MaxKeySize is the longest key a write accepts, in bytes. Default
	// 64 KiB; at most 1 MiB. Reads and deletes accept any key up to 1 MiB,
	// so keys written under a larger limit stay reachable.
	MaxKeySize int

	// MaxValueSize is the largest encoded value accepted, in bytes.
	// Default 16 MiB; at most 256 MiB.
	MaxValueSize int

	// MailboxSize is how many requests may queue for the owner goroutine
	// before callers wait. Default 1024; at most 1 Mi.
	MailboxSize int

	// MaxDrain is the most requests the owner applies in one go, and so
	// the most writes that share one journal write. Default 256; at most
	// 64 Ki.
	MaxDrain int

	// SnapshotThreshold turns automatic snapshots on: once the journal has
	// grown by more than SnapshotThreshold bytes and by more than the
	// size of the last snapshot since that snapshot began, the store
	// takes a snapshot on its own, in the background. So the disk holds
	// about twice the live data between snapshots (three times while one
	// is written), and writing snapshots costs about as much again as
	// writing the journal. Default 8 MiB; negative turns automatic
	// snapshots off (Snapshot still works).
	SnapshotThreshold int64

	// KeepSnapshots is how many snapshot files are kept: after each
	// snapshot the older ones beyond this many are removed. Default 1;
	// at most 1024. The journal is kept only back to the newest snapshot,
	// so an older one helps only while the journal still reaches back to
	// it (after a compaction that was cut short), or for reading with
	// tools.
	KeepSnapshots int

	// FileMode is the permission bits of the files the store creates in
	// its directory (journal segments, snapshots and their temporary
	// files, the LOCK and SYSTEM files, the clean-close marker, the files
	// Open sets a torn tail aside in). The directories it creates get the same bits plus
	// execute wherever FileMode has read. Default 0600, and so 0700 for
	// directories: only the owner may read the store, since it holds the
	// users' data. It must hold only permission bits, and at least 0600:
	// the store must read and write its own files. The process's umask
	// still applies, and files and directories that exist keep their
	// modes. Repair, Check and Prune create files with the default.
	FileMode os.FileMode

	// Codec encodes and decodes the values of the typed calls (Set, Get,
	// and the rest: see Codec, which lists the Go types each codec
	// round-trips). Default CBORCodec; JSONCodec is the other built-in
	// one, and the nested module github.com/hurrahdb/hurrah/protocodec has
	// one for protobuf messages. The codec is not recorded in the store:
	// open a store always with the same codec. A System encodes its
	// commands and State as CBOR: OpenSystem refuses any other codec.
	Codec Codec

	// Logger receives one structured line for each rare event: a torn
	// tail cut at Open, a snapshot skipped at Open because it failed its
	// checks, the remains of a snapshot a crash interrupted removed at
	// Open, a snapshot that failed, the store turning read-only and
	// why, a System poisoned by a panicking command, and an fsync slower
	// than SlowFsync. Nothing is logged on the path of a request. Default
	// nil: silent. The README lists the messages and their attributes.
	Logger *slog.Logger

	// SlowFsync is the fsync duration from which the store logs a slow
	// fsync of its journal and counts it in Stats.SlowFsyncs. Default 1s;
	// negative: never.
	SlowFsync time.Duration

	fs    vfs.FS       // tests swap the file system; nil means the OS
	clock func() int64 // tests control expiry's clock (Unix ns); nil means store.WallClock
}

// resolve validates o and fills in defaults. persistent says whether Open
// was given a directory.
func (o *Options) resolve(persistent bool) (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	bad := func(format string, args ...any) (Options, error) {
		return Options{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
	}
	switch {
	case r.Durability > Synced:
		return bad("unknown durability %v", r.Durability)
	case r.Durability == DefaultDurability && persistent:
		r.Durability = Written
	case r.Durability == DefaultDurability:
		r.Durability = MemoryOnly
	case r.Durability == MemoryOnly && persistent:
		return bad("durability memory-only takes no directory")
	case r.Durability != MemoryOnly && !persistent:
		return bad("durability %v needs a directory", r.Durability)
	}
	// Every field is checked, so one error names every bad one.
	if err := errors.Join(
		option("SyncInterval", &r.SyncInterval, DefaultSyncInterval, 1, math.MaxInt64),
		option("SegmentSize", &r.SegmentSize, DefaultSegmentSize, MinSegmentSize, MaxSegmentSize),
		option("MaxKeySize", &r.MaxKeySize, DefaultMaxKeySize, 1, MaxKeySizeLimit),
		option("MaxValueSize", &r.MaxValueSize, DefaultMaxValueSize, 1, MaxValueLimit),
		option("MailboxSize", &r.MailboxSize, DefaultMailboxSize, 1, MaxMailboxSize),
		option("MaxDrain", &r.MaxDrain, DefaultMaxDrain, 1, MaxDrainLimit),
		option("KeepSnapshots", &r.KeepSnapshots, DefaultKeepSnapshots, 1, MaxKeepSnapshots),
		fileMode(&r.FileMode),
	); err != nil {
		return Options{}, err
	}
	switch {
	case r.SnapshotThreshold == 0:
		r.SnapshotThreshold = DefaultSnapshotThreshold
	case r.SnapshotThreshold < 0:
		r.SnapshotThreshold = -1
	}
	switch {
	case r.SlowFsync == 0:
		r.SlowFsync = DefaultSlowFsync
	case r.SlowFsync < 0:
		r.SlowFsync = -1
	}
	if r.Codec == nil {
		r.Codec = CBORCodec{}
	}
	if r.fs == nil {
		r.fs = vfs.OSMode(r.FileMode)
	}
	return r, nil
}

// option fills *v with def when it is zero, then checks that it lies in
// [lo, hi].
func option[T ~int | ~int64](name string, v *T, def, lo, hi T) error {
	if *v == 0 {
		*v = def
	}
	if *v < lo || *v > hi {
		return fmt.Errorf("%w: %s %v is outside [%v, %v]", ErrInvalidOptions, name, *v, lo, hi)
	}
	return nil
}

// fileMode fills *m with the default file mode when it is zero, then
// checks that it holds only permission bits, 0600 among them.
func fileMode(m *os.FileMode) error {
	if *m == 0 {
		*m = DefaultFileMode
	}
	if *m&^os.ModePerm != 0 || *m&0o600 != 0o600 {
		return fmt.Errorf("%w: FileMode %v: only permission bits, 0600 among them", ErrInvalidOptions, *m)
	}
	return nil
}

// checkSize checks the size n of an encoded value or command (what) against
// MaxValueSize.
func (o *Options) checkSize(what string, n int) error {
	if n > o.MaxValueSize {
		return fmt.Errorf("%w: %s of %d bytes exceeds MaxValueSize %d", ErrTooLarge, what, n, o.MaxValueSize)
	}
	return nil
}
