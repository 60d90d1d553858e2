package fuzz_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpora under testdata/fuzz")

// corpora lists the seed inputs of every fuzz target.
var corpora = map[string]func() []seed{
	"FuzzDecodeFrame":    decodeFrameSeeds,
	"FuzzScanSegment":    scanSegmentSeeds,
	"FuzzScanSegmentRaw": scanRawSeeds,
	"FuzzDecodeCommand":  decodeCommandSeeds,
	"FuzzDecodeSnapshot": decodeSnapshotSeeds,
}

// seedPrefix starts the name of every corpus file TestWriteCorpus writes;
// other files (inputs the fuzzer found and someone committed) are left
// alone.
const seedPrefix = "seed-"

// maxCorpusBytes bounds the committed corpora together.
const maxCorpusBytes = 1 << 20

// TestWriteCorpus rewrites the seed corpora from the seed lists, and the
// inputs of known bugs under testdata/bugs, when run with -update-corpus:
//
//	go test ./fuzz -run TestWriteCorpus -update-corpus
func TestWriteCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	for target, seeds := range corpora {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		old, err := filepath.Glob(filepath.Join(dir, seedPrefix+"*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range seeds() {
			if err := os.WriteFile(filepath.Join(dir, seedPrefix+s.name), marshalCorpus(s.args...), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for target, seeds := range bugSeeds() {
		dir := filepath.Join("testdata", "bugs", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range seeds {
			if err := os.WriteFile(filepath.Join(dir, s.name), marshalCorpus(s.args...), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCorpus checks that every target has its committed seed corpus, that
// each file parses, that the corpus matches the seed lists in count, and
// that the corpora stay small. (Plain go test replays the files through the
// fuzz targets themselves.)
func TestCorpus(t *testing.T) {
	var total int64
	for target, seeds := range corpora {
		dir := filepath.Join("testdata", "fuzz", target)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("%s: %v (run go test ./fuzz -run TestWriteCorpus -update-corpus)", target, err)
		}
		n := 0
		for _, e := range entries {
			info, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			total += info.Size()
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			args, err := unmarshalCorpus(data)
			if err != nil {
				t.Errorf("%s/%s: %v", target, e.Name(), err)
			}
			if want := len(seeds()[0].args); len(args) != want {
				t.Errorf("%s/%s: %d arguments, want %d", target, e.Name(), len(args), want)
			}
			if strings.HasPrefix(e.Name(), seedPrefix) {
				n++
			}
		}
		if want := len(seeds()); n != want {
			t.Errorf("%s: %d seed files, the seed list has %d (run go test ./fuzz -run TestWriteCorpus -update-corpus)", target, n, want)
		}
	}
	if total > maxCorpusBytes {
		t.Errorf("the corpora take %d bytes, more than %d", total, maxCorpusBytes)
	}
}
