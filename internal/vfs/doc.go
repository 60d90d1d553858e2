// Package vfs is the small file system layer every journal and snapshot file
// goes through. OS is the real one; Faulty wraps any FS and fails chosen
// operations, so crash and error-injection tests can drive the journal without
// touching its code.
//
// The interface is deliberately narrow: whole-file reads (segments are
// bounded), create, append, truncate, rename, remove, list, directory fsync
// and an exclusive directory lock.
package vfs
