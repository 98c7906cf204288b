package core

// Role says which side of the connection a Reader or writer is on. A server
// reads masked client frames and writes unmasked ones; a client the reverse.
type Role uint8

const (
	Server Role = iota // the board: client frames must be masked
	Client             // the load generator: server frames must not be masked
)

// EventKind says what Reader.Feed produced.
type EventKind uint8

const (
	EventNone     EventKind = iota // the bytes were consumed; nothing completed yet
	EventMessage                   // a whole data message (buffered mode), in Event.Payload
	EventFragment                  // a piece of a data message (streaming mode)
	EventPing                      // a ping; answer with a pong carrying Event.Payload
	EventPong                      // a pong
	EventClose                     // a valid close frame: Event.Code, Event.Reason
)

// Event is one thing Reader.Feed found in the bytes. Payload and Reason
// point into the Reader's buffers or into the bytes passed to Feed and are
// valid until the next call to Feed.
type Event struct {
	Kind    EventKind
	Op      Opcode // OpText or OpBinary for data; the control opcode otherwise
	Payload []byte
	// Final is true on the last piece of a streamed message (and always on
	// EventMessage).
	Final bool
	// First is true on the first piece of a streamed message.
	First  bool
	Code   CloseCode
	Reason []byte
}

// Reader decodes frames from bytes fed to it and reassembles messages. It is
// sans-I/O: Feed takes whatever bytes arrived (one at a time works) and
// returns how many it consumed and at most one event. It enforces RFC 6455:
// masking by role, RSV bits (no extensions are negotiated), reserved
// opcodes, control frame rules, continuation order, the message size limit
// (ErrMessageTooBig, close 1009) and UTF-8 of text messages, checked as the
// bytes arrive so an invalid byte fails at once even across fragments
// (ErrInvalidUTF8, close 1007). Map an error to its close code with
// CloseCodeOf.
//
// In buffered mode (Stream false) a data message is copied into Buf, which
// must be at least MaxMessage bytes, and returned whole. In streaming mode
// the payload is unmasked in place in the bytes passed to Feed and returned
// piece by piece (EventFragment), so a board with a small buffer can pass a
// message larger than its buffer through; MaxMessage still caps the message.
//
// A control frame (ping, pong, close: at most 125 bytes of payload) is
// consumed only once its whole payload is in the bytes passed to Feed, and
// is unmasked in place there; until then Feed takes its header and returns
// without an event, and the caller keeps the remaining bytes and calls
// again once more have arrived. So the caller's receive buffer must hold
// at least MaxControlPayload bytes, and the Reader needs no buffer of its
// own for control frames.
//
// After an error or a close the Reader stays failed: Feed returns the same
// error (ErrClosed after a close).
type Reader struct {
	Role       Role
	Stream     bool
	MaxMessage int    // largest data message in bytes; 0 means len(Buf) (buffered) or no limit (streaming)
	Buf        []byte // the message buffer for buffered mode

	// The frame being read. Small fields are packed together: a board
	// keeps one Reader per connection slot.
	inFrame bool   // h is valid and its payload is being read
	first   bool   // the next streamed piece is the first of its message
	hdrN    uint8  // bytes of a header split across Feed calls, in hdr
	maskPos uint8  // masking key position of the next payload byte
	msgOp   Opcode // opcode of the data message in progress, 0 if none
	err     Error
	utf8    utf8State
	h       Header
	left    int // payload bytes of h not yet read
	msgLen  int // bytes of the current message so far
	hdr     [MaxHeaderSize]byte
}

// Reset makes r ready for a new connection, keeping its configuration and buffer.
func (r *Reader) Reset() {
	*r = Reader{Role: r.Role, Stream: r.Stream, MaxMessage: r.MaxMessage, Buf: r.Buf}
}

// failure returns the error that stopped the Reader, if any.
func (r *Reader) failure() error {
	if r.err == errNone {
		return nil
	}
	return r.err
}

// InMessage reports whether a fragmented data message is in progress.
func (r *Reader) InMessage() bool { return r.msgOp != 0 }

// AtFrame reports whether the next byte fed starts a frame header (no
// header or payload is part read), so a caller may look at the header
// before feeding it.
func (r *Reader) AtFrame() bool { return !r.inFrame && r.hdrN == 0 }

func (r *Reader) limit() int {
	if r.Stream {
		if r.MaxMessage > 0 {
			return r.MaxMessage
		}
		return maxInt
	}
	if r.MaxMessage > 0 && r.MaxMessage < len(r.Buf) {
		return r.MaxMessage
	}
	return len(r.Buf)
}

func (r *Reader) fail(err error) error {
	if e, ok := err.(Error); ok {
		r.err = e
	} else {
		r.err = ErrShortBuffer
	}
	return err
}

// Feed consumes bytes from in and returns how many it took and the event it
// completed, if any. It stops after one event, so call it again with
// in[n:] while n < len(in) and it makes progress; when it returns no event
// and n < len(in), the rest is the start of a control frame: keep it and
// call again with more bytes appended. It may modify in (unmasking in
// place).
func (r *Reader) Feed(in []byte) (n int, ev Event, err error) {
	n, err = r.feed(in, &ev)
	return n, ev, err
}

// feed is Feed into *ev, which must be zero: ConnReader calls it so that
// the large Event is written once in place rather than returned by value
// at each level and copied.
func (r *Reader) feed(in []byte, ev *Event) (n int, err error) {
	if r.err != errNone {
		return 0, r.err
	}
	for {
		if !r.inFrame {
			c, err := r.readHeader(in[n:])
			n += c
			if err == ErrNeedMore {
				return n, nil
			}
			if err != nil {
				return n, r.fail(err)
			}
			// A frame with an empty payload completes at once.
			if r.left == 0 {
				err = r.endFrame(ev, nil)
				if err != nil {
					return n, r.fail(err)
				}
				if ev.Kind != EventNone {
					return n, nil
				}
				continue
			}
		}
		if n == len(in) {
			return n, nil
		}
		k := len(in) - n
		if r.h.Op.IsControl() && k < r.left {
			// A control frame's payload is taken only whole (it is at most
			// 125 bytes): the caller keeps these bytes and calls again.
			return n, nil
		}
		if k > r.left {
			k = r.left
		}
		chunk := in[n : n+k]
		n += k
		err = r.payload(ev, chunk)
		if err != nil {
			return n, r.fail(err)
		}
		if ev.Kind != EventNone {
			return n, nil
		}
	}
}

// readHeader gathers and checks one frame header.
func (r *Reader) readHeader(in []byte) (int, error) {
	// The header is parsed straight into r.h (see parseHeader); r.h means
	// nothing until inFrame is set.
	h := &r.h
	var used int
	var err error
	if r.hdrN == 0 {
		// Fast path: the whole header is in in.
		used, err = parseHeader(h, in)
		if err == ErrNeedMore {
			r.hdrN = uint8(copy(r.hdr[:], in))
			return len(in), ErrNeedMore
		}
	} else {
		c := copy(r.hdr[r.hdrN:], in)
		used, err = parseHeader(h, r.hdr[:int(r.hdrN)+c])
		if err == ErrNeedMore {
			r.hdrN += uint8(c)
			return c, ErrNeedMore
		}
		if err == nil {
			used -= int(r.hdrN) // bytes of in that belonged to the header
		} else {
			used = c
		}
		r.hdrN = 0
	}
	if err != nil {
		return used, err
	}
	if err := r.checkHeader(h); err != nil {
		return used, err
	}
	r.inFrame = true
	r.left = h.Length
	r.maskPos = 0
	return used, nil
}

func (r *Reader) checkHeader(h *Header) error {
	if h.Rsv != 0 {
		return ErrReservedBits
	}
	if h.Op.isReserved() {
		return ErrReservedOpcode
	}
	if r.Role == Server && !h.Masked {
		return ErrMaskRequired
	}
	if r.Role == Client && h.Masked {
		return ErrMaskUnexpected
	}
	if h.Op.IsControl() {
		return nil // length and FIN already checked by ParseHeader
	}
	if h.Op == OpContinuation {
		if r.msgOp == 0 {
			return ErrUnexpectedContinue
		}
	} else {
		if r.msgOp != 0 {
			return ErrExpectedContinue
		}
		r.msgOp = h.Op
		r.msgLen = 0
		r.first = true
		r.utf8.reset()
	}
	if h.Length > r.limit()-r.msgLen {
		return ErrMessageTooBig
	}
	return nil
}

// payload handles the next chunk of the current frame's payload. It sets
// *ev when the chunk completes an event (events go through pointers here:
// returned by value, the large Event is copied and reloaded at each level).
func (r *Reader) payload(ev *Event, chunk []byte) error {
	r.left -= len(chunk)
	if r.h.Op.IsControl() {
		// The whole payload is here (Feed waits for it): unmask in place.
		if r.h.Masked {
			Mask(r.h.Mask, 0, chunk)
		}
		return r.endFrame(ev, chunk)
	}
	var data []byte
	if r.Stream {
		data = chunk
	} else {
		data = r.Buf[r.msgLen : r.msgLen+len(chunk)]
		copy(data, chunk)
	}
	if r.h.Masked {
		r.maskPos = uint8(Mask(r.h.Mask, int(r.maskPos), data))
	}
	r.msgLen += len(chunk)
	if r.msgOp == OpText && r.utf8.feed(data) >= 0 {
		return ErrInvalidUTF8
	}
	if r.Stream {
		// Field by field into *ev (see endFrame); the piece is final when
		// it ends the last frame of its message.
		ev.Kind, ev.Op, ev.Payload, ev.First = EventFragment, r.msgOp, data, r.first
		r.first = false
		if r.left == 0 {
			final, err := r.endData()
			if err != nil {
				*ev = Event{}
				return err
			}
			ev.Final = final
		}
		return nil
	}
	if r.left == 0 {
		return r.endFrame(ev, nil)
	}
	return nil
}

// endData finishes a data frame whose payload is read: final reports
// whether it ended its message, which then must be complete UTF-8 if text.
func (r *Reader) endData() (final bool, err error) {
	r.inFrame = false
	if !r.h.Fin {
		return false, nil
	}
	op := r.msgOp
	r.msgOp = 0
	if op == OpText && !r.utf8.complete() {
		return true, ErrInvalidUTF8
	}
	return true, nil
}

// endFrame finishes the current frame once its payload is read, setting
// *ev, which is zero, if the frame completes an event (field by field on
// the hot paths: a composite literal is built on the stack and copied
// whole, a stalled load). For control frames ctrl is the unmasked payload.
func (r *Reader) endFrame(ev *Event, ctrl []byte) error {
	h := &r.h
	r.inFrame = false
	switch h.Op {
	case OpPing:
		ev.Kind, ev.Op, ev.Payload = EventPing, OpPing, ctrl
		return nil
	case OpPong:
		ev.Kind, ev.Op, ev.Payload = EventPong, OpPong, ctrl
		return nil
	case OpClose:
		code, reason, err := parseClose(ctrl)
		if err != nil {
			return err
		}
		r.err = ErrClosed
		*ev = Event{Kind: EventClose, Op: OpClose, Code: code, Reason: reason, Payload: ctrl}
		return nil
	}
	if !h.Fin {
		if r.Stream && h.Length == 0 && r.first {
			// An empty first fragment still announces the message.
			r.first = false
			*ev = Event{Kind: EventFragment, Op: r.msgOp, First: true}
		}
		return nil
	}
	// The message is complete.
	op := r.msgOp
	if _, err := r.endData(); err != nil {
		return err
	}
	if r.Stream {
		*ev = Event{Kind: EventFragment, Op: op, Final: true, First: r.first}
		r.first = false
		return nil
	}
	ev.Kind, ev.Op, ev.Payload, ev.Final = EventMessage, op, r.Buf[:r.msgLen], true
	return nil
}
