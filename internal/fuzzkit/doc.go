// Package fuzzkit holds what the fuzz targets of journal and store share:
// the seed type and the "go test fuzz v1" corpus files the seeds are kept
// in, the test that writes them (with -update-corpus) and the one that
// checks them, a measure of what a call allocates, and small helpers that
// build damaged inputs (CBOR heads of any width, flipped bits, zeroed
// tails, hex). Test files of two packages cannot share unexported helpers,
// so they live here. Nothing outside tests imports it.
//
// # The fuzzing method
//
// Each decoder that reads bytes from disk has a fuzz target beside it, in
// its own package: journal's FuzzDecodeFrame, FuzzScanSegment,
// FuzzScanSegmentRaw and FuzzDecodeSnapshot (journal/fuzz_*_test.go), and
// store's FuzzDecodeCommand (store/fuzz_command_test.go) with the codec's
// own targets. A target feeds the decoder arbitrary bytes and then, where
// a checksum would stop random bytes at the door, the same bytes with the
// checksums made right, so that the fuzzer reaches the decoder behind
// them. The decoders must never panic; what each must answer is written
// on its target. Plain tests beside the targets check that size fields
// which lie (a frame length of 0xFFFFFFFF, an entry count of 2^31, a byte
// string of 2^62 bytes, inside inputs of a few dozen bytes) are refused
// without allocating more than MaxAllocPerCall, and that honest counts
// cost at most a fixed multiple of the input.
//
// Every target's seeds are listed in code; TestWriteCorpus writes them to
// testdata/fuzz/<Target> in the target's package:
//
//	go test ./journal ./store -run TestWriteCorpus -update-corpus
//
// and TestCorpus (CheckCorpus) checks that they are all there, parse and
// stay under 1 MiB. Plain go test replays them through the targets. A
// fuzzing campaign runs one target at a time, for example
//
//	go test ./journal -run='^$' -fuzz='^FuzzScanSegment$' -fuzztime=10m
//
// Anchor the pattern: -fuzz is a regular expression that must match
// exactly one target, and a bare FuzzScanSegment matches
// FuzzScanSegmentRaw too. A failing input is written to
// testdata/fuzz/<Target> and replayed by every later go test until it is
// fixed; the inputs of fixed bugs are kept under testdata/bugs/<Target>
// with a regression test that replays them.
package fuzzkit
