package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// storeCommands are the commands that take the directory of an existing
// store, each with the arguments it needs after DIR.
var storeCommands = map[string][]string{
	"check": nil, "stats": nil, "keys": nil, "dump": nil, "get": {"k"},
	"compact": nil, "repair": nil, "prune": nil,
	"backup": {"-"}, // to standard output: nothing is written before the store opens
	"export": {"-"},
	"import": {"-"}, // from standard input, empty
}

// noStoreHint is what a command adds to "no hurrah store in DIR" for a
// directory that is missing or empty: import can make a store there.
var noStoreHint = map[string]string{"import": " (-create makes one)"}

// TestNoStore: every command refuses a directory that holds no store
// (empty, missing, or a file), saying so in one line, and creates
// nothing. check used to say "status: sound", exit 0 and leave a LOCK
// file in an empty directory.
func TestNoStore(t *testing.T) {
	parent := t.TempDir()
	empty := filepath.Join(parent, "empty")
	require.NoError(t, os.Mkdir(empty, 0o700))
	file := filepath.Join(parent, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	missing := filepath.Join(parent, "missing")
	for cmd, more := range storeCommands {
		for dir, why := range map[string]string{
			empty:   noStoreHint[cmd],
			missing: ": it does not exist" + noStoreHint[cmd],
			file:    ": it is a file, not a directory",
		} {
			status, out, errOut := runT(append([]string{cmd, dir}, more...)...)
			require.Equal(t, exitError, status, "%s %s", cmd, dir)
			require.Empty(t, out, "%s %s", cmd, dir)
			require.Equal(t, "hurrah "+cmd+": no hurrah store in "+dir+why+"\n", errOut)
		}
		require.Empty(t, listing(t, empty), "%s created something", cmd)
		require.NoFileExists(t, missing)
		require.Equal(t, []string{"empty", "file"}, listing(t, parent))
	}
}

// TestLockedStore: every command refuses a store a program has open, in
// one sentence without the library's layers.
func TestLockedStore(t *testing.T) {
	dir := kvStore(t)
	db, err := hurrah.Open(dir, nil)
	require.NoError(t, err)
	defer db.Close()
	for cmd, more := range storeCommands {
		status, out, errOut := runT(append([]string{cmd, dir}, more...)...)
		require.Equal(t, exitError, status, cmd)
		require.Empty(t, out, cmd)
		require.Equal(t, "hurrah "+cmd+": "+dir+" is in use: a program has the store open; close it first\n", errOut)
	}
	require.NoError(t, db.Close())
}

// TestCorruptStoreReaders: the commands that read keys and values refuse a
// corrupt store with exit status 1 and one sentence naming the file and
// offset, changing nothing.
func TestCorruptStoreReaders(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) (string, string){
		"flipped byte":      flipStore,
		"truncated segment": truncStore,
	} {
		t.Run(name, func(t *testing.T) {
			dir, seg := mk(t)
			before := image(t, dir)
			for _, args := range [][]string{{"keys", dir}, {"dump", dir}, {"get", dir, "k1"}, {"compact", dir},
				{"export", dir}, {"import", dir, "-"}} {
				status, out, errOut := runT(args...)
				require.Equal(t, exitDamaged, status, "%q", args)
				require.Empty(t, out, "%q", args)
				require.Regexp(t, `^hurrah `+args[0]+`: the store in `+dir+` is corrupt: `+seg+
					` at offset \d+: [^\n]+ \(hurrah check `+dir+` says what repair would do\)\n$`, errOut)
				require.NotContains(t, errOut, "journal:")
				require.NotContains(t, errOut, "hurrah: ")
			}
			require.Equal(t, before, image(t, dir), "nothing changed")
		})
	}
	t.Run("lost snapshot", func(t *testing.T) {
		dir := lostSnapshotStore(t)
		status, _, errOut := runT("keys", dir)
		require.Equal(t, exitDamaged, status)
		require.Contains(t, errOut, "hurrah keys: the store in "+dir+" is corrupt: ")
		require.Len(t, lines(errOut), 1)
	})
}

// TestSystemStore: a System's values are the program's own types: keys,
// get, dump, compact, export and import refuse it, saying so; check and stats work.
func TestSystemStore(t *testing.T) {
	dir := systemStore(t, 5)
	before := image(t, dir)
	for _, args := range [][]string{{"keys", dir}, {"dump", dir}, {"get", dir, "k"}, {"compact", dir},
		{"export", dir}, {"import", dir, "-"}} {
		status, out, errOut := runT(args...)
		require.Equal(t, exitError, status, "%q", args)
		require.Empty(t, out)
		require.Equal(t, "hurrah "+args[0]+": "+dir+" holds a System, whose state and commands only the program "+
			"that wrote them can decode (check, stats, repair and prune work on it)\n", errOut)
	}
	status, out, errOut := runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "kind:       System")
	require.Contains(t, out, "last LSN:   5\n")
	require.Contains(t, out, "status:     sound\n")
	require.Equal(t, before, image(t, dir))
}
