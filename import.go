package hurrah

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Defaults and limits of ImportOptions.
const (
	DefaultImportBatchSize  = 1000    // lines per batch
	DefaultImportBatchBytes = 4 << 20 // bytes of keys and values per batch
	MaxImportBatchBytes     = 64 << 20
)

// ImportOptions tunes DB.Import. The zero value (or a nil pointer) gives
// the defaults.
type ImportOptions struct {
	// BatchSize is the most keys applied as one batch, one journal record.
	// Default DefaultImportBatchSize (1000).
	BatchSize int
	// BatchBytes ends a batch once its keys and values add up to this many
	// bytes, whatever its size. Default DefaultImportBatchBytes (4 MiB), at
	// most MaxImportBatchBytes.
	BatchBytes int
	// MaxLineSize is the longest line accepted, in bytes without its
	// "\n"; a longer one is refused without being read whole. Default
	// 6 × (MaxKeySize + MaxValueSize) + 1 KiB of the store, enough for any
	// line an export of a store with the same limits writes (JSON escapes
	// a byte in at most 6).
	MaxLineSize int
	// Skip is how many lines at the start of the input to pass over
	// unread: to resume a failed import, set it to the ImportReport.Lines
	// that import returned.
	Skip int64
	// DryRun checks every line, the store's key and value limits included,
	// and applies none.
	DryRun bool
	// Progress, if set, is called in the calling goroutine after each batch
	// is applied (checked, with DryRun), the last at the end of the input.
	// It should return quickly: the import waits for it.
	Progress func(Progress)
}

// Progress is what Export and Import report as they go, for a progress bar.
type Progress struct {
	Lines int64 // lines written, or applied (skipped and blank ones included)
	Keys  int64 // keys written, or applied
	Bytes int64 // bytes written, or read up to the end of the last line applied
	Total int64 // the keys Export will write, when known; 0 otherwise
}

// ImportReport is what DB.Import did.
type ImportReport struct {
	// Lines is the number of lines, from the start of the input and
	// counting skipped and blank lines, that are applied: all of them
	// after a success, and after an error the lines of every batch
	// acknowledged. ImportOptions.Skip = Lines resumes.
	Lines   int64
	Keys    int64 // keys set by this call (with DryRun: that would be)
	Batches int64 // batches written (0 with DryRun)
	Bytes   int64 // bytes of input up to the end of line Lines
}

// ImportError is the error of a line that Import refuses: it is not in the
// export format, or its key or value breaks the store's limits. errors.Is
// finds ErrBadInput in it, and whatever Err wraps (ErrInvalidKey,
// ErrTooLarge).
type ImportError struct {
	Line int64 // the line's number, from 1
	Err  error // what is wrong with it
}

// Error implements error.
func (e *ImportError) Error() string {
	return fmt.Sprintf("hurrah: import: line %d: %s", e.Line, strings.TrimPrefix(e.Err.Error(), "hurrah: "))
}

// Unwrap returns Err.
func (e *ImportError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrBadInput) true.
func (e *ImportError) Is(target error) bool { return target == ErrBadInput }

// Import reads lines in the export format (see Export) from r and sets
// each key to its value, in batches: each batch is applied as DB.Write
// applies one, atomically and as one journal record, and acknowledged at
// the store's Durability before the next is written (the next is read and
// checked meanwhile, in the calling goroutine). A key given twice ends
// with the value of its last line. Keys not in the input are left alone.
// A "value" is stored as CBOR whatever the store's codec: for a store with
// another codec, give the values' bytes under "value_base64", as its
// Export writes them, or Get cannot decode them.
//
// Import is resumable, not all-or-nothing. A line that Import refuses
// returns an *ImportError naming it, and the batch it was part of is not
// applied: the store holds exactly the batches before it. The
// ImportReport's Lines says how far that is; fix the input and import it
// again with ImportOptions.Skip set to Lines to go on, or from the start
// (setting a key again to the same value changes nothing). A crash or a
// failed write likewise leaves a prefix of whole batches; Skip = Lines
// then resumes at Synced (at Written too after a process crash), but at
// the other levels a batch can be acknowledged and still be lost, so
// import again from the start. To refuse a bad input before any of it is
// applied, run Import with DryRun first.
//
// Memory use is bounded by two batches and one line, whatever the input's
// size. An error reading r or writing a batch (ErrReadOnly, ctx's error)
// is returned as it is; the batch being written may or may not be
// applied, as with any write that fails, and Lines does not count it.
func (db *DB) Import(ctx context.Context, r io.Reader, opts *ImportOptions) (ImportReport, error) {
	var rep ImportReport
	if err := db.check(); err != nil {
		return rep, err
	}
	o, err := opts.resolve(db.opts)
	if err != nil {
		return rep, err
	}
	in := importer{db: db, o: o, lr: newLineReader(r, o.MaxLineSize), rep: &rep, b: new(Batch)}
	in.p.maxNodes = db.opts.MaxValueSize
	for ; rep.Lines < o.Skip; rep.Lines++ {
		if rep.Lines%progressEvery == 0 { // skipping can take long too
			if err := ctx.Err(); err != nil {
				rep.Bytes = in.lr.bytes
				return rep, err
			}
		}
		if err := in.lr.skip(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return rep, fmt.Errorf("hurrah: import: reading line %d: %w", rep.Lines+1, err)
		}
	}
	rep.Bytes = in.lr.bytes
	err = in.run(ctx)
	if werr := in.wait(); err == nil { // the batch in flight, if any
		err = werr
	}
	return rep, err
}

// resolve returns the options to use: o's, with defaults for zero fields,
// checked.
func (o *ImportOptions) resolve(db Options) (ImportOptions, error) {
	var r ImportOptions
	if o != nil {
		r = *o
	}
	if r.Skip < 0 {
		return r, fmt.Errorf("%w: ImportOptions.Skip %d is negative", ErrInvalidOptions, r.Skip)
	}
	maxLine := 6*(db.MaxKeySize+db.MaxValueSize) + 1<<10
	return r, errors.Join(
		option("ImportOptions.BatchSize", &r.BatchSize, DefaultImportBatchSize, 1, 1<<30),
		option("ImportOptions.BatchBytes", &r.BatchBytes, DefaultImportBatchBytes, 1, MaxImportBatchBytes),
		option("ImportOptions.MaxLineSize", &r.MaxLineSize, maxLine, 1, 1<<31-1))
}

// importer is the state of one Import call.
type importer struct {
	db    *DB
	o     ImportOptions
	lr    *lineReader
	p     jsonParser
	b     *Batch // the batch being filled
	size  int    // bytes of keys and values in b
	lines int64  // lines read
	rep   *ImportReport
	w     batchWriter
}

// run reads, checks and applies the lines after the skipped ones.
func (in *importer) run(ctx context.Context) error {
	in.lines = in.rep.Lines
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := in.lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		in.lines++
		if errors.Is(err, ErrTooLarge) {
			return &ImportError{Line: in.lines, Err: err}
		} else if err != nil {
			return fmt.Errorf("hurrah: import: reading line %d: %w", in.lines, err)
		}
		if in.lines == 1 { // a byte order mark may start the input
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if isBlank(line) {
			continue
		}
		key, value, err := in.p.line(line)
		if err != nil {
			return &ImportError{Line: in.lines, Err: err}
		}
		if in.p.at != 0 && in.p.at <= in.db.clock() {
			continue // expired already: imports nothing
		}
		k := string(key)
		if err := in.db.checkWrite(k, len(value)); err != nil {
			if errors.Is(err, ErrClosed) {
				return err
			}
			return &ImportError{Line: in.lines, Err: err}
		}
		in.b.SetBytes(k, value, importDeadline(in.p.at)...)
		in.size += len(k) + len(value)
		if in.b.Len() >= in.o.BatchSize || in.size >= in.o.BatchBytes {
			if err := in.flush(ctx); err != nil {
				return err
			}
		}
	}
	if err := in.flush(ctx); err != nil {
		return err
	}
	return in.wait()
}
