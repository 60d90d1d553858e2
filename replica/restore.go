package replica

import (
	"context"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah"
)

// loadSnapshot reads the snapshot r holds into a new memory-only DB and
// returns it and the raft index it is at. hurrah.OpenBackup checks the
// whole stream, its format and every checksum, before it loads anything:
// a damaged or truncated snapshot returns hurrah.ErrCorrupt. It touches
// no disk, so a crash mid-restore leaves nothing behind.
func loadSnapshot(ctx context.Context, r io.Reader) (*hurrah.DB, uint64, error) {
	db, lsn, err := hurrah.OpenBackup(ctx, r, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("replica: restore a snapshot: %w", err)
	}
	return db, lsn, nil
}
