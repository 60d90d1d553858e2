// Package apibench holds the go test benchmarks of hurrah's public API:
// Get and Set at 1, 8 and 64 caller goroutines per durability level, with
// two baselines for the same workload (a bare owner loop and a map behind
// a sync.RWMutex), and the snapshot figures of DESIGN.md's Targets table
// (restart time, the owner's pause while snapshotting, disk use after
// overwrites). It uses the public API only, and lives in the bench module
// so that what it needs costs hurrah's users nothing:
//
//	cd bench && go test -run '^$' -bench . -benchtime=1s ./apibench
//	cd bench && go test -run '^$' -bench 'Restart|SnapshotPause|DiskAfterOverwrite' -benchtime 3x -timeout 30m ./apibench
//	cd bench && go test -run '^$' -bench 'Backup|Restore' -benchtime 3x -timeout 30m ./apibench
//
// The last line measures a backup of an open 1M-key store to a file and
// its restore (backup_test.go), for the README's "Backup and restore".
package apibench
