package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// config is what every figure needs to know about the run.
type config struct {
	quick       bool
	rounds      int
	slice       time.Duration
	tmp         string
	keys        []string
	only        *regexp.Regexp
	restartKeys int           // keys in the restart and snapshot-pause figures
	restartRuns int           // opens timed per store in the restart figures (the median counts)
	heapKeys    int           // entries in the heap figures
	pauseBase   time.Duration // how long Set latency is sampled without a snapshot
}

// selected says whether the figure called name is to be run.
func (c *config) selected(name string) bool { return c.only == nil || c.only.MatchString(name) }

// special is a figure measured on its own rather than by a suite.
type special struct {
	names []string
	run   func(*config, func(figure)) error
}

var specials = []special{
	{[]string{"restart/journal", "restart/snapshot"}, runRestart},
	{[]string{"heap/memory", "heap/written"}, runHeap},
	{[]string{"disk/defaults", "disk/keep1+snapshot"}, runDisk},
	{[]string{"snapshot/pause", "snapshot/p99"}, runPause},
	{[]string{"range/first", "range/100"}, runRange},
}

func main() {
	quick := flag.Bool("quick", false, "short run: 3 rounds of 200 ms slices, smaller heap figure, no RESULTS.md")
	out := flag.String("out", "RESULTS.md", "where the full run writes its report")
	plots := flag.String("plots", "plots", "directory for the full run's PNG plots")
	only := flag.String("only", "", "run only the figures whose names match this regular expression")
	restartPlot := flag.String("restart-plot", "", "only draw plots/restart.png from this file of go test -bench Restart output")
	flag.Parse()
	if *restartPlot != "" {
		if err := plotRestart(*restartPlot, *plots); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*quick, *out, *plots, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(quick bool, out, plots, only string) (err error) {
	cfg := &config{quick: quick, rounds: 7, slice: time.Second, restartKeys: 1_000_000, restartRuns: 3, heapKeys: 1_000_000, pauseBase: time.Second}
	if quick {
		cfg.rounds, cfg.slice, cfg.heapKeys, cfg.pauseBase = 3, 200*time.Millisecond, 100_000, 300*time.Millisecond
	}
	if only != "" {
		if cfg.only, err = regexp.Compile(only); err != nil {
			return fmt.Errorf("-only: %w", err)
		}
	}
	if cfg.tmp, err = os.MkdirTemp("", "hurrah-bench-"); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(cfg.tmp)) }()
	cfg.keys = makeKeys(numKeys)

	start := time.Now()
	mode := "full"
	if quick {
		mode = "quick"
	}
	fmt.Printf("# hurrah bench, %s mode: %d rounds of %v per contender, %d keys of 16 B, %d-byte values; restart/pause %d keys, heap %d entries\n",
		mode, cfg.rounds, cfg.slice, numKeys, valueLen, cfg.restartKeys, cfg.heapKeys)
	if quick {
		fmt.Printf("# quick: heap/* uses %d entries instead of 1M; set-synced at g=64 only; batch-* at g=8 only\n", cfg.heapKeys)
	}
	var figs []figure
	emit := func(f figure) {
		if !cfg.selected(f.name) {
			return
		}
		figs = append(figs, f)
		fmt.Println(f.line())
	}
	for i := range suites {
		if err := suites[i].run(cfg, emit); err != nil {
			return err
		}
	}
	for _, s := range specials {
		if !anySelected(cfg, s.names) {
			continue
		}
		if err := s.run(cfg, emit); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(s.names, ", "), err)
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("# done in %v\n", elapsed.Round(100*time.Millisecond))
	if quick {
		return nil
	}
	pngs, err := writePlots(plots, figs)
	if err != nil {
		return err
	}
	return writeResults(out, cfg, figs, pngs, elapsed)
}

// anySelected says whether cfg selects any of names.
func anySelected(cfg *config, names []string) bool {
	for _, n := range names {
		if cfg.selected(n) {
			return true
		}
	}
	return false
}
