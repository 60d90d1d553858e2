package hurrah

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGetBytesMany(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.SetBytes(ctx, "empty", nil))
	require.NoError(t, Set(ctx, db, "typed", 7))

	got, err := db.GetBytesMany(ctx, []string{"a", "missing", "empty", "a", "typed"})
	require.NoError(t, err)
	require.Len(t, got, 5)
	require.Equal(t, []byte("1"), got[0])
	require.Nil(t, got[1], "a missing key")
	require.NotNil(t, got[2], "a stored empty value is not missing")
	require.Empty(t, got[2])
	require.Equal(t, []byte("1"), got[3])
	n, err := Decode[int](got[4])
	require.NoError(t, err)
	require.Equal(t, 7, n)

	// The values are the caller's: appending to one or changing it does
	// not reach the store or the other values.
	got[0][0] = 'X'
	got[0] = append(got[0], "more"...)
	require.Equal(t, []byte("1"), got[3])
	v, err := db.GetBytes(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, []byte("1"), v)

	got, err = db.GetBytesMany(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestGetBytesManyBadInput(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	for name, keys := range map[string][]string{
		"empty key": {"a", ""},
		"long key":  {strings.Repeat("k", MaxKeySizeLimit+1)},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := db.GetBytesMany(ctx, keys)
			require.Nil(t, got)
			require.True(t, errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrTooLarge), err)
		})
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err := db.GetBytesMany(canceled, []string{"a"})
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, db.Close())
	_, err = db.GetBytesMany(ctx, []string{"a"})
	require.ErrorIs(t, err, ErrClosed)
	_, err = db.GetBytesMany(ctx, nil)
	require.ErrorIs(t, err, ErrClosed, "even with no keys")
}

// TestGetBytesManyOnePointInTime checks that a batch read never sees half
// of an atomic batch write: every key of a read holds the same generation.
func TestGetBytesManyOnePointInTime(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	keys := make([]string, 50)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%02d", i)
	}
	write := func(gen int) error {
		var b Batch
		for _, k := range keys {
			b.SetBytes(k, []byte(fmt.Sprint(gen)))
		}
		return db.Write(ctx, &b)
	}
	require.NoError(t, write(0))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for gen := 1; gen <= 300; gen++ {
			if err := write(gen); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 300 {
		got, err := db.GetBytesMany(ctx, keys)
		require.NoError(t, err)
		for i := range got {
			require.Equal(t, string(got[0]), string(got[i]), "key %s", keys[i])
		}
	}
	wg.Wait()
}
