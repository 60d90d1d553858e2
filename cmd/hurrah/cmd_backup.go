package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name:    "backup",
		args:    "DIR FILE [-force]",
		summary: "write a backup of the store to FILE (- for standard output)",
		group:   groupMove,
		exits:   "0 written, 1 corrupt, 2 failure",
		nargs:   [2]int{2, 2},
		json:    true,
		setup: func(fs *flag.FlagSet) func(*invocation) (int, error) {
			force := fs.Bool("force", false, "replace FILE if it exists")
			return func(inv *invocation) (int, error) { return runBackup(inv, *force) }
		},
	})
}

// backupReport is what `hurrah backup -json` prints. Its field names are
// part of the command line's interface: add fields, do not rename them.
type backupReport struct {
	Directory string `json:"directory"`
	File      string `json:"file"` // "-" for standard output
	LSN       uint64 `json:"lsn"`
	Records   uint64 `json:"records"`
	Bytes     int64  `json:"bytes"`
}

// runBackup writes a backup of the key-value store in inv.args[0] to the
// file inv.args[1], under a temporary name in the same directory that it
// renames to the file once the backup is whole and synced: FILE is either
// the old file or the whole new backup, never a part of one. It refuses an
// existing FILE unless force. With FILE "-", the backup goes to standard
// output and the report to standard error.
func runBackup(inv *invocation, force bool) (int, error) {
	dir, file := inv.args[0], inv.args[1]
	switch kind, err := findStore(dir); {
	case err != nil:
		return exitError, err
	case kind == kindSystem:
		return exitError, fail(exitError, "%s holds a System, which only the program that opens it can back up "+
			"(with System.Backup); hurrah restore restores such a backup", dir)
	}
	ctx, stop := interruptible(inv.ctx)
	defer stop()
	report := inv.stdout
	var out *backupFile
	if file == "-" {
		if isTerminal(inv.stdout) {
			return exitError, fail(exitError, "standard output is a terminal: redirect it to a file, or give a FILE")
		}
		report = inv.stderr
	} else {
		var err error
		if out, err = createBackupFile(file, force); err != nil {
			return exitError, err
		}
		defer out.discard()
	}
	w := &outputWriter{w: inv.stdout}
	if out != nil {
		w.w = out.f
	}
	bar := newBackupBar(inv, "backing up "+dir)
	lsn, err := hurrah.BackupDir(ctx, dir, w, nil, bar.progress)
	bar.done()
	switch {
	case w.err != nil && file == "-":
		return exitError, fileFailure("cannot write to", "standard output", w.err)
	case w.err != nil:
		return exitError, fileFailure("cannot write", file, w.err)
	case ctx.Err() != nil && file == "-":
		return exitError, fail(exitError, "interrupted: what standard output got is not a whole backup")
	case ctx.Err() != nil:
		return exitError, fail(exitError, "interrupted: %s was not written", file)
	case err != nil:
		return exitError, explain(dir, err)
	}
	if out != nil {
		if err := out.commit(); err != nil {
			return exitError, err
		}
	}
	r := backupReport{Directory: dir, File: file, LSN: lsn, Records: bar.last.Records, Bytes: bar.last.Bytes}
	if inv.json {
		return exitOK, writeJSON(report, r)
	}
	fmt.Fprintf(report, "directory:  %s\n", dir)
	fmt.Fprintf(report, "backup:     %s\n", file)
	fmt.Fprintf(report, "LSN:        %d\n", r.LSN)
	fmt.Fprintf(report, "records:    %d\n", r.Records)
	fmt.Fprintf(report, "bytes:      %d (%s)\n", r.Bytes, sizeText(r.Bytes))
	return exitOK, nil
}

// outputWriter writes the backup, keeping the first error of a write, so
// that the command can blame the file rather than the store.
type outputWriter struct {
	w   io.Writer
	err error
}

// Write writes p to the output.
func (o *outputWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil && o.err == nil {
		o.err = err
	}
	return n, err
}

// backupFile is the file a backup is written to: a temporary one next to
// the file it becomes, which commit renames into place and discard removes
// if commit did not.
type backupFile struct {
	f         *os.File
	path      string // the file it becomes
	committed bool
}

// createBackupFile creates the temporary file a backup to path is written
// to, refusing a path that exists unless force (and a directory always).
func createBackupFile(path string, force bool) (*backupFile, error) {
	switch fi, err := os.Stat(path); {
	case err == nil && fi.IsDir():
		return nil, fail(exitError, "%s is a directory: give the path of the backup file to write", path)
	case err == nil && !force:
		return nil, fail(exitError, "%s exists: give -force to replace it", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fileFailure("cannot write", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fileFailure("cannot write", path, err)
	}
	return &backupFile{f: f, path: path}, nil
}

// commit fsyncs the temporary file, renames it to its path and fsyncs the
// directory, so that the backup survives a crash once commit returns.
func (b *backupFile) commit() error {
	err := b.f.Sync()
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(b.f.Name(), b.path)
	}
	if err != nil {
		return fileFailure("cannot write", b.path, err)
	}
	b.committed = true
	if err := vfs.OS.SyncDir(filepath.Dir(b.path)); err != nil {
		return fileFailure("wrote, but could not sync the directory of", b.path, err)
	}
	return nil
}

// discard removes the temporary file, unless commit renamed it.
func (b *backupFile) discard() {
	if !b.committed {
		b.f.Close()
		os.Remove(b.f.Name())
	}
}

// fileFailure is the one sentence for an error err of the operating
// system on the file path (not a store), with what was being done.
func fileFailure(doing, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return fail(exitError, "%s %s: %v", doing, path, err)
}
