package hurrah

import (
	"bufio"
	"context"
	"io"
	"iter"
	"slices"
	"strings"
)

// ExportOptions tunes DB.Export. The zero value (or a nil pointer) exports
// every key, sorted.
type ExportOptions struct {
	// Prefix, if set, exports only the keys that start with it.
	Prefix string
	// Unsorted writes the lines in no particular order, and so in memory
	// that does not grow with the store. By default the lines are sorted
	// by key, which holds a reference to each key (16 bytes; the keys are
	// not copied) while exporting.
	Unsorted bool
	// Progress, if set, is called in the calling goroutine every 1024
	// lines or MiB written, and once at the end. It should return quickly:
	// the export waits for it.
	Progress func(Progress)
}

// ExportReport is what DB.Export wrote.
type ExportReport struct {
	Keys   int64 // lines written, one per key
	JSON   int64 // values written as JSON ("value")
	Base64 int64 // values written as base64 ("value_base64")
	Bytes  int64 // bytes that reached w
}

// progressEvery is how many lines, and progressBytes how many bytes of
// lines, Export writes at most between Progress calls and between looks at
// its context: by lines alone, an export of big values would not stop.
const (
	progressEvery = 1024
	progressBytes = 1 << 20
)

// Export writes every key of the store (or those under ExportOptions.Prefix)
// and its value to w as JSON Lines, one JSON object per line:
//
//	{"key":"user:1","value":{"Age":36,"Name":"Ada"}}
//	{"key":"blob","value_base64":"AAEC/w=="}
//
// A value stored with Set is written as JSON when JSON holds it exactly
// (numbers, strings, arrays, maps with string keys, booleans, null);
// anything else, such as bytes stored with SetBytes or a value holding a
// []byte or a time.Time, as base64 under "value_base64". A key that is not
// valid UTF-8 is written in base64 under "key_base64". A store whose
// Options.Codec is not CBORCodec writes every value in base64: its bytes
// are not CBOR (JSONCodec's 5, the byte '5', reads as the CBOR -22).
// Import reads the lines back into the same bytes, so an export of a
// store that imported an export is the same file. The README's "Moving data in and out" section
// gives the format's rules.
//
// The export is one consistent image of the store, as it is when Export
// takes a View, while writers go on (their changes are kept aside until
// the export ends, as for any open View). It is written through a buffer, so w
// need not be buffered; Export does not close w. An error from w or from
// ctx stops it and is returned with what was written by then.
func (db *DB) Export(ctx context.Context, w io.Writer, opts *ExportOptions) (ExportReport, error) {
	var o ExportOptions
	if opts != nil {
		o = *opts
	}
	v, err := db.View(ctx)
	if err != nil {
		return ExportReport{}, err
	}
	defer v.Close()
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	rep := ExportReport{}
	var line []byte
	since := 0 // bytes of lines since the last look at ctx
	isCBOR := false
	switch db.opts.Codec.(type) {
	case CBORCodec, *CBORCodec:
		isCBOR = true
	}
	lines, total := exportOrder(v, o)
	report := func() {
		if o.Progress != nil {
			o.Progress(Progress{Lines: rep.Keys, Keys: rep.Keys, Bytes: cw.n + int64(bw.Buffered()), Total: total})
		}
	}
	for k, b := range lines {
		var asJSON bool
		line, asJSON = appendLine(line[:0], k, b, isCBOR)
		line = appendExpires(line, v.img.Deadline(k))
		if _, err := bw.Write(line); err != nil {
			return rep.written(cw), err
		}
		rep.Keys++
		if asJSON {
			rep.JSON++
		} else {
			rep.Base64++
		}
		since += len(line)
		if cap(line) > 1<<20 {
			line = nil // one big value must not pin its buffer
		}
		if rep.Keys%progressEvery == 0 || since >= progressBytes {
			since = 0
			if err := ctx.Err(); err != nil {
				return rep.written(cw), err
			}
			report()
		}
	}
	if err := bw.Flush(); err != nil {
		return rep.written(cw), err
	}
	report()
	return rep.written(cw), nil
}

// exportOrder returns the keys and values of v that Export writes, in the
// order it writes them, and how many there are (0 if it does not know).
func exportOrder(v *View, o ExportOptions) (iter.Seq2[string, []byte], int64) {
	if o.Unsorted {
		if o.Prefix == "" {
			return v.All(), int64(v.Len())
		}
		return v.Prefix(o.Prefix), 0
	}
	hint := 0
	if o.Prefix == "" {
		hint = v.Len()
	}
	// The values are taken with the keys, as of one instant: looked up
	// again while the lines are written, a key whose deadline passed
	// meanwhile would be missing.
	type record struct {
		k string
		b []byte
	}
	recs := make([]record, 0, hint)
	for k, b := range v.Prefix(o.Prefix) {
		recs = append(recs, record{k, b})
	}
	slices.SortFunc(recs, func(a, b record) int { return strings.Compare(a.k, b.k) })
	return func(yield func(string, []byte) bool) {
		for _, r := range recs {
			if v.check() != nil || !yield(r.k, r.b) {
				return
			}
		}
	}, int64(len(recs))
}

func (r ExportReport) written(cw *countWriter) ExportReport {
	r.Bytes = cw.n
	return r
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
