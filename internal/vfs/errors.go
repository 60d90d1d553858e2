package vfs

import (
	"errors"
	"fmt"
	"io"
	"syscall"
)

// ErrLocked is returned by FS.Lock when the lock is held elsewhere.
var ErrLocked = errors.New("vfs: locked by another holder")

// ErrInjected is the default error a Faulty file system returns.
var ErrInjected = errors.New("vfs: injected fault")

// The errors a test usually injects.
var (
	// EIO is an I/O error.
	EIO = fmt.Errorf("%w: %w", ErrInjected, syscall.EIO)
	// ENOSPC is a full disk.
	ENOSPC = fmt.Errorf("%w: %w", ErrInjected, syscall.ENOSPC)
	// ShortWrite, on OpWrite, makes Faulty write half the buffer and fail
	// with a full disk: a torn write.
	ShortWrite = fmt.Errorf("%w: %w: %w", ErrInjected, io.ErrShortWrite, syscall.ENOSPC)
)
