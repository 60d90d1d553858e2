// Package testkit holds the test helpers that the root package's unit tests,
// the command's tests and the reliability harness (internal/reliability)
// share: reading a whole store, cutting the power of an in-memory file
// system, copying a store directory, finding a function on the call stack,
// re-executing a test binary as a helper process, and reading and writing
// the on-disk format (format.go) where a test builds or damages a file.
// Test files of two packages cannot share unexported helpers, so they live
// here. Nothing outside tests imports it.
package testkit
