package main

import (
	"flag"
	"fmt"

	"github.com/hurrahdb/hurrah"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name: "compact",
		args: "DIR [-keep N]",
		summary: fmt.Sprintf("take a snapshot and remove the journal it covers, and the snapshots beyond N (default %d)",
			hurrah.DefaultKeepSnapshots),
		group: groupMaintain,
		exits: "0 compacted, 1 corrupt, 2 failure",
		nargs: [2]int{1, 1},
		setup: func(fs *flag.FlagSet) func(*invocation) (int, error) {
			keep := fs.Int("keep", hurrah.DefaultKeepSnapshots, "how many of the newest snapshots to keep (at least 1)")
			return func(inv *invocation) (int, error) {
				if *keep < 1 || *keep > hurrah.MaxKeepSnapshots {
					return exitError, fail(exitError, "-keep %d: keep from 1 to %d snapshots", *keep, hurrah.MaxKeepSnapshots)
				}
				return runCompact(inv, *keep)
			}
		},
	})
}

// runCompact opens the store, takes a snapshot, which removes the journal
// segments it covers and the snapshots beyond keep, and prints the sizes
// before and after.
func runCompact(inv *invocation, keep int) (int, error) {
	dir, w := inv.args[0], inv.stdout
	if err := findKV(dir); err != nil {
		return exitError, err
	}
	files, size, err := diskUsage(dir)
	if err != nil {
		return exitError, explain(dir, err)
	}
	db, err := openKV(inv, dir, keep)
	if err != nil {
		return exitError, err
	}
	defer db.Close()
	sp := inv.spinner("compacting " + dir + ": writing a snapshot")
	err = db.Snapshot(inv.ctx)
	sp.done()
	if err != nil {
		return exitError, explain(dir, err)
	}
	st := db.Stats()
	if err := db.Close(); err != nil {
		return exitError, explain(dir, err)
	}
	files2, size2, err := diskUsage(dir)
	if err != nil {
		return exitError, explain(dir, err)
	}
	fmt.Fprintf(w, "directory:  %s\n", dir)
	fmt.Fprintf(w, "snapshot:   at LSN %d, %d bytes\n", st.LastSnapshotLSN, st.LastSnapshotSize)
	fmt.Fprintf(w, "before:     %d files, %d bytes (%s)\n", files, size, sizeText(size))
	fmt.Fprintf(w, "after:      %d files, %d bytes (%s)\n", files2, size2, sizeText(size2))
	return exitOK, nil
}
