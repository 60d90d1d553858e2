package replica

import (
	"context"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah"
)

// loadSnapshot reads the snapshot r holds into a new memory-only store
// with open (hurrah.OpenBackup, or hurrah.OpenSystemBackup) and returns it
// and the raft index it is at. open loads the records as it reads them,
// without a copy of the stream, and checks the whole stream, its format
// and every checksum, before it returns the store: a damaged or truncated
// snapshot returns hurrah.ErrCorrupt and no store, and the FSM keeps the
// one it had. It touches no disk, so a crash mid-restore leaves nothing
// behind. If r is a snapshot as raft opened it, open sees its size (see
// snapshot_size.go).
func loadSnapshot[T any](ctx context.Context, r io.Reader, open func(context.Context, io.Reader, *hurrah.Options) (T, uint64, error)) (T, uint64, error) {
	s, lsn, err := open(ctx, withLen(r), nil)
	if err != nil {
		var zero T
		return zero, 0, fmt.Errorf("replica: restore a snapshot: %w", err)
	}
	return s, lsn, nil
}
