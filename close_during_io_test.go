package hurrah

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCloseDuringExportImportBackup closes a store while an Export, an
// Import and a Backup run on it. Each must end (goleak, in TestMain,
// finds any goroutine left) with nil or ErrClosed, never another error or
// a panic, and the store, reopened, must hold whole batches of the import
// only: the keys it counted, and at most the batch in flight at the Close.
func TestCloseDuringExportImportBackup(t *testing.T) {
	ctx := t.Context()
	const keys, batch = 3000, 10
	var in strings.Builder
	for i := range keys {
		fmt.Fprintf(&in, `{"key":"new%05d","value":%d}`+"\n", i, i)
	}
	for round := range 8 {
		dir := newDir(t)
		db := openT(t, dir, nil)
		for i := range 2000 {
			require.NoError(t, db.SetBytes(ctx, fmt.Sprintf("old%05d", i), []byte("v")))
		}
		var (
			wg   sync.WaitGroup
			rep  ImportReport
			errs [4]error
		)
		wg.Add(4)
		go func() { defer wg.Done(); _, errs[0] = db.Export(ctx, io.Discard, nil) }()
		go func() {
			defer wg.Done()
			rep, errs[1] = db.Import(ctx, strings.NewReader(in.String()), &ImportOptions{BatchSize: batch})
		}()
		go func() { defer wg.Done(); _, errs[2] = db.Backup(ctx, new(bytes.Buffer)) }()
		go func() { defer wg.Done(); errs[3] = db.Close() }()
		wg.Wait()
		for i, err := range errs {
			if err != nil && !errors.Is(err, ErrClosed) {
				t.Fatalf("round %d, call %d: %v, want nil or ErrClosed", round, i, err)
			}
		}
		db = openT(t, dir, nil)
		got := 0
		for k := range storeContents(t, db) {
			if strings.HasPrefix(k, "new") {
				got++
			}
		}
		require.Zero(t, got%batch, "whole batches only")
		require.GreaterOrEqual(t, int64(got), rep.Keys, "every batch counted is kept")
		require.LessOrEqual(t, int64(got), rep.Keys+batch, "at most the batch in flight besides")
		require.NoError(t, db.Close())
	}
}
