package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hurrahdb/hurrah"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name:    "restore",
		args:    "FILE DIR",
		summary: "make a new store in DIR from the backup FILE (- for standard input)",
		group:   groupMove,
		exits:   "0 restored, 1 the backup is damaged, 2 failure",
		nargs:   [2]int{2, 2},
		json:    true,
		setup: func(*flag.FlagSet) func(*invocation) (int, error) {
			return runRestore
		},
	})
}

// restoreReport is what `hurrah restore -json` prints. Its field names are
// part of the command line's interface: add fields, do not rename them.
type restoreReport struct {
	File      string `json:"file"` // "-" for standard input
	Directory string `json:"directory"`
	Kind      string `json:"kind"` // "kv" or "system"
	LSN       uint64 `json:"lsn"`
	Records   uint64 `json:"records"`
	Bytes     int64  `json:"bytes"`
	Snapshot  string `json:"snapshot"` // the snapshot file written in the directory
}

// runRestore makes a new store in inv.args[1] from the backup in the file
// inv.args[0] ("-": standard input). It does not look for a store in DIR
// first, as the other commands do: DIR must hold none, which
// hurrah.Restore checks, under the directory's lock.
func runRestore(inv *invocation) (int, error) {
	file, dir := inv.args[0], inv.args[1]
	in := &backupInput{r: os.Stdin}
	if file == "-" && isTerminal(os.Stdin) {
		return exitError, fail(exitError, "standard input is a terminal: redirect a backup to it, or give a FILE")
	}
	if file != "-" {
		f, err := openBackup(file)
		if err != nil {
			return exitError, err
		}
		defer f.Close()
		in.r = f
	}
	ctx, stop := interruptible(inv.ctx)
	defer stop()
	bar := newBackupBar(inv, "restoring "+dir)
	name := file // what errors call the backup
	if file == "-" {
		name = "standard input"
	}
	rep, err := hurrah.Restore(ctx, dir, in, &hurrah.RestoreOptions{Name: name, Progress: bar.progress})
	bar.done()
	switch {
	case err == nil: // restored, even if an interrupt came at the very end
	case in.err != nil:
		return exitError, fileFailure("cannot read", name, in.err)
	case ctx.Err() != nil:
		return exitError, fail(exitError, "interrupted: nothing was restored in %s", dir)
	default:
		return exitError, restoreFailure(name, dir, err)
	}
	r := restoreReport{File: file, Directory: dir, Kind: "kv", LSN: rep.LSN, Records: rep.Records,
		Bytes: rep.Bytes, Snapshot: rep.Snapshot}
	kind := kindKV
	if rep.System {
		r.Kind, kind = "system", kindSystem
	}
	if inv.json {
		return exitOK, writeJSON(inv.stdout, r)
	}
	w := inv.stdout
	fmt.Fprintf(w, "backup:     %s\n", file)
	fmt.Fprintf(w, "directory:  %s\n", dir)
	fmt.Fprintf(w, "kind:       %s\n", kind)
	fmt.Fprintf(w, "LSN:        %d\n", r.LSN)
	fmt.Fprintf(w, "records:    %d\n", r.Records)
	fmt.Fprintf(w, "bytes:      %d (%s)\n", r.Bytes, sizeText(r.Bytes))
	return exitOK, nil
}

// openBackup opens the backup file path, saying in one sentence why not.
func openBackup(path string) (*os.File, error) {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fail(exitError, "no backup at %s: it does not exist", path)
	case err != nil:
		return nil, fileFailure("cannot read", path, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fail(exitError, "%s is a directory, not a backup file", path)
	}
	return f, nil
}

// backupInput reads the backup, keeping the first error of a read (other
// than the end of the input), so that the command can blame the file
// rather than the directory.
type backupInput struct {
	r   io.Reader
	err error
}

// Read reads from the backup.
func (b *backupInput) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// restoreFailure is the one sentence for an error of Restore: about the
// backup in file, or about the directory dir.
func restoreFailure(file, dir string, err error) error {
	var ce *hurrah.CorruptError
	switch {
	case errors.As(err, &ce):
		return fail(exitDamaged, "the backup is damaged or truncated: %s; nothing was restored in %s", corruptText(ce), dir)
	case errors.Is(err, hurrah.ErrCorrupt):
		return fail(exitDamaged, "the backup %s is damaged or truncated: %s; nothing was restored in %s",
			file, detail(err, hurrah.ErrCorrupt), dir)
	case errors.Is(err, hurrah.ErrVersion):
		return fail(exitError, "%s is a backup of a newer format than this hurrah reads (%s); use a newer hurrah",
			file, strings.TrimPrefix(detail(err, hurrah.ErrVersion), file+": "))
	}
	return explain(dir, err)
}
