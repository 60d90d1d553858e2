package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hurrahdb/hurrah"
)

// Exit statuses.
const (
	exitOK      = 0 // sound, repaired, or pruned
	exitDamaged = 1 // check found corruption
	exitError   = 2 // usage error or failure
)

// defaultKeep is how many snapshots prune keeps without -keep.
const defaultKeep = 2

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  hurrah check DIR             report what the store's journal and snapshots hold, changing nothing
  hurrah repair DIR            cut a corrupt journal back to its last sound record
  hurrah prune DIR [-keep N]   remove all but the newest N snapshot files (default 2)
`

// run runs the command line args (without the program name), writing its
// report to stdout and errors to stderr, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hurrah", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitError
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]

	sub := flag.NewFlagSet("hurrah "+cmd, flag.ContinueOnError)
	sub.SetOutput(stderr)
	var (
		do       func(dir string, stdout io.Writer) (int, error)
		synopsis = "hurrah " + cmd + " DIR"
	)
	switch cmd {
	case "check":
		do = check
	case "repair":
		do = repair
	case "prune":
		keep := sub.Int("keep", defaultKeep, "how many of the newest snapshots to keep (at least 1)")
		synopsis += " [-keep N]"
		do = func(dir string, w io.Writer) (int, error) {
			if *keep < 1 {
				return exitError, fmt.Errorf("-keep %d: keep at least 1 snapshot", *keep)
			}
			return prune(dir, *keep, w)
		}
	case "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "hurrah: unknown command %q\n", cmd)
		fs.Usage()
		return exitError
	}
	sub.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n", synopsis)
		sub.PrintDefaults()
	}
	dirs, err := parseArgs(sub, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	if len(dirs) != 1 || dirs[0] == "" {
		sub.Usage()
		return exitError
	}
	status, err := do(dirs[0], stdout)
	if err != nil {
		fmt.Fprintf(stderr, "hurrah %s: %v\n", cmd, err)
		if errors.Is(err, hurrah.ErrLocked) {
			fmt.Fprintln(stderr, "hurrah: the store is open; close it first")
		}
		return exitError
	}
	return status
}

// parseArgs parses args with fs, letting flags come before and after the
// other arguments, which it returns. After "--", everything is an
// argument.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			return append(pos, left...), nil
		}
		if len(left) == 0 {
			return pos, nil
		}
		pos = append(pos, left[0])
		args = left[1:]
	}
}

// check prints what the journal and the snapshots in dir hold and what a
// repair would do.
func check(dir string, w io.Writer) (int, error) {
	rep, err := hurrah.Check(dir)
	if err != nil {
		return exitError, err
	}
	fmt.Fprintf(w, "directory:  %s\n", dir)
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
		return exitOK, nil
	case rep.Unrepairable != nil:
		printLog(w, rep, "")
		printDamage(w, rep)
		fmt.Fprintln(w, "status:     corrupt: opening the store fails")
		why := rep.Unrepairable.Error()
		var ce *hurrah.CorruptError
		if errors.As(rep.Unrepairable, &ce) {
			why = ce.Reason
		}
		fmt.Fprintf(w, "repair:     cannot repair it: %s\n", why)
		return exitDamaged, nil
	}
	printLog(w, rep, " kept by a repair")
	printDamage(w, rep)
	fmt.Fprintln(w, "status:     corrupt: opening the store fails")
	printAsides(w, rep, "repair would set aside")
	printLost(w, rep, "would be")
	return exitDamaged, nil
}

// printLog prints what the log holds (after a repair, with suffix " kept
// by a repair"), and the torn tail if there is one.
func printLog(w io.Writer, rep hurrah.RepairReport, suffix string) {
	fmt.Fprintf(w, "segments:   %d%s\n", rep.Segments, suffix)
	fmt.Fprintf(w, "records:    %d%s\n", rep.Entries, suffix)
	fmt.Fprintf(w, "last LSN:   %d%s\n", rep.LastLSN, suffix)
	printTorn(w, rep)
}

// printAsides prints the pieces of the log and the snapshots a repair set
// aside (or, for a check, would), each list under a line that starts with
// lead.
func printAsides(w io.Writer, rep hurrah.RepairReport, lead string) {
	if len(rep.SetAside) > 0 {
		fmt.Fprintf(w, "%s %d bytes:\n", lead, rep.Bytes)
		printSetAside(w, rep.SetAside)
	}
	if len(rep.SnapshotsSetAside) > 0 {
		fmt.Fprintf(w, "%s snapshots:\n", lead)
		printSetAside(w, rep.SnapshotsSetAside)
	}
}

// repair repairs the store in dir and prints what it did.
func repair(dir string, w io.Writer) (int, error) {
	rep, err := hurrah.Repair(dir)
	if err != nil {
		if len(rep.SetAside) > 0 || len(rep.SnapshotsSetAside) > 0 {
			fmt.Fprintf(w, "directory:  %s\n", dir)
			fmt.Fprintln(w, "set aside before the failure:")
			printSetAside(w, rep.SnapshotsSetAside)
			printSetAside(w, rep.SetAside)
		}
		return exitError, err
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

// prune removes all but the newest keep snapshots of dir and prints what
// it removed.
func prune(dir string, keep int, w io.Writer) (int, error) {
	removed, err := hurrah.Prune(dir, keep)
	if err != nil {
		for _, p := range removed {
			fmt.Fprintf(w, "removed:    %s\n", p)
		}
		return exitError, err
	}
	fmt.Fprintf(w, "directory:  %s\n", dir)
	if len(removed) == 0 {
		fmt.Fprintf(w, "nothing to remove: at most %d snapshots\n", keep)
		return exitOK, nil
	}
	for _, p := range removed {
		fmt.Fprintf(w, "removed:    %s\n", p)
	}
	fmt.Fprintf(w, "kept:       the newest %d snapshots\n", keep)
	return exitOK, nil
}

// printSnapshots prints the snapshot files, which one opening the store
// restores, and where the journal starts, those two lines ending with
// after.
func printSnapshots(w io.Writer, rep hurrah.RepairReport, after string) {
	if len(rep.Snapshots) == 0 {
		fmt.Fprintln(w, "snapshots:  none")
	} else {
		fmt.Fprintf(w, "snapshots:  %d\n", len(rep.Snapshots))
	}
	for _, s := range rep.Snapshots {
		fmt.Fprintf(w, "  %s: LSN %d, %s\n", s.Path, s.LSN, snapshotStatus(s, rep))
	}
	printRestore(w, rep, after)
	switch {
	case rep.FirstLSN == 0:
		fmt.Fprintf(w, "journal:    no segment%s\n", after)
	case rep.FirstLSN <= rep.Restored.LSN+1:
		if rep.Restored.Path != "" {
			fmt.Fprintf(w, "journal:    starts at LSN %d%s: it reaches back to the snapshot\n", rep.FirstLSN, after)
		} else {
			fmt.Fprintf(w, "journal:    starts at LSN %d%s\n", rep.FirstLSN, after)
		}
	default:
		fmt.Fprintf(w, "journal:    starts at LSN %d, after LSN %d: it does not reach back to the snapshot\n",
			rep.FirstLSN, rep.Restored.LSN+1)
	}
}

// snapshotStatus says what check found about snapshot s.
func snapshotStatus(s hurrah.SnapshotCheck, rep hurrah.RepairReport) string {
	switch {
	case s.Err != nil:
		var ce *hurrah.CorruptError
		if !errors.As(s.Err, &ce) {
			return fmt.Sprintf("%d bytes: unusable: %v", s.Size, s.Err)
		}
		msg := fmt.Sprintf("%d bytes: corrupt at offset %d: %s", s.Size, ce.Offset, ce.Reason)
		if s.LSN > rep.Restored.LSN {
			msg += " (opening the store passes over it)"
		}
		return msg
	case s.RestoreErr != nil:
		msg := fmt.Sprintf("%d records, %d bytes: does not restore", s.Count, s.Size)
		var ce *hurrah.CorruptError
		if errors.As(s.RestoreErr, &ce) && ce.Err != nil {
			msg += ": " + ce.Err.Error()
		}
		return msg + " (opening the store fails on it)"
	case s.Path == rep.Restored.Path:
		return fmt.Sprintf("%d records, %d bytes: sound, restored by opening the store", s.Count, s.Size)
	}
	return fmt.Sprintf("%d records, %d bytes: sound", s.Count, s.Size)
}

// printRestore prints which snapshot opening the store restores, the line
// ending with after.
func printRestore(w io.Writer, rep hurrah.RepairReport, after string) {
	if rep.Restored.Path != "" {
		fmt.Fprintf(w, "restore:    %s, at LSN %d%s\n", filepath.Base(rep.Restored.Path), rep.Restored.LSN, after)
	} else {
		fmt.Fprintf(w, "restore:    no snapshot%s: the journal is replayed from LSN 1\n", after)
	}
}

func printDamage(w io.Writer, rep hurrah.RepairReport) {
	d := rep.Damage
	fmt.Fprintf(w, "corruption: %s at offset %d: %s", d.File, d.Offset, d.Reason)
	if d.Err != nil {
		fmt.Fprintf(w, ": %v", d.Err)
	}
	fmt.Fprintln(w)
}

func printTorn(w io.Writer, rep hurrah.RepairReport) {
	if t := rep.Torn; t != nil {
		fmt.Fprintf(w, "torn tail:  %s at offset %d, %d bytes (opening the store cuts it and keeps the bytes aside)\n",
			t.File, t.Offset, t.Bytes)
	} else {
		fmt.Fprintln(w, "torn tail:  none")
	}
}

func printSetAside(w io.Writer, aside []hurrah.SetAside) {
	for _, a := range aside {
		fmt.Fprintf(w, "  %s from offset %d, %d bytes -> %s\n", a.File, a.Offset, a.Bytes, a.SavedAs)
	}
}

func printLost(w io.Writer, rep hurrah.RepairReport, verb string) {
	switch {
	case len(rep.SetAside) == 0:
		fmt.Fprintln(w, "lost:       no record")
	case rep.HighestLost > rep.LastLSN:
		fmt.Fprintf(w, "lost:       the records after LSN %d %s lost (frames up to LSN %d still verify in the bytes set aside)\n",
			rep.LastLSN, verb, rep.HighestLost)
	default:
		fmt.Fprintf(w, "lost:       the records after LSN %d, if there were any, %s lost\n", rep.LastLSN, verb)
	}
}
