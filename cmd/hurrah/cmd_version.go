package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/hurrahdb/hurrah/journal"
)

func init() {
	// An entry in the command table: every cmd_*.go has one of this
	// shape (see command.go), which is the idiom, not repeated logic.
	register(&command{
		name:    "version",
		summary: "print this hurrah's version and the on-disk format versions it reads",
		group:   groupOther,
		exits:   "0",
		nargs:   [2]int{0, 0},
		json:    true,
		setup: func(*flag.FlagSet) func(*invocation) (int, error) {
			return runVersion
		},
	})
}

// versionInfo is what `hurrah version -json` prints. Formats maps each
// kind of file to the newest format version this build reads (and
// writes); a file of a newer version is refused with ErrVersion.
type versionInfo struct {
	Module   string         `json:"module"`
	Version  string         `json:"version"`
	Revision string         `json:"revision,omitempty"`
	Go       string         `json:"go"`
	Formats  map[string]int `json:"formats"`
}

// formats lists the on-disk formats, in the order version prints them.
var formats = journal.Formats()

func runVersion(inv *invocation) (int, error) {
	info := versionInfo{Module: "github.com/hurrahdb/hurrah", Version: "unknown", Go: runtime.Version(),
		Formats: map[string]int{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info.Module, info.Version = bi.Main.Path, bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				info.Revision = s.Value
			}
		}
	}
	for _, f := range formats {
		info.Formats[f.Name] = f.Version
	}
	if inv.json {
		return exitOK, writeJSON(inv.stdout, info)
	}
	w := inv.stdout
	fmt.Fprintf(w, "hurrah %s (module %s", info.Version, info.Module)
	if info.Revision != "" {
		fmt.Fprintf(w, ", revision %s", info.Revision)
	}
	fmt.Fprintf(w, ", built with %s)\n", info.Go)
	for _, f := range formats {
		fmt.Fprintf(w, "reads and writes %s format version %d (refuses newer ones)\n", f.Name, f.Version)
	}
	return exitOK, nil
}
