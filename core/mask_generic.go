//go:build !amd64 || purego || tinygo

package core

import "math/bits"

// keyWord reads the key as a little-endian uint32 (key[0] in the low byte).
func keyWord(k *[4]byte) uint32 { return le32(k[:]) }

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
			putLE64(v[0:], le64(v[0:])^k)
			putLE64(v[8:], le64(v[8:])^k)
			putLE64(v[16:], le64(v[16:])^k)
			putLE64(v[24:], le64(v[24:])^k)
			putLE64(v[32:], le64(v[32:])^k)
			putLE64(v[40:], le64(v[40:])^k)
			putLE64(v[48:], le64(v[48:])^k)
			putLE64(v[56:], le64(v[56:])^k)
			b = b[64:]
		}
		for len(b) >= 8 {
			putLE64(b, le64(b)^k)
			b = b[8:]
		}
	}
	// Whole words keep the key's phase, so the tail starts at b's phase.
	for i := range b {
		b[i] ^= byte(k32 >> (8 * (i & 3)))
	}
	return next
}
