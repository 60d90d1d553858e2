package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/hurrahdb/hurrah"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name:    "stats",
		args:    "DIR",
		summary: "count the files, snapshots, segments, records, LSNs, live keys and bytes",
		group:   groupInspect,
		exits:   "0 counted, 1 corrupt (only the files are counted), 2 failure",
		nargs:   [2]int{1, 1},
		json:    true,
		setup: func(*flag.FlagSet) func(*invocation) (int, error) {
			return runStats
		},
	})
}

// storeStats is what stats prints, and, as it is, `stats -json`. The
// journal figures are those of hurrah.Check; the key and byte figures come
// from opening the store, and are null (with Note saying why) for a System
// or a corrupt store.
type storeStats struct {
	Directory     string  `json:"directory"`
	Kind          string  `json:"kind"`   // "kv" or "system"
	Status        string  `json:"status"` // "sound" or "corrupt"
	Files         int     `json:"files"`  // regular files in the directory
	Bytes         int64   `json:"bytes"`  // their size
	Snapshots     int     `json:"snapshots"`
	SnapshotBytes int64   `json:"snapshot_bytes"`
	RestoredLSN   *uint64 `json:"restored_lsn"` // the snapshot opening the store restores
	Segments      int     `json:"segments"`
	SegmentBytes  int64   `json:"segment_bytes"` // the journal's size on disk
	SetAside      int     `json:"set_aside"`     // .torn and .corrupt files: bytes Open or Repair cut off
	Records       uint64  `json:"records"`       // in the journal
	OldestLSN     *uint64 `json:"oldest_lsn"`    // the journal's first record
	NewestLSN     uint64  `json:"newest_lsn"`    // the last record the store holds
	Keys          *int    `json:"keys"`
	KeyBytes      *int64  `json:"key_bytes"`
	ValueBytes    *int64  `json:"value_bytes"`
	Note          string  `json:"note,omitempty"`
}

func runStats(inv *invocation) (int, error) {
	dir := inv.args[0]
	kind, err := findStore(dir)
	if err != nil {
		return exitError, err
	}
	st := storeStats{Directory: dir, Kind: "kv", Status: "sound"}
	sp := inv.working("checking", dir)
	rep, err := hurrah.Check(dir)
	sp.done()
	if err != nil {
		return exitError, explain(dir, err)
	}
	st.fromCheck(rep)
	status := exitOK
	switch {
	case kind == kindSystem:
		st.Kind, st.Note = "system", "a System's state is the program's own: the command line cannot count its keys"
	case rep.Damage != nil:
		st.Status, st.Note = "corrupt", "the store does not open: hurrah check says why"
		status = exitDamaged
	default:
		if err := st.countKeys(inv, dir); err != nil {
			return exitError, err
		}
	}
	// The files as the command leaves them: opening the store to count
	// its keys cuts a torn tail, as Open does.
	if st.Files, st.Bytes, err = diskUsage(dir); err != nil {
		return exitError, explain(dir, err)
	}
	if st.SegmentBytes, st.SetAside, err = journalFiles(dir); err != nil {
		return exitError, explain(dir, err)
	}
	if inv.json {
		return status, writeJSON(inv.stdout, st)
	}
	st.print(inv.stdout)
	return status, nil
}

// fromCheck fills in what hurrah.Check reports.
func (st *storeStats) fromCheck(rep hurrah.RepairReport) {
	st.Snapshots = len(rep.Snapshots)
	for _, s := range rep.Snapshots {
		st.SnapshotBytes += s.Size
	}
	if rep.Restored.Path != "" {
		st.RestoredLSN = &rep.Restored.LSN
	}
	st.Segments, st.Records, st.NewestLSN = rep.Segments, rep.Entries, rep.LastLSN
	if rep.Entries > 0 {
		st.OldestLSN = &rep.FirstLSN
	}
}

// journalFiles returns the bytes in dir's journal segments and the number
// of files that hold what Open or Repair set aside.
func journalFiles(dir string) (segBytes int64, setAside int, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range ents {
		switch name := e.Name(); {
		case !e.Type().IsRegular():
		case strings.HasSuffix(name, ".torn"), strings.HasSuffix(name, ".corrupt"):
			setAside++
		case strings.HasSuffix(name, ".wal"):
			fi, err := e.Info()
			if err != nil && !errors.Is(err, fs.ErrNotExist) { // gone since the listing: nothing to count
				return 0, 0, err
			}
			if err == nil {
				segBytes += fi.Size()
			}
		}
	}
	return segBytes, setAside, nil
}

// countKeys opens the store and counts its keys and their bytes.
func (st *storeStats) countKeys(inv *invocation, dir string) error {
	db, err := openKV(inv, dir, 0)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.View(inv.ctx)
	if err != nil {
		return explain(dir, err)
	}
	defer v.Close()
	n, kb, vb := 0, int64(0), int64(0)
	for k, b := range v.All() {
		n, kb, vb = n+1, kb+int64(len(k)), vb+int64(len(b))
	}
	st.Keys, st.KeyBytes, st.ValueBytes = &n, &kb, &vb
	return closeAll(dir, v, db)
}

// print writes st for a person.
func (st *storeStats) print(w io.Writer) {
	fmt.Fprintf(w, "directory:   %s\n", st.Directory)
	if st.Kind == "system" {
		fmt.Fprintln(w, "kind:        System")
	}
	fmt.Fprintf(w, "files:       %d, %d bytes (%s)\n", st.Files, st.Bytes, sizeText(st.Bytes))
	fmt.Fprintf(w, "snapshots:   %d, %d bytes", st.Snapshots, st.SnapshotBytes)
	if st.RestoredLSN != nil {
		fmt.Fprintf(w, "; opening the store restores the one at LSN %d", *st.RestoredLSN)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "segments:    %d, %d bytes (%s)\n", st.Segments, st.SegmentBytes, sizeText(st.SegmentBytes))
	if st.SetAside > 0 {
		fmt.Fprintf(w, "set aside:   %d files (.torn, .corrupt) hold bytes cut off the journal\n", st.SetAside)
	}
	fmt.Fprintf(w, "records:     %d in the journal\n", st.Records)
	if st.OldestLSN != nil {
		fmt.Fprintf(w, "oldest LSN:  %d\n", *st.OldestLSN)
	} else {
		fmt.Fprintln(w, "oldest LSN:  none: the journal holds no record")
	}
	fmt.Fprintf(w, "newest LSN:  %d\n", st.NewestLSN)
	if st.Keys != nil {
		fmt.Fprintf(w, "live keys:   %d\n", *st.Keys)
		fmt.Fprintf(w, "key bytes:   %d (%s)\n", *st.KeyBytes, sizeText(*st.KeyBytes))
		fmt.Fprintf(w, "value bytes: %d (%s)\n", *st.ValueBytes, sizeText(*st.ValueBytes))
	} else {
		fmt.Fprintf(w, "live keys:   not counted: %s\n", st.Note)
	}
	fmt.Fprintf(w, "status:      %s\n", st.Status)
}
