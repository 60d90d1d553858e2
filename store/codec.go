package store

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// The journal format of a key-value command. Each journal entry holds one
// command, encoded in CBOR by the CBOR library from Command and Mutation
// (both "toarray" structs), so the layout below is part of the on-disk
// format: changing it makes existing journals unreadable.
//
//	command: a CBOR array of four items
//	+------+---------+-------------+-----------------------+-------------------------+
//	| 0x84 | op uint | key bstr    | value bstr, or null   | batch array(n), or null |
//	+------+---------+-------------+-----------------------+-------------------------+
//
//	mutation: a CBOR array of three items, each of a batch's n
//	+------+---------+-------------+-----------------------+
//	| 0x83 | op uint | key bstr    | value bstr, or null   |
//	+------+---------+-------------+-----------------------+
//
// op is an Op: OpSet (1) and OpDelete (2) carry a key, OpSet a value (null
// for a nil value, an empty bstr for an empty one), OpDelete a null value;
// OpClear (3) has an empty key and a null value; OpBatch (4) has an empty
// key, a null value and the array of mutations, each an OpSet or an
// OpDelete (or an OpSetAt: see codec_expiry.go). Every other command has a
// null batch. OpSetAt (7) and OpExpireAt (8) carry a deadline and have a
// layout of their own, and OpExpire (9), the owner's removal of expired
// keys, is laid out as a batch of OpDeletes: see codec_expiry.go. OpCAS,
// OpSetAbsent and OpExpireIfLive (10) are never journaled, and decoding
// refuses them. Keys are byte strings because a Go
// string may hold any bytes, where a CBOR text string would have to be
// valid UTF-8.
//
// So a set of "k" to "v" is the seven bytes
//
//	84 01 41 6b 41 76 f6
//
// The library writes every head in its shortest form. Sets, deletes and
// batches, which are nearly all a journal holds, are encoded and decoded by
// hand (codec_fast.go), byte for byte as the library does; the hand decoder
// also takes longer heads, and leaves everything else (text-string keys,
// indefinite lengths, other ops) to the library.

// cmdEnc and cmdDec are the library's encoder and decoder of commands: keys
// go out as byte strings and come in from byte or text strings.
var (
	cmdEnc = mustEnc(cbor.EncOptions{String: cbor.StringToByteString})
	cmdDec = mustDec(cbor.DecOptions{
		ByteStringToString: cbor.ByteStringToStringAllowed,
		MaxArrayElements:   1<<31 - 1,
	})
)

func mustEnc(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(err) // the options above are constants
	}
	return m
}

func mustDec(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

// EncodeCommand returns the journal encoding of c.
func EncodeCommand(c Command) ([]byte, error) {
	switch {
	case (c.Op == OpSet || c.Op == OpDelete) && c.Batch == nil:
		b, _ := encodeSimple(c.Op, c.Key, c.Value)
		return b, nil
	case (c.Op == OpBatch || c.Op == OpExpire) && c.Key == "" && c.Value == nil && c.Batch != nil:
		if b, ok := encodeBatchOp(c.Op, c.Batch); ok {
			return b, nil
		}
	case c.Op == OpDeleteRange && c.Batch == nil:
		return encodeDeleteRange(c.Key, c.Value), nil
	case c.Op == OpSetAt && c.Batch == nil:
		b, _ := encodeAt(c.Op, c.Key, c.Value, c.At)
		return b, nil
	case c.Op == OpExpireAt && c.Batch == nil && c.Value == nil:
		b, _ := encodeAt(c.Op, c.Key, nil, c.At)
		return b, nil
	}
	b, err := cmdEnc.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("store: encode command: %w", err)
	}
	return b, nil
}

// EncodeSet returns the journal encoding of setting key to value, the same
// bytes EncodeCommand returns for Command{Op: OpSet, Key: key, Value:
// value}, and stored, the value's bytes inside it (nil for a nil value).
// A store that journals can keep stored as the value and so copy the
// caller's bytes once, not twice.
func EncodeSet(key string, value []byte) (data, stored []byte) {
	return encodeSimple(OpSet, key, value)
}

// decodeCommand parses a journaled key-value command. It never panics on bad
// input. The value is a copy: the command does not alias b.
func decodeCommand(b []byte) (Command, error) {
	if c, ok := decodeSimple(b); ok {
		return c, nil
	}
	return decodeCBOR(b)
}

// decodeCBOR is decodeCommand's general path.
func decodeCBOR(b []byte) (Command, error) {
	var c Command
	if err := cmdDec.Unmarshal(b, &c); err != nil {
		return Command{}, fmt.Errorf("store: decode command: %w", err)
	}
	switch c.Op {
	case OpSet, OpDelete, OpClear, OpDeleteRange:
		if c.Batch != nil {
			return Command{}, fmt.Errorf("store: decode command: op %d carries a batch", c.Op)
		}
		if c.Op == OpDeleteRange && !validRange(c.Key, c.Value) {
			return Command{}, fmt.Errorf("store: decode command: %w", errBadRange)
		}
		if c.Op == OpDeleteRange && len(c.Value) == 0 {
			c.Value = nil // an empty end is none, as in codec_range.go
		}
	case OpBatch, OpExpire:
		for i, m := range c.Batch {
			// The library reads no deadline: an OpSetAt is read by hand.
			if m.Op != OpDelete && (m.Op != OpSet || c.Op == OpExpire) {
				return Command{}, fmt.Errorf("store: decode command: batch mutation %d: %w %d", i, errBadOp, m.Op)
			}
		}
	default:
		return Command{}, fmt.Errorf("store: decode command: %w %d", errBadOp, c.Op)
	}
	return c, nil
}
