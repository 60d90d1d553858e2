package main

import (
	"encoding/json"
	"errors"
	"io"

	"github.com/hurrahdb/hurrah"
)

// writeJSON writes v to w as one line of JSON, leaving <, > and & as
// they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// checkReport is what `hurrah check -json` prints: hurrah.Check's report,
// with errors as text. Its field names are part of the command line's
// interface: add fields, do not rename them.
type checkReport struct {
	Directory string `json:"directory"`
	Kind      string `json:"kind"`   // "kv" or "system"
	Status    string `json:"status"` // "sound", "corrupt" or "unrepairable"
	// Snapshots are the snapshot files; Restored the one opening the
	// store restores (after a repair, if the store is corrupt and a repair
	// can help), or null.
	Snapshots []snapshotJSON `json:"snapshots"`
	Restored  *fileLSN       `json:"restored"`
	// The journal (after a repair, if Status is "corrupt"): FirstLSN is 0
	// with no segment.
	FirstLSN uint64        `json:"first_lsn"`
	Segments int           `json:"segments"`
	Records  uint64        `json:"records"`
	LastLSN  uint64        `json:"last_lsn"`
	Torn     *setAsideJSON `json:"torn,omitempty"`
	// Damage is the corruption found, Unrepairable why a repair cannot
	// help, SetAside and SnapshotsSetAside what a repair would set aside,
	// and HighestLost the highest LSN still found in the bytes set aside.
	Damage            *damageJSON    `json:"damage,omitempty"`
	Unrepairable      string         `json:"unrepairable,omitempty"`
	SetAside          []setAsideJSON `json:"set_aside,omitempty"`
	SnapshotsSetAside []setAsideJSON `json:"snapshots_set_aside,omitempty"`
	HighestLost       uint64         `json:"highest_lost,omitempty"`
}

type snapshotJSON struct {
	Path    string `json:"path"`
	LSN     uint64 `json:"lsn"`
	Records uint64 `json:"records"`
	Bytes   int64  `json:"bytes"`
	Status  string `json:"status"` // "sound", "corrupt" or "does not restore"
	Error   string `json:"error,omitempty"`
}

type fileLSN struct {
	Path string `json:"path"`
	LSN  uint64 `json:"lsn"`
}

// setAsideJSON is a hurrah.SetAside: bytes of File from Offset on, which
// a repair sets (or would set) aside in SavedAs, or a torn tail.
type setAsideJSON struct {
	File    string `json:"file"`
	Offset  int64  `json:"offset"`
	Bytes   int64  `json:"bytes"`
	SavedAs string `json:"saved_as,omitempty"`
}

func setAsidesJSON(in []hurrah.SetAside) []setAsideJSON {
	var out []setAsideJSON
	for _, a := range in {
		out = append(out, setAsideJSON(a))
	}
	return out
}

type damageJSON struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Reason string `json:"reason"`
}

// checkJSON builds the report `hurrah check -json` prints.
func checkJSON(dir string, kind storeKind, rep hurrah.RepairReport) checkReport {
	r := checkReport{
		Directory: dir, Kind: "kv", Status: "sound",
		Snapshots: []snapshotJSON{},
		FirstLSN:  rep.FirstLSN, Segments: rep.Segments, Records: rep.Entries, LastLSN: rep.LastLSN,
		SetAside: setAsidesJSON(rep.SetAside), SnapshotsSetAside: setAsidesJSON(rep.SnapshotsSetAside),
		HighestLost: rep.HighestLost,
	}
	if kind == kindSystem {
		r.Kind = "system"
	}
	if rep.Torn != nil {
		t := setAsideJSON(*rep.Torn)
		r.Torn = &t
	}
	for _, s := range rep.Snapshots {
		sj := snapshotJSON{Path: s.Path, LSN: s.LSN, Records: s.Count, Bytes: s.Size, Status: "sound"}
		switch {
		case s.Err != nil:
			sj.Status, sj.Error = "corrupt", detail(s.Err, hurrah.ErrCorrupt)
			var ce *hurrah.CorruptError
			if errors.As(s.Err, &ce) {
				sj.Error = corruptText(ce)
			}
		case s.RestoreErr != nil:
			sj.Status, sj.Error = "does not restore", detail(s.RestoreErr, hurrah.ErrCorrupt)
		}
		r.Snapshots = append(r.Snapshots, sj)
	}
	if rep.Restored.Path != "" {
		r.Restored = &fileLSN{Path: rep.Restored.Path, LSN: rep.Restored.LSN}
	}
	if d := rep.Damage; d != nil {
		r.Status = "corrupt"
		r.Damage = &damageJSON{File: d.File, Offset: d.Offset, Reason: d.Reason}
		if d.Err != nil {
			r.Damage.Reason += ": " + detail(d.Err, nil)
		}
	}
	if rep.Unrepairable != nil {
		r.Status, r.Unrepairable = "unrepairable", unrepairableText(rep)
	}
	return r
}
