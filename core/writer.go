package core

import (
	"io"
)

// MaskSource supplies masking keys for client frames. RFC 6455 asks for keys
// an observer cannot predict; MaskGen is a fast source for the caller to
// seed from a secret random value.
type MaskSource interface {
	NextMask() [4]byte
}

// AppendFrame appends one frame to dst: the header, then payload, masked
// with key when masked is true (client frames). It returns the extended
// slice; dst is grown only if it lacks capacity, so a caller that sizes its
// buffer with FrameSize never allocates.
func AppendFrame(dst []byte, fin bool, op Opcode, payload []byte, masked bool, key [4]byte) []byte {
	b0 := byte(op & 0x0F)
	if fin {
		b0 |= 0x80
	}
	dst = appendHeader(dst, b0, len(payload), masked, le32(key[:]))
	start := len(dst)
	dst = append(dst, payload...)
	if masked {
		Mask(key, 0, dst[start:])
	}
	return dst
}

// AppendClose appends a close frame with code and reason (cut to fit).
func AppendClose(dst []byte, code CloseCode, reason []byte, masked bool, key [4]byte) []byte {
	var p [MaxControlPayload]byte
	payload := appendClosePayload(p[:0], code, reason)
	return AppendFrame(dst, true, OpClose, payload, masked, key)
}

// FrameSize is the wire size of a frame with an n-byte payload.
func FrameSize(n int, masked bool) int {
	h := Header{Length: n, Masked: masked}
	return h.size() + n
}

// maxPayloadFor returns the largest payload whose frame fits in n bytes.
func maxPayloadFor(n int, masked bool) int {
	over := 2
	if masked {
		over += 4
	}
	switch {
	case n-over <= 125:
		if n < over {
			return 0
		}
		return n - over
	case n-over-2 <= 0xFFFF:
		if n-over-2 < 126 {
			return 125
		}
		return n - over - 2
	}
	if n-over-8 <= 0xFFFF {
		return 0xFFFF
	}
	return n - over - 8
}

// Writer writes messages as frames to W through the caller's fixed buffer
// Buf, fragmenting a message that does not fit Buf into several frames. A
// client Writer masks with keys from Keys. Write calls never allocate.
type Writer struct {
	W    io.Writer
	Buf  []byte // at least MaxHeaderSize+1 bytes
	Role Role
	Keys MaskSource // required for Role Client
}

func (w *Writer) key() [4]byte {
	if w.Role == Client {
		return w.Keys.NextMask()
	}
	return [4]byte{}
}

// WriteMessage writes payload as one message of type op (OpText or
// OpBinary), in as many frames as Buf requires.
func (w *Writer) WriteMessage(op Opcode, payload []byte) error {
	masked := w.Role == Client
	room := maxPayloadFor(len(w.Buf), masked)
	if room <= 0 {
		return ErrShortBuffer
	}
	first := true
	for {
		n := len(payload)
		fin := true
		if n > room {
			n, fin = room, false
		}
		fop := op
		if !first {
			fop = OpContinuation
		}
		frame := AppendFrame(w.Buf[:0], fin, fop, payload[:n], masked, w.key())
		if _, err := w.W.Write(frame); err != nil {
			return err
		}
		payload = payload[n:]
		first = false
		if fin {
			return nil
		}
	}
}

// writeFrame writes a single frame; payload must fit Buf with its header.
func (w *Writer) writeFrame(fin bool, op Opcode, payload []byte) error {
	masked := w.Role == Client
	if FrameSize(len(payload), masked) > len(w.Buf) {
		return ErrShortBuffer
	}
	_, err := w.W.Write(AppendFrame(w.Buf[:0], fin, op, payload, masked, w.key()))
	return err
}

// writeControl writes a ping, pong or close frame (payload at most 125 bytes).
func (w *Writer) writeControl(op Opcode, payload []byte) error {
	if len(payload) > MaxControlPayload {
		return ErrControlTooLong
	}
	return w.writeFrame(true, op, payload)
}

// writeClose writes a close frame with code and reason.
func (w *Writer) writeClose(code CloseCode, reason []byte) error {
	var p [MaxControlPayload]byte
	return w.writeControl(OpClose, appendClosePayload(p[:0], code, reason))
}

// ConnReader reads events from an io.Reader through the caller's fixed
// receive buffer Rx, using Reader R for decoding (set R's Role, Stream,
// MaxMessage and Buf before the first call).
type ConnReader struct {
	Src io.Reader
	Rx  []byte
	R   Reader

	start, end int
}

// Next returns the next event; it reads from Src as needed. A read error
// (io.EOF included) is returned as is. Rx must hold at least
// MaxHeaderSize+MaxControlPayload bytes.
func (c *ConnReader) Next() (ev Event, err error) {
	for {
		if c.start < c.end {
			// Straight into the result (Feed left it zero if it returned
			// no event).
			n, err := c.R.feed(c.Rx[c.start:c.end], &ev)
			c.start += n
			if err != nil || ev.Kind != EventNone {
				return ev, err
			}
			if n > 0 && c.start < c.end {
				continue
			}
		}
		// Keep what Feed left (the start of a control frame) and read more;
		// when it took everything, as it mostly does, there is nothing to
		// move.
		if c.start == c.end {
			c.start, c.end = 0, 0
		} else if c.start > 0 {
			c.end = copy(c.Rx, c.Rx[c.start:c.end])
			c.start = 0
		}
		if c.end == len(c.Rx) {
			return Event{}, ErrShortBuffer
		}
		n, err := c.Src.Read(c.Rx[c.end:])
		c.end += n
		if n == 0 && err != nil {
			return Event{}, err
		}
	}
}

// Buffered returns the bytes read from Src but not decoded yet (for a
// client, bytes that followed the handshake response).
func (c *ConnReader) Buffered() []byte { return c.Rx[c.start:c.end] }

// Preload puts bytes that arrived before the ConnReader took over (the tail
// after a handshake) into Rx, to be decoded first.
func (c *ConnReader) Preload(b []byte) int {
	n := copy(c.Rx, b)
	c.start, c.end = 0, n
	return n
}
