package hurrah

import (
	"encoding/json"
	"expvar"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

var publishRuns atomic.Int64

// TestPublishStats publishes a store's stats and reads them back as
// expvar's handler would; a second publish of the name is a typed error,
// not expvar's panic, and so is a name something else published.
func TestPublishStats(t *testing.T) {
	ctx := t.Context()
	// expvar is the process's: fresh names for each run (-count).
	runs := publishRuns.Add(1)
	name := fmt.Sprintf("hurrah_test_publish_%d", runs)
	other := fmt.Sprintf("hurrah_test_other_%d", runs)
	none := fmt.Sprintf("hurrah_test_nil_%d", runs)
	db := openT(t, newDir(t), nil)
	v, err := PublishStats(name, db.Stats)
	require.NoError(t, err)
	require.NotNil(t, v)
	require.NotNil(t, expvar.Get(name))
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.Close()) // everything counted is published

	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(expvar.Get(name).String()), &got))
	require.EqualValues(t, 1, got["sets"])
	require.EqualValues(t, 1, got["writes"])
	require.EqualValues(t, 1, got["applied_lsn"])
	require.Equal(t, true, got["closed"])
	require.Equal(t, "", got["read_only"])
	require.Len(t, got, reflect.TypeFor[Stats]().NumField(), "every field of Stats, once")

	_, err = PublishStats(name, db.Stats)
	require.ErrorIs(t, err, ErrPublished)
	expvar.NewInt(other)
	_, err = PublishStats(other, db.Stats)
	require.ErrorIs(t, err, ErrPublished)
	_, err = PublishStats("", db.Stats)
	require.ErrorIs(t, err, ErrInvalidOptions)
	_, err = PublishStats(none, nil)
	require.ErrorIs(t, err, ErrInvalidOptions)
	require.Nil(t, expvar.Get(none))
}

// TestStatsVarErrors checks that errors show as their text.
func TestStatsVarErrors(t *testing.T) {
	v := StatsVar(func() Stats { return Stats{ReadOnly: ErrReadOnly, LastSnapshotErr: ErrClosed} })
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(v.String()), &got))
	require.Equal(t, ErrReadOnly.Error(), got["read_only"])
	require.Equal(t, ErrClosed.Error(), got["last_snapshot_err"])
}
