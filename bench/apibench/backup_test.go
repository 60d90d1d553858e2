package apibench

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hurrahdb/hurrah"
)

// Benchmarks for the backup figures of the README's "Backup and restore":
// backing up a store of bigKeys keys (16-byte keys, 100-byte values) while
// it is open, to a file, and restoring that file into a new directory. Run
// them with:
//
//	cd bench && go test -run '^$' -bench 'Backup|Restore' -benchtime 3x -timeout 30m ./apibench
//
// Each reports MB/s of backup written or read (b.SetBytes), with the file
// fsynced before the clock stops, and keys/s.

// bigBackupStore opens a store in a fresh directory and fills it with
// bigKeys keys.
func bigBackupStore(b *testing.B) *hurrah.DB {
	b.Helper()
	db, err := hurrah.Open(filepath.Join(b.TempDir(), "db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	fillKeys(b, db, bigKeys, 0)
	return db
}

// backupTo writes a backup of db to path, fsynced, and returns its size.
func backupTo(b *testing.B, db *hurrah.DB, path string) int64 {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := db.Backup(context.Background(), f); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkBackup backs up an open store of bigKeys keys to a file.
func BenchmarkBackup(b *testing.B) {
	db := bigBackupStore(b)
	path := filepath.Join(b.TempDir(), "backup")
	b.ResetTimer()
	for range b.N {
		size := backupTo(b, db, path)
		b.SetBytes(size)
		b.StopTimer()
		if err := os.Remove(path); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(bigKeys*b.N)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkRestore restores a backup file of bigKeys keys into a new
// directory.
func BenchmarkRestore(b *testing.B) {
	path := filepath.Join(b.TempDir(), "backup")
	size := backupTo(b, bigBackupStore(b), path)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		dir := filepath.Join(b.TempDir(), "restored")
		if _, err := hurrah.Restore(context.Background(), dir, bufio.NewReader(f), nil); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportMetric(float64(bigKeys*b.N)/b.Elapsed().Seconds(), "keys/s")
}
