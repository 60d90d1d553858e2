package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// A command is one of hurrah's subcommands. Each lives in a file of its
// own (cmd_<name>.go) that registers it in an init function, so adding one
// touches nothing else: the dispatcher, `hurrah help` and the usage lines
// all read the table.
type command struct {
	name    string
	args    string // its arguments for the synopsis, after the name: "DIR [-keep N]"
	summary string // one line for the help table
	group   group  // the heading `hurrah help` lists it under
	exits   string // its exit statuses, for `hurrah help NAME`: "0 sound, 1 corrupt"
	// nargs is how many arguments (other than flags) it takes: at least
	// nargs[0], at most nargs[1].
	nargs [2]int
	// json says whether it takes -json (machine-readable output).
	json bool
	// setup defines the command's own flags on fs and returns the function
	// that runs it, which reads them once fs is parsed.
	setup func(fs *flag.FlagSet) func(inv *invocation) (int, error)
}

// A command that reads or writes a stream of known size shows a bar with
// inv.progress(desc, total) and add(n) (backupbar.go does it for the
// library's BackupProgress, cmd_import.go for bytes of input); one that
// writes files of its own takes interruptible's context to remove them on
// Ctrl-C. Each joins storeCommands in nostore_test.go if it takes a
// store's DIR, README's table, doc.go's usage, and the CHANGELOG.

// group orders the help table.
type group int

const (
	groupInspect  group = iota // reading what a store holds
	groupMaintain              // changing a store's files
	groupMove                  // moving data in and out
	groupOther
)

var groupTitles = [...]string{
	groupInspect:  "Look inside a store:",
	groupMaintain: "Keep a store in shape (offline: no program may have it open):",
	groupMove:     "Move data in and out:",
	groupOther:    "Other:",
}

// commands is the table every command registers itself in.
var commands = map[string]*command{}

// register adds c to the table.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("hurrah: command " + c.name + " registered twice")
	}
	commands[c.name] = c
}

// invocation is one run of a command: its arguments (flags parsed) and
// where its output goes.
type invocation struct {
	ctx    context.Context
	cmd    *command
	args   []string // the arguments other than flags
	stdout io.Writer
	stderr io.Writer
	json   bool // -json was given
	tty    bool // stderr is a terminal: show progress there
}

// synopsis is c's usage line.
func (c *command) synopsis() string {
	s := "hurrah " + c.name
	if c.args != "" {
		s += " " + c.args
	}
	if c.json {
		s += " [-json]"
	}
	return s
}

// printHelp prints the table of commands, grouped, then the exit statuses.
func printHelp(w io.Writer) {
	fmt.Fprintln(w, "usage: hurrah COMMAND [ARGUMENTS]")
	var all []*command
	for _, c := range commands {
		all = append(all, c)
	}
	slices.SortFunc(all, func(a, b *command) int {
		return cmp.Or(cmp.Compare(a.group, b.group), strings.Compare(a.name, b.name))
	})
	width := 0
	for _, c := range all {
		width = max(width, len(c.synopsis()))
	}
	last := group(-1)
	for _, c := range all {
		if c.group != last {
			fmt.Fprintf(w, "\n%s\n", groupTitles[c.group])
			last = c.group
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.synopsis(), c.summary)
	}
	fmt.Fprint(w, "\n"+exitHelp)
	fmt.Fprintln(w, "\n`hurrah help COMMAND` says more about one command.")
}

// printCommandHelp prints c's synopsis, flags and exit statuses.
func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.synopsis(), c.summary)
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fmt.Fprintf(w, "\nexit status: %s\n", c.exits)
}
