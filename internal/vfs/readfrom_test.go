package vfs_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

func TestReadFrom(t *testing.T) {
	for name, fsys := range map[string]vfs.FS{
		"os":     vfs.OS,
		"mem":    vfs.NewMem(),
		"faulty": &vfs.Faulty{FS: vfs.NewMem()},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, fsys.MkdirAll(dir))
			path := filepath.Join(dir, "f")
			f, err := fsys.Create(path)
			require.NoError(t, err)
			_, err = f.Write([]byte("hello"))
			require.NoError(t, err)
			for off, want := range map[int64]string{0: "hello", 2: "llo", 5: "", 9: ""} {
				got, err := vfs.ReadFrom(fsys, path, off)
				require.NoError(t, err)
				require.Equal(t, want, string(got), "offset %d", off)
			}
			_, err = f.Write([]byte(" world"))
			require.NoError(t, err)
			got, err := vfs.ReadFrom(fsys, path, 5)
			require.NoError(t, err)
			require.Equal(t, " world", string(got), "what was appended since")
			require.NoError(t, f.Close())
			_, err = vfs.ReadFrom(fsys, filepath.Join(dir, "missing"), 0)
			require.Error(t, err)
		})
	}
}
