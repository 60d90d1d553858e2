// Sessions keeps login sessions in a key-value store whose keys expire: each
// session is set with a time to live, refreshed when used, and gone once it
// lapses, with no code to remove it. The store journals the deadlines, not
// the durations, so a session keeps its deadline across a restart.
//
// examples/prevalent keeps the same sessions in a System, which has no
// expiry and so expires them by hand.
//
//	go run ./examples/sessions           # uses a fresh temporary directory
//	go run ./examples/sessions -dir data # uses (and keeps) ./data
package main
