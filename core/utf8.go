package core

import "unicode/utf8"

// utf8State validates text incrementally: a message fed in pieces of any size,
// split anywhere (even inside a multi-byte sequence), fails at the first byte
// that cannot continue a valid encoding rather than at the end of the
// message. The zero value is ready for the first byte of a message.
type utf8State struct {
	need uint8 // continuation bytes still expected
	lo   uint8 // allowed range of the next continuation byte
	hi   uint8
}

// reset prepares v for a new message.
func (v *utf8State) reset() { *v = utf8State{} }

// complete reports whether the bytes fed so far end on a character boundary;
// a message is valid only if complete holds when its last piece was fed.
func (v *utf8State) complete() bool { return v.need == 0 }

// feed validates the next piece. It returns the index of the first byte that
// makes the text invalid, or -1 if every byte so far can still be part of
// valid UTF-8.
func (v *utf8State) feed(p []byte) int {
	i := 0
	// Finish a sequence begun in an earlier piece.
	for v.need > 0 {
		if i == len(p) {
			return -1
		}
		c := p[i]
		if c < v.lo || c > v.hi {
			return i
		}
		v.lo, v.hi = 0x80, 0xBF
		v.need--
		i++
	}
	// The bulk goes to utf8.Valid, which is several times faster than the
	// loop below; it cannot say where text goes wrong, so on false the loop
	// looks again from the start. Held back for the loop are the last
	// character, which may be cut off at the end of p.
	if rest := p[i:]; len(rest) >= 16 {
		end := len(rest)
		for end > 0 && len(rest)-end < 3 && rest[end-1]&0xC0 == 0x80 {
			end--
		}
		if end > 0 && rest[end-1] >= 0xC0 {
			end--
		}
		if utf8.Valid(rest[:end]) {
			i += end
		}
	}
	for i < len(p) {
		// ASCII fast path, eight bytes at a time.
		for i+8 <= len(p) {
			w := uint64(p[i]) | uint64(p[i+1])<<8 | uint64(p[i+2])<<16 | uint64(p[i+3])<<24 |
				uint64(p[i+4])<<32 | uint64(p[i+5])<<40 | uint64(p[i+6])<<48 | uint64(p[i+7])<<56
			if w&0x8080808080808080 != 0 {
				break
			}
			i += 8
		}
		if i == len(p) {
			break
		}
		c := p[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		// Lead byte: how many continuation bytes follow and the range of
		// the first one (RFC 3629 table, excluding overlongs and surrogates).
		var need uint8
		lo, hi := uint8(0x80), uint8(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c == 0xE0:
			need, lo = 2, 0xA0
		case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
			need = 2
		case c == 0xED:
			need, hi = 2, 0x9F
		case c == 0xF0:
			need, lo = 3, 0x90
		case c >= 0xF1 && c <= 0xF3:
			need = 3
		case c == 0xF4:
			need, hi = 3, 0x8F
		default:
			return i
		}
		i++
		for need > 0 {
			if i == len(p) {
				v.need, v.lo, v.hi = need, lo, hi
				return -1
			}
			c := p[i]
			if c < lo || c > hi {
				return i
			}
			lo, hi = 0x80, 0xBF
			need--
			i++
		}
	}
	return -1
}

// validUTF8 reports whether b is complete, valid UTF-8.
func validUTF8(b []byte) bool {
	var v utf8State
	return v.feed(b) < 0 && v.complete()
}
