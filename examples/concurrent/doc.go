// Concurrent shares one handle among many goroutines writing at the Synced
// level: each write is on stable storage when Set returns, and concurrent
// writers share fsyncs (group commit).
package main
