package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"

	"github.com/hurrahdb/hurrah"
)

// failure is an error the command line reports as it is: one sentence
// that names the path, and the exit status it calls for.
type failure struct {
	status int
	msg    string
}

func (f *failure) Error() string { return f.msg }

// fail returns a failure with status and the message format makes.
func fail(status int, format string, args ...any) error {
	return &failure{status: status, msg: fmt.Sprintf(format, args...)}
}

// explain turns an error from the library about the store in dir into one
// sentence, by the sentinel it wraps, rather than the chain of layers it
// went through ("hurrah: check DIR: journal: check: stat DIR: ...").
func explain(dir string, err error) error {
	var (
		f  *failure
		ce *hurrah.CorruptError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &f):
		return f
	case errors.Is(err, hurrah.ErrLocked):
		return fail(exitError, "%s is in use: a program has the store open; close it first", dir)
	case errors.Is(err, hurrah.ErrVersion):
		return fail(exitError, "%s holds files of a newer format than this hurrah reads (%s); use a newer hurrah",
			dir, detail(err, hurrah.ErrVersion))
	case errors.As(err, &ce):
		return fail(exitDamaged, "the store in %s is corrupt: %s (hurrah check %s says what repair would do)",
			dir, corruptText(ce), dir)
	case errors.Is(err, hurrah.ErrCorrupt):
		return fail(exitDamaged, "the store in %s is corrupt: %s (hurrah check %s says what repair would do)",
			dir, detail(err, hurrah.ErrCorrupt), dir)
	case errors.Is(err, hurrah.ErrStoreExists):
		return fail(exitError, "%s already holds a store: restore into a new directory, or one that holds no store", dir)
	case errors.Is(err, hurrah.ErrNoStore):
		return fail(exitError, "no hurrah store in %s", dir)
	case errors.Is(err, hurrah.ErrNoSpace):
		return fail(exitError, "no space left on the disk of %s: the store is intact and opens once space is freed", dir)
	case errors.Is(err, fs.ErrNotExist):
		return fail(exitError, "no hurrah store in %s: it does not exist", dir)
	case errors.Is(err, syscall.ENOTDIR):
		return fail(exitError, "%s is not a directory", dir)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fail(exitError, "cannot use %s: %v", dir, pe.Err)
	}
	if errors.Is(err, hurrah.ErrBadDir) {
		return fail(exitError, "cannot use %s: %s", dir, detail(err, hurrah.ErrBadDir))
	}
	return fail(exitError, "%s: %s", dir, detail(err, nil))
}

// corruptText says where and why a file is corrupt.
func corruptText(ce *hurrah.CorruptError) string {
	s := fmt.Sprintf("%s at offset %d: %s", ce.File, ce.Offset, trimLayers(ce.Reason))
	if ce.Err != nil {
		s += ": " + detail(ce.Err, nil)
	}
	return s
}

// detail returns what err says beyond sentinel: the text after the first
// "<sentinel>: " in it (all of it with a nil sentinel), without the
// package prefix ("hurrah: ", "journal: ") the layers put first.
func detail(err, sentinel error) string {
	msg := err.Error()
	if sentinel != nil {
		if _, after, ok := strings.Cut(msg, sentinel.Error()+": "); ok {
			msg = after
		}
	}
	return trimLayers(msg)
}

// trimLayers removes the package prefixes at the start of msg.
func trimLayers(msg string) string {
	for _, p := range []string{"hurrah: ", "journal: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}
