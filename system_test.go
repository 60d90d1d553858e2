package hurrah

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// bank is a State for the System tests.
type bank struct {
	Accounts map[string]int
}

// bankCmd moves money. Its unexported field is not journaled.
type bankCmd struct {
	Op     string // "open", "deposit", "transfer", "panic"
	From   string
	To     string
	Amount int
	hidden int
}

var errFunds = errors.New("insufficient funds")

func (c bankCmd) Apply(s *bank) error {
	switch c.Op {
	case "open":
		if s.Accounts == nil {
			s.Accounts = map[string]int{}
		}
		s.Accounts[c.To] = c.hidden // always 0 when applied: see Command
	case "deposit":
		s.Accounts[c.To] += c.Amount
	case "transfer":
		if s.Accounts[c.From] < c.Amount {
			return errFunds
		}
		s.Accounts[c.From] -= c.Amount
		s.Accounts[c.To] += c.Amount
	case "panic":
		s.Accounts[c.From] -= c.Amount // half a transfer...
		panic("boom")
	default:
		return fmt.Errorf("unknown op %q", c.Op)
	}
	return nil
}

func openBank(t *testing.T, dir string, opts *Options) *System[bank, bankCmd] {
	t.Helper()
	sys, err := OpenSystem[bank, bankCmd](dir, nil, opts)
	require.NoError(t, err)
	t.Cleanup(func() { sys.Close() })
	return sys
}

func balances(t *testing.T, sys *System[bank, bankCmd]) map[string]int {
	t.Helper()
	m, err := Query(context.Background(), sys, func(s *bank) map[string]int {
		out := make(map[string]int, len(s.Accounts))
		for k, v := range s.Accounts {
			out[k] = v
		}
		return out
	})
	require.NoError(t, err)
	return m
}

func TestSystemCommitQueryReopen(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	sys := openBank(t, dir, nil)
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "ada", hidden: 99}))
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "bob"}))
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 100}))
	require.ErrorIs(t, sys.Commit(ctx, bankCmd{Op: "transfer", From: "bob", To: "ada", Amount: 1}), errFunds)
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "transfer", From: "ada", To: "bob", Amount: 30}))
	want := map[string]int{"ada": 70, "bob": 30}
	require.Equal(t, want, balances(t, sys), "unexported command fields are not applied")
	require.NoError(t, sys.Close())
	require.ErrorIs(t, sys.Commit(ctx, bankCmd{Op: "open", To: "x"}), ErrClosed)
	_, err := Query(ctx, sys, func(*bank) int { return 0 })
	require.ErrorIs(t, err, ErrClosed)

	sys = openBank(t, dir, nil)
	require.EqualValues(t, 4, sys.Recovery().Records, "the refused command is not journaled")
	require.Equal(t, want, balances(t, sys))

	// Snapshot, more commands, reopen: the snapshot and the rest.
	require.NoError(t, sys.Snapshot(ctx))
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "bob", Amount: 5}))
	require.NoError(t, sys.Close())
	sys = openBank(t, dir, nil)
	rec := sys.Recovery()
	require.EqualValues(t, 4, rec.SnapshotLSN)
	require.EqualValues(t, 1, rec.Records)
	require.Equal(t, map[string]int{"ada": 70, "bob": 35}, balances(t, sys))
	require.EqualValues(t, 0, sys.Stats().Snapshots)
}

func TestSystemConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	sys := openBank(t, dir, &Options{Durability: Synced, SnapshotThreshold: 4 << 10})
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "pool"}))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if err := sys.Commit(ctx, bankCmd{Op: "deposit", To: "pool", Amount: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 800, balances(t, sys)["pool"])
	require.NoError(t, sys.Snapshot(ctx))
	require.Positive(t, sys.Stats().Snapshots)
	require.NoError(t, sys.Close())
	sys = openBank(t, dir, nil)
	require.Equal(t, 800, balances(t, sys)["pool"])
}

func TestSystemPanics(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	sys := openBank(t, dir, nil)
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "ada"}))
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 10}))

	// A panicking query leaves the System usable.
	_, err := Query(ctx, sys, func(s *bank) int { panic("query boom") })
	require.ErrorIs(t, err, ErrPanic)
	require.NotErrorIs(t, err, ErrPoisoned)
	require.Equal(t, 10, balances(t, sys)["ada"])

	// A panicking command poisons it: the state may be half changed.
	err = sys.Commit(ctx, bankCmd{Op: "panic", From: "ada", Amount: 3})
	require.ErrorIs(t, err, ErrPanic)
	require.ErrorIs(t, err, ErrPoisoned)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "boom", pe.Value)
	require.ErrorIs(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 1}), ErrPoisoned)
	_, err = Query(ctx, sys, func(s *bank) int { return s.Accounts["ada"] })
	require.ErrorIs(t, err, ErrPoisoned)
	require.ErrorIs(t, sys.Snapshot(ctx), ErrPoisoned, "a poisoned state is never snapshotted")
	require.ErrorIs(t, sys.Sync(ctx), ErrPoisoned, "every later call, Sync too")
	require.NoError(t, sys.Close())
	require.ErrorIs(t, sys.Sync(ctx), ErrClosed, "after Close, ErrClosed")

	// The journal holds only what succeeded.
	sys = openBank(t, dir, nil)
	require.Equal(t, map[string]int{"ada": 10}, balances(t, sys))
}

// TestSystemSync: Sync makes the commands acknowledged before it durable,
// though the sync interval would not come round for an hour: a power loss
// right after it keeps them, and one right before it need not.
func TestSystemSync(t *testing.T) {
	for _, level := range []Durability{Buffered, Written} {
		t.Run(level.String(), func(t *testing.T) {
			ctx := t.Context()
			const dir = "/db"
			live := vfs.NewMem()
			sys, err := OpenSystem[bank, bankCmd](dir, nil, &Options{Durability: level, SyncInterval: time.Hour, fs: live})
			require.NoError(t, err)
			defer sys.Close()
			require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "a"}))
			require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "a", Amount: 5}))
			unsynced := live.Crash(vfs.CrashOptions{})
			require.NoError(t, sys.Sync(ctx))
			synced := live.Crash(vfs.CrashOptions{})

			for img, want := range map[*vfs.Mem]map[string]int{unsynced: {}, synced: {"a": 5}} {
				sys, err := OpenSystem[bank, bankCmd](dir, nil, &Options{fs: img})
				require.NoError(t, err)
				require.Equal(t, want, balances(t, sys))
				require.NoError(t, sys.Close())
			}
		})
	}
}

// unencodable cannot be encoded as CBOR.
type unencodable struct{ C chan int }

func (unencodable) Apply(*bank) error { return nil }

// chanState is a State CBOR cannot encode.
type chanState struct{ C chan int }

type chanCmd struct{}

func (chanCmd) Apply(*chanState) error { return nil }

func TestSystemBadInput(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	sys, err := OpenSystem[bank, unencodable](dir, nil, nil)
	require.NoError(t, err)
	require.ErrorIs(t, sys.Commit(ctx, unencodable{C: make(chan int)}), ErrEncode)
	require.NoError(t, sys.Close())
	sys2 := openBank(t, dir, nil)
	require.Zero(t, sys2.Recovery().Records, "nothing was journaled")
	require.NoError(t, sys2.Close())

	_, err = OpenSystem[chanState, chanCmd](newDir(t), nil, nil)
	require.ErrorIs(t, err, ErrEncode, "a State that cannot be snapshotted is refused at Open")
	mem, err := OpenSystem[chanState, chanCmd]("", nil, nil)
	require.NoError(t, err, "a memory-only System never snapshots")
	require.NoError(t, mem.Commit(ctx, chanCmd{}))
	require.NoError(t, mem.Snapshot(ctx))
	require.NoError(t, mem.Close())

	sys3 := openBank(t, newDir(t), &Options{MaxValueSize: 16})
	require.ErrorIs(t, sys3.Commit(ctx, bankCmd{Op: "open", To: "a-very-long-account-name"}), ErrTooLarge)

	_, err = OpenSystem[bank, bankCmd](newDir(t), nil, &Options{KeepSnapshots: -1})
	require.ErrorIs(t, err, ErrInvalidOptions)
}

func TestSystemInitial(t *testing.T) {
	ctx := context.Background()
	sys, err := OpenSystem[bank, bankCmd]("", func() bank { return bank{Accounts: map[string]int{"seed": 1}} }, nil)
	require.NoError(t, err)
	defer sys.Close()
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "seed", Amount: 2}))
	require.Equal(t, map[string]int{"seed": 3}, balances(t, sys))
}

func TestSystemDirectoryKind(t *testing.T) {
	ctx := context.Background()
	sysDir, kvDir := newDir(t), newDir(t)
	sys := openBank(t, sysDir, nil)
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "ada"}))
	require.NoError(t, sys.Snapshot(ctx))
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 5}))
	require.NoError(t, sys.Close())
	db := openT(t, kvDir, nil)
	require.NoError(t, db.SetBytes(ctx, "k", nil))
	require.NoError(t, db.Close())

	before := snapshotDir(t, sysDir)
	_, err := Open(sysDir, nil)
	require.ErrorIs(t, err, ErrBadDir, "a System's directory is not a key-value store")
	_, err = OpenSystem[bank, bankCmd](kvDir, nil, nil)
	require.ErrorIs(t, err, ErrBadDir, "a key-value store's directory is not a System's")

	// Check and Repair cannot decode a System's records, so they judge them
	// by their checksums: a sound System is sound, and Repair leaves it be.
	rep, err := Check(sysDir)
	require.NoError(t, err)
	require.Nil(t, rep.Damage)
	rep, err = Repair(sysDir)
	require.NoError(t, err)
	require.Nil(t, rep.Damage)
	requireSameDir(t, before, sysDir)

	sys = openBank(t, sysDir, nil)
	require.Equal(t, map[string]int{"ada": 5}, balances(t, sys))
}

// TestSystemPowerLoss cuts the power before every file operation of a
// Synced System that commits and snapshots: every reopen is a prefix of the
// commands holding every acknowledged one, and the directory stays a
// System's.
func TestSystemPowerLoss(t *testing.T) {
	const commits = 12
	run := func(fsys vfs.FS) (acked int) {
		sys, err := OpenSystem[bank, bankCmd](harnessDir, nil, &Options{Durability: Synced, fs: fsys})
		if err != nil {
			return 0
		}
		defer sys.Close()
		ctx := context.Background()
		if sys.Commit(ctx, bankCmd{Op: "open", To: "a"}) != nil {
			return 0
		}
		for i := 1; i < commits; i++ {
			if sys.Commit(ctx, bankCmd{Op: "deposit", To: "a", Amount: 1}) != nil {
				return i
			}
			if i%4 == 0 && sys.Snapshot(ctx) != nil {
				return i + 1
			}
		}
		return commits
	}
	points := 0
	for at := 1; ; at++ {
		live := vfs.NewMem()
		var images []*vfs.Mem
		inj := cutPower(at, func() {
			images = []*vfs.Mem{live.Crash(vfs.CrashOptions{}), live.Crash(vfs.CrashOptions{Rand: rand.New(rand.NewPCG(uint64(at), 2)), Tear: true})}
		})
		acked := run(&vfs.Faulty{FS: live, Inject: inj.Inject})
		if images == nil {
			break
		}
		points++
		for _, img := range images {
			sys, err := OpenSystem[bank, bankCmd](harnessDir, nil, &Options{fs: img})
			require.NoError(t, err, "crash point %d", at)
			got := balances(t, sys)
			require.NoError(t, sys.Close())
			n := 0
			if a, ok := got["a"]; ok {
				n = a + 1 // the open, then a deposit each
			}
			require.GreaterOrEqual(t, n, acked, "crash point %d: an acknowledged command was lost", at)
		}
	}
	require.Greater(t, points, 20)
	t.Logf("figure: %d crash points, each reopened from two power-loss images", points)
}
