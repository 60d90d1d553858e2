package hurrah

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// lineReader reads lines of at most max bytes (without the "\n") from r,
// and counts the bytes read.
type lineReader struct {
	r     *bufio.Reader
	buf   []byte // a line longer than r's buffer, gathered
	max   int
	bytes int64 // bytes read, through the end of the last line returned
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line, without its "\n"; the last line of the input
// needs none. It returns io.EOF at the end of the input, and an error
// wrapping ErrTooLarge for a line over the limit. The line is valid until
// the next call.
func (lr *lineReader) next() ([]byte, error) {
	if cap(lr.buf) > 1<<20 {
		lr.buf = nil // one long line must not pin its buffer
	}
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		lr.bytes += int64(len(chunk))
		n := len(lr.buf) + len(chunk)
		if err == nil {
			n-- // the "\n"
		}
		if n > lr.max {
			return nil, fmt.Errorf("%w: the line is longer than %d bytes (ImportOptions.MaxLineSize)", ErrTooLarge, lr.max)
		}
		switch {
		case err == nil && len(lr.buf) == 0:
			return chunk[:len(chunk)-1], nil
		case err == nil:
			return append(lr.buf, chunk[:len(chunk)-1]...), nil
		case errors.Is(err, bufio.ErrBufferFull):
			lr.buf = append(lr.buf, chunk...)
		case errors.Is(err, io.EOF) && n == 0:
			return nil, io.EOF
		case errors.Is(err, io.EOF):
			return append(lr.buf, chunk...), nil
		default:
			return nil, err
		}
	}
}

// skip reads past the next line, however long, and returns io.EOF if there
// is none.
func (lr *lineReader) skip() error {
	for seen := false; ; seen = true {
		chunk, err := lr.r.ReadSlice('\n')
		lr.bytes += int64(len(chunk))
		switch {
		case err == nil:
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF) && !seen && len(chunk) == 0:
			return io.EOF
		case errors.Is(err, io.EOF):
			return nil
		default:
			return err
		}
	}
}
