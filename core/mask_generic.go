//go:build !amd64 || purego || tinygo

package core

import (
	"encoding/binary"
	"math/bits"
)

// mask is Mask for a key read as a little-endian uint32 (key[0] in the low
// byte): the portable path, a machine word at a time.
func mask(key uint32, pos int, b []byte) int {
	pos &= 3
	next := (pos + len(b)) & 3
	// The key rotated so that its low byte goes with b[0]; little-endian
	// loads and stores keep the byte order the same on every target.
	k32 := bits.RotateLeft32(key, -8*pos)
	if len(b) >= 8 {
		k := uint64(k32) | uint64(k32)<<32
		for len(b) >= 64 {
			v := b[:64:64]
			binary.LittleEndian.PutUint64(v[0:], binary.LittleEndian.Uint64(v[0:])^k)
			binary.LittleEndian.PutUint64(v[8:], binary.LittleEndian.Uint64(v[8:])^k)
			binary.LittleEndian.PutUint64(v[16:], binary.LittleEndian.Uint64(v[16:])^k)
			binary.LittleEndian.PutUint64(v[24:], binary.LittleEndian.Uint64(v[24:])^k)
			binary.LittleEndian.PutUint64(v[32:], binary.LittleEndian.Uint64(v[32:])^k)
			binary.LittleEndian.PutUint64(v[40:], binary.LittleEndian.Uint64(v[40:])^k)
			binary.LittleEndian.PutUint64(v[48:], binary.LittleEndian.Uint64(v[48:])^k)
			binary.LittleEndian.PutUint64(v[56:], binary.LittleEndian.Uint64(v[56:])^k)
			b = b[64:]
		}
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
			b = b[8:]
		}
	}
	// Whole words keep the key's phase, so the tail starts at b's phase.
	for i := range b {
		b[i] ^= byte(k32 >> (8 * (i & 3)))
	}
	return next
}
