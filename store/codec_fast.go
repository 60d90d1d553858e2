package store

import "github.com/hurrahdb/hurrah/internal/cborhead"

// The hand-written fast path of the command codec: sets, deletes and
// batches, encoded and decoded without reflection, byte for byte as the
// CBOR library does (see the layout in codec.go). FuzzEncodeSimple,
// FuzzEncodeBatch and FuzzDecodeSimple hold it to the library.

// encodeSimple writes a set or a delete of one key as the CBOR library
// would, without reflection: an array of four holding the op, the key and
// the value as byte strings (a nil value as null), and null for the batch.
// It also returns the value's bytes inside the encoding.
func encodeSimple(op Op, key string, value []byte) (data, stored []byte) {
	n := 2 + headLen(len(key)) + len(key) + 1
	if value != nil {
		n += headLen(len(value)) + len(value)
	} else {
		n++
	}
	b := make([]byte, 0, n)
	b = append(b, 0x84, byte(op))
	b = appendHead(b, len(key))
	b = append(b, key...)
	if value == nil {
		b = append(b, 0xf6)
	} else {
		b = appendHead(b, len(value))
		start := len(b)
		b = append(b, value...)
		stored = b[start:len(b):len(b)]
	}
	return append(b, 0xf6), stored
}

// batchHead starts the encoding of a batch: an array of four holding the
// op, an empty key, a null value and then the array of mutations.
var batchHead = [...]byte{0x84, byte(OpBatch), 0x40, 0xf6}

// encodeBatch writes a batch command as the CBOR library would, without
// reflection: batchHead, the array head, then each mutation as an array
// of three (op, key, value or null), or, for an OpSetAt, of four (the
// deadline last, which the library cannot write). It reports false,
// leaving the batch to the library, if a mutation is none of these.
func encodeBatch(muts []Mutation) ([]byte, bool) { return encodeBatchOp(OpBatch, muts) }

// encodeBatchOp writes a batch of muts, as encodeBatch, under op: OpBatch
// or OpExpire.
func encodeBatchOp(op Op, muts []Mutation) ([]byte, bool) {
	n := len(batchHead) + headLen(len(muts))
	for _, m := range muts {
		if !okOp(batchOps[:], m.Op) {
			return nil, false
		}
		n += 2 + headLen(len(m.Key)) + len(m.Key) + 1
		if m.Value != nil {
			n += headLen(len(m.Value)) + len(m.Value) - 1
		}
		if m.Op == OpSetAt {
			n += intLen(m.At)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, 0x84, byte(op), 0x40, 0xf6)
	b = cborhead.Append(b, cborhead.Array, uint64(len(muts)))
	for _, m := range muts {
		b = append(b, mutationHead(m.Op), byte(m.Op))
		b = appendHead(b, len(m.Key))
		b = append(b, m.Key...)
		b, _ = appendValue(b, m.Value)
		if m.Op == OpSetAt {
			b = appendInt(b, m.At)
		}
	}
	return b, true
}

// headLen is the length of the head of a CBOR byte string, or array, of n
// bytes or items.
func headLen(n int) int { return cborhead.Size(uint64(n)) }

// appendHead appends the head of a CBOR byte string of n bytes, in its
// shortest form, as the CBOR library writes it.
func appendHead(b []byte, n int) []byte { return cborhead.Append(b, cborhead.Bytes, uint64(n)) }

// decodeSimple decodes the commands replay meets most, a set or a delete of
// one key, in the exact form EncodeCommand writes them and the few
// equivalent forms the general decoder accepts (longer length heads, a
// null value): a CBOR array of four holding the op, the key and the value
// as byte strings (or null), and null for the batch. It reports false for
// anything else, which decodeCBOR then judges. It is several times faster
// than the general decoder, which dominates the time a restart takes.
func decodeSimple(b []byte) (Command, bool) {
	if len(b) > len(batchHead) && [4]byte(b) == batchHead {
		return decodeBatch(b[len(batchHead):], OpBatch)
	}
	if len(b) > len(expireHead) && [4]byte(b) == expireHead {
		return decodeBatch(b[len(expireHead):], OpExpire)
	}
	if len(b) > 0 && b[0] == 0x85 {
		return decodeAt(b)
	}
	op, key, value, ok := parseSimple(b)
	if !ok {
		return Command{}, false
	}
	c := Command{Op: op, Key: string(key)}
	if c.Op == OpDeleteRange && !validRange(c.Key, value) {
		return Command{}, false // decodeCBOR says why
	}
	if value != nil && (c.Op != OpDeleteRange || len(value) > 0) { // an empty end is none
		c.Value = append(make([]byte, 0, len(value)), value...)
	}
	return c, true
}

// parseSimple reads a set, a delete or a range delete of one key in the
// form decodeSimple takes, with no copy: its key and value alias b (a nil
// value: null). It reports false for anything else.
func parseSimple(b []byte) (op Op, key, value []byte, ok bool) {
	if len(b) < 5 || b[0] != 0x84 || !simpleOp(Op(b[1])) || b[len(b)-1] != 0xf6 {
		return 0, nil, nil, false
	}
	key, rest, ok := byteString(b[2:])
	if !ok || key == nil {
		return 0, nil, nil, false
	}
	value, rest, ok = byteString(rest)
	if !ok || len(rest) != 1 { // the batch: the final null, checked above
		return 0, nil, nil, false
	}
	return Op(b[1]), key, value, true
}

// decodeBatch decodes the mutations of a batch (op OpBatch) or an
// OpExpire in the form encodeBatchOp writes them, and the equivalent forms
// decodeSimple takes for one set: b follows the head. Each value is a copy
// of its own, so that a value kept in the map does not keep the others
// alive. It reports false for anything else.
func decodeBatch(b []byte, op Op) (Command, bool) {
	n, b, ok := head(b, cborhead.Array)
	if !ok || n > uint64(len(b))/4 { // a mutation takes four bytes at least
		return Command{}, false
	}
	ops := batchOps[:]
	if op == OpExpire {
		ops = expireOps[:]
	}
	muts := make([]Mutation, n)
	for i := range muts {
		if len(b) < 2 || !okOp(ops, Op(b[1])) || b[0] != mutationHead(Op(b[1])) {
			return Command{}, false
		}
		m, rest, ok := decodeMutation(Op(b[1]), b[2:])
		if !ok {
			return Command{}, false
		}
		muts[i] = m
		b = rest
	}
	if len(b) != 0 {
		return Command{}, false
	}
	return Command{Op: op, Batch: muts}, true
}

// mutationHead is the array head of a mutation of op in a batch: of four
// items for an OpSetAt, of three for the others.
func mutationHead(op Op) byte {
	if op == OpSetAt {
		return 0x84
	}
	return 0x83
}

// decodeMutation decodes what follows a mutation's op in a batch: the
// key, the value and, for an OpSetAt, the deadline.
func decodeMutation(op Op, b []byte) (Mutation, []byte, bool) {
	key, rest, ok := byteString(b)
	if !ok || key == nil {
		return Mutation{}, nil, false
	}
	value, rest, ok := byteString(rest)
	if !ok {
		return Mutation{}, nil, false
	}
	m := Mutation{Op: op, Key: string(key)}
	if op == OpSetAt {
		if m.At, rest, ok = readInt(rest); !ok {
			return Mutation{}, nil, false
		}
	}
	if value != nil {
		m.Value = append(make([]byte, 0, len(value)), value...)
	}
	return m, rest, true
}

// byteString decodes a definite-length CBOR byte string, or null (a nil
// result), at the start of b, and returns what follows it.
func byteString(b []byte) (s, rest []byte, ok bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	if b[0] == 0xf6 {
		return nil, b[1:], true
	}
	n, b, ok := head(b, cborhead.Bytes)
	if !ok || n > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n:n], b[n:], true
}

// head decodes a definite-length CBOR head of the given major type at the
// start of b, and returns its argument and what follows it.
func head(b []byte, major byte) (arg uint64, rest []byte, ok bool) {
	m, arg, n, err := cborhead.Read(b)
	if err != nil || m != major {
		return 0, nil, false
	}
	return arg, b[n:], true
}
