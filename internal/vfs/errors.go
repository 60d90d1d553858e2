package vfs

import "errors"

// ErrLocked is returned by FS.Lock when the lock is held elsewhere.
var ErrLocked = errors.New("vfs: locked by another holder")

// ErrInjected is the default error a Faulty file system returns.
var ErrInjected = errors.New("vfs: injected fault")
