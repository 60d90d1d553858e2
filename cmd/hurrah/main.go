package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"golang.org/x/term"
)

// Exit statuses. exitHelp, printed by `hurrah help`, says the same.
const (
	exitOK       = 0 // the command did its work (check: the store is sound)
	exitDamaged  = 1 // the store is corrupt (check, stats), or too corrupt to read; restore: the backup is damaged; import: a bad line
	exitError    = 2 // usage error, or any other failure
	exitNotFound = 3 // get: the store holds no such key
)

const exitHelp = `exit status:
  0  done (check: the store is sound; a torn tail counts as sound)
  1  the store is corrupt: check and stats report it; keys, get, dump,
     compact and backup cannot read it (run hurrah check, then hurrah
     repair); restore: the backup is damaged or truncated; import: a line
     of the input is refused (the message says how to resume)
  2  usage error, or any other failure: no store in the directory, the store
     is open in a program, files of a newer format, a repair that cannot help
  3  get: the store holds no such key
`

// main runs the command line. An interrupt (Ctrl-C) ends the process at
// once, as the default handling does: a store survives that as it
// survives a crash, and waiting for the end of a replay to notice it would
// leave the user wondering.
func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, term.IsTerminal(int(os.Stderr.Fd()))))
}

// run runs the command line args (without the program name), writing its
// report to stdout and errors to stderr, progress too if tty says stderr
// is a terminal, and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	if len(args) == 0 {
		printHelp(stderr)
		return exitError
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(rest, stdout, stderr)
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "hurrah: unknown command %q (hurrah help lists them)\n", name)
		return exitError
	}
	inv := &invocation{ctx: ctx, cmd: c, stdout: stdout, stderr: stderr, tty: tty}
	fs := newFlagSet(c, inv, stderr)
	do := c.setup(fs)
	pos, err := parseArgs(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitError
	}
	if len(pos) < c.nargs[0] || len(pos) > c.nargs[1] || slices.Contains(pos, "") {
		fs.Usage()
		return exitError
	}
	inv.args = pos
	status, err := do(inv)
	if err != nil {
		var f *failure
		if errors.As(err, &f) {
			status = f.status
		}
		fmt.Fprintf(stderr, "hurrah %s: %v\n", name, err)
	}
	return status
}

// newFlagSet returns the flag set of c, with -json if c takes it.
func newFlagSet(c *command, inv *invocation, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hurrah "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if c.json {
		fs.BoolVar(&inv.json, "json", false, "print JSON, for scripts")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n", c.synopsis())
		fs.PrintDefaults()
	}
	return fs
}

// help runs `hurrah help [COMMAND]`.
func help(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		printHelp(stdout)
		return exitOK
	case len(args) > 1:
		fmt.Fprintln(stderr, "usage: hurrah help [COMMAND]")
		return exitError
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hurrah help: unknown command %q (hurrah help lists them)\n", args[0])
		return exitError
	}
	inv := &invocation{}
	fs := newFlagSet(c, inv, stderr)
	c.setup(fs)
	printCommandHelp(stdout, c, fs)
	return exitOK
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
