package journal

import (
	"testing"

	"github.com/hurrahdb/hurrah/internal/fuzzkit"
)

// corpora lists the seed inputs of every fuzz target of the package.
var corpora = map[string]func() []fuzzkit.Seed{
	"FuzzDecodeFrame":    decodeFrameSeeds,
	"FuzzScanSegment":    scanSegmentSeeds,
	"FuzzScanSegmentRaw": scanRawSeeds,
	"FuzzDecodeSnapshot": decodeSnapshotSeeds,
}

// TestWriteCorpus rewrites the seed corpora from the seed lists, and the
// inputs of known bugs under testdata/bugs, when run with -update-corpus:
//
//	go test ./journal -run TestWriteCorpus -update-corpus
func TestWriteCorpus(t *testing.T) { fuzzkit.WriteCorpus(t, corpora, bugSeeds()) }

// TestCorpus checks that every target has its committed seed corpus, that
// each file parses, that the corpus matches the seed lists in count, and
// that the corpora stay small. (Plain go test replays the files through the
// fuzz targets themselves.)
func TestCorpus(t *testing.T) { fuzzkit.CheckCorpus(t, corpora) }
