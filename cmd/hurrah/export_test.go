package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// trickyStore writes a store whose keys and values JSON can escape in more
// than one way: a quote, a backslash, control characters, U+2028 (which
// encoding/json escapes and the export does not), <, > and &; floats,
// nested maps in their stored order, a key that is not UTF-8.
func trickyStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tricky")
	db, err := hurrah.Open(dir, nil)
	require.NoError(t, err)
	defer db.Close()
	ctx := t.Context()
	type pair struct {
		Zed   string
		Alpha float64
	}
	require.NoError(t, hurrah.Set(ctx, db, "quote\"back\\slash", "tab\there"))
	require.NoError(t, hurrah.Set(ctx, db, "line\u2028sep\x01", map[string]any{"<&>": []any{1.5, 1.0, -2}}))
	require.NoError(t, hurrah.Set(ctx, db, "pair", pair{Zed: "z", Alpha: 1e21}))
	require.NoError(t, db.SetBytes(ctx, "\xfe\xff", []byte("\x00raw")))
	require.NoError(t, db.Close())
	return dir
}

// libraryExport is what the library's DB.Export writes for the store in
// dir: the ground truth the command line must match.
func libraryExport(t *testing.T, dir string, opts *hurrah.ExportOptions) string {
	t.Helper()
	db, err := hurrah.Open(dir, nil)
	require.NoError(t, err)
	defer db.Close()
	var b bytes.Buffer
	_, err = db.Export(t.Context(), &b, opts)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	return b.String()
}

// TestExportAgreesWithDump: `export DIR` (standard output), `export DIR
// -`, `export DIR FILE` and `dump -json DIR` give the same lines, byte for
// byte, the library's export's, keys escaped alike; so do -prefix and
// dump's PREFIX; -unsorted gives the same lines in some order. get -json
// prints the line of its key.
func TestExportAgreesWithDump(t *testing.T) {
	for _, dir := range []string{kvStore(t), trickyStore(t)} {
		want := libraryExport(t, dir, nil)
		require.Equal(t, want, dumpOf(t, dir))
		for _, args := range [][]string{{"export", dir}, {"export", dir, "-"}, {"export", "-json", dir, "-"}} {
			status, out, errOut := runT(args...)
			require.Equal(t, exitOK, status, errOut)
			require.Equal(t, want, out, "%q", args)
		}
		file := filepath.Join(t.TempDir(), "out.jsonl")
		status, _, errOut := runT("export", dir, file)
		require.Equal(t, exitOK, status, errOut)
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		require.Equal(t, want, string(b))

		status, out, errOut := runT("export", dir, "-unsorted")
		require.Equal(t, exitOK, status, errOut)
		got, sorted := lines(out), lines(want)
		slices.Sort(got)
		slices.Sort(sorted)
		require.Equal(t, sorted, got)

		for _, l := range lines(want) {
			var e struct{ Key *string }
			require.NoError(t, json.Unmarshal([]byte(l), &e))
			if e.Key == nil {
				continue // get takes a key that is not UTF-8 too, but not as an argument here
			}
			status, out, errOut := runT("get", "-json", dir, "--", *e.Key)
			require.Equal(t, exitOK, status, errOut)
			require.Equal(t, l+"\n", out)
		}
	}
	dir := kvStore(t)
	want := libraryExport(t, dir, &hurrah.ExportOptions{Prefix: "user:"})
	require.Len(t, lines(want), 2)
	status, out, errOut := runT("export", dir, "-prefix", "user:")
	require.Equal(t, exitOK, status, errOut)
	require.Equal(t, want, out)
	status, out, errOut = runT("dump", "-json", dir, "user:")
	require.Equal(t, exitOK, status, errOut)
	require.Equal(t, want, out)
}

// TestExportReport: the report goes to standard output after an export to
// a file, to standard error after one to standard output; -json prints it
// as one object. A FILE is written whole, its owner's only, and leaves no
// temporary file behind; the store is unchanged.
func TestExportReport(t *testing.T) {
	dir := kvStore(t)
	before := image(t, dir)
	file := filepath.Join(t.TempDir(), "out.jsonl")
	status, out, errOut := runT("export", dir, file)
	require.Equal(t, exitOK, status, errOut)
	require.Empty(t, errOut)
	fi, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the export holds every value: its owner's only")
	require.Equal(t, []string{"out.jsonl"}, listing(t, filepath.Dir(file)))
	size := strconv.FormatInt(fi.Size(), 10)
	report := []string{
		"directory:  " + dir,
		"export:     " + file,
		"keys:       8",
		"as JSON:    3 values", // count, two words, user:2
		"in base64:  5 values",
		"bytes:      " + size + " (" + sizeText(fi.Size()) + ")",
	}
	require.Equal(t, report, lines(out))

	status, out, errOut = runT("export", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Len(t, lines(out), 8)
	report[1] = "export:     -"
	require.Equal(t, report, lines(errOut))

	status, out, errOut = runT("export", "-json", dir, file, "-force")
	require.Equal(t, exitOK, status, errOut)
	require.Empty(t, errOut)
	var r exportReport
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Equal(t, exportReport{Directory: dir, File: file, Keys: 8, JSON: 3, Base64: 5, Bytes: fi.Size()}, r)

	status, out, errOut = runT("export", "-json", dir, "-")
	require.Equal(t, exitOK, status, errOut)
	require.Len(t, lines(out), 8)
	require.NoError(t, json.Unmarshal([]byte(errOut), &r))
	require.Equal(t, "-", r.File)
	require.Equal(t, before, image(t, dir), "exporting changes nothing in the store")
}

// TestExportRefuses: an existing FILE (unless -force), a FILE that is a
// directory, a System's directory and one with no store are refused in
// one sentence, and nothing is written.
func TestExportRefuses(t *testing.T) {
	dir := kvStore(t)
	to := t.TempDir()
	file := filepath.Join(to, "out.jsonl")
	require.NoError(t, os.WriteFile(file, []byte("keep me"), 0o600))
	sys := systemStore(t, 3)
	empty := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"export", dir, file}, file + " exists: give -force to replace it"},
		{[]string{"export", dir, to}, to + " is a directory: give the path of the file to write"},
		{[]string{"export", sys, file, "-force"}, sys + " holds a System, whose state and commands only the program " +
			"that wrote them can decode (check, stats, repair and prune work on it)"},
		{[]string{"export", empty, file, "-force"}, "no hurrah store in " + empty},
		{[]string{"export", dir, file, "extra"}, "usage: hurrah export DIR [FILE] [-prefix P] [-force] [-json]"},
	} {
		status, out, errOut := runT(tt.args...)
		require.Equal(t, exitError, status, "%q", tt.args)
		require.Empty(t, out, "%q", tt.args)
		if tt.args[len(tt.args)-1] == "extra" {
			require.Equal(t, tt.want, lines(errOut)[0])
		} else {
			require.Equal(t, "hurrah export: "+tt.want+"\n", errOut)
		}
	}
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, "keep me", string(b))
	require.Equal(t, []string{"out.jsonl"}, listing(t, to), "no temporary file left")
	require.Empty(t, listing(t, empty))
}
