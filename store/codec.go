package store

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Keys are Go strings, which may hold any bytes, so commands carry them as
// CBOR byte strings: a text string would have to be valid UTF-8.
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
	b, err := cmdEnc.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("store: encode command: %w", err)
	}
	return b, nil
}

// DecodeCommand parses a journaled key-value command. It never panics on bad
// input.
func DecodeCommand(b []byte) (Command, error) {
	var c Command
	if err := cmdDec.Unmarshal(b, &c); err != nil {
		return Command{}, fmt.Errorf("store: decode command: %w", err)
	}
	switch c.Op {
	case OpSet, OpDelete, OpClear:
		if c.Batch != nil {
			return Command{}, fmt.Errorf("store: decode command: op %d carries a batch", c.Op)
		}
	case OpBatch:
		for i, m := range c.Batch {
			if m.Op != OpSet && m.Op != OpDelete {
				return Command{}, fmt.Errorf("store: decode command: batch mutation %d: %w %d", i, errBadOp, m.Op)
			}
		}
	default:
		return Command{}, fmt.Errorf("store: decode command: %w %d", errBadOp, c.Op)
	}
	return c, nil
}
