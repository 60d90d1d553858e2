package hurrah

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// goodLines returns n lines setting k1..kn to 1..n.
func goodLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"key":"k%d","value":%d}`, i+1, i+1)
	}
	return lines
}

// importedKeys returns the keys k1..kn that a store holds, in order, as the
// number of the first ones it holds; it fails the test if the ones it holds
// are not a prefix.
func importedPrefix(t *testing.T, db *DB, n int) int {
	t.Helper()
	got := storeContents(t, db)
	i := 0
	for ; i < n; i++ {
		if _, ok := got[fmt.Sprintf("k%d", i+1)]; !ok {
			break
		}
	}
	require.Len(t, got, i, "the keys held are k1..k%d", i)
	return i
}

// TestImportBadInput puts one bad line (the 8th) after seven good ones,
// with batches of 3: Import must refuse it with its number, errors.Is
// ErrBadInput, and leave exactly the two whole batches before it.
func TestImportBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		also       error // another error the refusal wraps
	}{
		{"truncated line", `{"key":"k8","val`, nil},
		{"truncated value", `{"key":"k8","value":[1,2`, nil},
		{"not JSON", `key=k8 value=8`, nil},
		{"not an object", `["k8",8]`, nil},
		{"invalid JSON", `{"key":"k8","value":tru}`, nil},
		{"trailing comma", `{"key":"k8","value":8,}`, nil},
		{"trailing data", `{"key":"k8","value":8} x`, nil},
		{"two objects", `{"key":"k8","value":8}{"key":"k9","value":9}`, nil},
		{"invalid base64", `{"key":"k8","value_base64":"AAE"}`, nil},
		{"base64 bad character", `{"key":"k8","value_base64":"AA*="}`, nil},
		{"base64 with a newline", `{"key":"k8","value_base64":"AA\nAA=="}`, nil},
		{"base64 not canonical", `{"key":"k8","value_base64":"AB=="}`, nil},
		{"invalid key base64", `{"key_base64":"%%","value":8}`, nil},
		{"missing key", `{"value":8}`, nil},
		{"missing value", `{"key":"k8"}`, nil},
		{"both keys", `{"key":"k8","key_base64":"azg=","value":8}`, nil},
		{"both values", `{"key":"k8","value":8,"value_base64":"CA=="}`, nil},
		{"empty key", `{"key":"","value":8}`, ErrInvalidKey},
		{"empty base64 key", `{"key_base64":"","value":8}`, ErrInvalidKey},
		{"duplicate field", `{"key":"k8","key":"k9","value":8}`, nil},
		{"duplicate value field", `{"key":"k8","value":8,"value":9}`, nil},
		{"duplicate field, escaped", `{"key":"k8","value":8,"\u0076alue":9}`, nil},
		{"unknown field", `{"key":"k8","value":8,"ttl":3}`, nil},
		{"key not a string", `{"key":8,"value":8}`, nil},
		{"duplicate key in a value", `{"key":"k8","value":{"a":1,"b":2,"a":3}}`, nil},
		{"invalid UTF-8", "{\"key\":\"k8\xff\",\"value\":8}", nil},
		{"half a surrogate pair", `{"key":"k8","value":"\ud800"}`, nil},
		{"raw control character", "{\"key\":\"k8\",\"value\":\"a\tb\"}", nil},
		{"unknown escape", `{"key":"k8","value":"\x41"}`, nil},
		{"integer out of range", `{"key":"k8","value":18446744073709551616}`, nil},
		{"float out of range", `{"key":"k8","value":1e999}`, nil},
		{"single quotes", `{'key':'k8','value':8}`, nil},
		{"key too long", `{"key":"` + strings.Repeat("k", 101) + `","value":8}`, ErrTooLarge},
		{"value too large", `{"key":"k8","value":"` + strings.Repeat("v", 200) + `"}`, ErrTooLarge},
		{"huge line", `{"key":"k8","value":"` + strings.Repeat("v", 3000) + `"}`, ErrTooLarge},
		{"nested too deep", `{"key":"k8","value":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openT(t, newDir(t), &Options{MaxKeySize: 100, MaxValueSize: 100})
			in := strings.Join(append(goodLines(7), tc.line, `{"key":"k9","value":9}`), "\n") + "\n"
			rep, err := db.Import(t.Context(), strings.NewReader(in), &ImportOptions{BatchSize: 3, MaxLineSize: 2500})
			require.ErrorIs(t, err, ErrBadInput)
			var ie *ImportError
			require.ErrorAs(t, err, &ie)
			require.Equal(t, int64(8), ie.Line, "%v", err)
			require.Contains(t, err.Error(), "hurrah: import: line 8: ")
			if tc.also != nil {
				require.ErrorIs(t, err, tc.also)
			}
			require.Equal(t, ImportReport{Lines: 6, Keys: 6, Batches: 2, Bytes: int64(len(strings.Join(goodLines(6), "\n")) + 1)}, rep)
			require.Equal(t, 6, importedPrefix(t, db, 9), "exactly the whole batches before line 8")
			t.Log(err)
		})
	}
}

// TestImportLenient checks what Import accepts beyond what Export writes:
// "\r\n" line ends, blank lines, white space, fields in any order, any
// escape, a last line without "\n".
func TestImportLenient(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	in := "\r\n" +
		`{"key":"a","value":1}` + "\r\n" +
		"   \t\n" +
		` { "value" : [ 1 , { "x" : null } ] , "key" : "b" } ` + "\n" +
		"\n" +
		`{"value_base64":"AQI=","key_base64":"Yw=="}` + "\n" +
		`{"key":"\u00e9\ud83d\ude00\/","value":"\"\n"}`
	rep, err := db.Import(ctx, strings.NewReader(in), nil)
	require.NoError(t, err)
	require.Equal(t, ImportReport{Lines: 7, Keys: 4, Batches: 1, Bytes: int64(len(in))}, rep)
	var out bytes.Buffer
	_, err = db.Export(ctx, &out, nil)
	require.NoError(t, err)
	require.Equal(t, `{"key":"a","value":1}
{"key":"b","value":[1,{"x":null}]}
{"key":"c","value_base64":"AQI="}
{"key":"é😀/","value":"\"\n"}
`, out.String())
}

// TestImportResume fails an import at a bad line, then resumes it with
// Skip once the line is fixed: the store ends as one clean import leaves
// it. Rerunning from the start gives the same.
func TestImportResume(t *testing.T) {
	ctx := t.Context()
	lines := goodLines(20)
	bad := slicesClone(lines)
	bad[13] = `{"key":"k14","value":}`
	opts := &ImportOptions{BatchSize: 4}

	want := openT(t, "", nil)
	_, err := want.Import(ctx, strings.NewReader(strings.Join(lines, "\n")), opts)
	require.NoError(t, err)

	db := openT(t, newDir(t), nil)
	rep, err := db.Import(ctx, strings.NewReader(strings.Join(bad, "\n")), opts)
	require.ErrorIs(t, err, ErrBadInput)
	require.Equal(t, int64(12), rep.Lines, "batches of 4: lines 1-12 applied, 13-14 not")
	require.Equal(t, 12, importedPrefix(t, db, 20))

	resumed, err := db.Import(ctx, strings.NewReader(strings.Join(lines, "\n")), &ImportOptions{BatchSize: 4, Skip: rep.Lines})
	require.NoError(t, err)
	require.Equal(t, ImportReport{Lines: 20, Keys: 8, Batches: 2, Bytes: int64(len(strings.Join(lines, "\n")))}, resumed)
	require.Equal(t, storeContents(t, want), storeContents(t, db))

	again, err := db.Import(ctx, strings.NewReader(strings.Join(lines, "\n")), opts)
	require.NoError(t, err)
	require.Equal(t, int64(20), again.Keys)
	require.Equal(t, storeContents(t, want), storeContents(t, db))

	past, err := db.Import(ctx, strings.NewReader(strings.Join(lines, "\n")), &ImportOptions{Skip: 50})
	require.NoError(t, err)
	require.Equal(t, ImportReport{Lines: 20, Bytes: int64(len(strings.Join(lines, "\n")))}, past, "skipping past the end")
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// TestImportBatches checks that each batch is one journal record, that a
// batch ends at BatchSize lines or BatchBytes bytes, and that Progress
// follows the batches.
func TestImportBatches(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, nil)
	var calls []Progress
	in := strings.Join(goodLines(25), "\n") + "\n"
	rep, err := db.Import(ctx, strings.NewReader(in), &ImportOptions{BatchSize: 10, Progress: func(p Progress) { calls = append(calls, p) }})
	require.NoError(t, err)
	require.Equal(t, int64(3), rep.Batches)
	require.Len(t, calls, 3)
	require.Equal(t, Progress{Lines: 10, Keys: 10, Bytes: int64(len(strings.Join(goodLines(10), "\n")) + 1)}, calls[0])
	require.Equal(t, Progress{Lines: 25, Keys: 25, Bytes: int64(len(in))}, calls[2])
	require.NoError(t, db.Close())
	db = openT(t, dir, nil)
	require.Equal(t, uint64(3), db.Recovery().Records, "one journal record per batch")

	// "k1" and "1" are 3 bytes: batches of at most 7 bytes hold 3 keys.
	rep, err = db.Import(ctx, strings.NewReader(strings.Join(goodLines(9), "\n")), &ImportOptions{BatchBytes: 7})
	require.NoError(t, err)
	require.Equal(t, int64(3), rep.Batches)
}

// TestImportDryRun checks that DryRun applies nothing, counts what it
// would, and refuses what a real import would.
func TestImportDryRun(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", &Options{MaxValueSize: 10})
	rep, err := db.Import(ctx, strings.NewReader(strings.Join(goodLines(5), "\n")), &ImportOptions{DryRun: true, MaxLineSize: 2 << 20})
	require.NoError(t, err)
	require.Equal(t, ImportReport{Lines: 5, Keys: 5, Bytes: int64(len(strings.Join(goodLines(5), "\n")))}, rep)
	require.Empty(t, storeContents(t, db))
	_, err = db.Import(ctx, strings.NewReader(`{"key":"k","value":"a long value"}`), &ImportOptions{DryRun: true, MaxLineSize: 2 << 20})
	require.ErrorIs(t, err, ErrTooLarge)
}

// errReader returns its data, then err.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestImportErrors checks the errors that are not the input's fault: a
// failing reader, a cancelled context, a closed store, bad options. None
// is an ImportError, and none applies the batch it interrupts.
func TestImportErrors(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	errRead := errors.New("test: read fails")
	in := strings.Join(goodLines(5), "\n") + "\n"
	rep, err := db.Import(ctx, &errReader{data: []byte(in + `{"key":"k6",`), err: errRead}, &ImportOptions{BatchSize: 2})
	require.ErrorIs(t, err, errRead)
	require.NotErrorIs(t, err, ErrBadInput)
	require.Equal(t, int64(4), rep.Lines)
	require.Equal(t, 4, importedPrefix(t, db, 6))

	cctx, cancel := context.WithCancel(ctx)
	rep, err = db.Import(cctx, strings.NewReader(in), &ImportOptions{BatchSize: 2, Progress: func(Progress) { cancel() }})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, int64(2), rep.Lines)

	for _, o := range []ImportOptions{{BatchSize: -1}, {BatchBytes: MaxImportBatchBytes + 1}, {MaxLineSize: -1}, {Skip: -1}} {
		_, err := db.Import(ctx, strings.NewReader(in), &o)
		require.ErrorIs(t, err, ErrInvalidOptions, "%+v", o)
	}

	require.NoError(t, db.Close())
	_, err = db.Import(ctx, strings.NewReader(in), nil)
	require.ErrorIs(t, err, ErrClosed)
	_, err = db.Import(ctx, io.LimitReader(nil, 0), nil)
	require.ErrorIs(t, err, ErrClosed)
}

// TestImportLineLimit checks the default MaxLineSize: an export line of
// the largest key and the value that JSON makes longest (control
// characters, 6 bytes each) imports into a store with the same limits,
// and a line over the limit is refused without being read whole.
func TestImportLineLimit(t *testing.T) {
	ctx := t.Context()
	opts := &Options{MaxKeySize: 1000, MaxValueSize: 5000}
	src := openT(t, "", opts)
	key := strings.Repeat("\x01", 1000)
	val, err := encode(strings.Repeat("\x01", 4997)) // 3 bytes of head
	require.NoError(t, err)
	require.Len(t, val, 5000)
	require.NoError(t, src.SetBytes(ctx, key, val))
	var buf bytes.Buffer
	rep, err := src.Export(ctx, &buf, nil)
	require.NoError(t, err)
	require.Equal(t, int64(1), rep.JSON)
	require.Greater(t, buf.Len(), 6*5000, "the longest line JSON makes")

	dst := openT(t, "", opts)
	_, err = dst.Import(ctx, &buf, nil)
	require.NoError(t, err)
	require.Equal(t, storeContents(t, src), storeContents(t, dst))

	limit := 6*(1000+5000) + 1024
	huge := &errReader{data: []byte(`{"key":"k","value":"` + strings.Repeat("v", 10*limit)), err: io.EOF}
	_, err = dst.Import(ctx, huge, nil)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorIs(t, err, ErrBadInput)
	require.Greater(t, len(huge.data), 5*limit, "Import stopped reading the line soon after the limit")
}

// TestImportDeepValueReads checks that a value nested as deep as Import
// takes (maxJSONDepth) reads back with Get: the CBOR decoder used to stop
// at 32 levels, so Import (and Set) stored what Get could not read.
func TestImportDeepValueReads(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	in := `{"key":"deep","value":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + "}\n"
	_, err := db.Import(ctx, strings.NewReader(in), nil)
	require.NoError(t, err)
	v, err := Get[any](ctx, db, "deep")
	require.NoError(t, err)
	for range maxJSONDepth - 1 {
		require.Len(t, v, 1)
		v = v.([]any)[0]
	}
	require.Empty(t, v)
}

// TestImportValueNodesBounded checks that a line holding a value of many
// small items costs memory in proportion to MaxValueSize, not to the
// line: every item adds at least a byte of CBOR, so Import refuses the
// value once it has more items than MaxValueSize bytes, before parsing
// the rest. It used to parse the whole line first, at 32 bytes per item.
func TestImportValueNodesBounded(t *testing.T) {
	db := openT(t, "", &Options{MaxValueSize: 1000})
	items := 500_000 // a 1 MB line of one-byte items
	line := `{"key":"k","value":[` + strings.Repeat("0,", items-1) + "0]}\n"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := db.Import(t.Context(), strings.NewReader(line), &ImportOptions{DryRun: true, MaxLineSize: 2 << 20})
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorIs(t, err, ErrBadInput)
	// The line itself is gathered (1 MB, 2 MB with its buffer's growth);
	// the items used to add 16 MB and more.
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(6<<20))

	// At the limit: 997 items and their 3-byte head are 1000 bytes of
	// CBOR, taken; one more item is refused.
	for items, ok := range map[int]bool{997: true, 998: false} {
		line := `{"key":"k","value":[` + strings.Repeat("0,", items-1) + "0]}\n"
		_, err := db.Import(t.Context(), strings.NewReader(line), nil)
		if ok {
			require.NoError(t, err, "%d items", items)
		} else {
			require.ErrorIs(t, err, ErrTooLarge, "%d items", items)
		}
	}
	b, err := db.GetBytes(t.Context(), "k")
	require.NoError(t, err)
	require.Len(t, b, 1000)
}

// TestImportBOM checks that a UTF-8 byte order mark at the start of the
// input, as Windows tools write one, is passed over (RFC 8259 allows a
// parser to ignore it), and refused anywhere else. It used to refuse line
// 1 with "'ï' where the line's object ('{') should be".
func TestImportBOM(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	in := "\ufeff" + `{"key":"a","value":1}` + "\n" + `{"key":"b","value":2}` + "\n"
	rep, err := db.Import(ctx, strings.NewReader(in), nil)
	require.NoError(t, err)
	require.Equal(t, ImportReport{Lines: 2, Keys: 2, Batches: 1, Bytes: int64(len(in))}, rep)
	require.Equal(t, map[string]string{"a": "\x01", "b": "\x02"}, storeContents(t, db))

	_, err = db.Import(ctx, strings.NewReader(`{"key":"a","value":1}`+"\n\ufeff"+`{"key":"b","value":2}`), nil)
	var ie *ImportError
	require.ErrorAs(t, err, &ie)
	require.Equal(t, int64(2), ie.Line)
}

// TestImportSkipCancel checks that Import looks at its context while it
// passes over the lines ImportOptions.Skip names, which can be most of a
// big file: it used to read all of them first.
func TestImportSkipCancel(t *testing.T) {
	db := openT(t, "", nil)
	in := strings.Repeat(`{"key":"k","value":1}`+"\n", 100_000)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rep, err := db.Import(ctx, strings.NewReader(in), &ImportOptions{Skip: 100_000})
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, rep.Lines, int64(100_000), "stopped while skipping")
	require.Less(t, rep.Bytes, int64(len(in)))
}
