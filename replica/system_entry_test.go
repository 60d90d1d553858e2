package replica

import (
	"errors"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

func TestSystemEntryRefusesBadBytes(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":            nil,
		"a DB's entry":     appendEntry(nil, []op{{kind: opDelete, key: "a"}}),
		"huge count":       {'S', 0xff, 0xff, 0xff, 0xff, 0x0f},
		"command past end": {'S', 1, 5, 'a'},
		"trailing bytes":   {'S', 0, 0},
		"long count":       {'S', 0x80, 0x00},
		"no command":       {'S', 1},
		"the old tag 'S'":  {'S', 0},
	} {
		_, err := decodeCommands(sealed(b))
		require.ErrorIs(t, err, ErrBadEntry, name)
	}
}

// A command that does not decode into a C fails alone, with ErrBadEntry;
// the entry's other commands apply. A DB's node refuses a System's entry
// and a System's node a DB's, changing nothing.
func TestSystemEntryBadCommandFailsAlone(t *testing.T) {
	f, err := newSystemFSM[tally, tallyCmd](t.Context(), nil)
	require.NoError(t, err)
	defer f.close()
	good, err := encodeCommand[tally](tallyCmd{Key: "a", Add: 1})
	require.NoError(t, err)
	entry := sealEntry(appendCommand(appendCommand(appendHeader(nil, systemEntryTag, 2), []byte{0xff}), good))
	res := f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: entry}).([]error)
	require.ErrorIs(t, res[0], ErrBadEntry)
	require.NoError(t, res[1])

	kv := appendEntry(nil, []op{{kind: opSet, key: "k", value: []byte("v")}})
	require.ErrorIs(t, f.Apply(&raft.Log{Index: 2, Type: raft.LogCommand, Data: kv}).(error), ErrBadEntry)
	db := newTestFSM(t)
	require.ErrorIs(t, db.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: entry}).(error), ErrBadEntry)
	require.Empty(t, fsmContents(t, db))
}

// FuzzDecodeCommands: no input panics; whatever decodes encodes back to
// the same bytes; and an entry with a checksum that holds (as the leader
// seals it) is never ErrCorruptEntry, only ErrBadEntry if anything.
func FuzzDecodeCommands(f *testing.F) {
	f.Add(sealEntry(appendCommand(appendCommand(appendHeader(nil, systemEntryTag, 2), []byte{0xa0}), []byte("xyz"))))
	f.Add([]byte{systemEntryTag, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		for i, in := range [][]byte{b, sealed(b)} {
			cmds, err := decodeCommands(in)
			if err != nil {
				if i == 0 && errors.Is(err, ErrCorruptEntry) {
					continue
				}
				require.ErrorIs(t, err, ErrBadEntry)
				continue
			}
			out := appendHeader(nil, systemEntryTag, len(cmds))
			for _, c := range cmds {
				out = appendCommand(out, c)
			}
			require.Equal(t, in, sealEntry(out))
		}
	})
}
