package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStats(t *testing.T) {
	t.Run("journal only", func(t *testing.T) {
		dir := kvStore(t)
		files, size, err := diskUsage(dir)
		require.NoError(t, err)
		segs, err := filepath.Glob(filepath.Join(dir, "*.wal"))
		require.NoError(t, err)
		require.Len(t, segs, 1)
		seg := fileSize(t, segs[0])
		status, out, errOut := runT("stats", dir)
		require.Equal(t, exitOK, status, errOut)
		require.Empty(t, errOut)
		require.Equal(t, []string{
			"directory:   " + dir,
			fmt.Sprintf("files:       %d, %d bytes (%s)", files, size, sizeText(size)),
			"snapshots:   0, 0 bytes",
			fmt.Sprintf("segments:    1, %d bytes (%s)", seg, sizeText(seg)),
			"records:     8 in the journal",
			"oldest LSN:  1",
			"newest LSN:  8",
			"live keys:   8",
			"key bytes:   44 (44 B)",
			"value bytes: 96 (96 B)",
			"status:      sound",
		}, lines(out))
	})
	t.Run("snapshot and journal", func(t *testing.T) {
		dir, snaps := snapStore(t, 40, nil, 30)
		var st storeStats
		status, out, errOut := runT("stats", "-json", dir)
		require.Equal(t, exitOK, status, errOut)
		require.NoError(t, json.Unmarshal([]byte(out), &st))
		require.Equal(t, "kv", st.Kind)
		require.Equal(t, "sound", st.Status)
		require.Equal(t, 1, st.Snapshots)
		require.Equal(t, snaps[0], *st.RestoredLSN)
		require.Equal(t, uint64(30), st.Records)
		require.Equal(t, snaps[0]+1, *st.OldestLSN)
		require.Equal(t, uint64(70), st.NewestLSN)
		require.Equal(t, 70, *st.Keys)
		require.Equal(t, int64(70*202), *st.ValueBytes) // a 200-byte string is 202 bytes of CBOR
		require.Empty(t, st.Note)
	})
	t.Run("torn tail", func(t *testing.T) {
		dir, segs := newStore(t, 60)
		var total int64
		for _, s := range segs {
			total += fileSize(t, s)
		}
		f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write([]byte("torn"))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		var st storeStats
		status, out, errOut := runT("stats", "-json", dir)
		require.Equal(t, exitOK, status, errOut)
		require.NoError(t, json.Unmarshal([]byte(out), &st))
		require.Equal(t, 1, st.SetAside, "counting the keys opened the store, which set the torn tail aside")
		require.Equal(t, total, st.SegmentBytes, "the segments without the torn tail")
		require.Equal(t, len(segs), st.Segments)
		require.Equal(t, 60, *st.Keys)
		_, out, _ = runT("stats", dir)
		require.Contains(t, out, "set aside:   1 files (.torn, .corrupt) hold bytes cut off the journal\n")
	})
	t.Run("System", func(t *testing.T) {
		dir := systemStore(t, 3)
		status, out, errOut := runT("stats", dir)
		require.Equal(t, exitOK, status, errOut)
		require.Contains(t, out, "kind:        System\n")
		require.Contains(t, out, "newest LSN:  3\n")
		require.Contains(t, out, "live keys:   not counted: a System's state is the program's own")
		var st storeStats
		_, out, _ = runT("stats", "-json", dir)
		require.NoError(t, json.Unmarshal([]byte(out), &st))
		require.Equal(t, "system", st.Kind)
		require.Nil(t, st.Keys)
	})
	t.Run("corrupt", func(t *testing.T) {
		dir, _ := flipStore(t)
		before := image(t, dir)
		status, out, errOut := runT("stats", dir)
		require.Equal(t, exitDamaged, status, errOut)
		require.Empty(t, errOut)
		require.Contains(t, out, "live keys:   not counted: the store does not open: hurrah check says why\n")
		require.Contains(t, out, "status:      corrupt\n")
		require.Equal(t, before, image(t, dir))
	})
}

func TestCheckJSON(t *testing.T) {
	dir, seg := flipStore(t)
	status, out, errOut := runT("check", "-json", dir)
	require.Equal(t, exitDamaged, status, errOut)
	var rep checkReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, "corrupt", rep.Status)
	require.Equal(t, seg, rep.Damage.File)
	require.NotEmpty(t, rep.SetAside)
	require.Equal(t, seg, rep.SetAside[0].File)
	require.Greater(t, rep.HighestLost, rep.LastLSN)

	dir = lostSnapshotStore(t)
	status, out, errOut = runT("check", "-json", dir)
	require.Equal(t, exitDamaged, status, errOut)
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, "unrepairable", rep.Status)
	require.NotEmpty(t, rep.Unrepairable)

	dir, snaps := snapStore(t, 40, nil, 30)
	status, out, errOut = runT("check", "-json", dir)
	require.Equal(t, exitOK, status, errOut)
	rep = checkReport{}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, checkReport{
		Directory: dir, Kind: "kv", Status: "sound",
		Snapshots: []snapshotJSON{{Path: rep.Restored.Path, LSN: snaps[0], Records: snaps[0],
			Bytes: rep.Snapshots[0].Bytes, Status: "sound"}},
		Restored: &fileLSN{Path: rep.Restored.Path, LSN: snaps[0]},
		FirstLSN: snaps[0] + 1, Segments: rep.Segments, Records: 30, LastLSN: 70,
	}, rep)
	require.Equal(t, dir, filepath.Dir(rep.Restored.Path))
}

// fileSize returns the size of the file at path.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}
