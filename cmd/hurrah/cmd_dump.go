package main

import "flag"

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name:    "dump",
		args:    "DIR [PREFIX]",
		summary: "list every key (that starts with PREFIX) and its value, in byte order",
		group:   groupInspect,
		exits:   "0 listed, 1 corrupt, 2 failure",
		nargs:   [2]int{1, 2},
		json:    true,
		setup: func(*flag.FlagSet) func(*invocation) (int, error) {
			return func(inv *invocation) (int, error) {
				return list(inv, prefixArg(inv), true)
			}
		},
	})
}
