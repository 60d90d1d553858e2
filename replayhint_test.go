package hurrah

import (
	"context"
	"fmt"
	"testing"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The hint counts about one key per record of 16-byte keys and 100-byte
// values, and nothing for a directory without segments.
func TestReplayHintEstimatesRecords(t *testing.T) {
	dir := t.TempDir()
	if got, err := replayHint(vfs.OSMode(0o600), dir); got != 0 || err != nil {
		t.Fatalf("hint for an empty directory = %d, %v; want 0", got, err)
	}
	db, err := Open(dir, &Options{SnapshotThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	for i := range n {
		if err := db.SetBytes(context.Background(), fmt.Sprintf("key-%012d", i), make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := replayHint(vfs.OSMode(0o600), dir); err != nil || got < n/2 || got > 2*n {
		t.Fatalf("hint for %d records = %d, %v; want within [%d, %d]", n, got, err, n/2, 2*n)
	}
	db, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := db.Len(context.Background()); err != nil || got != n {
		t.Fatalf("after a sized replay Len = %d, %v; want %d", got, err, n)
	}
}
