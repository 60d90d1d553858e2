// Package wake holds Signal, the one way a goroutine that advances a value
// (an LSN the journal has written or synced, the last entry the owner
// published for watchers) wakes the goroutines waiting for it to advance,
// without polling and at the cost of one atomic load while nobody waits.
package wake
