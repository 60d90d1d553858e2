package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hurrahdb/hurrah"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name:    "import",
		args:    "DIR FILE [-create] [-skip N]",
		summary: "set the keys and values of a JSON Lines FILE (- for standard input), in batches",
		group:   groupMove,
		exits:   "0 imported, 1 a line of FILE refused (or the store corrupt), 2 failure",
		nargs:   [2]int{2, 2},
		json:    true,
		setup: func(fs *flag.FlagSet) func(*invocation) (int, error) {
			var o importFlags
			fs.BoolVar(&o.create, "create", false, "make a new store in DIR if it is missing or an empty directory")
			fs.BoolVar(&o.check, "check", false, "check every line, limits included, and import none")
			fs.IntVar(&o.batch, "batch", hurrah.DefaultImportBatchSize, "set at most `N` keys per batch (one journal record)")
			fs.Int64Var(&o.skip, "skip", 0, "pass over the first `N` lines of FILE: resume an import that stopped")
			return func(inv *invocation) (int, error) { return runImport(inv, o) }
		},
	})
}

// maxBatchFlag is the largest -batch, ImportOptions.BatchSize's.
const maxBatchFlag = 1 << 30

// importFlags are import's flags.
type importFlags struct {
	create, check bool
	batch         int
	skip          int64
}

// importReport is what `hurrah import -json` prints. Its field names are
// part of the command line's interface: add fields, do not rename them.
type importReport struct {
	Directory string `json:"directory"`
	File      string `json:"file"`    // "-" for standard input
	Check     bool   `json:"check"`   // -check: nothing was imported
	Created   bool   `json:"created"` // -create made the store
	Lines     int64  `json:"lines"`   // lines read, skipped and blank ones included
	Keys      int64  `json:"keys"`    // keys set (with -check: that would be)
	Batches   int64  `json:"batches"`
	Bytes     int64  `json:"bytes"` // bytes of FILE read
}

// runImport sets the keys and values of the JSON Lines in the file
// inv.args[1] ("-": standard input) in the key-value store in inv.args[0]
// with DB.Import. The store must exist, unless -create is given and DIR
// is missing or empty. With -check, it checks the lines against a
// memory-only store with the same limits and opens DIR for nothing.
func runImport(inv *invocation, o importFlags) (int, error) {
	dir, file := inv.args[0], inv.args[1]
	switch {
	case o.batch < 1 || o.batch > maxBatchFlag:
		return exitError, fail(exitError, "-batch %d: give 1 to %d", o.batch, maxBatchFlag)
	case o.skip < 0:
		return exitError, fail(exitError, "-skip %d: give 0 or more", o.skip)
	}
	create, err := importTarget(dir, o.create)
	if err != nil {
		return exitError, err
	}
	in, err := openInput(file)
	if err != nil {
		return exitError, err
	}
	defer in.close()
	ctx, stop := interruptible(inv.ctx)
	defer stop()
	in.stop = ctx
	db, err := openImportStore(inv, dir, create && !o.check, o.check)
	if err != nil {
		return exitError, err
	}
	defer db.Close()
	bar, done := inv.progress("importing "+in.name, in.size), int64(0)
	rep, err := db.Import(inv.ctx, in, &hurrah.ImportOptions{BatchSize: o.batch, Skip: o.skip, DryRun: o.check,
		Progress: func(p hurrah.Progress) { bar.add(p.Bytes - done); done = p.Bytes }})
	bar.done()
	cerr := db.Close()
	if err := importFailure(dir, in, o.check, rep, err, ctx.Err(), cerr); err != nil {
		return exitError, err
	}
	r := importReport{Directory: dir, File: file, Check: o.check, Created: create && !o.check,
		Lines: rep.Lines, Keys: rep.Keys, Batches: rep.Batches, Bytes: rep.Bytes}
	return exitOK, printImport(inv, r)
}

// importTarget checks that dir holds a key-value store or, if create,
// that it may get a new one: it is missing or an empty directory. It
// reports whether the store is to be made.
func importTarget(dir string, create bool) (bool, error) {
	err := findKV(dir)
	if err == nil {
		return false, nil
	}
	ents, rerr := os.ReadDir(dir)
	switch free := errors.Is(rerr, fs.ErrNotExist) || rerr == nil && len(ents) == 0; {
	case free && create:
		return true, nil
	case free:
		return false, fail(exitError, "%v (-create makes one)", err)
	case create && err.Error() == "no hurrah store in "+dir: // a directory of other files
		return false, fail(exitError, "no hurrah store in %s, and -create makes one only in a missing or empty directory", dir)
	}
	return false, err // a System, a file, ...
}

// openImportStore opens the store in dir to import into, making it if
// create, showing a spinner on a terminal meanwhile, with automatic
// snapshots as a program has them, so that the journal an import writes
// is bounded, keeping as many snapshot files as dir holds. With check it opens a memory-only store instead, whose
// limits are those of the one in dir: Import with DryRun needs them, and
// nothing else.
func openImportStore(inv *invocation, dir string, create, check bool) (*hurrah.DB, error) {
	if check {
		return hurrah.Open("", nil)
	}
	verb := "opening"
	if create {
		verb = "creating"
	}
	// Keep as many snapshot files as there are: the store's program may
	// keep more than the default, and the import should not prune them.
	snaps, _ := filepath.Glob(filepath.Join(dir, "*.hsnap"))
	keep := min(max(len(snaps), hurrah.DefaultKeepSnapshots), hurrah.MaxKeepSnapshots)
	sp := inv.working(verb, dir)
	db, err := hurrah.Open(dir, &hurrah.Options{KeepSnapshots: keep})
	sp.done()
	var pe *fs.PathError
	switch {
	case err != nil && create && errors.As(err, &pe):
		return nil, fail(exitError, "cannot make a store in %s: %v", dir, pe.Err)
	case err != nil:
		return nil, explain(dir, err)
	}
	return db, nil
}

// importInput is the file an import reads, keeping the first error of a
// read so that the command can blame the file rather than the store.
type importInput struct {
	backupInput
	name  string // what messages call it: its path, or "standard input"
	size  int64  // its size, or -1 if unknown (a pipe)
	close func() // closes it
	// stop ends the input early: an interrupt. It ends the import as an
	// error reading would, between batches, rather than through Import's
	// context, which would cancel the write of a batch in flight and leave
	// unknown whether it was applied; so the import reports exactly the
	// lines applied, and -skip resumes after them.
	stop context.Context
}

// Read reads from the input, unless stop has ended it.
func (in *importInput) Read(p []byte) (int, error) {
	if err := in.stop.Err(); err != nil {
		return 0, err
	}
	return in.backupInput.Read(p)
}

// openInput opens the input path ("-": standard input), saying in one
// sentence why not.
func openInput(path string) (*importInput, error) {
	in := &importInput{name: path, size: -1, close: func() {}}
	f := os.Stdin
	if path == "-" {
		if isTerminal(f) {
			return nil, fail(exitError, "standard input is a terminal: redirect a file of JSON Lines to it, or give a FILE")
		}
		in.name = "standard input"
	} else {
		var err error
		if f, err = os.Open(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fail(exitError, "no file to import at %s: it does not exist", path)
		} else if err != nil {
			return nil, fileFailure("cannot read", path, err)
		}
		in.close = func() { f.Close() }
	}
	in.r = f
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		in.close()
		return nil, fail(exitError, "%s is a directory, not a file of JSON Lines", path)
	} else if err == nil && fi.Mode().IsRegular() {
		in.size = fi.Size()
	}
	return in, nil
}

// printImport prints what import did.
func printImport(inv *invocation, r importReport) error {
	if inv.json {
		return writeJSON(inv.stdout, r)
	}
	w := inv.stdout
	fmt.Fprintf(w, "directory:  %s\n", r.Directory)
	if r.Created {
		fmt.Fprintln(w, "store:      created")
	}
	fmt.Fprintf(w, "input:      %s\n", r.File)
	fmt.Fprintf(w, "lines:      %d\n", r.Lines)
	fmt.Fprintf(w, "keys:       %d\n", r.Keys)
	fmt.Fprintf(w, "batches:    %d\n", r.Batches)
	fmt.Fprintf(w, "bytes:      %d (%s)\n", r.Bytes, sizeText(r.Bytes))
	if r.Check {
		fmt.Fprintln(w, "check:      every line is sound; nothing was imported (-check)")
	}
	return nil
}

// importFailure is the one sentence for an import that failed, nil if it
// did not: err is Import's error, cerr the context's (an interrupt), and
// closeErr the store's Close's. Where resuming is safe (a refused line,
// an error reading the input, an interrupt: the store holds whole
// batches, and closed cleanly), it says how: -skip rep.Lines.
func importFailure(dir string, in *importInput, check bool, rep hurrah.ImportReport, err, cerr, closeErr error) error {
	var (
		ie *hurrah.ImportError
		f  *failure
	)
	switch {
	case err == nil:
		return explain(dir, closeErr)
	case closeErr != nil:
		errors.As(explain(dir, closeErr), &f)
		return fail(f.status, "%s; the import stopped at line %d of %s: import it again from the start",
			f.msg, rep.Lines+1, in.name)
	case errors.As(err, &ie):
		return fail(exitDamaged, "line %d of %s: %s; %s", ie.Line, in.name, detail(ie.Err, nil),
			resumeHint(rep, check, fmt.Sprintf("fix line %d, then ", ie.Line)))
	case in.err != nil:
		errors.As(fileFailure("cannot read", in.name, in.err), &f)
		return fail(exitError, "%s; %s", f.msg, resumeHint(rep, check, ""))
	case cerr != nil:
		return fail(exitError, "interrupted: %s", resumeHint(rep, check, ""))
	}
	errors.As(explain(dir, err), &f)
	return fail(f.status, "%s; the store may hold part of %s: import it again from the start", f.msg, in.name)
}

// resumeHint says how much of the input the store holds and how to go
// on, after what fix says to do first.
func resumeHint(rep hurrah.ImportReport, check bool, fix string) string {
	switch {
	case check:
		return "nothing was imported (-check)"
	case rep.Lines == 0:
		return "nothing was imported: " + fix + "run the import again"
	}
	held := fmt.Sprintf("lines 1 to %d are", rep.Lines)
	if rep.Lines == 1 {
		held = "line 1 is"
	}
	return fmt.Sprintf("%s in the store, none after: %sresume with -skip %d", held, fix, rep.Lines)
}
