package core

// Opcode is a frame's 4-bit opcode.
type Opcode uint8

// The opcodes of RFC 6455 section 5.2; 3-7 and 0xB-0xF are reserved.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode (close, ping, pong or a
// reserved control opcode).
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

// isReserved reports whether op is one RFC 6455 reserves for the future.
func (op Opcode) isReserved() bool {
	return (op > OpBinary && op < OpClose) || op > OpPong
}

// MaxHeaderSize is the largest frame header: 2 bytes, 8 length bytes, 4 mask bytes.
const MaxHeaderSize = 14

// MaxControlPayload is the largest payload of a control frame.
const MaxControlPayload = 125

// maxInt is the largest int of the platform; frame lengths above it are
// ErrFrameTooLarge rather than a wrap-around on 32-bit targets.
const maxInt = int(^uint(0) >> 1)

// Header is a decoded frame header.
type Header struct {
	Fin    bool
	Rsv    uint8 // RSV1..RSV3 as bits 2..0
	Op     Opcode
	Masked bool
	Mask   [4]byte
	Length int // payload length
}

// size returns the number of bytes the header takes on the wire.
func (h *Header) size() int {
	n := 2
	switch {
	case h.Length > 0xFFFF:
		n += 8
	case h.Length > 125:
		n += 2
	}
	if h.Masked {
		n += 4
	}
	return n
}

// ParseHeader decodes a frame header from the start of b. On success it
// returns the header and the number of bytes it took. When b holds only part
// of a header it returns ErrNeedMore and, as n, how many more bytes are needed
// at least (the exact count once the second byte is known). It checks only
// what the header alone shows: the length forms (minimal encoding, the top
// bit of the 64-bit form, a length this platform's int cannot hold) and the
// control frame rules; masking, RSV and opcode policy are the Reader's.
func ParseHeader(b []byte) (h Header, n int, err error) {
	n, err = parseHeader(&h, b)
	return h, n, err
}

// parseHeader is ParseHeader into *h, which it overwrites. The Reader parses
// into its own Header this way: a Header returned by value goes through
// memory, written a field at a time and read back whole, and that load
// stalls (store forwarding fails) for about as long as the parse takes.
func parseHeader(h *Header, b []byte) (n int, err error) {
	*h = Header{}
	if len(b) < 2 {
		return 2 - len(b), ErrNeedMore
	}
	b0, b1 := b[0], b[1]
	h.Fin = b0&0x80 != 0
	h.Rsv = (b0 >> 4) & 0x7
	h.Op = Opcode(b0 & 0x0F)
	h.Masked = b1&0x80 != 0
	l7 := int(b1 & 0x7F)
	need := 2
	switch l7 {
	case 126:
		need += 2
	case 127:
		need += 8
	}
	if h.Masked {
		need += 4
	}
	if len(b) < need {
		return need - len(b), ErrNeedMore
	}
	p := 2
	switch l7 {
	case 126:
		l := int(be16(b[2:4]))
		if l < 126 {
			return 0, ErrNonMinimalLength
		}
		h.Length = l
		p = 4
	case 127:
		l := be64(b[2:10])
		if l>>63 != 0 {
			return 0, ErrLengthMSB
		}
		if l <= 0xFFFF {
			return 0, ErrNonMinimalLength
		}
		if l > uint64(maxInt) {
			return 0, ErrFrameTooLarge
		}
		h.Length = int(l)
		p = 10
	default:
		h.Length = l7
	}
	if h.Op.IsControl() {
		if !h.Fin {
			return 0, ErrControlFragmented
		}
		if h.Length > MaxControlPayload {
			return 0, ErrControlTooLong
		}
	}
	if h.Masked {
		copy(h.Mask[:], b[p:p+4])
		p += 4
	}
	return p, nil
}

// AppendHeader appends the wire form of h to dst, using the shortest length
// form, and returns the extended slice. A negative length is written as 0.
//
// With room for the largest header in dst it stores each field once into
// dst's spare capacity (never past the header); otherwise it appends,
// growing dst only if even the actual header does not fit. The store path
// is written out here and again in appendHeader, so that neither makes a
// call on it: a call more costs this function about a sixth of its time.
func AppendHeader(dst []byte, h Header) []byte {
	b0 := byte(h.Op&0x0F) | (h.Rsv&0x7)<<4
	if h.Fin {
		b0 |= 0x80
	}
	n := len(dst)
	if cap(dst)-n < MaxHeaderSize {
		return appendHeaderSlow(dst, b0, h.Length, h.Masked, le32(h.Mask[:]))
	}
	b := (*[MaxHeaderSize]byte)(dst[n : n+MaxHeaderSize])
	l := max(h.Length, 0)
	// The first two bytes are stored at once, the mask bit in the second
	// already set, and the key as one word at an offset known in each
	// case: no byte is stored twice or loaded back, and no bounds check.
	hd := uint16(b0)
	if h.Masked {
		hd |= 0x80 << 8
	}
	switch {
	case l <= 125:
		putLE16(b[0:2], hd|uint16(l)<<8)
		if h.Masked {
			putLE32(b[2:6], le32(h.Mask[:]))
			return dst[:n+6]
		}
		return dst[:n+2]
	case l <= 0xFFFF:
		putLE16(b[0:2], hd|126<<8)
		putBE16(b[2:4], uint16(l))
		if h.Masked {
			putLE32(b[4:8], le32(h.Mask[:]))
			return dst[:n+8]
		}
		return dst[:n+4]
	}
	putLE16(b[0:2], hd|127<<8)
	putBE64(b[2:10], uint64(l))
	if h.Masked {
		putLE32(b[10:14], le32(h.Mask[:]))
		return dst[:n+14]
	}
	return dst[:n+10]
}

// appendHeader is AppendHeader from the first byte and the other fields:
// AppendFrame calls it so that no Header is built in memory and copied
// whole right after being written field by field (a stalled load). The
// key is the four mask bytes as a little-endian word, so that it travels
// in a register (an array does not).
func appendHeader(dst []byte, b0 byte, l int, masked bool, key uint32) []byte {
	n := len(dst)
	if cap(dst)-n < MaxHeaderSize {
		return appendHeaderSlow(dst, b0, l, masked, key)
	}
	b := (*[MaxHeaderSize]byte)(dst[n : n+MaxHeaderSize])
	l = max(l, 0)
	b[0] = b0
	p := 2
	switch {
	case l <= 125:
		b[1] = byte(l)
	case l <= 0xFFFF:
		b[1] = 126
		putBE16(b[2:4], uint16(l))
		p = 4
	default:
		b[1] = 127
		putBE64(b[2:10], uint64(l))
		p = 10
	}
	if masked {
		b[1] |= 0x80
		putLE32(b[p:p+4], key)
		p += 4
	}
	return dst[:n+p]
}

// appendHeaderSlow is appendHeader for a dst without room for the largest
// header.
func appendHeaderSlow(dst []byte, b0 byte, l int, masked bool, key uint32) []byte {
	var b1 byte
	if masked {
		b1 = 0x80
	}
	if l < 0 {
		l = 0
	}
	switch {
	case l <= 125:
		dst = append(dst, b0, b1|byte(l))
	case l <= 0xFFFF:
		dst = append(dst, b0, b1|126, byte(l>>8), byte(l))
	default:
		u := uint64(l)
		dst = append(dst, b0, b1|127,
			byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32),
			byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
	if masked {
		dst = append(dst, byte(key), byte(key>>8), byte(key>>16), byte(key>>24))
	}
	return dst
}
