// Prevalent keeps login sessions in a prevalent system: the program's own
// State (the sessions) and Commands (create, delete, expire), journaled and
// snapshotted by hurrah, with queries answered from memory.
//
// It shows the rules a Command follows: the token is generated and the
// time is read before Commit, and passed in the command, so replaying the
// journal makes exactly the same changes. A System has no expiry, so it
// expires sessions by hand, with a command that carries the time;
// examples/sessions keeps the same sessions in a DB whose keys expire.
//
//	go run ./examples/prevalent           # uses a fresh temporary directory
//	go run ./examples/prevalent -dir data # uses (and keeps) ./data
package main
