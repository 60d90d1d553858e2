// Package actor is a small runtime for owner goroutines: one goroutine owns
// some state and is the only one to touch it, and other goroutines talk to it
// by message.
//
// # Basics
//
// Start launches the goroutine. Messages arrive on a typed, bounded mailbox
// (Send blocks when it is full, which is the back-pressure) or on a control
// lane (SendControl) that is always served first. The goroutine drains up to
// Options.MaxDrain messages at a time and hands them to the Handler in one
// call, so a busy actor pays one wake-up per drain rather than per message.
// A Handler that also implements Ticker is called every Options.Tick.
//
// Requests that need an answer carry their own reply channel, buffered to
// one so the actor never blocks on a caller that gave up. Await waits on such
// a channel, on the caller's context, and on the actor's Done channel, so a
// caller never waits on an actor that has stopped. Pool recycles reply
// carriers; a carrier whose caller gave up must not be recycled, because the
// actor may still write to it.
//
// # Lifecycle
//
// Close stops accepting messages, drains what the mailbox already holds,
// calls the Handler's Stop (if it is a Stopper) in the actor goroutine, waits
// for the goroutine to exit and returns Stop's error. Close is idempotent and
// safe to call from any goroutine except the actor's own. A Send that races
// with Close either lands before the final drain and is handled, or returns
// ErrClosed, or lands after it and is never handled: its caller learns that
// from Done, which is closed only after the last message has been handled.
// Only a Send that Close overtook can land after the final drain, so a
// caller for whom Closed still reports false once Send has returned may wait
// for its reply alone (Await with a nil done): waiting on Done as well costs
// every caller a turn at the one lock they all share.
//
// # Cost
//
// Every step of the loop tries one channel at a time before a select that
// names several, since a select locks them all; and before parking, the
// goroutine yields once, so that callers it has just answered can send again
// and the next drain is bigger. Parking and being woken is the dearest step.
//
// Nothing in this package knows about keys, files or durability.
package actor
