package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// jsonLines returns n lines of the export format, keys k00000, k00001, ...
// in the order an export writes them.
func jsonLines(n int) []string {
	ls := make([]string, n)
	for i := range ls {
		ls[i] = fmt.Sprintf(`{"key":"k%05d","value":%d}`, i, i)
	}
	return ls
}

// joinLines joins lines into a file's contents, "\n" after each.
func joinLines(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

// writeInput writes contents to a new file and returns its path.
func writeInput(t *testing.T, contents string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "in.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(contents), 0o600))
	return file
}

// exportOf returns what `hurrah export DIR` prints.
func exportOf(t *testing.T, dir string) string {
	t.Helper()
	status, out, errOut := runT("export", dir)
	require.Equal(t, exitOK, status, errOut)
	return out
}

// emptyStore makes an empty store and returns its directory.
func emptyStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	db, err := hurrah.Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	return dir
}

// TestExportImportRoundTrip: an export imported into a new store (-create)
// exports to the same bytes, through files and through standard output
// and input, whatever the values hold.
func TestExportImportRoundTrip(t *testing.T) {
	for _, src := range []string{kvStore(t), trickyStore(t)} {
		want := exportOf(t, src)
		file := filepath.Join(t.TempDir(), "out.jsonl")
		status, _, errOut := runT("export", src, file)
		require.Equal(t, exitOK, status, errOut)

		to := filepath.Join(t.TempDir(), "new")
		status, out, errOut := runT("import", "-create", to, file)
		require.Equal(t, exitOK, status, errOut)
		require.Empty(t, errOut)
		require.Contains(t, out, "store:      created\n")
		require.Equal(t, want, exportOf(t, to))

		piped := filepath.Join(t.TempDir(), "piped")
		status, out, errOut = runInput(t, []byte(want), "import", piped, "-", "-create", "-json")
		require.Equal(t, exitOK, status, errOut)
		var r importReport
		require.NoError(t, json.Unmarshal([]byte(out), &r))
		n := int64(len(lines(want)))
		require.Equal(t, importReport{Directory: piped, File: "-", Created: true, Lines: n, Keys: n, Batches: 1,
			Bytes: int64(len(want))}, r)
		require.Equal(t, want, exportOf(t, piped))
	}
}

// TestImportBadLine: a refused line at line 26, batches of 10: exit status
// 1, one sentence naming the line and how to resume, and the store holds
// the two whole batches before it and nothing after. Resuming with the
// -skip it names, once the line is fixed, gives the whole input.
func TestImportBadLine(t *testing.T) {
	dir := emptyStore(t)
	good := jsonLines(30)
	bad := append([]string(nil), good...)
	bad[25] = `{"key":"k00025","vlaue":25}`
	file := writeInput(t, joinLines(bad))
	status, out, errOut := runT("import", dir, file, "-batch", "10")
	require.Equal(t, exitDamaged, status, errOut)
	require.Empty(t, out)
	require.Regexp(t, `^hurrah import: line 26 of `+file+`: byte \d+: unknown field "vlaue" [^\n]*; `+
		`lines 1 to 20 are in the store, none after: fix line 26, then resume with -skip 20\n$`, errOut)
	require.Equal(t, joinLines(good[:20]), exportOf(t, dir))

	require.NoError(t, os.WriteFile(file, []byte(joinLines(good)), 0o600))
	// -create takes a store that exists as it is.
	status, out, errOut = runT("import", dir, file, "-batch", "10", "-skip", "20", "-create")
	require.Equal(t, exitOK, status, errOut)
	require.Equal(t, []string{
		"directory:  " + dir,
		"input:      " + file,
		"lines:      30",
		"keys:       10",
		"batches:    1",
		fmt.Sprintf("bytes:      %d (%s)", len(joinLines(good)), sizeText(int64(len(joinLines(good))))),
	}, lines(out))
	require.Equal(t, joinLines(good), exportOf(t, dir))

	// A bad first batch: nothing is imported, and the hint says so.
	status, _, errOut = runInput(t, []byte("{\"key\":\"a\",\"value\":1}\nnot json\n"), "import", dir, "-")
	require.Equal(t, exitDamaged, status)
	require.Regexp(t, `^hurrah import: line 2 of standard input: byte 1: [^\n]*; nothing was imported: `+
		`fix line 2, then run the import again\n$`, errOut)
	require.Equal(t, joinLines(good), exportOf(t, dir))
}

// TestImportCheck: -check reads every line and changes nothing, in the
// store or on disk, whether the input is sound or not; with -create it
// makes no directory.
func TestImportCheck(t *testing.T) {
	dir := kvStore(t)
	before := image(t, dir)
	file := writeInput(t, joinLines(jsonLines(25)))
	status, out, errOut := runT("import", "-check", dir, file, "-batch", "10")
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "lines:      25\nkeys:       25\nbatches:    0\n")
	require.Contains(t, out, "check:      every line is sound; nothing was imported (-check)\n")
	require.Equal(t, before, image(t, dir))

	bad := writeInput(t, joinLines(append(jsonLines(25), `{"key":"","value":1}`)))
	status, out, errOut = runT("import", "-check", dir, bad)
	require.Equal(t, exitDamaged, status)
	require.Empty(t, out)
	require.Regexp(t, `^hurrah import: line 26 of `+bad+`: [^\n]*; nothing was imported \(-check\)\n$`, errOut)
	require.Equal(t, before, image(t, dir))

	missing := filepath.Join(t.TempDir(), "missing")
	status, _, errOut = runT("import", "-check", "-create", missing, file)
	require.Equal(t, exitOK, status, errOut)
	require.NoDirExists(t, missing)
}

// TestImportRefuses: a System's directory, a directory with no store
// (without -create, and with it unless it is missing or empty), a missing
// input, an input that is a directory and flags out of range are refused
// in one sentence, and nothing is created or changed.
func TestImportRefuses(t *testing.T) {
	file := writeInput(t, joinLines(jsonLines(3)))
	sys := systemStore(t, 3)
	sysBefore := image(t, sys)
	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o600))
	missing := filepath.Join(t.TempDir(), "missing")
	dir := emptyStore(t)
	before := image(t, dir)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "-create", sys, file}, sys + " holds a System, whose state and commands only the program " +
			"that wrote them can decode (check, stats, repair and prune work on it)"},
		{[]string{"import", missing, file}, "no hurrah store in " + missing + ": it does not exist (-create makes one)"},
		{[]string{"import", other, file}, "no hurrah store in " + other},
		{[]string{"import", "-create", other, file}, "no hurrah store in " + other +
			", and -create makes one only in a missing or empty directory"},
		{[]string{"import", "-create", missing, missing + ".jsonl"}, "no file to import at " + missing + ".jsonl: it does not exist"},
		{[]string{"import", dir, other}, other + " is a directory, not a file of JSON Lines"},
		{[]string{"import", dir, file, "-batch", "0"}, "-batch 0: give 1 to 1073741824"},
		{[]string{"import", dir, file, "-batch", "1073741825"}, "-batch 1073741825: give 1 to 1073741824"},
		{[]string{"import", dir, file, "-skip", "-1"}, "-skip -1: give 0 or more"},
	} {
		status, out, errOut := runT(tt.args...)
		require.Equal(t, exitError, status, "%q", tt.args)
		require.Empty(t, out, "%q", tt.args)
		require.Equal(t, "hurrah import: "+tt.want+"\n", errOut, "%q", tt.args)
	}
	require.NoDirExists(t, missing)
	require.Equal(t, []string{"notes.txt"}, listing(t, other))

	// A directory -create cannot make (procfs makes none, even for root).
	if _, err := os.Stat("/proc/self"); err == nil {
		status, out, errOut := runT("import", "-create", "/proc/hurrah-test", file)
		require.Equal(t, exitError, status)
		require.Empty(t, out)
		require.Equal(t, "hurrah import: cannot make a store in /proc/hurrah-test: no such file or directory\n", errOut)
	}
	require.Equal(t, sysBefore, image(t, sys))
	require.Equal(t, before, image(t, dir))
}

// TestMoveProgressOnTerminal: on a terminal, export shows a bar over the
// keys and import one over the bytes of FILE, each cleared before the
// report; import refuses to wait for lines typed on a terminal.
func TestMoveProgressOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give the command a terminal")
	}
	dir := kvStore(t)
	file := filepath.Join(t.TempDir(), "out.jsonl")
	to := filepath.Join(t.TempDir(), "new")
	for _, c := range []struct{ args, shows, count, report string }{
		{"export " + dir + " " + file, "exporting " + dir, "/8)", "keys:       8\r\n"},
		{"import -create " + to + " " + file, "importing " + file, "", "keys:       8\r\n"},
	} {
		out, err := exec.Command(script, "-q", "-e", "-c", bin+" "+c.args, "/dev/null").Output()
		require.NoError(t, err, "%s", out)
		s := string(out)
		require.Contains(t, s, c.shows)
		report := s[strings.Index(s, "directory:"):]
		require.NotContains(t, report, c.shows, "the bar's line is cleared before the report")
		require.Contains(t, report, c.report)
		if c.count == "" { // import: a bar over the bytes of FILE
			fi, err := os.Stat(file)
			require.NoError(t, err)
			c.count = fmt.Sprintf("/%d)", fi.Size())
		}
		require.Contains(t, s, c.count)
	}
	out, err := exec.Command(script, "-q", "-e", "-c", bin+" import "+to+" -", "/dev/null").Output()
	require.Error(t, err)
	require.Equal(t, "hurrah import: standard input is a terminal: redirect a file of JSON Lines to it, or give a FILE\r\n", string(out))
}

// TestImportKeepsSnapshots: an import takes automatic snapshots, as the
// store's program would (its journal stays bounded), and prunes none of
// the snapshot files the program kept: a store with 3 keeps 3, where the
// default would keep 1.
func TestImportKeepsSnapshots(t *testing.T) {
	dir, _ := snapStore(t, 10, []int{10, 10}, 5)
	before, err := filepath.Glob(filepath.Join(dir, "*.hsnap"))
	require.NoError(t, err)
	require.Len(t, before, 3)
	big := strings.Repeat("x", 1000)
	ls := make([]string, 30_000) // 30 MB: well past the default SnapshotThreshold, 8 MiB
	for i := range ls {
		ls[i] = fmt.Sprintf(`{"key":"big%05d","value":%q}`, i, big)
	}
	status, _, errOut := runT("import", dir, writeInput(t, joinLines(ls)))
	require.Equal(t, exitOK, status, errOut)
	after, err := filepath.Glob(filepath.Join(dir, "*.hsnap"))
	require.NoError(t, err)
	require.Len(t, after, 3)
	if slices.Equal(before, after) {
		// The store snapshots in the background; under a heavy load the
		// import can end before one completes (Close abandons it).
		t.Skip("no automatic snapshot completed during the import: nothing was pruned to check")
	}
}
