package hurrah

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// TestExportFormat pins the bytes of an export: the line of each kind of
// key and value, in key order.
func TestExportFormat(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	type user struct {
		Name string
		Age  int
	}
	require.NoError(t, Set(ctx, db, "user:1", user{Name: "Ada", Age: 36}))
	require.NoError(t, Set(ctx, db, "n", 1.5))
	require.NoError(t, Set(ctx, db, "when", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, db.SetBytes(ctx, "blob", []byte{0, 1, 2, 0xff}))
	require.NoError(t, db.SetBytes(ctx, "empty", nil))
	require.NoError(t, Set(ctx, db, "\xff\xfe", "a key that is not UTF-8"))
	require.NoError(t, Set(ctx, db, "line\nbreak", []any{nil, true, "é\t"}))

	var buf bytes.Buffer
	rep, err := db.Export(ctx, &buf, nil)
	require.NoError(t, err)
	want := `{"key":"blob","value_base64":"AAEC/w=="}
{"key":"empty","value_base64":""}
{"key":"line\nbreak","value":[null,true,"é\t"]}
{"key":"n","value":1.5}
{"key":"user:1","value":{"Age":36,"Name":"Ada"}}
{"key":"when","value_base64":"wHQyMDI2LTEyLTAyVDAwOjAwOjAwWg=="}
{"key_base64":"//4=","value":"a key that is not UTF-8"}
`
	require.Equal(t, want, buf.String())
	require.Equal(t, ExportReport{Keys: 7, JSON: 4, Base64: 3, Bytes: int64(len(want))}, rep)
}

// TestExportImportRoundTrip is the round-trip property: random stores, with
// raw bytes, odd and malformed CBOR, empty values, typed values of every
// shape and keys of any bytes, exported, imported into a new store in
// batches of random sizes, and exported again, give the same file and the
// same contents.
func TestExportImportRoundTrip(t *testing.T) {
	ctx := t.Context()
	var asJSON, asBase64, keysBase64 int64
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		src := openT(t, "", nil)
		for range r.IntN(300) {
			require.NoError(t, src.SetBytes(ctx, randKey(r), randValue(r)))
		}
		var first bytes.Buffer
		rep, err := src.Export(ctx, &first, nil)
		require.NoError(t, err)
		asJSON, asBase64 = asJSON+rep.JSON, asBase64+rep.Base64
		keysBase64 += int64(strings.Count(first.String(), `{"key_base64"`))

		dst := openT(t, newDir(t), nil)
		irep, err := dst.Import(ctx, bytes.NewReader(first.Bytes()), &ImportOptions{BatchSize: 1 + r.IntN(50)})
		require.NoError(t, err, "seed %d", seed)
		require.Equal(t, rep.Keys, irep.Keys)
		require.Equal(t, int64(first.Len()), irep.Bytes)
		require.Equal(t, storeContents(t, src), storeContents(t, dst), "seed %d", seed)

		var second bytes.Buffer
		_, err = dst.Export(ctx, &second, nil)
		require.NoError(t, err)
		require.Equal(t, first.String(), second.String(), "seed %d: export, import, export", seed)

		var unsorted bytes.Buffer
		_, err = dst.Export(ctx, &unsorted, &ExportOptions{Unsorted: true})
		require.NoError(t, err)
		require.ElementsMatch(t, strings.SplitAfter(first.String(), "\n"), strings.SplitAfter(unsorted.String(), "\n"))
	}
	require.Greater(t, asJSON, int64(500), "values exported as JSON")
	require.Greater(t, asBase64, int64(500), "values exported as base64")
	require.Greater(t, keysBase64, int64(500), "keys exported as base64")
	t.Logf("%d values as JSON, %d as base64; %d keys as base64", asJSON, asBase64, keysBase64)
}

// randKey returns a key of 1 to 20 random bytes, from a small alphabet (so
// that keys collide), from all of Unicode, or any bytes.
func randKey(r *rand.Rand) string {
	n := 1 + r.IntN(20)
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("k%d", r.IntN(50))
	case 1:
		var sb strings.Builder
		for sb.Len() < n {
			if c := rune(r.IntN(0x110000)); utf8.ValidRune(c) {
				sb.WriteRune(c)
			}
		}
		return sb.String()
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

// randValue returns the bytes of a random value: typed values as Set
// stores them, random CBOR (well-formed or not), or raw bytes.
func randValue(r *rand.Rand) []byte {
	switch r.IntN(4) {
	case 0:
		b, err := encode(randTyped(r, 3))
		if err != nil {
			panic(err)
		}
		return b
	case 1:
		return randCBOR(r, nil, 3)
	case 2:
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	return []byte{}
}

// randTyped returns a random Go value of the kinds Set is given.
func randTyped(r *rand.Rand, depth int) any {
	switch k := r.IntN(12); {
	case k == 0 && depth > 0:
		m := map[string]any{}
		for range r.IntN(4) {
			m[randKey(r)] = randTyped(r, depth-1)
		}
		return m
	case k == 1 && depth > 0:
		s := make([]any, r.IntN(4))
		for i := range s {
			s[i] = randTyped(r, depth-1)
		}
		return s
	case k == 2:
		return r.Int64() >> r.IntN(64)
	case k == 3:
		return -r.Uint64()
	case k == 4:
		return []float64{r.NormFloat64() * 1e10, math.NaN(), math.Inf(1), math.Copysign(0, -1), 1e300}[r.IntN(5)]
	case k == 5:
		return randKey(r) // any bytes: not always valid UTF-8
	case k == 6:
		return []byte(randKey(r))
	case k == 7:
		return time.Unix(r.Int64N(1<<40), r.Int64N(1e9)).UTC()
	case k == 8:
		return float32(r.NormFloat64())
	case k == 9:
		return r.IntN(2) == 0
	case k == 10:
		return struct {
			A int
			B string
		}{r.IntN(100), randKey(r)}
	}
	return nil
}

// randCBOR appends a random CBOR item, mostly well formed, with odd heads:
// not the shortest, indefinite lengths, tags, simple values, half floats.
func randCBOR(r *rand.Rand, b []byte, depth int) []byte {
	major := byte(r.IntN(8))
	if depth == 0 && (major == 4 || major == 5 || major == 6) {
		major = 0
	}
	arg := uint64(r.IntN(5))
	head := func() {
		if r.IntN(4) == 0 { // not the shortest
			b = append(b, major<<5|25, 0, byte(arg))
		} else {
			b = append(b, major<<5|byte(arg))
		}
	}
	switch major {
	case 0, 1:
		head()
	case 2, 3:
		head()
		for range arg {
			b = append(b, "aé\xff\x00"[r.IntN(4)])
		}
	case 4, 5:
		if r.IntN(5) == 0 {
			b = append(b, major<<5|31) // indefinite
			for range arg * uint64(major-3) {
				b = randCBOR(r, b, depth-1)
			}
			return append(b, 0xff)
		}
		head()
		for range arg * uint64(major-3) {
			b = randCBOR(r, b, depth-1)
		}
	case 6:
		b = randCBOR(r, append(b, 0xc0|byte(r.IntN(24))), depth-1)
	default:
		b = append(b, [][]byte{{0xf4}, {0xf5}, {0xf6}, {0xf7}, {0xf9, 0x3c, 0}, {0xfa, 0x3f, 0xc0, 0, 0},
			{0xfb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}, {0xf0}}[r.IntN(8)]...)
	}
	if r.IntN(30) == 0 {
		b = b[:len(b)-1] // truncated
	}
	return b
}

// TestExportConsistent exports while writers change two keys together in
// batches: every export must show the pairs equal, as one image.
func TestExportConsistent(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), nil)
	const pairs = 50
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var b Batch
				p := (i*7 + w) % pairs
				v := []byte(fmt.Sprint(w, i))
				b.SetBytes(fmt.Sprintf("a%02d", p), v)
				b.SetBytes(fmt.Sprintf("b%02d", p), v)
				if err := db.Write(ctx, &b); err != nil {
					panic(err)
				}
			}
		})
	}
	for range 20 {
		var buf bytes.Buffer
		_, err := db.Export(ctx, &buf, &ExportOptions{Unsorted: true})
		require.NoError(t, err)
		got := map[string]string{}
		for line := range strings.Lines(buf.String()) {
			var p jsonParser
			k, v, err := p.line([]byte(strings.TrimSuffix(line, "\n")))
			require.NoError(t, err)
			got[string(k)] = string(v)
		}
		for p := range pairs {
			a, b := fmt.Sprintf("a%02d", p), fmt.Sprintf("b%02d", p)
			require.Equal(t, got[a], got[b], "pair %d in one export", p)
		}
	}
	close(stop)
	wg.Wait()
}

// TestExportOptions checks Prefix, the Progress calls and the report.
func TestExportOptions(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	for i := range 3000 {
		require.NoError(t, Set(ctx, db, fmt.Sprintf("p%d:%05d", i%2, i), i))
	}
	for _, unsorted := range []bool{false, true} {
		var calls []Progress
		var buf bytes.Buffer
		rep, err := db.Export(ctx, &buf, &ExportOptions{Prefix: "p1:", Unsorted: unsorted, Progress: func(p Progress) { calls = append(calls, p) }})
		require.NoError(t, err)
		require.Equal(t, ExportReport{Keys: 1500, JSON: 1500, Bytes: int64(buf.Len())}, rep)
		require.Equal(t, 1500, strings.Count(buf.String(), `{"key":"p1:`))
		require.Len(t, calls, 2, "every 1024 lines and at the end")
		require.Equal(t, int64(1024), calls[0].Lines)
		last := calls[len(calls)-1]
		require.Equal(t, Progress{Lines: 1500, Keys: 1500, Bytes: int64(buf.Len())}, Progress{Lines: last.Lines, Keys: last.Keys, Bytes: last.Bytes})
		if !unsorted {
			require.Equal(t, int64(1500), last.Total)
		}
	}
	var calls []Progress
	_, err := db.Export(ctx, new(bytes.Buffer), &ExportOptions{Unsorted: true, Progress: func(p Progress) { calls = append(calls, p) }})
	require.NoError(t, err)
	require.Equal(t, int64(3000), calls[0].Total, "the whole store, unsorted: Total known")
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

var errWriter = errors.New("test: writer fails")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errWriter
	}
	w.n -= len(p)
	return len(p), nil
}

// TestExportErrors checks that a failing writer, a cancelled context and
// a closed store stop Export with their error, and leave the store usable.
func TestExportErrors(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	for i := range 5000 {
		require.NoError(t, db.SetBytes(ctx, fmt.Sprintf("k%05d", i), bytes.Repeat([]byte{'v'}, 100)))
	}
	rep, err := db.Export(ctx, &failWriter{n: 100 << 10}, nil)
	require.ErrorIs(t, err, errWriter)
	require.Equal(t, int64(100<<10), rep.Bytes)

	cctx, cancel := context.WithCancel(ctx)
	_, err = db.Export(cctx, new(bytes.Buffer), &ExportOptions{Progress: func(Progress) { cancel() }})
	require.ErrorIs(t, err, context.Canceled)

	require.NoError(t, db.SetBytes(ctx, "after", nil), "the store still takes writes")
	require.NoError(t, db.Close())
	_, err = db.Export(ctx, new(bytes.Buffer), nil)
	require.ErrorIs(t, err, ErrClosed)
}

// cancelWriter cancels a context at its first write.
type cancelWriter struct{ cancel context.CancelFunc }

func (w cancelWriter) Write(p []byte) (int, error) {
	w.cancel()
	return len(p), nil
}

// TestExportCancelBigValues checks that Export looks at its context by
// bytes as well as by lines: an export of fewer than 1024 lines of big
// values used to run to its end after the context was cancelled.
func TestExportCancelBigValues(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	for i := range 20 {
		require.NoError(t, db.SetBytes(ctx, fmt.Sprintf("k%02d", i), bytes.Repeat([]byte{'v'}, 1<<20)))
	}
	cctx, cancel := context.WithCancel(ctx)
	rep, err := db.Export(cctx, cancelWriter{cancel}, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, rep.Keys, int64(20), "stopped before the end")

	var calls int
	_, err = db.Export(ctx, io.Discard, &ExportOptions{Progress: func(Progress) { calls++ }})
	require.NoError(t, err)
	require.Greater(t, calls, 20, "progress is reported at every MiB too, and at the end")
}

// TestExportOtherCodec checks that a store whose codec is not CBOR
// exports every value in base64: its bytes are not CBOR, and rendering
// them as CBOR showed a JSONCodec 5 (the byte '5') as "value":-22. The
// export still imports back into the same bytes, which the codec reads.
func TestExportOtherCodec(t *testing.T) {
	ctx := t.Context()
	opts := &Options{Codec: JSONCodec{}}
	db := openT(t, "", opts)
	require.NoError(t, Set(ctx, db, "five", 5))
	require.NoError(t, Set(ctx, db, "text", "x"))
	var out bytes.Buffer
	rep, err := db.Export(ctx, &out, nil)
	require.NoError(t, err)
	require.Equal(t, `{"key":"five","value_base64":"NQ=="}
{"key":"text","value_base64":"Ingi"}
`, out.String())
	require.Equal(t, int64(2), rep.Base64)

	db2 := openT(t, "", opts)
	_, err = db2.Import(ctx, bytes.NewReader(out.Bytes()), nil)
	require.NoError(t, err)
	n, err := Get[int](ctx, db2, "five")
	require.NoError(t, err)
	require.Equal(t, 5, n)

	db3 := openT(t, "", &Options{Codec: &CBORCodec{}}) // the default codec, as a pointer
	require.NoError(t, Set(ctx, db3, "five", 5))
	out.Reset()
	_, err = db3.Export(ctx, &out, nil)
	require.NoError(t, err)
	require.Equal(t, `{"key":"five","value":5}`+"\n", out.String())
}
