package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/hurrahdb/hurrah"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name:    "get",
		args:    "DIR KEY [-raw]",
		summary: "print the value of KEY (CBOR as JSON, other bytes as base64)",
		group:   groupInspect,
		exits:   "0 found, 1 corrupt, 2 failure, 3 no such key",
		nargs:   [2]int{2, 2},
		json:    true,
		setup: func(fs *flag.FlagSet) func(*invocation) (int, error) {
			raw := fs.Bool("raw", false, "print the stored bytes as they are")
			return func(inv *invocation) (int, error) {
				return runGet(inv, *raw)
			}
		},
	})
}

// runGet prints the value of a key.
func runGet(inv *invocation, raw bool) (int, error) {
	dir, key := inv.args[0], inv.args[1]
	if raw && inv.json {
		return exitError, fail(exitError, "-raw and -json: choose one")
	}
	db, err := openKV(inv, dir, 0)
	if err != nil {
		return exitError, err
	}
	defer db.Close()
	b, err := db.GetBytes(inv.ctx, key)
	if errors.Is(err, hurrah.ErrNotFound) {
		return exitNotFound, fail(exitNotFound, "no key %s in %s", strconv.Quote(key), dir)
	}
	if err != nil {
		return exitError, explain(dir, err)
	}
	switch {
	case raw:
		_, err = inv.stdout.Write(b)
	case inv.json:
		_, err = inv.stdout.Write(appendEntry(nil, key, b, true))
	default:
		_, err = fmt.Fprintln(inv.stdout, valueText(b))
	}
	if err != nil {
		return exitError, err
	}
	return exitOK, explain(dir, db.Close())
}
