package main

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// restartCurve is BenchmarkRestart's cost per record at each store size
// (keys), one value per run of the benchmark, by metric.
type restartCurve map[string]map[float64][]float64

// restartMetrics are the metrics plotted, with their legend.
var restartMetrics = []struct{ unit, legend string }{
	{"journal-ns/record", "journal replay, clock"},
	{"journal-cpu-ns/record", "journal replay, CPU"},
	{"snap-ns/key", "snapshot restore, clock"},
	{"snap-cpu-ns/key", "snapshot restore, CPU"},
}

// readRestartCurve reads the output of go test -bench Restart (any
// -count) from path.
func readRestartCurve(path string) (restartCurve, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := restartCurve{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "BenchmarkRestart/keys=") {
			continue
		}
		size := strings.TrimPrefix(fields[0], "BenchmarkRestart/keys=")
		size, _, _ = strings.Cut(size, "-") // the GOMAXPROCS suffix
		keys, err := parseKeys(size)
		if err != nil {
			return nil, err
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			if c[fields[i+1]] == nil {
				c[fields[i+1]] = map[float64][]float64{}
			}
			c[fields[i+1]][keys] = append(c[fields[i+1]][keys], v)
		}
	}
	return c, sc.Err()
}

// parseKeys reads a size as the benchmark names it: 100k, 1M, 4M.
func parseKeys(s string) (float64, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		s, mult = strings.TrimSuffix(s, "k"), 1e3
	case strings.HasSuffix(s, "M"):
		s, mult = strings.TrimSuffix(s, "M"), 1e6
	}
	v, err := strconv.ParseFloat(s, 64)
	return v * mult, err
}

// writeRestartPlot draws the median cost per record against the store's
// size, with the runs' min and max as error bars, into dir/restart.png.
func writeRestartPlot(dir string, c restartCurve) (string, error) {
	p := plot.New()
	p.Title.Text = "restart: cost per record (median, min-max of runs)"
	p.X.Label.Text = "keys in the store (log scale)"
	p.Y.Label.Text = "ns per record"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = decadeTicks{}
	p.Y.Min = 0
	p.Legend.Top, p.Legend.Left = true, true
	for i, m := range restartMetrics {
		runs := c[m.unit]
		if len(runs) == 0 {
			continue
		}
		var pts plotter.XYs
		var bars plotter.YErrors
		for _, keys := range slices.Sorted(maps.Keys(runs)) {
			vs := slices.Sorted(slices.Values(runs[keys]))
			med := median(vs)
			pts = append(pts, plotter.XY{X: keys, Y: med})
			bars = append(bars, struct{ Low, High float64 }{med - vs[0], vs[len(vs)-1] - med})
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return "", err
		}
		line.Color, points.Color = plotutil.Color(i), plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{pts, bars})
		if err != nil {
			return "", err
		}
		eb.Color = plotutil.Color(i)
		p.Add(line, points, eb)
		p.Legend.Add(m.legend, line, points)
	}
	p.X.Min, p.X.Max = p.X.Min/1.3, p.X.Max*1.3
	p.Y.Max *= 1.25 // room for the legend above the lines
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "restart.png")
	if err := p.Save(6*vg.Inch, 4*vg.Inch, path); err != nil {
		return "", fmt.Errorf("plot restart: %w", err)
	}
	return path, nil
}

// plotRestart draws dir/restart.png from the benchmark output in path.
func plotRestart(path, dir string) error {
	c, err := readRestartCurve(path)
	if err != nil {
		return err
	}
	if len(c) == 0 {
		return fmt.Errorf("%s holds no BenchmarkRestart results", path)
	}
	out, err := writeRestartPlot(dir, c)
	if err != nil {
		return err
	}
	fmt.Println("wrote", out)
	return nil
}
