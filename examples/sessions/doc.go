// Sessions keeps login sessions in a prevalent system: the program's own
// State (the sessions) and Commands (create, delete, expire), journaled and
// snapshotted by hurrah, with queries answered from memory.
//
// It shows the rules a Command follows: the token is generated and the
// time is read before Commit, and passed in the command, so replaying the
// journal makes exactly the same changes.
//
//	go run ./examples/sessions           # uses a fresh temporary directory
//	go run ./examples/sessions -dir data # uses (and keeps) ./data
package main
