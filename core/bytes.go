package core

import "unsafe"

// Equal reports whether b holds exactly the bytes of s. Board code compares
// request bytes with it rather than with string(b) == s, which TinyGo
// compiles to a heap copy of b (gc does not). It looks at b through a
// read-only string view, so gc still compiles a comparison with a constant
// into a length check and a few word loads.
func Equal(b []byte, s string) bool {
	return len(b) == len(s) && view(b) == s
}

// HasPrefix reports whether b starts with the bytes of s.
func HasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && view(b[:len(s)]) == s
}

// view returns b's bytes as a string without copying. The string must not
// outlive the comparison it is made for: b's owner may change the bytes.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Byte order. encoding/binary would do, but it imports reflect, which the
// board-side closure keeps out (internal/tinygocheck.AllowedDeps); gc
// compiles each of these to one load or store, as it does encoding/binary's.

func le32(b []byte) uint32 {
	_ = b[3] // one bounds check
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func putLE64(b []byte, v uint64) {
	_ = b[7]
	b[0] = byte(v)
	b[1] = byte(v >> 8)
	b[2] = byte(v >> 16)
	b[3] = byte(v >> 24)
	b[4] = byte(v >> 32)
	b[5] = byte(v >> 40)
	b[6] = byte(v >> 48)
	b[7] = byte(v >> 56)
}

func be16(b []byte) uint16 {
	_ = b[1]
	return uint16(b[1]) | uint16(b[0])<<8
}

func be64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[7]) | uint64(b[6])<<8 | uint64(b[5])<<16 | uint64(b[4])<<24 |
		uint64(b[3])<<32 | uint64(b[2])<<40 | uint64(b[1])<<48 | uint64(b[0])<<56
}

func putLE32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func putLE16(b []byte, v uint16) {
	_ = b[1]
	b[0], b[1] = byte(v), byte(v>>8)
}

func putBE16(b []byte, v uint16) {
	_ = b[1]
	b[0], b[1] = byte(v>>8), byte(v)
}

func putBE64(b []byte, v uint64) {
	_ = b[7]
	b[0], b[1], b[2], b[3] = byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32)
	b[4], b[5], b[6], b[7] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
