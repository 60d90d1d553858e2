package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/hurrahdb/hurrah"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name: "prune",
		args: "DIR [-keep N]",
		summary: fmt.Sprintf("remove all but the newest N snapshot files (default %d, as a store keeps)",
			hurrah.DefaultKeepSnapshots),
		group: groupMaintain,
		exits: "0 pruned, or nothing to remove; 2 failure",
		nargs: [2]int{1, 1},
		setup: func(fs *flag.FlagSet) func(*invocation) (int, error) {
			keep := fs.Int("keep", hurrah.DefaultKeepSnapshots, "how many of the newest snapshots to keep (at least 1)")
			return func(inv *invocation) (int, error) {
				if *keep < 1 {
					return exitError, fail(exitError, "-keep %d: keep at least 1 snapshot", *keep)
				}
				return runPrune(inv, *keep)
			}
		},
	})
}

// runPrune removes all but the newest keep snapshots of the store and
// prints what it removed.
func runPrune(inv *invocation, keep int) (int, error) {
	dir, w := inv.args[0], inv.stdout
	if _, err := findStore(dir); err != nil {
		return exitError, err
	}
	removed, err := hurrah.Prune(dir, keep)
	if err != nil {
		for _, p := range removed {
			fmt.Fprintf(w, "removed:    %s\n", p)
		}
		if errors.Is(err, hurrah.ErrCorrupt) {
			// The snapshots it would keep fail their checks: the store is
			// not corrupt (opening it passes over them), prune declines.
			return exitError, fail(exitError, "cannot prune %s: %s", dir, detail(err, hurrah.ErrCorrupt))
		}
		return exitError, explain(dir, err)
	}
	fmt.Fprintf(w, "directory:  %s\n", dir)
	if len(removed) == 0 {
		fmt.Fprintf(w, "nothing to remove: at most %d snapshots\n", keep)
		return exitOK, nil
	}
	for _, p := range removed {
		fmt.Fprintf(w, "removed:    %s\n", p)
	}
	if keep == 1 {
		fmt.Fprintln(w, "kept:       the newest snapshot")
	} else {
		fmt.Fprintf(w, "kept:       the newest %d snapshots\n", keep)
	}
	return exitOK, nil
}
