// Package handoff holds the few types that the store and the journal both
// speak, so that neither has to import the other: an Entry is one applied
// mutation with its sequence number (LSN), a Waiter is a caller waiting for
// an acknowledgement, and a Parcel is what the owner goroutine hands to the
// journal after each drained run of requests.
//
// The word "batch" is kept for the user's hurrah.Batch; what the owner hands
// over is a parcel, and what an actor takes from its mailbox at once is a
// drain.
package handoff
