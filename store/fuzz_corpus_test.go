package store

import (
	"testing"

	"github.com/hurrahdb/hurrah/internal/fuzzkit"
)

// corpora lists the seed inputs of the fuzz targets whose seeds are kept
// under testdata/fuzz (the codec's own targets add theirs in code).
var corpora = map[string]func() []fuzzkit.Seed{
	"FuzzDecodeCommand": decodeCommandSeeds,
}

// TestWriteCorpus rewrites the seed corpora from the seed lists when run
// with -update-corpus:
//
//	go test ./store -run TestWriteCorpus -update-corpus
func TestWriteCorpus(t *testing.T) { fuzzkit.WriteCorpus(t, corpora, nil) }

// TestCorpus checks that every target has its committed seed corpus, that
// each file parses, that the corpus matches the seed lists in count, and
// that the corpora stay small.
func TestCorpus(t *testing.T) { fuzzkit.CheckCorpus(t, corpora) }
