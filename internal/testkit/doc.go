// Package testkit holds the test helpers that the root package's unit tests
// and the reliability harness (internal/reliability) both use: reading a
// whole store, cutting the power of an in-memory file system, copying a
// store directory, finding a function on the call stack, and re-executing a
// test binary as a helper process. Test files of two packages cannot share
// unexported helpers, so they live here. Nothing outside tests imports it.
package testkit
