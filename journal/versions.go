package journal

// FormatVersion names one kind of file this package writes and the newest
// version of its format that this build reads and writes; a file of a
// newer version is refused with ErrVersion.
type FormatVersion struct {
	Name    string // "segment", "snapshot" or "backup"
	Version int
}

// Formats lists the on-disk formats this build reads and writes, for tools
// that report them (hurrah version).
func Formats() []FormatVersion {
	return []FormatVersion{
		{"segment", segmentVersion},
		{"snapshot", snapshotVersion},
		{"backup", BackupVersion},
	}
}
