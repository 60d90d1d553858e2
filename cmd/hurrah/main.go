package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hurrahdb/hurrah"
)

// Exit statuses.
const (
	exitOK      = 0 // sound, or repaired
	exitDamaged = 1 // check found corruption
	exitError   = 2 // usage error or failure
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  hurrah check DIR    report what the store's journal holds, changing nothing
  hurrah repair DIR   cut a corrupt journal back to its last sound record
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
	var do func(dir string, stdout io.Writer) (int, error)
	switch cmd {
	case "check":
		do = check
	case "repair":
		do = repair
	case "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "hurrah: unknown command %q\n", cmd)
		fs.Usage()
		return exitError
	}

	sub := flag.NewFlagSet("hurrah "+cmd, flag.ContinueOnError)
	sub.SetOutput(stderr)
	sub.Usage = func() { fmt.Fprintf(stderr, "usage: hurrah %s DIR\n", cmd) }
	if err := sub.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	if sub.NArg() != 1 || sub.Arg(0) == "" {
		sub.Usage()
		return exitError
	}
	status, err := do(sub.Arg(0), stdout)
	if err != nil {
		fmt.Fprintf(stderr, "hurrah %s: %v\n", cmd, err)
		if errors.Is(err, hurrah.ErrLocked) {
			fmt.Fprintln(stderr, "hurrah: the store is open; close it first")
		}
		return exitError
	}
	return status
}

// check prints what the journal in dir holds and what a repair would do.
func check(dir string, w io.Writer) (int, error) {
	rep, err := hurrah.Check(dir)
	if err != nil {
		return exitError, err
	}
	fmt.Fprintf(w, "directory:  %s\n", dir)
	if rep.Damage == nil {
		fmt.Fprintf(w, "segments:   %d\n", rep.Segments)
		fmt.Fprintf(w, "records:    %d\n", rep.Entries)
		fmt.Fprintf(w, "last LSN:   %d\n", rep.LastLSN)
		printTorn(w, rep)
		fmt.Fprintln(w, "corruption: none")
		fmt.Fprintln(w, "status:     sound")
		return exitOK, nil
	}
	fmt.Fprintf(w, "segments:   %d readable before the damage\n", rep.Segments)
	fmt.Fprintf(w, "records:    %d readable before the damage\n", rep.Entries)
	fmt.Fprintf(w, "last LSN:   %d before the damage\n", rep.LastLSN)
	printTorn(w, rep)
	fmt.Fprintf(w, "corruption: %s at offset %d: %s\n", rep.Damage.File, rep.Damage.Offset, rep.Damage.Reason)
	fmt.Fprintln(w, "status:     corrupt: opening the store fails")
	fmt.Fprintf(w, "repair would set aside %d bytes:\n", rep.Bytes)
	printSetAside(w, rep)
	printLost(w, rep, "would be")
	return exitDamaged, nil
}

// repair repairs the journal in dir and prints what it did.
func repair(dir string, w io.Writer) (int, error) {
	rep, err := hurrah.Repair(dir)
	if err != nil {
		if len(rep.SetAside) > 0 {
			fmt.Fprintf(w, "directory:  %s\n", dir)
			fmt.Fprintf(w, "set aside before the failure, %d bytes:\n", rep.Bytes)
			printSetAside(w, rep)
		}
		return exitError, err
	}
	fmt.Fprintf(w, "directory:  %s\n", dir)
	if rep.Damage == nil {
		fmt.Fprintln(w, "nothing to repair: the journal is sound")
		fmt.Fprintf(w, "records:    %d, up to LSN %d\n", rep.Entries, rep.LastLSN)
		printTorn(w, rep)
		return exitOK, nil
	}
	fmt.Fprintf(w, "corruption: %s at offset %d: %s\n", rep.Damage.File, rep.Damage.Offset, rep.Damage.Reason)
	fmt.Fprintf(w, "set aside %d bytes:\n", rep.Bytes)
	printSetAside(w, rep)
	fmt.Fprintf(w, "kept:       %d records in %d segments, up to LSN %d\n", rep.Entries, rep.Segments, rep.LastLSN)
	printLost(w, rep, "were")
	fmt.Fprintln(w, "status:     repaired: the store opens again")
	return exitOK, nil
}

func printTorn(w io.Writer, rep hurrah.RepairReport) {
	if t := rep.Torn; t != nil {
		fmt.Fprintf(w, "torn tail:  %s at offset %d, %d bytes (opening the store cuts it and keeps the bytes aside)\n",
			t.File, t.Offset, t.Bytes)
	} else {
		fmt.Fprintln(w, "torn tail:  none")
	}
}

func printSetAside(w io.Writer, rep hurrah.RepairReport) {
	for _, a := range rep.SetAside {
		fmt.Fprintf(w, "  %s from offset %d, %d bytes -> %s\n", a.File, a.Offset, a.Bytes, a.SavedAs)
	}
}

func printLost(w io.Writer, rep hurrah.RepairReport, verb string) {
	if rep.HighestLost > rep.LastLSN {
		fmt.Fprintf(w, "lost:       the records after LSN %d %s lost (frames up to LSN %d still verify in the bytes set aside)\n",
			rep.LastLSN, verb, rep.HighestLost)
	} else {
		fmt.Fprintf(w, "lost:       the records after LSN %d %s lost\n", rep.LastLSN, verb)
	}
}
