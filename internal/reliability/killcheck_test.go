package reliability

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// What TestCrashKill checks after each kill.

// check reopens a copy of the directory as the kill of plan p left it and
// checks it against the model and against what the child acknowledged.
func (l *killLoop) check(p killPlan, ch *crashChild) {
	t := l.t
	t.Helper()
	ctx := t.Context()
	copyDir := filepath.Join(l.tmp, "check")
	require.NoError(t, os.RemoveAll(copyDir))
	l.maxSegments = max(l.maxSegments, copyStoreDir(t, l.dir, copyDir))
	defer os.RemoveAll(copyDir)

	db, err := hurrah.Open(copyDir, nil)
	require.NoError(t, err, "reopen after kill -9 in %v", p)
	defer db.Close()
	rec := db.Recovery()
	if rec.TornTail != nil {
		l.torn++
	}
	if rec.Snapshot != "" {
		l.fromSnap++
	}
	// The check recovered a copy: the directory itself keeps the torn
	// tail until a child's Open cuts it.
	l.tornLeft = rec.TornTail != nil

	// Sort what is there into this cycle's keys and the earlier ones.
	keys, err := db.Keys(ctx)
	require.NoError(t, err)
	prefix := "c" + strconv.Itoa(p.cycle) + "-"
	got := map[string]string{}
	old := 0
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			_, ok := l.model[k]
			require.True(t, ok, "key %q is there but no cycle before %d recovered it", k, p.cycle)
			old++
			continue
		}
		v, err := hurrah.Get[string](ctx, db, k)
		require.NoError(t, err, "Get %q", k)
		got[k] = v
	}
	require.Equal(t, len(l.model), old, "keys of earlier cycles: %d are there, %d expected", old, len(l.model))
	// Their values: all of them now and then, a sample otherwise (reading
	// every one each cycle would make a long run quadratic).
	if n := len(l.keys); n > 0 {
		idx := make([]int, 0, 64)
		if p.cycle%8 == 7 || n <= 64 {
			for i := range n {
				idx = append(idx, i)
			}
		} else {
			for range 64 {
				idx = append(idx, l.sample.IntN(n))
			}
		}
		for _, i := range idx {
			k := l.keys[i]
			v, err := hurrah.Get[string](ctx, db, k)
			require.NoError(t, err, "key %q, recovered in an earlier cycle", k)
			require.Equal(t, l.model[k], v, "key %q, recovered in an earlier cycle", k)
		}
	}

	// How far each writer's prefix goes: the newest op whose value is there.
	var prefixLen [crashWriters]int
	for k, v := range got {
		w, j, ok := parseCrashValue(p.cycle, k, v)
		require.True(t, ok, "key %q holds %q, which no op of cycle %d writes there", k, v, p.cycle)
		prefixLen[w] = max(prefixLen[w], j+1)
	}
	// What those prefixes imply, op by op, newest value last.
	want := map[string]string{}
	ops := 0
	for w, n := range prefixLen {
		for j := range n {
			k, v := crashOp(p.cycle, w, j)
			want[k] = v
		}
		ops += n
	}
	if !assertSameMap(t, want, got) {
		t.Errorf("%v: recovered keys are not the prefixes %v of the writers' sequences (a hole or a reordering)",
			p, prefixLen)
		return
	}
	require.Equal(t, l.lastLSN+uint64(ops), rec.LastLSN,
		"log records: %d before this cycle, %d recovered ops (prefixes %v)", l.lastLSN, ops, prefixLen)

	// Against what the child acknowledged.
	promised := ch.acks
	if p.level == "buffered" {
		promised = ch.synced
	}
	tail, unwritten := 0, 0
	for w := range crashWriters {
		l.acked += ch.acks[w]
		l.checked += promised[w]
		if lost := promised[w] - prefixLen[w]; lost > 0 {
			l.lost += lost
			t.Errorf("%v: writer %d: %d acknowledged writes lost: ops 0..%d were promised, ops from %d are missing",
				p, w, lost, promised[w]-1, prefixLen[w])
		}
		extra := prefixLen[w] - ch.acks[w]
		require.LessOrEqual(t, extra, 1,
			"cycle %d: writer %d: recovered %d ops, but only %d were acknowledged and one can be in flight", p.cycle, w, prefixLen[w], ch.acks[w])
		tail += max(0, extra)
		unwritten += max(0, -extra)
	}
	// Nothing reordered across writers either: writer b started op j
	// after the child printed ACK b j-1, so every op acknowledged before
	// that line was applied, and journaled, before op j. If op j is
	// there, so are they.
	for b, n := range prefixLen {
		if n < 2 {
			continue
		}
		for a, before := range ch.acksAt[b][n-2] {
			if prefixLen[a] < before {
				t.Errorf("%v: writer %d's op %d is there, but writer %d's op %d, acknowledged before it started, is not",
					p, b, n-1, a, prefixLen[a])
			}
		}
	}
	l.unwritten = max(l.unwritten, unwritten)
	l.tails += tail
	l.maxTail = max(l.maxTail, tail)
	torn := ""
	if tt := rec.TornTail; tt != nil {
		torn = fmt.Sprintf(", cut a torn tail of %d bytes at %s:%d", tt.Bytes, filepath.Base(tt.File), tt.Offset)
	}
	t.Logf("%v: opened %v, acknowledged %v (promised %v), recovered %v, tail %d%s",
		p, ch.opened, ch.acks, promised, prefixLen, tail, torn)

	// This cycle's keys join the model; the next child recovers the
	// original directory, which must come to the same.
	for _, k := range slices.Sorted(maps.Keys(got)) {
		l.model[k] = got[k]
		l.keys = append(l.keys, k)
	}
	l.lastLSN = rec.LastLSN
	require.NoError(t, db.Close())
}

// assertSameMap reports whether want and got hold the same pairs, and if
// not logs the differences (a few of each kind).
func assertSameMap(t *testing.T, want, got map[string]string) bool {
	t.Helper()
	var missing, extra, wrong []string
	for k, v := range want {
		switch g, ok := got[k]; {
		case !ok:
			missing = append(missing, k)
		case g != v:
			wrong = append(wrong, fmt.Sprintf("%s=%q, want %q", k, g, v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra)+len(wrong) == 0 {
		return true
	}
	first := func(s []string) []string {
		slices.Sort(s)
		return s[:min(len(s), 10)]
	}
	t.Logf("missing %d keys %v; %d keys not implied %v; %d wrong values %v",
		len(missing), first(missing), len(extra), first(extra), len(wrong), first(wrong))
	return false
}
