package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// entry is one contender's value in a figure.
type entry struct {
	name  string
	value float64
}

// figure is one printed line: hurrah's value, its peers', the ratios of
// hurrah to each peer, and the target.
type figure struct {
	name    string
	unit    string
	hurrah  float64
	peers   []entry
	target  string
	met     string // yes, no or n/a
	lower   bool   // lower is better
	note    string // a remark for RESULTS.md, not printed
	workers int    // goroutines, for plots; 0 if not a throughput figure
	group   string // the plot this figure belongs to, if any
}

// ratio returns hurrah's value over the named peer's, or NaN.
func (f *figure) ratio(peer string) float64 {
	for _, p := range f.peers {
		if p.name == peer {
			return f.hurrah / p.value
		}
	}
	return math.NaN()
}

// line formats f as the one-line summary.
func (f *figure) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "name=%s unit=%s hurrah=%s", f.name, f.unit, num(f.hurrah))
	for _, p := range f.peers {
		fmt.Fprintf(&b, " %s=%s", p.name, num(p.value))
	}
	if len(f.peers) > 0 {
		b.WriteString(" ratio=")
		for i, p := range f.peers {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s:%s", p.name, fixed(f.hurrah/p.value))
		}
	}
	fmt.Fprintf(&b, " target=%q met=%s", f.target, f.met)
	return b.String()
}

// num formats v with three significant digits, as 1.21e6 from 10,000 up.
func num(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "NaN"
	case math.Abs(v) >= 1e4:
		s := strconv.FormatFloat(v, 'e', 2, 64)
		mant, exp, _ := strings.Cut(s, "e")
		e, _ := strconv.Atoi(exp)
		return mant + "e" + strconv.Itoa(e)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

// fixed formats a ratio with two decimals, or three significant digits
// when it is small.
func fixed(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "NaN"
	}
	if math.Abs(v) < 0.1 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// yesNo turns a check into met=yes or met=no.
func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}
