package hurrah

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRepairNotADirMessage: Check and Repair on a file say that the path
// is not a directory, not that a file inside it could not be looked at
// ("stat FILE/SYSTEM: not a directory").
func TestRepairNotADirMessage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	for name, f := range map[string]func(string) (RepairReport, error){"Check": Check, "Repair": Repair} {
		_, err := f(file)
		require.ErrorIs(t, err, ErrBadDir, name)
		require.ErrorIs(t, err, syscall.ENOTDIR, name)
		require.Equal(t, "hurrah: unusable directory: "+file+": not a directory", err.Error(), name)
	}
}
