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
		name:    "repair",
		args:    "DIR",
		summary: "cut a corrupt journal back to its last sound record, setting the rest aside",
		group:   groupMaintain,
		exits:   "0 repaired, or nothing to repair; 2 failure (including damage a repair cannot fix)",
		nargs:   [2]int{1, 1},
		setup: func(*flag.FlagSet) func(*invocation) (int, error) {
			return runRepair
		},
	})
}

// runRepair repairs the store in dir and prints what it did.
func runRepair(inv *invocation) (int, error) {
	dir, w := inv.args[0], inv.stdout
	if _, err := findStore(dir); err != nil {
		return exitError, err
	}
	sp := inv.working("repairing", dir)
	rep, err := hurrah.Repair(dir)
	sp.done()
	if err != nil {
		if len(rep.SetAside) > 0 || len(rep.SnapshotsSetAside) > 0 {
			fmt.Fprintf(w, "directory:  %s\n", dir)
			fmt.Fprintln(w, "set aside before the failure:")
			printSetAside(w, rep.SnapshotsSetAside)
			printSetAside(w, rep.SetAside)
		}
		if rep.Unrepairable != nil {
			return exitError, fail(exitError, "cannot repair the store in %s: %s", dir, unrepairableText(rep))
		}
		return exitError, explain(dir, err)
	}
	fmt.Fprintf(w, "directory:  %s\n", dir)
	if rep.Damage == nil {
		fmt.Fprintln(w, "nothing to repair: the store is sound")
		fmt.Fprintf(w, "records:    %d, up to LSN %d\n", rep.Entries, rep.LastLSN)
		printRestore(w, rep, "")
		printTorn(w, rep)
		return exitOK, nil
	}
	printDamage(w, rep)
	printAsides(w, rep, "set aside")
	fmt.Fprintf(w, "kept:       %d records in %d segments, up to LSN %d\n", rep.Entries, rep.Segments, rep.LastLSN)
	printRestore(w, rep, "")
	printLost(w, rep, "were")
	fmt.Fprintln(w, "status:     repaired: the store opens again")
	return exitOK, nil
}
