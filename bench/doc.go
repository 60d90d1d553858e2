// Command bench measures hurrah side by side with its peers: a map behind a
// sync.RWMutex, sync.Map, buntdb, bbolt and badger, and two bare loops that
// are the floors of hurrah's design (an owner goroutine answering lookups
// over a channel, and a group-commit loop that shares one fsync among
// waiting writers).
//
// Every comparison runs its contenders interleaved in one process: all the
// contenders of a figure are opened and preloaded, then each runs for a
// slice of time in turn, for several rounds in a rotating order, and the
// median throughput over the rounds is reported. Each figure is printed as
// one line:
//
//	name=<figure> unit=<unit> hurrah=<value> <peer>=<value> ... ratio=<peer>:<hurrah÷peer>,... target=<text> met=<yes|no|n/a>
//
// Usage:
//
//	go run . -quick              # about two minutes, prints the lines only
//	go run .                     # the full run; writes RESULTS.md and plots/*.png
//	go run . -only 'get|restart' # only the figures whose names match
//
// A missed target prints met=no; only errors (a failed call, a wrong value
// read back) make the program exit non-zero.
package main
