package cborhead

import "errors"

// Errors of Read.
var (
	// ErrEnd says that the data ends before the head: it is empty.
	ErrEnd = errors.New("cborhead: no head: the data ends")
	// ErrTruncated says that the data ends inside the head.
	ErrTruncated = errors.New("cborhead: the data ends inside the head")
	// ErrIndefinite says that the head's additional information (28 to
	// 31) is reserved or marks an indefinite length, which neither the
	// journal nor the store writes.
	ErrIndefinite = errors.New("cborhead: indefinite length or reserved additional information")
)

// Read decodes the CBOR head at the start of b and returns its major type,
// its argument and its size in bytes. It takes every definite-length form
// (additional information 0 to 27), the shortest or not, as the CBOR
// library does. On ErrTruncated and ErrIndefinite it still returns the
// major type, so that a caller that expects another can say so first; on
// any error arg and n are zero.
func Read(b []byte) (major byte, arg uint64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, 0, ErrEnd
	}
	major, ai := b[0]>>5, b[0]&0x1f
	switch {
	case ai < 24:
		return major, uint64(ai), 1, nil
	case ai > 27:
		return major, 0, 0, ErrIndefinite
	}
	size := 1 << (ai - 24) // 1, 2, 4 or 8 bytes
	if len(b) < 1+size {
		return major, 0, 0, ErrTruncated
	}
	for _, c := range b[1 : 1+size] {
		arg = arg<<8 | uint64(c)
	}
	return major, arg, 1 + size, nil
}
