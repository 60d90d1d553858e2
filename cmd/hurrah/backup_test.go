package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// runInput runs the binary with args and stdin as its standard input.
func runInput(t *testing.T, stdin []byte, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), o.String(), e.String()
	}
	require.NoError(t, err)
	return 0, o.String(), e.String()
}

// dumpOf returns what `hurrah dump DIR -json` prints.
func dumpOf(t *testing.T, dir string) string {
	t.Helper()
	status, out, errOut := runT("dump", dir, "-json")
	require.Equal(t, exitOK, status, errOut)
	return out
}

// backupT backs the store in dir up to a new file with the command line
// and returns the file.
func backupT(t *testing.T, dir string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "store.hbak")
	status, _, errOut := runT("backup", dir, file)
	require.Equal(t, exitOK, status, errOut)
	return file
}

// TestBackupRestore: a backup written by the command line restores, by the
// command line, to a store that holds exactly what the original held; the
// reports give the LSN, the records and the bytes, and the backup's
// directory holds the backup and nothing else.
func TestBackupRestore(t *testing.T) {
	dir := kvStore(t)
	want := dumpOf(t, dir)
	before := image(t, dir)
	file := filepath.Join(t.TempDir(), "store.hbak")

	status, out, errOut := runT("backup", dir, file)
	require.Equal(t, exitOK, status, errOut)
	require.Empty(t, errOut)
	fi, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, []string{"store.hbak"}, listing(t, filepath.Dir(file)), "no temporary file left")
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the backup holds every value: its owner's only")
	require.Equal(t, []string{
		"directory:  " + dir,
		"backup:     " + file,
		"LSN:        8",
		"records:    8",
		"bytes:      " + strconv.FormatInt(fi.Size(), 10) + " (" + sizeText(fi.Size()) + ")",
	}, lines(out))
	require.Equal(t, before, image(t, dir), "the backup changed nothing in the store")

	to := filepath.Join(t.TempDir(), "restored")
	status, out, errOut = runT("restore", file, to)
	require.Equal(t, exitOK, status, errOut)
	require.Equal(t, []string{
		"backup:     " + file,
		"directory:  " + to,
		"kind:       key-value store",
		"LSN:        8",
		"records:    8",
		"bytes:      " + strconv.FormatInt(fi.Size(), 10) + " (" + sizeText(fi.Size()) + ")",
	}, lines(out))
	require.Equal(t, want, dumpOf(t, to))

	// -json, both ways.
	status, out, errOut = runT("backup", dir, file, "-force", "-json")
	require.Equal(t, exitOK, status, errOut)
	var br backupReport
	require.NoError(t, json.Unmarshal([]byte(out), &br))
	require.Equal(t, backupReport{Directory: dir, File: file, LSN: 8, Records: 8, Bytes: fi.Size()}, br)
	to2 := filepath.Join(t.TempDir(), "restored")
	status, out, errOut = runT("restore", file, to2, "-json")
	require.Equal(t, exitOK, status, errOut)
	var rr restoreReport
	require.NoError(t, json.Unmarshal([]byte(out), &rr))
	require.Equal(t, restoreReport{File: file, Directory: to2, Kind: "kv", LSN: 8, Records: 8, Bytes: fi.Size(),
		Snapshot: snapPath(to2, 8)}, rr)
	require.Equal(t, want, dumpOf(t, to2))

	// The restored store goes on from the backup's LSN.
	db, err := hurrah.Open(to, nil)
	require.NoError(t, err)
	require.NoError(t, hurrah.Set(t.Context(), db, "new", 1))
	require.NoError(t, db.Snapshot(t.Context()))
	require.Equal(t, uint64(9), db.Stats().LastSnapshotLSN)
	require.NoError(t, db.Close())
}

// TestBackupRestoreStdio: "-" writes the backup to standard output (the
// report goes to standard error) and reads it from standard input.
func TestBackupRestoreStdio(t *testing.T) {
	dir := kvStore(t)
	status, out, errOut := runT("backup", dir, "-")
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, errOut, "backup:     -\n")
	require.Contains(t, errOut, "records:    8\n")
	file := backupT(t, dir)
	fromFile, err := os.ReadFile(file)
	require.NoError(t, err)
	// The order of the records may differ from one backup to the next.
	require.Len(t, out, len(fromFile), "the same backup to a file and to standard output")

	to := filepath.Join(t.TempDir(), "restored")
	status, rout, errOut := runInput(t, []byte(out), "restore", "-", to, "-json")
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, rout, `"file":"-"`)
	require.Equal(t, dumpOf(t, dir), dumpOf(t, to))

	status, out, errOut = runT("backup", dir, "-", "-json")
	require.Equal(t, exitOK, status, errOut)
	var br backupReport
	require.NoError(t, json.Unmarshal([]byte(errOut), &br), "the JSON report goes to standard error")
	require.Equal(t, int64(len(out)), br.Bytes)
}

// TestRestoreSystem: the backup of a System, taken by the program with
// System.Backup, restores with the command line to a directory OpenSystem
// opens at the backup's state; backup refuses a System's directory.
func TestRestoreSystem(t *testing.T) {
	src := filepath.Join(t.TempDir(), "sys")
	sys, err := hurrah.OpenSystem[counter, add](src, nil, nil)
	require.NoError(t, err)
	defer sys.Close()
	for range 7 {
		require.NoError(t, sys.Commit(t.Context(), add{By: 3}))
	}
	var buf bytes.Buffer
	lsn, err := sys.Backup(t.Context(), &buf)
	require.NoError(t, err)
	require.Equal(t, uint64(7), lsn)
	require.NoError(t, sys.Close())
	file := filepath.Join(t.TempDir(), "sys.hbak")
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o600))

	to := filepath.Join(t.TempDir(), "restored")
	status, out, errOut := runT("restore", file, to)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "kind:       System\n")
	require.Contains(t, out, "LSN:        7\n")
	require.Contains(t, out, "records:    1\n")
	sys, err = hurrah.OpenSystem[counter, add](to, nil, nil)
	require.NoError(t, err)
	defer sys.Close()
	n, err := hurrah.Query(t.Context(), sys, func(c *counter) int { return c.N })
	require.NoError(t, err)
	require.Equal(t, 21, n)
	require.NoError(t, sys.Close())

	before := image(t, src)
	status, out, errOut = runT("backup", src, filepath.Join(t.TempDir(), "b"))
	require.Equal(t, exitError, status)
	require.Empty(t, out)
	require.Equal(t, "hurrah backup: "+src+" holds a System, which only the program that opens it can back up "+
		"(with System.Backup); hurrah restore restores such a backup\n", errOut)
	require.Equal(t, before, image(t, src))
}

// TestRestoreBadBackup: a truncated, a bit-flipped, an empty and a newer
// backup are refused in one sentence, with the offset of the damage and
// exit status 1 (2 for the newer format), and nothing is created: a
// missing DIR stays missing, an empty one empty.
func TestRestoreBadBackup(t *testing.T) {
	good, err := os.ReadFile(backupT(t, kvStore(t)))
	require.NoError(t, err)
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x08
	newer := bytes.Clone(good)
	binary.LittleEndian.PutUint32(newer[8:12], 99)
	binary.LittleEndian.PutUint32(newer[16:20], crc32.Checksum(newer[:16], crc32.MakeTable(crc32.Castagnoli)))
	for name, c := range map[string]struct {
		b      []byte
		status int
		msg    string
	}{
		"truncated": {good[:len(good)-10], exitDamaged, `the backup is damaged or truncated: FILE at offset \d+: [^\n;]+; nothing was restored in DIR`},
		"flipped":   {flipped, exitDamaged, `the backup is damaged or truncated: FILE at offset \d+: [^\n;]+; nothing was restored in DIR`},
		"empty":     {nil, exitDamaged, `the backup is damaged or truncated: FILE at offset 0: empty: not a hurrah backup; nothing was restored in DIR`},
		"not one":   {[]byte("hello, this is not a backup at all"), exitDamaged, `the backup is damaged or truncated: FILE at offset 0: bad magic: not a hurrah backup; nothing was restored in DIR`},
		"newer":     {newer, exitError, `FILE is a backup of a newer format than this hurrah reads \(backup format version 99, this build reads up to \d+\); use a newer hurrah`},
	} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			file := filepath.Join(parent, "bad.hbak")
			require.NoError(t, os.WriteFile(file, c.b, 0o600))
			missing, empty := filepath.Join(parent, "missing"), filepath.Join(parent, "empty")
			require.NoError(t, os.Mkdir(empty, 0o700))
			for _, dir := range []string{missing, empty} {
				status, out, errOut := runT("restore", file, dir)
				require.Equal(t, c.status, status, errOut)
				require.Empty(t, out)
				msg := strings.NewReplacer("FILE", regexp.QuoteMeta(file), "DIR", regexp.QuoteMeta(dir)).Replace(c.msg)
				require.Regexp(t, `^hurrah restore: `+msg+"\n$", errOut)
			}
			require.NoFileExists(t, missing)
			require.Empty(t, listing(t, empty))
			// From standard input, the same.
			status, _, errOut := runInput(t, c.b, "restore", "-", missing)
			require.Equal(t, c.status, status, errOut)
			require.Len(t, lines(errOut), 1)
			require.NoFileExists(t, missing)
		})
	}
}
