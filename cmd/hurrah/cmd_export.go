package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hurrahdb/hurrah"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name:    "export",
		args:    "DIR [FILE] [-prefix P] [-force]",
		summary: "write every key and its value to FILE as JSON Lines (no FILE, or -: standard output)",
		group:   groupMove,
		exits:   "0 written, 1 corrupt, 2 failure",
		nargs:   [2]int{1, 2},
		json:    true,
		setup: func(fs *flag.FlagSet) func(*invocation) (int, error) {
			var o exportFlags
			fs.StringVar(&o.prefix, "prefix", "", "export only the keys that start with `P`")
			fs.BoolVar(&o.unsorted, "unsorted", false, "write the keys in no particular order, in memory that does not grow with the store")
			fs.BoolVar(&o.force, "force", false, "replace FILE if it exists")
			return func(inv *invocation) (int, error) { return runExport(inv, o) }
		},
	})
}

// exportFlags are export's flags.
type exportFlags struct {
	prefix   string
	unsorted bool
	force    bool
}

// exportReport is what `hurrah export -json` prints. Its field names are
// part of the command line's interface: add fields, do not rename them.
type exportReport struct {
	Directory string `json:"directory"`
	File      string `json:"file"` // "-" for standard output
	Keys      int64  `json:"keys"`
	JSON      int64  `json:"json"`   // values written as JSON ("value")
	Base64    int64  `json:"base64"` // values written as base64 ("value_base64")
	Bytes     int64  `json:"bytes"`
}

// runExport writes the keys and values of the key-value store in
// inv.args[0] with DB.Export to the file inv.args[1] (standard output if
// it is "-" or missing). A file is written as backup writes one: under a
// temporary name, synced and renamed into place once whole, and refused if
// it exists unless force. The report goes to standard output, or to
// standard error when the export does.
func runExport(inv *invocation, o exportFlags) (int, error) {
	dir, file := inv.args[0], "-"
	if len(inv.args) > 1 {
		file = inv.args[1]
	}
	if err := findKV(dir); err != nil {
		return exitError, err
	}
	ctx, stop := interruptible(inv.ctx)
	defer stop()
	report, w := inv.stdout, &outputWriter{w: inv.stdout}
	var out *backupFile
	if file == "-" {
		report = inv.stderr
	} else {
		if fi, err := os.Stat(file); err == nil && fi.IsDir() {
			return exitError, fail(exitError, "%s is a directory: give the path of the file to write", file)
		}
		var err error
		if out, err = createBackupFile(file, o.force); err != nil {
			return exitError, err
		}
		defer out.discard()
		w.w = out.f
	}
	db, err := openKV(inv, dir, 0)
	if err != nil {
		return exitError, err
	}
	defer db.Close()
	bar := newBackupBar(inv, "exporting "+dir)
	rep, err := db.Export(ctx, w, &hurrah.ExportOptions{Prefix: o.prefix, Unsorted: o.unsorted,
		Progress: func(p hurrah.Progress) {
			bar.progress(hurrah.BackupProgress{Records: uint64(p.Keys), Total: uint64(p.Total), Bytes: p.Bytes})
		}})
	bar.done()
	if err := exportFailure(dir, file, w.err, ctx.Err(), err); err != nil {
		return exitError, err
	}
	if err := db.Close(); err != nil {
		return exitError, explain(dir, err)
	}
	if out != nil {
		if err := out.commit(); err != nil {
			return exitError, err
		}
	}
	return exitOK, printExport(inv, report, exportReport{Directory: dir, File: file,
		Keys: rep.Keys, JSON: rep.JSON, Base64: rep.Base64, Bytes: rep.Bytes})
}

// exportFailure is the one sentence for an export that failed: writing
// (werr), interrupted (cerr), or reading the store (err). It is nil if
// the export did not fail.
func exportFailure(dir, file string, werr, cerr, err error) error {
	switch {
	case werr != nil && file == "-":
		return fileFailure("cannot write to", "standard output", werr)
	case werr != nil:
		return fileFailure("cannot write", file, werr)
	case cerr != nil && file == "-":
		return fail(exitError, "interrupted: what standard output got is not the whole export")
	case cerr != nil:
		return fail(exitError, "interrupted: %s was not written", file)
	}
	return explain(dir, err)
}

// printExport prints what export wrote to w.
func printExport(inv *invocation, w io.Writer, r exportReport) error {
	if inv.json {
		return writeJSON(w, r)
	}
	fmt.Fprintf(w, "directory:  %s\n", r.Directory)
	fmt.Fprintf(w, "export:     %s\n", r.File)
	fmt.Fprintf(w, "keys:       %d\n", r.Keys)
	fmt.Fprintf(w, "as JSON:    %d values\n", r.JSON)
	fmt.Fprintf(w, "in base64:  %d values\n", r.Base64)
	fmt.Fprintf(w, "bytes:      %d (%s)\n", r.Bytes, sizeText(r.Bytes))
	return nil
}
