package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// writeResults writes the full run's report to path: the machine, the
// command, a table of every figure, and links to the plots.
func writeResults(path string, cfg *config, figs []figure, pngs map[string]string, elapsed time.Duration) error {
	var b strings.Builder
	b.WriteString("# hurrah side-by-side benchmark results\n\n")
	b.WriteString("Written by `go run .` in `bench/` (see [README.md](README.md)). Each figure's contenders ran interleaved in one process: ")
	fmt.Fprintf(&b, "%d rounds of %v per contender, rotating the order each round, with a GC between slices; every value is the median over the rounds. ", cfg.rounds, cfg.slice)
	b.WriteString("Ratios are hurrah ÷ peer. The machine is shared and noisy: expect 10–20% between runs.\n\n")
	b.WriteString("## Machine\n\n")
	for _, l := range machine(cfg.tmp) {
		b.WriteString("- " + l + "\n")
	}
	fmt.Fprintf(&b, "\nCommand: `cd bench && go run .`")
	if cfg.only != nil {
		fmt.Fprintf(&b, " `-only '%s'`", cfg.only)
	}
	fmt.Fprintf(&b, " (took %v)\n\n", elapsed.Round(time.Second))

	b.WriteString("## Figures\n\n")
	b.WriteString("| figure | unit | hurrah | peers | ratio hurrah÷peer | target | met |\n|---|---|---|---|---|---|---|\n")
	for _, f := range figs {
		var peers, ratios []string
		for _, p := range f.peers {
			peers = append(peers, fmt.Sprintf("%s %s", p.name, num(p.value)))
			ratios = append(ratios, fmt.Sprintf("%s %s", p.name, fixed(f.hurrah/p.value)))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", f.name, f.unit, num(f.hurrah),
			strings.Join(peers, "<br>"), strings.Join(ratios, "<br>"), esc(f.target), f.met)
	}
	var notes []string
	seen := map[string]bool{}
	for _, f := range figs {
		name := f.name
		if f.group != "" {
			name = f.group + "/g=*"
		}
		if f.note != "" && !seen[name] {
			seen[name] = true
			notes = append(notes, fmt.Sprintf("- **%s**: %s", name, f.note))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes:\n\n" + strings.Join(notes, "\n") + "\n")
	}

	if len(pngs) > 0 {
		b.WriteString("\n## Plots\n\nThroughput against goroutines (both axes logarithmic).\n\n")
		for _, g := range plotGroups {
			p, ok := pngs[g]
			if !ok {
				continue
			}
			rel, err := filepath.Rel(filepath.Dir(path), p)
			if err != nil {
				rel = p
			}
			fmt.Fprintf(&b, "![%s](%s)\n\n", g, filepath.ToSlash(rel))
		}
	}
	b.WriteString("\n## The raw lines\n\n```\n")
	for _, f := range figs {
		b.WriteString(f.line() + "\n")
	}
	b.WriteString("```\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// esc escapes the characters a Markdown table cell cannot hold.
func esc(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
