package actor

import "errors"

// ErrClosed is returned by Send and Await once the actor has been closed.
var ErrClosed = errors.New("actor: closed")
