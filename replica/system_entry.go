package replica

import (
	"encoding/binary"
	"fmt"

	"github.com/hurrahdb/hurrah"
)

// A raft log entry of a SystemNode is a batch of the System's commands,
// each applied by every node in log order, on its own (one may fail while
// the others apply):
//
//	entry   = tag:u8 (0x73, 's') count:uvarint command*count crc:u32
//	command = len:uvarint cbor
//
// cbor is the command as hurrah.CBORCodec encodes it; crc is the CRC-32C
// of every byte before it, as a DB's entry ends (see sealEntry). The tag
// differs from a DB's entry version, so neither kind of node applies the
// other's entries. Changing this layout needs a new tag: the one before,
// 'S', had no crc, and is not read (a node stops on one with
// ErrCorruptEntry).
const systemEntryTag = 's'

// appendCommand appends one encoded command, as an entry holds it, to dst.
func appendCommand(dst, cbor []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(cbor))), cbor...)
}

// decodeCommands decodes a System entry into its commands' encodings,
// refusing one whose checksum fails with ErrCorruptEntry, and (with
// ErrBadEntry, alike on every node) one that is not well formed or holds
// a command longer than hurrah.DefaultMaxValueSize. They alias b. (Its
// loop has the shape of decodeEntry's: unseal, header, items, end is the
// format's, not repeated logic; the items differ.)
func decodeCommands(b []byte) ([][]byte, error) {
	body, err := unsealEntry(b)
	if err != nil {
		return nil, err
	}
	r := &entryReader{b: body}
	count, err := r.header(systemEntryTag)
	if err != nil {
		return nil, err
	}
	cmds := make([][]byte, 0, count)
	for range count {
		c, err := r.bytes("command", hurrah.DefaultMaxValueSize)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, c)
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	return cmds, nil
}

// encodeCommand encodes c as Commit proposes it, refusing, as a System's
// Commit does, one CBOR cannot encode or that does not decode back into a
// C (hurrah.ErrEncode), and one whose encoding passes
// hurrah.DefaultMaxValueSize (hurrah.ErrTooLarge).
func encodeCommand[S any, C hurrah.Command[S]](c C) ([]byte, error) {
	b, err := hurrah.CBORCodec{}.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("%w: command %T: %w", hurrah.ErrEncode, c, err)
	}
	if len(b) > hurrah.DefaultMaxValueSize {
		return nil, fmt.Errorf("%w: command of %d bytes exceeds %d", hurrah.ErrTooLarge, len(b), hurrah.DefaultMaxValueSize)
	}
	if _, err := hurrah.Decode[C](b); err != nil {
		return nil, fmt.Errorf("%w: command %T does not decode back: %w", hurrah.ErrEncode, c, err)
	}
	return b, nil
}
