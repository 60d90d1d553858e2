package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hurrahdb/hurrah"
)

// restoreBatch is how many keys loadSnapshot copies per write.
const restoreBatch = 4096

// loadSnapshot reads the snapshot r holds into a new memory-only DB and
// returns it and the raft index it is at. It checks the whole stream
// first: hurrah.Restore unpacks it into a store directory under scratch,
// checking the format and every checksum (a damaged one returns
// hurrah.ErrCorrupt); then the keys, values and deadlines are copied into
// the new DB and the directory removed. Nothing is left behind on an
// error.
func loadSnapshot(ctx context.Context, r io.Reader, scratch, id string) (_ *hurrah.DB, lsn uint64, err error) {
	dir, err := os.MkdirTemp(scratch, scratchPrefix(id))
	if err != nil {
		return nil, 0, fmt.Errorf("replica: restore: %w", err)
	}
	defer os.RemoveAll(dir)
	rep, err := hurrah.Restore(ctx, dir, r, &hurrah.RestoreOptions{Name: "raft snapshot"})
	if err != nil {
		return nil, 0, fmt.Errorf("replica: restore: %w", err)
	}
	if rep.System {
		return nil, 0, fmt.Errorf("replica: restore: %w: a snapshot of a System, not of a DB", hurrah.ErrCorrupt)
	}
	src, err := hurrah.Open(dir, &hurrah.Options{Durability: hurrah.Buffered})
	if err != nil {
		return nil, 0, fmt.Errorf("replica: restore: %w", err)
	}
	defer src.Close()
	dst, err := hurrah.Open("", nil)
	if err != nil {
		return nil, 0, err
	}
	if err := copyDB(ctx, dst, src); err != nil {
		dst.Close()
		return nil, 0, fmt.Errorf("replica: restore: %w", err)
	}
	return dst, rep.LSN, nil
}

// scratchPrefix is the start of the name of node id's scratch directories.
func scratchPrefix(id string) string { return "replica-restore-" + url.PathEscape(id) + "-" }

// cleanScratch removes the scratch directories a crash of node id left in
// scratch, mid-restore. Only id's: nodes may share a scratch directory.
func cleanScratch(scratch, id string) error {
	old, err := filepath.Glob(filepath.Join(scratch, globEscape(scratchPrefix(id))+"*"))
	if err != nil {
		return err
	}
	for _, dir := range old {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("replica: remove a restore's leftovers: %w", err)
		}
	}
	return nil
}

// globEscape escapes the characters filepath.Match treats specially.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`).Replace(s)
}

// copyDB copies every key of src, with its value and deadline, into dst.
func copyDB(ctx context.Context, dst, src *hurrah.DB) error {
	v, err := src.View(ctx)
	if err != nil {
		return err
	}
	defer v.Close()
	var b hurrah.Batch
	for k, val := range v.All() {
		at, err := src.ExpiresAt(ctx, k)
		switch {
		case errors.Is(err, hurrah.ErrNotFound):
			continue // expired since the View was taken
		case err != nil:
			return err
		case at.IsZero():
			b.SetBytes(k, val)
		default:
			b.SetBytes(k, val, hurrah.Deadline(at))
		}
		if b.Len() == restoreBatch {
			if err := dst.Write(ctx, &b); err != nil {
				return err
			}
			b.Reset()
		}
	}
	return dst.Write(ctx, &b)
}
