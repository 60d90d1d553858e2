package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// TestRestoreIntoStore: restore refuses a directory that holds a store,
// of either kind, in one sentence, and changes nothing in it.
func TestRestoreIntoStore(t *testing.T) {
	file := backupT(t, kvStore(t))
	for _, dir := range []string{kvStore(t), systemStore(t, 3)} {
		before := image(t, dir)
		status, out, errOut := runT("restore", file, dir)
		require.Equal(t, exitError, status, errOut)
		require.Empty(t, out)
		require.Equal(t, "hurrah restore: "+dir+" already holds a store: restore into a new directory, "+
			"or one that holds no store\n", errOut)
		require.Equal(t, before, image(t, dir))
	}
	// An empty directory holds no store: restore fills it.
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.Mkdir(empty, 0o700))
	status, _, errOut := runT("restore", file, empty)
	require.Equal(t, exitOK, status, errOut)
	require.Equal(t, []string{"LOCK", "snap-00000000000000000008.hsnap"}, listing(t, empty))

	// A file where DIR should be.
	status, _, errOut = runT("restore", file, file)
	require.Equal(t, exitError, status)
	require.Equal(t, "hurrah restore: "+file+" is not a directory\n", errOut)
}

// TestBackupExistingFile: backup refuses a FILE that exists unless -force,
// which replaces it whole; it refuses a directory as FILE even then. No
// temporary file is left behind.
func TestBackupExistingFile(t *testing.T) {
	dir := kvStore(t)
	parent := t.TempDir()
	file := filepath.Join(parent, "b.hbak")
	require.NoError(t, os.WriteFile(file, []byte("keep me"), 0o600))
	status, out, errOut := runT("backup", dir, file)
	require.Equal(t, exitError, status)
	require.Empty(t, out)
	require.Equal(t, "hurrah backup: "+file+" exists: give -force to replace it\n", errOut)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, "keep me", string(b))

	status, _, errOut = runT("backup", "-force", dir, file)
	require.Equal(t, exitOK, status, errOut)
	to := filepath.Join(t.TempDir(), "restored")
	status, _, errOut = runT("restore", file, to)
	require.Equal(t, exitOK, status, errOut)
	require.Equal(t, dumpOf(t, dir), dumpOf(t, to))

	sub := filepath.Join(parent, "sub")
	require.NoError(t, os.Mkdir(sub, 0o700))
	status, _, errOut = runT("backup", dir, sub, "-force")
	require.Equal(t, exitError, status)
	require.Equal(t, "hurrah backup: "+sub+" is a directory: give the path of the backup file to write\n", errOut)
	require.Equal(t, []string{"b.hbak", "sub"}, listing(t, parent))
	require.Empty(t, listing(t, sub))
}

// TestBackupFailures: a backup that fails leaves neither FILE nor its
// temporary file: a locked store (TestLockedStore covers the message), a
// corrupt one, and a FILE in a directory that does not exist.
func TestBackupFailures(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "b.hbak")
	corrupt, seg := flipStore(t)
	status, out, errOut := runT("backup", corrupt, file)
	require.Equal(t, exitDamaged, status)
	require.Empty(t, out)
	require.Regexp(t, `^hurrah backup: the store in `+corrupt+` is corrupt: `+seg+` at offset \d+: `, errOut)
	require.Empty(t, listing(t, parent))

	locked := kvStore(t)
	db, err := hurrah.Open(locked, nil)
	require.NoError(t, err)
	defer db.Close()
	status, _, errOut = runT("backup", locked, file)
	require.Equal(t, exitError, status)
	require.Equal(t, "hurrah backup: "+locked+" is in use: a program has the store open; close it first\n", errOut)
	require.Empty(t, listing(t, parent))
	require.NoError(t, db.Close())

	missing := filepath.Join(parent, "missing", "b.hbak")
	status, _, errOut = runT("backup", kvStore(t), missing)
	require.Equal(t, exitError, status)
	require.Equal(t, "hurrah backup: cannot write "+missing+": no such file or directory\n", errOut)
	require.Empty(t, listing(t, parent))
}

// TestBackupRestoreUsage: backup and restore take exactly two arguments,
// and restore says so of a backup that is missing or a directory.
func TestBackupRestoreUsage(t *testing.T) {
	dir := kvStore(t)
	for _, args := range [][]string{
		{"backup"}, {"backup", dir}, {"backup", dir, "a", "b"}, {"backup", dir, ""},
		{"restore"}, {"restore", "f"}, {"restore", "f", "d", "e"}, {"restore", "", "d"},
	} {
		status, out, errOut := runT(args...)
		require.Equal(t, exitError, status, "%q", args)
		require.Empty(t, out)
		require.Contains(t, errOut, "usage: hurrah "+args[0]+" ", "%q", args)
	}
	parent := t.TempDir()
	to := filepath.Join(parent, "to")
	status, _, errOut := runT("restore", filepath.Join(parent, "nope"), to)
	require.Equal(t, exitError, status)
	require.Equal(t, "hurrah restore: no backup at "+filepath.Join(parent, "nope")+": it does not exist\n", errOut)
	status, _, errOut = runT("restore", dir, to)
	require.Equal(t, exitError, status)
	require.Equal(t, "hurrah restore: "+dir+" is a directory, not a backup file\n", errOut)
	require.Empty(t, listing(t, parent))
}

// TestBackupRestoreStdioErrors: an error of standard output or input is
// blamed on it, not on the store or DIR, and restore names standard input
// in what it says of a damaged backup.
func TestBackupRestoreStdioErrors(t *testing.T) {
	dir := kvStore(t)
	ro, err := os.Open(filepath.Join(dir, "LOCK")) // read-only: writing fails
	require.NoError(t, err)
	defer ro.Close()
	cmd := exec.Command(bin, "backup", dir, "-")
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = ro, &errOut
	require.Error(t, cmd.Run())
	require.Equal(t, exitError, cmd.ProcessState.ExitCode())
	require.Equal(t, "hurrah backup: cannot write to standard output: bad file descriptor\n", errOut.String())

	to := filepath.Join(t.TempDir(), "to")
	d, err := os.Open(dir) // a directory: reading fails
	require.NoError(t, err)
	defer d.Close()
	cmd = exec.Command(bin, "restore", "-", to)
	errOut.Reset()
	cmd.Stdin, cmd.Stderr = d, &errOut
	require.Error(t, cmd.Run())
	require.Equal(t, exitError, cmd.ProcessState.ExitCode())
	require.Equal(t, "hurrah restore: cannot read standard input: is a directory\n", errOut.String())
	require.NoDirExists(t, to)

	status, _, errOut2 := runInput(t, []byte("HURBKUP"), "restore", "-", to)
	require.Equal(t, exitDamaged, status)
	require.Equal(t, "hurrah restore: the backup is damaged or truncated: standard input at offset 7: "+
		"backup cut short in the backup header; nothing was restored in "+to+"\n", errOut2)
	require.NoDirExists(t, to)
}
