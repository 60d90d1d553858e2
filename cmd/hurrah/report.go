package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/hurrahdb/hurrah"
)

// This file prints, for people, what hurrah.Check and hurrah.Repair
// report: check and repair share it.

// printLog prints what the journal holds (with suffix " (after a
// repair)" when check describes what a repair would leave), and the torn
// tail if there is one.
func printLog(w io.Writer, rep hurrah.RepairReport, suffix string) {
	fmt.Fprintf(w, "segments:   %d%s\n", rep.Segments, suffix)
	fmt.Fprintf(w, "records:    %d%s\n", rep.Entries, suffix)
	fmt.Fprintf(w, "last LSN:   %d%s\n", rep.LastLSN, suffix)
	printTorn(w, rep)
}

// printAsides prints the pieces of the log and the snapshots a repair set
// aside (or, for a check, would), each list under a line that starts with
// lead.
func printAsides(w io.Writer, rep hurrah.RepairReport, lead string) {
	if len(rep.SetAside) > 0 {
		fmt.Fprintf(w, "%s %d bytes:\n", lead, rep.Bytes)
		printSetAside(w, rep.SetAside)
	}
	if len(rep.SnapshotsSetAside) > 0 {
		fmt.Fprintf(w, "%s snapshots:\n", lead)
		printSetAside(w, rep.SnapshotsSetAside)
	}
}

// printSnapshots prints the snapshot files, which one opening the store
// restores, and where the journal starts, those two lines ending with
// after.
func printSnapshots(w io.Writer, rep hurrah.RepairReport, after string) {
	if len(rep.Snapshots) == 0 {
		fmt.Fprintln(w, "snapshots:  none")
	} else {
		fmt.Fprintf(w, "snapshots:  %d\n", len(rep.Snapshots))
	}
	for _, s := range rep.Snapshots {
		fmt.Fprintf(w, "  %s: LSN %d, %s\n", s.Path, s.LSN, snapshotStatus(s, rep))
	}
	printRestore(w, rep, after)
	switch {
	case rep.FirstLSN == 0:
		fmt.Fprintf(w, "journal:    no segment%s\n", after)
	case rep.FirstLSN <= rep.Restored.LSN+1:
		if rep.Restored.Path != "" {
			fmt.Fprintf(w, "journal:    starts at LSN %d%s: it reaches back to the snapshot\n", rep.FirstLSN, after)
		} else {
			fmt.Fprintf(w, "journal:    starts at LSN %d%s\n", rep.FirstLSN, after)
		}
	default:
		fmt.Fprintf(w, "journal:    starts at LSN %d, after LSN %d: it does not reach back to the snapshot\n",
			rep.FirstLSN, rep.Restored.LSN+1)
	}
}

// snapshotStatus says what check found about snapshot s.
func snapshotStatus(s hurrah.SnapshotCheck, rep hurrah.RepairReport) string {
	switch {
	case s.Err != nil:
		var ce *hurrah.CorruptError
		if !errors.As(s.Err, &ce) {
			return fmt.Sprintf("%d bytes: unusable: %v", s.Size, s.Err)
		}
		msg := fmt.Sprintf("%d bytes: corrupt at offset %d: %s", s.Size, ce.Offset, ce.Reason)
		if s.LSN > rep.Restored.LSN {
			msg += " (opening the store passes over it)"
		}
		return msg
	case s.RestoreErr != nil:
		msg := fmt.Sprintf("%d records, %d bytes: does not restore", s.Count, s.Size)
		var ce *hurrah.CorruptError
		if errors.As(s.RestoreErr, &ce) && ce.Err != nil {
			msg += ": " + ce.Err.Error()
		}
		return msg + " (opening the store fails on it)"
	case s.Path == rep.Restored.Path:
		return fmt.Sprintf("%d records, %d bytes: sound, restored by opening the store", s.Count, s.Size)
	}
	return fmt.Sprintf("%d records, %d bytes: sound", s.Count, s.Size)
}

// printRestore prints which snapshot opening the store restores, the line
// ending with after.
func printRestore(w io.Writer, rep hurrah.RepairReport, after string) {
	if rep.Restored.Path != "" {
		fmt.Fprintf(w, "restore:    %s, at LSN %d%s\n", filepath.Base(rep.Restored.Path), rep.Restored.LSN, after)
	} else {
		fmt.Fprintf(w, "restore:    no snapshot%s: the journal is replayed from LSN 1\n", after)
	}
}

func printDamage(w io.Writer, rep hurrah.RepairReport) {
	fmt.Fprintf(w, "corruption: %s\n", corruptText(rep.Damage))
}

func printTorn(w io.Writer, rep hurrah.RepairReport) {
	if t := rep.Torn; t != nil {
		fmt.Fprintf(w, "torn tail:  %s at offset %d, %d bytes (opening the store cuts it and keeps the bytes aside)\n",
			t.File, t.Offset, t.Bytes)
	} else {
		fmt.Fprintln(w, "torn tail:  none")
	}
}

func printSetAside(w io.Writer, aside []hurrah.SetAside) {
	for _, a := range aside {
		fmt.Fprintf(w, "  %s from offset %d, %d bytes -> %s\n", a.File, a.Offset, a.Bytes, a.SavedAs)
	}
}

func printLost(w io.Writer, rep hurrah.RepairReport, verb string) {
	switch {
	case len(rep.SetAside) == 0:
		fmt.Fprintln(w, "lost:       no record")
	case rep.HighestLost > rep.LastLSN:
		fmt.Fprintf(w, "lost:       the records after LSN %d %s lost (frames up to LSN %d still verify in the bytes set aside)\n",
			rep.LastLSN, verb, rep.HighestLost)
	default:
		fmt.Fprintf(w, "lost:       the records after LSN %d, if there were any, %s lost\n", rep.LastLSN, verb)
	}
}
