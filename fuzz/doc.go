// Package fuzz holds hurrah's fuzz targets for log replay and for record
// decoding, with their committed seed corpora. The package has no code of
// its own: everything is in its test files.
//
// # Targets
//
// FuzzDecodeFrame feeds arbitrary bytes to journal.DecodeFrame, then the
// same bytes with the frame's checksums made right (so that the fuzzer
// reaches the CBOR payload decoder, which random bytes almost never do past
// a CRC32C). It must never panic; an error returns n == 0 and the zero
// Frame; a decoded frame fits in the input (0 < n <= len(b)), its entries
// are slices of the input clipped to their length, and
// AppendFrame(nil, f.FirstLSN, f.Synced, f.Entries) gives it back: exactly
// b[:n] when the input uses the shortest CBOR heads, and otherwise a
// shorter frame that decodes to the same values (the decoder accepts
// longer heads than needed). The frame does not depend on the bytes after
// it, and no strict prefix of it decodes.
//
// FuzzScanSegment is the log replay target. From its arguments it builds a
// valid segment (the first LSN, the number of frames, entries per frame,
// entry lengths and growing Synced offsets from a shape string, the entry
// bytes from a content string), checks that it scans whole, then applies
// one mutation: a cut, a flipped bit, a range or the tail set to zero, or
// fuzz bytes written over a range. journal.ScanSegment on the result, as
// the last segment, must never panic; an error must be ErrCorrupt (a
// *CorruptError naming the file and an offset inside it) or ErrVersion,
// and ErrVersion only if the version field changed. Damage that is a cut
// or zeros to the end, which is what a torn write leaves, must never be an
// error. A success must return exactly the entries (LSNs and bytes) of the
// frames wholly before the first changed byte, with TornAt at the start of
// the damaged frame (0 if the damage is in the segment header, -1 if a cut
// falls between frames), unless a frame forged at that offset passes both
// checksums.
//
// FuzzScanSegmentRaw feeds arbitrary bytes to journal.ScanSegment, as the
// last segment and as an earlier one, then the same bytes with the header
// and frame checksums made right. It must never panic; errors are
// ErrCorrupt or ErrVersion; a scan has contiguous LSNs from its FirstLSN,
// TornAt -1 or within the image (never torn unless last; TornAt 0 with no
// entries and no FirstLSN), and cutting the image at TornAt leaves a whole
// segment with the same entries. An image that is whole as an earlier
// segment scans the same as the last one, and one refused as the last
// segment is refused as an earlier one.
//
// FuzzDecodeCommand feeds arbitrary bytes to store.DecodeCommand. It must
// never panic; a decoded command has a known op, encodes, decodes back to
// an equal command whose encoding is the same, and applies to a key-value
// map without error, as its round-tripped copy does.
//
// FuzzDecodeSnapshot feeds arbitrary bytes to journal.DecodeSnapshot, then
// the same bytes with the header and trailer checksums and the body length
// made right. It must never panic. Errors are ErrCorrupt (naming the file,
// with an offset in range) or ErrVersion (only for a verified header with a
// newer version). A decoded snapshot yields exactly Count records that
// alias the image and fill its body exactly, and rewriting them with
// CreateSnapshot on vfs.Mem gives a file no longer than the input
// (byte-identical if the same length) that decodes to the same LSN, Count
// and records.
//
// Plain tests beside them check that size fields which lie (a frame length
// of 0xFFFFFFFF, an entry count of 2^31, a byte string of 2^62 bytes, and
// so on, inside inputs of a few dozen bytes) are refused without
// allocating more than 64 KiB per call, and that honest counts cost at
// most a fixed multiple of the input. Known bugs found here have a skipped
// TestBug* test and their input under testdata/bugs.
//
// # Running
//
// go test ./fuzz replays the seed corpora in testdata/fuzz/<Target> (and
// the seeds added in code) as ordinary tests. A fuzzing campaign runs one
// target at a time:
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzScanSegment$' -fuzztime=10m
//
// with FuzzDecodeFrame, FuzzScanSegmentRaw, FuzzDecodeCommand or
// FuzzDecodeSnapshot in its
// place for the others. Anchor the pattern: -fuzz is a regular expression
// that must match exactly one target, and a bare FuzzScanSegment matches
// FuzzScanSegmentRaw too. -parallel limits the number of fuzzing workers
// (one per core by default). New interesting inputs go to the build cache;
// a failing input is written to testdata/fuzz/<Target> and replayed by
// every later go test until it is fixed or moved to testdata/bugs.
//
// The seed files are written by
//
//	go test ./fuzz -run TestWriteCorpus -update-corpus
//
// from the seed lists in seeds_test.go; TestCorpus checks that they are
// all there, parse, and stay under 1 MiB together.
package fuzz
