package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name:    "check",
		args:    "DIR",
		summary: "report what the store's journal and snapshots hold, and what a repair would do",
		group:   groupInspect,
		exits:   "0 sound (a torn tail counts as sound), 1 corrupt, 2 failure",
		nargs:   [2]int{1, 1},
		json:    true,
		setup: func(*flag.FlagSet) func(*invocation) (int, error) {
			return runCheck
		},
	})
}

func runCheck(inv *invocation) (int, error) {
	dir := inv.args[0]
	kind, err := findStore(dir)
	if err != nil {
		return exitError, err
	}
	sp := inv.working("checking", dir)
	rep, err := hurrah.Check(dir)
	sp.done()
	if err != nil {
		return exitError, explain(dir, err)
	}
	status := exitOK
	if rep.Damage != nil {
		status = exitDamaged
	}
	if inv.json {
		return status, writeJSON(inv.stdout, checkJSON(dir, kind, rep))
	}
	printCheck(inv.stdout, dir, kind, rep)
	return status, nil
}

// printCheck prints what the journal and the snapshots in dir hold and
// what a repair would do.
func printCheck(w io.Writer, dir string, kind storeKind, rep hurrah.RepairReport) {
	fmt.Fprintf(w, "directory:  %s\n", dir)
	if kind == kindSystem {
		fmt.Fprintln(w, "kind:       System (its records are judged by their checksums alone)")
	}
	// What Check reports of the journal, and which snapshot is restored,
	// is what a repair would leave, if there is one to make.
	after := ""
	if rep.Damage != nil && rep.Unrepairable == nil {
		after = " (after a repair)"
	}
	printSnapshots(w, rep, after)
	switch {
	case rep.Damage == nil:
		printLog(w, rep, "")
		fmt.Fprintln(w, "corruption: none")
		fmt.Fprintln(w, "status:     sound")
	case rep.Unrepairable != nil:
		printLog(w, rep, "")
		printDamage(w, rep)
		fmt.Fprintln(w, "status:     corrupt: opening the store fails")
		fmt.Fprintf(w, "repair:     cannot repair it: %s\n", unrepairableText(rep))
	default:
		printLog(w, rep, after)
		printDamage(w, rep)
		fmt.Fprintln(w, "status:     corrupt: opening the store fails")
		printAsides(w, rep, "repair would set aside")
		printLost(w, rep, "would be")
	}
}

// unrepairableText says why a repair cannot help.
func unrepairableText(rep hurrah.RepairReport) string {
	var ce *hurrah.CorruptError
	if errors.As(rep.Unrepairable, &ce) {
		return ce.Reason
	}
	return detail(rep.Unrepairable, hurrah.ErrCorrupt)
}
