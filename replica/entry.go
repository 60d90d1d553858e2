package replica

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"slices"

	"github.com/hurrahdb/hurrah"
)

// A raft log entry of this package is a batch of writes, applied by every
// node in log order, all or nothing (see fsm.go for a Clear inside one):
//
//	entry  = version:u8 (2) count:uvarint op*count crc:u32
//	op     = kind:u8 body
//	set    = 1 keylen:uvarint key vallen:uvarint value deadline:varint
//	delete = 2 keylen:uvarint key
//	clear  = 3
//
// A deadline is absolute, in Unix ns, 0 for none: a TTL is turned into one
// by the node that takes the call, so every node expires the key at the
// same moment of its own clock. crc is the CRC-32C (Castagnoli) of every
// byte before it, little-endian (see sealEntry): raft's log store keeps no
// checksum of an entry's bytes. Changing this layout needs a new version.
// Version 1 (the same without crc) is not read: its entries fail the
// check, and a node stops on them with ErrCorruptEntry.
const entryVersion = 2

// crcSize is the size of the checksum that ends every entry.
const crcSize = 4

// castagnoli is the CRC-32C table (hardware-accelerated where the CPU
// has it).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sealEntry appends to entry (a header and its items, as appendHeader and
// the items' append functions write them) its checksum, and returns it:
// the entry as raft logs it.
func sealEntry(entry []byte) []byte {
	return binary.LittleEndian.AppendUint32(entry, crc32.Checksum(entry, castagnoli))
}

// unsealEntry checks the checksum that ends b and returns the bytes
// before it, or ErrCorruptEntry: this copy of the entry is not the one
// the leader wrote.
func unsealEntry(b []byte) ([]byte, error) {
	if len(b) < crcSize {
		return nil, fmt.Errorf("%w: %d bytes, too short for a checksum", ErrCorruptEntry, len(b))
	}
	body := b[:len(b)-crcSize]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(body):]) {
		return nil, fmt.Errorf("%w: checksum mismatch over %d bytes (tag %d; version 1 entries, which had none, are not read)",
			ErrCorruptEntry, len(b), b[0])
	}
	return body, nil
}

// opKind says what one write in an entry does.
type opKind uint8

const (
	opSet    opKind = 1
	opDelete opKind = 2
	opClear  opKind = 3
)

// op is one write of an entry.
type op struct {
	kind  opKind
	key   string
	value []byte
	at    int64 // deadline in Unix ns, 0 for none (sets only)
}

// size returns about how many bytes op takes in an entry.
func (o op) size() int {
	return 1 + 2*binary.MaxVarintLen64 + len(o.key) + len(o.value) + binary.MaxVarintLen64
}

// check refuses an op that the local store would refuse, before it is
// proposed: a bad op must not fail the whole entry it would share.
func (o op) check() error {
	if o.kind == opClear {
		return nil
	}
	if o.key == "" {
		return fmt.Errorf("%w: empty key", hurrah.ErrInvalidKey)
	}
	if len(o.key) > hurrah.DefaultMaxKeySize {
		return fmt.Errorf("%w: key of %d bytes exceeds %d", hurrah.ErrTooLarge, len(o.key), hurrah.DefaultMaxKeySize)
	}
	if len(o.value) > hurrah.DefaultMaxValueSize {
		return fmt.Errorf("%w: value of %d bytes exceeds %d", hurrah.ErrTooLarge, len(o.value), hurrah.DefaultMaxValueSize)
	}
	return nil
}

// appendEntry appends the entry holding ops, sealed, to dst.
func appendEntry(dst []byte, ops []op) []byte {
	return sealEntry(appendOps(appendHeader(dst, entryVersion, len(ops)), ops))
}

// appendHeader appends an entry's header: its tag (entryVersion, or
// systemEntryTag) and how many items (ops, or commands) follow.
func appendHeader(dst []byte, tag byte, count int) []byte {
	return binary.AppendUvarint(append(dst, tag), uint64(count))
}

// appendOps appends ops, as an entry holds them, to dst.
func appendOps(dst []byte, ops []op) []byte {
	for _, o := range ops {
		dst = append(dst, byte(o.kind))
		if o.kind == opClear {
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(len(o.key)))
		dst = append(dst, o.key...)
		if o.kind == opSet {
			dst = binary.AppendUvarint(dst, uint64(len(o.value)))
			dst = append(dst, o.value...)
			dst = binary.AppendVarint(dst, o.at)
		}
	}
	return dst
}

// entryReader reads an entry's fields, remembering the first error.
type entryReader struct {
	b   []byte
	off int
}

func (r *entryReader) bad(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrBadEntry, r.off, fmt.Sprintf(format, args...))
}

// uvarint reads a uvarint; what and then suffix name it in an error
// (two strings, not one made for every call).
func (r *entryReader) uvarint(what, suffix string) (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 || !minimal(r.b[r.off:], n) {
		return 0, r.bad("bad %s%s", what, suffix)
	}
	r.off += n
	return v, nil
}

// minimal reports whether the n-byte varint at the start of b is in its
// shortest form (a longer one ends in a zero byte), so that an entry has
// one encoding only.
func minimal(b []byte, n int) bool { return n == 1 || b[n-1] != 0 }

// bytes reads a length and that many bytes, at most limit.
func (r *entryReader) bytes(what string, limit int) ([]byte, error) {
	n, err := r.uvarint(what, " length")
	if err != nil {
		return nil, err
	}
	if n > uint64(limit) || n > uint64(len(r.b)-r.off) {
		return nil, r.bad("%s of %d bytes: too long", what, n)
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

// decodeEntry decodes an entry into its ops. An entry whose checksum
// fails returns ErrCorruptEntry: this node's copy is damaged. One whose
// checksum holds is as the leader wrote it, so refusing it (with
// ErrBadEntry: not well formed, or an op the local store would refuse)
// is what every node does alike; an entry applies whole or not at all.
// The ops alias b.
func decodeEntry(b []byte) ([]op, error) { return decodeEntryInto(nil, b) }

// decodeEntryInto is decodeEntry, appending the ops to ops[:0] (the FSM
// reuses one slice).
func decodeEntryInto(ops []op, b []byte) ([]op, error) {
	body, err := unsealEntry(b)
	if err != nil {
		return nil, err
	}
	r := &entryReader{b: body}
	count, err := r.header(entryVersion)
	if err != nil {
		return nil, err
	}
	ops = slices.Grow(ops[:0], int(count))
	for range count {
		o, err := r.op()
		if err != nil {
			return nil, err
		}
		ops = append(ops, o)
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	return ops, nil
}

// header reads an entry's tag, which must be tag, and its count of items.
func (r *entryReader) header(tag byte) (uint64, error) {
	if len(r.b) == 0 || r.b[0] != tag {
		return 0, r.bad("not an entry of tag %d", tag)
	}
	r.off = 1
	count, err := r.uvarint("count", "")
	if err != nil {
		return 0, err
	}
	if count > uint64(len(r.b)) { // every item takes a byte at least
		return 0, r.bad("count %d exceeds the entry's size", count)
	}
	return count, nil
}

// end refuses bytes after an entry's last item.
func (r *entryReader) end() error {
	if r.off != len(r.b) {
		return r.bad("%d bytes after the last item", len(r.b)-r.off)
	}
	return nil
}

// op reads one op.
func (r *entryReader) op() (op, error) {
	if r.off >= len(r.b) {
		return op{}, r.bad("entry ends before its last op")
	}
	o := op{kind: opKind(r.b[r.off])}
	r.off++
	switch o.kind {
	case opClear:
		return o, nil
	case opSet, opDelete:
	default:
		return op{}, r.bad("unknown op %d", o.kind)
	}
	key, err := r.bytes("key", math.MaxInt)
	if err != nil {
		return op{}, err
	}
	o.key = string(key)
	if o.kind == opSet {
		if o.value, err = r.bytes("value", math.MaxInt); err != nil {
			return op{}, err
		}
		at, n := binary.Varint(r.b[r.off:])
		if n <= 0 || !minimal(r.b[r.off:], n) || at == math.MinInt64 {
			return op{}, r.bad("bad deadline")
		}
		r.off += n
		o.at = at
	}
	if err := o.check(); err != nil {
		return op{}, fmt.Errorf("%w: %w", ErrBadEntry, err)
	}
	return o, nil
}
