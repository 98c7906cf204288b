package firmware

import "github.com/wslab/wslab/core"

// Source endpoint defaults and bounds (query: size, count, rate, type).
const (
	DefaultSourceSize  = 1024
	DefaultSourceCount = 1000
	MaxSourceCount     = 1 << 40
	// MaxSourceSize bounds one source message: it must fit an int on a
	// 32-bit board before it is converted (a larger size is a 400).
	MaxSourceSize = 1<<31 - 1
)

// upgrade completes the WebSocket handshake for /ws, /ws/sink,
// /ws/source and /ws/broadcast.
func (s *Slot) upgrade(req *core.Request, now int64) {
	var ep endpoint
	switch p := req.Path; {
	case core.Equal(p, "/ws"):
		ep = epEcho
	case core.Equal(p, "/ws/sink"):
		ep = epSink
	case core.Equal(p, "/ws/source"):
		ep = epSource
	case core.Equal(p, "/ws/broadcast"):
		ep = epBroadcast
	default:
		s.fail(404)
		return
	}
	if err := req.CheckUpgrade(); err != nil {
		if err == core.ErrMethod {
			s.methodNotAllowed("Allow: GET\r\n") // RFC 9110 15.5.6: a 405 names the allowed methods
			return
		}
		s.fail(core.HTTPStatus(err))
		return
	}
	if ep == epSource && queryInt(req.Query, "size", DefaultSourceSize) > MaxSourceSize {
		s.fail(400) // a number is bounded before it is converted to an int
		return
	}
	s.countStatus(101)
	s.te = len(core.AppendUpgradeResponse(s.txb()[:s.te], req.Key, nil))
	s.b.st.Upgrades++
	s.state = stWS
	s.ep = ep
	s.lastIn = now
	s.rd = core.Reader{Role: core.Server, Stream: true, MaxMessage: s.b.cfg.MaxMessage}
	if s.b.cfg.FailMode == FailEvictOldest {
		s.b.evictOldest(s, now)
	}
	switch ep {
	case epBroadcast:
		// Whole messages, reassembled in the board's shared buffer, so
		// two senders never interleave fragments at a receiver.
		s.rd.Stream = false
		s.rd.Buf = s.b.bcast
	case epSource:
		q := req.Query
		s.srcSize = queryInt(q, "size", DefaultSourceSize)
		s.srcCount = queryInt(q, "count", DefaultSourceCount)
		if s.srcCount > MaxSourceCount {
			s.srcCount = MaxSourceCount
		}
		if rate := queryInt(q, "rate", 0); rate > 0 {
			s.srcEvery = Second / rate
		}
		s.srcOp = core.OpBinary
		if queryHas(q, "type", "text") {
			s.srcOp = core.OpText
		}
		s.srcNext = now
	}
}

// ctrlReserve is the tx room kept for a pong or close reply.
const ctrlReserve = core.MaxHeaderSize + core.MaxControlPayload

// doWS decodes what arrived and acts on it, as far as tx has room.
func (s *Slot) doWS(now int64) {
	if s.ep == epSource {
		s.pushSource(now)
	}
	if s.pLen > 0 {
		s.queuePump() // tx drained: waiting frames move in
	}
	for s.state == stWS && s.rs < s.re {
		if s.pLen > 0 {
			s.queuePump()
		}
		free := s.txFree()
		if free < ctrlReserve {
			return // back-pressure: wait until the client takes its bytes
		}
		in := s.rxb()[s.rs:s.re]
		if s.ep == epEcho {
			// An echoed piece is at most its input plus a header.
			lim := free - core.MaxHeaderSize
			if s.b.cfg.QueueLen > 0 && !s.dropping {
				// With a drop queue a piece goes to tx with room to spare
				// for a control reply, or to the queue's heap.
				lim = 0
				if s.pLen == 0 {
					lim = free - core.MaxHeaderSize - ctrlReserve
				}
				ovh := QueueMsgOverhead
				if s.midEcho {
					ovh = 0
				}
				lim = max(lim, s.queuePayloadRoom(s.queueRoom(ovh)))
				if !s.midEcho && !s.rd.InMessage() && s.rd.AtFrame() {
					// A new message is admitted whole or dropped (the
					// library allocates it at once): echo judges it by its
					// first frame's length.
					s.qFrame = 0
					if h, _, err := core.ParseHeader(in); err == nil && !h.Op.IsControl() {
						s.qFrame = int32(min(h.Length, 1<<31-1)) // bounded before it is converted (a header may claim 2^63)
						if !s.queueAdmits(h.Length) {
							lim = len(in)
						}
					}
				}
				if !s.midEcho && lim < 64 {
					lim = len(in) // read on and let echo drop it
				} else if lim < 1 {
					return // mid-message with the heap full: wait for it to drain
				}
			}
			if len(in) > lim {
				in = in[:lim]
			}
		}
		if s.ep == epBroadcast && !s.owner {
			var ok bool
			if in, ok = s.broadcastGate(in); !ok {
				return
			}
		}
		n, ev, err := s.rd.Feed(in)
		s.rs += n
		if err != nil {
			s.protocolError(err)
			return
		}
		if ev.Kind != core.EventNone {
			s.event(&ev, now)
		} else if n == 0 {
			return
		}
	}
}

func (s *Slot) event(ev *core.Event, now int64) {
	b := s.b
	switch ev.Kind {
	case core.EventPing:
		if !s.closeSent { // after its close the board sends nothing (RFC 6455 5.5.1)
			s.te = len(core.AppendFrame(s.txb()[:s.te], true, core.OpPong, ev.Payload, false, [4]byte{}))
		}
	case core.EventPong:
		// Any frame already cleared pingAt in Received.
	case core.EventClose:
		s.closeRecv = true
		b.st.ClosesRecv[closeIndex(ev.Code)]++
		if !s.closeSent {
			// Echo the code, as RFC 6455 5.5.1 suggests; an empty close is
			// answered with an empty close.
			s.te = len(core.AppendClose(s.txb()[:s.te], ev.Code, nil, false, [4]byte{}))
			s.closeSent = true
			if ev.Code != core.CloseNoStatus {
				b.st.ClosesSent[closeIndex(ev.Code)]++
			}
		}
		s.closeAfterFlush()
	case core.EventFragment:
		if ev.Final {
			b.st.MsgsIn++
		}
		if s.ep == epEcho {
			s.echo(ev)
		}
	case core.EventMessage: // broadcast
		b.st.MsgsIn++
		s.broadcast(ev.Op, ev.Payload)
		s.releaseBroadcast()
	}
}

// echo sends a piece of a message back as a frame of its own.
func (s *Slot) echo(ev *core.Event) {
	b := s.b
	queue := b.cfg.QueueLen > 0
	if ev.First && queue {
		// The AsyncWebSocket policy: a full queue drops new messages, and
		// so does a heap without room for the message's first piece.
		s.dropping = int(s.qN) >= s.b.cfg.QueueLen || !s.queueAdmits(max(len(ev.Payload), int(s.qFrame)))
		s.qFrame = 0
		if !s.dropping {
			s.qN++
			s.qWait++
			b.qMsgs++
		}
	}
	if s.dropping {
		if ev.Final {
			b.st.MsgsDropped++
			s.dropping = false
		}
		return
	}
	op := core.OpContinuation
	if ev.First {
		op = ev.Op
	}
	s.midEcho = !ev.Final
	if queue && !s.queueDirect(len(ev.Payload)) {
		s.queueFrames(ev.Final, op, ev.Payload) // doWS bounded the piece by the heap's room
	} else {
		s.te = len(core.AppendFrame(s.txb()[:s.te], ev.Final, op, ev.Payload, false, [4]byte{}))
		if queue && ev.Final {
			s.queueSent()
		}
	}
	if ev.Final {
		b.st.MsgsOut++
	}
}

// protocolError fails the connection with the close code for err.
func (s *Slot) protocolError(err error) {
	code := core.CloseCodeOf(err)
	s.b.st.ClosesSent[closeIndex(code)]++
	if s.txFree() >= ctrlReserve && !s.closeSent {
		s.te = len(core.AppendClose(s.txb()[:s.te], code, nil, false, [4]byte{}))
		s.closeSent = true
	}
	s.rs, s.re = 0, 0
	s.closeAfterFlush()
}

// policyClose fails the connection with 1008 (policy violation).
func (s *Slot) policyClose() {
	code := core.ClosePolicyViolation
	s.b.st.ClosesSent[closeIndex(code)]++
	if s.txFree() >= ctrlReserve && !s.closeSent {
		s.te = len(core.AppendClose(s.txb()[:s.te], code, nil, false, [4]byte{}))
		s.closeSent = true
	}
	s.rs, s.re = 0, 0
	s.closeAfterFlush()
}

// broadcastGate lets a broadcast slot that does not own the shared buffer
// feed only whole control frames; a data frame makes it the owner if the
// buffer is free, or makes it wait.
func (s *Slot) broadcastGate(in []byte) ([]byte, bool) {
	h, hn, err := core.ParseHeader(in)
	if err == core.ErrNeedMore {
		return nil, false
	}
	if err != nil {
		return in, true // let the reader report it
	}
	if h.Op.IsControl() {
		if hn+h.Length > len(in) {
			return nil, false
		}
		return in[:hn+h.Length], true
	}
	b := s.b
	if b.bcastOwner >= 0 {
		if !s.waiting {
			s.waiting = true
			b.bcastWait = append(b.bcastWait, s.idx)
		}
		return nil, false
	}
	b.bcastOwner = int(s.idx)
	s.owner = true
	s.ownedAt = b.nowHint
	return in, true
}

func (s *Slot) releaseBroadcast() {
	b := s.b
	if !s.owner {
		return
	}
	s.owner = false
	b.bcastOwner = -1
	for _, i := range b.bcastWait {
		b.slots[i].waiting = false
		b.wakeSlot(i)
	}
	b.bcastWait = b.bcastWait[:0]
}

// broadcast puts one message into the tx buffer of every broadcast client
// (the sender included); a client without room for it misses it, and that
// is counted as a drop, so one slow client never stalls the others.
func (s *Slot) broadcast(op core.Opcode, payload []byte) {
	b := s.b
	size := core.FrameSize(len(payload), false)
	for i := range b.slots {
		t := &b.slots[i]
		if t.state != stWS || t.ep != epBroadcast || t.closeSent {
			continue
		}
		if t.txFree() < size+ctrlReserve {
			b.st.MsgsDropped++
			continue
		}
		t.te = len(core.AppendFrame(t.txb()[:t.te], true, op, payload, false, [4]byte{}))
		b.st.MsgsOut++
		if t != s {
			b.wakeSlot(t.idx)
		}
	}
}

// doneReason is the reason of the close that ends a /ws/source stream.
var doneReason = []byte("done")

// pushSource writes /ws/source messages into tx as room and pacing allow.
// Every frame goes into tx whole, header and payload at once: a message
// larger than what tx has room for is sent as fragments, so a pong, an
// idle ping or a close reply the board appends later always lands between
// frames (RFC 6455 5.4), never inside a payload.
func (s *Slot) pushSource(now int64) {
	b := s.b
	for !s.closeSent {
		if !s.srcMid {
			if s.srcSent >= s.srcCount {
				if s.txFree() >= ctrlReserve {
					s.te = len(core.AppendClose(s.txb()[:s.te], core.CloseNormal, doneReason, false, [4]byte{}))
					s.closeSent = true
					b.st.ClosesSent[0]++
				}
				return
			}
			if s.srcEvery > 0 && now < s.srcNext {
				return
			}
			if s.txFree() < core.MaxHeaderSize+ctrlReserve {
				return
			}
			s.srcMid, s.left = true, s.srcSize
			if s.srcEvery > 0 {
				s.srcNext += s.srcEvery
				if s.srcNext < now-Second {
					s.srcNext = now // do not burst to catch up after a long stall
				}
			}
		}
		room := int64(s.txFree() - ctrlReserve - core.MaxHeaderSize)
		k := s.left
		if k > room {
			// Not all of the rest fits: a fragment, but not a tiny one.
			if k = room; room < int64(len(s.txb())-ctrlReserve-core.MaxHeaderSize)/2 {
				return
			}
		}
		if k < 0 {
			return
		}
		off := s.srcSize - s.left
		op := s.srcOp
		if off > 0 {
			op = core.OpContinuation
		}
		fin := k == s.left
		s.te = len(core.AppendHeader(s.txb()[:s.te], core.Header{Fin: fin, Op: op, Length: int(k)}))
		// A recognisable payload: the message's bytes count up from 'a'.
		p := s.txb()[s.te : s.te+int(k)]
		for i := range p {
			p[i] = 'a' + byte((off+int64(i))%26)
		}
		s.te += int(k)
		s.left -= k
		if fin {
			s.srcMid = false
			s.srcSent++
			b.st.MsgsOut++
		}
	}
}
