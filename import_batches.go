package hurrah

import "context"

// batchWriter writes an import's batches one at a time, each in a goroutine
// of its own, so that the next batch is read and checked while the last
// one is written. A batch is sent only once the one before it is
// acknowledged: the store still sees the batches in order, one at a time.
type batchWriter struct {
	done  chan error // the batch in flight's result; nil when none is
	batch *Batch     // the batch in flight, reused once it is written
	lines int64      // the lines it ends, and the input's bytes up to there
	bytes int64
}

// flush sends the batch read so far, which ends at the last line read,
// once the batch before it is written, and reports progress.
func (in *importer) flush(ctx context.Context) error {
	if err := in.wait(); err != nil {
		return err
	}
	if in.o.DryRun || in.b.Len() == 0 {
		in.rep.Lines, in.rep.Bytes = in.lines, in.lr.bytes
		in.rep.Keys += int64(in.b.Len())
		in.b.Reset()
		in.size = 0
		in.progress()
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err // do not race a cancelled context against the write
	}
	w := &in.w
	spare := w.batch
	if spare == nil {
		spare = new(Batch)
	}
	w.batch, w.lines, w.bytes = in.b, in.lines, in.lr.bytes
	w.done = make(chan error, 1)
	go func(b *Batch, done chan<- error) { done <- in.db.Write(ctx, b) }(w.batch, w.done)
	in.b, in.size = spare, 0
	return nil
}

// wait waits for the batch in flight, if any, and counts it applied if its
// write succeeded. It returns the write's error.
func (in *importer) wait() error {
	w := &in.w
	if w.done == nil {
		return nil
	}
	err := <-w.done
	w.done = nil
	if err != nil {
		return err
	}
	in.rep.Lines, in.rep.Bytes = w.lines, w.bytes
	in.rep.Keys += int64(w.batch.Len())
	in.rep.Batches++
	w.batch.Reset()
	in.progress()
	return nil
}

func (in *importer) progress() {
	if in.o.Progress != nil {
		in.o.Progress(Progress{Lines: in.rep.Lines, Keys: in.rep.Keys, Bytes: in.rep.Bytes})
	}
}
