package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotGroups are the throughput figures plotted against goroutines.
var plotGroups = []string{"get", "set-memory", "set-written", "set-synced", "mixed"}

// writePlots draws, for each plot group with figures, every contender's
// throughput against goroutines into dir/<group>.png, and returns the
// files written by group.
func writePlots(dir string, figs []figure) (map[string]string, error) {
	pngs := map[string]string{}
	for _, group := range plotGroups {
		var fs []figure
		for _, f := range figs {
			if f.group == group {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, group+".png")
		if err := drawGroup(path, group, fs); err != nil {
			return nil, fmt.Errorf("plot %s: %w", group, err)
		}
		pngs[group] = path
	}
	return pngs, nil
}

// drawGroup plots the figures of one group, one line per contender.
func drawGroup(path, group string, fs []figure) error {
	p := plot.New()
	p.Title.Text = group + " throughput"
	p.X.Label.Text = "goroutines"
	p.Y.Label.Text = fs[0].unit + " (log scale)"
	p.X.Scale = plot.LogScale{}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = decadeTicks{}
	var ticks []plot.Tick
	for g := 1; g <= 256; g *= 2 {
		ticks = append(ticks, plot.Tick{Value: float64(g), Label: strconv.Itoa(g)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	// The x axis runs on past 256 to leave room on the right for the
	// legend, so it covers no line.
	p.X.Min, p.X.Max = 1, 4096
	p.Legend.Top = true

	series := map[string]plotter.XYs{}
	var order []string
	add := func(name string, g int, v float64) {
		if _, ok := series[name]; !ok {
			order = append(order, name)
		}
		series[name] = append(series[name], plotter.XY{X: float64(g), Y: v})
	}
	for _, f := range fs {
		add("hurrah", f.workers, f.hurrah)
		for _, pe := range f.peers {
			add(pe.name, f.workers, pe.value)
		}
	}
	var args []any
	for _, name := range order {
		args = append(args, name, series[name])
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return err
	}
	return p.Save(6*vg.Inch, 4*vg.Inch, path)
}

// decadeTicks labels 1, 2 and 5 times each power of ten on a log axis and
// marks the other integer multiples.
type decadeTicks struct{}

func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = tickLabel(m, e)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// tickLabel writes m×10^e briefly: 500, 2000, 1e4, 5e5.
func tickLabel(m, e float64) string {
	if e < 4 {
		return strconv.FormatFloat(m*math.Pow(10, e), 'f', -1, 64)
	}
	return fmt.Sprintf("%ge%d", m, int(e))
}
