// Package vfs is the small file system layer every journal and snapshot file
// goes through, so that tests can crash it and make it fail.
//
//   - OS is the operating system's file system. It creates files 0600 and
//     directories 0700, since they hold users' data; OSMode gives one
//     that creates them with other modes.
//   - Mem is an in-memory one that remembers what was synced, file data and
//     directory entries apart, and whose Crash method returns what a power
//     loss would leave: only the synced data, or that plus a random part of
//     the rest, torn or not.
//   - Faulty wraps any FS and fails the operations its Inject function
//     chooses; Injector is such a function that fails the i-th operation,
//     once or for good, with EIO, ENOSPC or a short write.
//
// The interface is deliberately narrow: whole-file reads (segments are
// bounded), create, append, truncate, rename, remove, list, directory fsync
// and an exclusive directory lock.
package vfs
