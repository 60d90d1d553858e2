// Package batch holds the few types that the store and the journal both
// speak, so that neither has to import the other: an Entry is one applied
// mutation with its sequence number (LSN), a Waiter is a caller waiting for
// an acknowledgement, and a Batch is what the owner goroutine hands to the
// journal after each drained run of requests.
package batch
