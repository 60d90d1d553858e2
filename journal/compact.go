package journal

import (
	"fmt"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// CompactSegments removes the segments of dir that hold no entry with an LSN
// above upto, once a snapshot at upto (or later) is durable and makes them
// useless. A segment's entries end where the next segment starts, so a
// segment is removed only if it is not the newest and the LSN in the next
// segment's name is at most upto+1. The newest segment, which an open
// journal may be appending to, is never removed, whatever upto says.
//
// Segments are removed oldest first, so a crash part-way leaves a
// contiguous suffix of the log, from which Open with Options.From set to
// upto recovers; dir is fsynced if any was removed. It returns how many
// files it removed and their total size (taken with Stat just before each
// removal), also on error. It reads no segment: it goes by the names, but
// refuses to remove anything other than a regular file (a directory named
// like a segment) with ErrCorrupt naming it.
func CompactSegments(fsys vfs.FS, dir string, upto uint64) (files int, bytes int64, err error) {
	segs, err := listByLSN(fsys, dir, parseSegmentName, false) // each is checked before it goes
	if err != nil {
		return 0, 0, err
	}
	for i := 0; i+1 < len(segs); i++ {
		// The next segment starts at next, so this one ends at next-1.
		if next := segs[i+1].lsn; next > 0 && next-1 > upto {
			break // and so do all later ones, in LSN order
		}
		path := segs[i].path
		info, err := fsys.Stat(path)
		if err != nil {
			return files, bytes, fmt.Errorf("journal: stat %s: %w", path, err)
		}
		if err := checkRegular(path, info); err != nil {
			return files, bytes, err
		}
		if err := fsys.Remove(path); err != nil {
			return files, bytes, fmt.Errorf("journal: remove segment %s: %w", path, err)
		}
		files++
		bytes += info.Size()
	}
	if files > 0 {
		if err := fsys.SyncDir(dir); err != nil {
			return files, bytes, fmt.Errorf("journal: sync directory %s: %w", dir, err)
		}
	}
	return files, bytes, nil
}
