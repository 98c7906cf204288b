package loadgen

import "encoding/binary"

// A message's stamp is up to three 64-bit fields at the start of its
// payload: the sequence number, and for broadcast the intended and actual
// send times. Binary messages carry them little-endian (8 bytes each),
// text messages as 16 lowercase hex digits each, so they stay ASCII.

const hexDigits = "0123456789abcdef"

// fieldLen is the bytes one stamp field takes.
func fieldLen(text bool) int {
	if text {
		return 16
	}
	return 8
}

func putField(b []byte, v uint64, text bool) {
	if !text {
		binary.LittleEndian.PutUint64(b, v)
		return
	}
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[v&0xF]
		v >>= 4
	}
}

func getField(b []byte, text bool) (uint64, bool) {
	if !text {
		return binary.LittleEndian.Uint64(b), true
	}
	var v uint64
	for _, c := range b[:16] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// fillPattern fills b with the payload pattern: bytes counting up from 'a'
// (what the board's /ws/source sends too).
func fillPattern(b []byte) {
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
}
