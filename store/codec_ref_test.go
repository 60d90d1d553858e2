package store

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// refDec decodes any well-formed CBOR into Go's generic types, byte strings
// as []byte.
var refDec = mustDec(cbor.DecOptions{
	DefaultByteStringType: reflect.TypeFor[[]byte](),
})

// decodeRef is a slow reference decoder of every journaled command layout,
// the expiry ones included (which the library cannot decode into Command:
// their arrays have one item more), built on the library's generic
// decoding. The fuzz targets check the fast decoder against it.
func decodeRef(b []byte) (Command, error) {
	var v any
	if err := refDec.Unmarshal(b, &v); err != nil {
		return Command{}, err
	}
	items, ok := v.([]any)
	if !ok || (len(items) != 4 && len(items) != 5) {
		return Command{}, errors.New("ref: not an array of 4 or 5")
	}
	op, key, value, err := refHead(items)
	if err != nil {
		return Command{}, err
	}
	c := Command{Op: op, Key: key, Value: value}
	if len(items) == 5 {
		if op != OpSetAt && op != OpExpireAt || items[3] != nil {
			return Command{}, errors.New("ref: five items for another op")
		}
		if c.At, err = refInt(items[4]); err != nil {
			return Command{}, err
		}
		return c, nil
	}
	switch {
	case items[3] == nil && (op == OpSet || op == OpDelete || op == OpClear):
		return c, nil
	case op != OpBatch && op != OpExpire:
		return Command{}, fmt.Errorf("ref: op %d", op)
	}
	muts, ok := items[3].([]any)
	if !ok {
		return Command{}, errors.New("ref: batch is not an array")
	}
	c.Batch = []Mutation{}
	for _, m := range muts {
		mi, ok := m.([]any)
		if !ok || (len(mi) != 3 && len(mi) != 4) {
			return Command{}, errors.New("ref: mutation is not an array of 3 or 4")
		}
		mop, mkey, mval, err := refHead(mi)
		if err != nil {
			return Command{}, err
		}
		mu := Mutation{Op: mop, Key: mkey, Value: mval}
		if len(mi) == 4 {
			if mop != OpSetAt {
				return Command{}, errors.New("ref: four items for another mutation")
			}
			if mu.At, err = refInt(mi[3]); err != nil {
				return Command{}, err
			}
		}
		c.Batch = append(c.Batch, mu)
	}
	return c, nil
}

// refHead reads the op, key and value that open a command or a mutation.
func refHead(items []any) (Op, string, []byte, error) {
	op, ok := items[0].(uint64)
	if !ok || op > 255 {
		return 0, "", nil, errors.New("ref: op")
	}
	var key string
	switch k := items[1].(type) {
	case []byte:
		key = string(k)
	case string:
		key = k
	default:
		return 0, "", nil, errors.New("ref: key")
	}
	switch v := items[2].(type) {
	case nil:
		return Op(op), key, nil, nil
	case []byte:
		return Op(op), key, v, nil
	}
	return 0, "", nil, errors.New("ref: value")
}

// refInt reads a deadline.
func refInt(v any) (int64, error) {
	switch n := v.(type) {
	case uint64:
		if n <= 1<<63-1 {
			return int64(n), nil
		}
	case int64:
		return n, nil
	}
	return 0, errors.New("ref: deadline")
}
