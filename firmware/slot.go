package firmware

import "github.com/wslab/wslab/core"

type slotState uint8

const (
	stFree    slotState = iota
	stHead              // reading a request head
	stBody              // reading an upload body
	stRespond           // sending a response body
	stWS                // WebSocket open
	stClosing           // sending what is left, then the host closes
)

type endpoint uint8

const (
	epEcho endpoint = iota
	epSink
	epSource
	epBroadcast
)

type bodySource uint8

const (
	srcNone bodySource = iota
	srcMem
	srcFile
	srcStats
)

// maxQueue bounds Config.QueueLen.
const maxQueue = 1024

// Slot is one connection's state machine and buffers. The host feeds it:
//
//	buf := s.RxSpace()        // read socket bytes into buf (nil: not now)
//	s.Received(n, now)
//	out := s.TxPending()      // write these to the socket
//	s.Sent(written, now)
//	s.Tick(now)               // at s.Deadline()
//	if s.Done() { close the socket; s.Release(now) }
//
// and calls PeerEOF when the client's side ends with a FIN, PeerClosed when
// the connection fails.
type Slot struct {
	b *Board

	rs, re int // unread bytes in rxb()
	ts, te int // unsent bytes in txb()

	scanned   int   // bytes of the head already searched for its end
	lastIn    int64 // last time bytes arrived
	lastOut   int64 // last time bytes left, or tx became non-empty
	headStart int64 // first byte of the current request head (0: none yet)

	// response body, upload body
	src  bodySource
	file File
	up   Upload
	// left counts what remains of the file being sent, the upload being
	// received, or the /ws/source message being written (one at a time).
	left int64

	// WebSocket
	rd      core.Reader
	pingAt  int64 // when the board pinged an idle client (0: none pending)
	ownedAt int64 // since when this slot owns the broadcast buffer

	// /ws/source
	srcSize, srcCount, srcSent int64
	srcEvery, srcNext          int64 // ns between messages (0: as fast as the link takes them)

	// echo queue (Config.QueueLen, queue.go)
	txSent uint64 // bytes ever sent from tx
	opened int64  // when the connection was accepted

	// The small fields together, so the struct packs (a board holds one
	// Slot per connection).
	idx    int32
	memOff int32 // bytes of the page or stats document already sent (a page is at most MaxBuf)
	pLen   int32 // bytes waiting in the slot's chain of queue chunks
	qFrame int32 // payload length of the frame a new echoed message starts with
	// qN counts outstanding messages: the qWait oldest of them wait (some
	// of their frames are still in the chain), the rest are whole in tx and
	// have their end in qEnds from qHead on.
	qHead, qN, qWait int32
	// The chain of queue chunks: first and last chunk, the read offset in
	// the first and the fill of the last, chunks held.
	pHead, pTail, pRd, pWr, pN int32
	state                      slotState
	ep                         endpoint
	srcOp                      core.Opcode
	keepAlive                  bool
	// kept: a response went out and the connection stays open for the next
	// request, which may take IdleTimeout to come. Until then the first
	// request is due within HeaderTimeout of the accept, so a connection
	// that sends nothing does not hold a slot for IdleTimeout.
	kept      bool
	eof       bool // the client sent its FIN: answer what arrived, then close
	closeSent bool
	closeRecv bool
	owner     bool // this slot fills the board's broadcast buffer
	waiting   bool // this slot waits for a shared buffer
	// /stats, /metrics; statsFiles: GET /files, the file list rendered
	// into the stats buffer too
	statsMetrics, statsHead, statsFiles bool
	srcMid                              bool // /ws/source: a message is part sent; left counts what remains
	dropping                            bool // echo queue: dropping messages while full
	midEcho                             bool // a message is being echoed piece by piece
}

// rxb and txb are the slot's buffers in the board's memory. They are
// worked out rather than stored: the board keeps thousands of slots.
func (s *Slot) rxb() []byte {
	c := &s.b.cfg
	o := int(s.idx) * (c.RxBuf + c.TxBuf)
	return s.b.mem[o : o+c.RxBuf : o+c.RxBuf]
}

func (s *Slot) txb() []byte {
	c := &s.b.cfg
	o := int(s.idx)*(c.RxBuf+c.TxBuf) + c.RxBuf
	return s.b.mem[o : o+c.TxBuf : o+c.TxBuf]
}

// Index is the slot's number on its board.
func (s *Slot) Index() int { return int(s.idx) }

// InUse reports whether the slot holds a connection.
func (s *Slot) InUse() bool { return s.state != stFree }

// IsWebSocket reports whether the connection has been upgraded.
func (s *Slot) IsWebSocket() bool { return s.state == stWS }

func (s *Slot) open(now int64) {
	b, idx := s.b, s.idx
	*s = Slot{b: b, idx: idx, state: stHead, lastIn: now, lastOut: now, opened: now}
}

// TxAppended is the count of bytes ever put in the slot's tx buffer since
// it was opened; a host that delays output (link emulation) uses it to
// know when new bytes appeared.
func (s *Slot) TxAppended() uint64 { return s.txSent + uint64(s.te-s.ts) }

// Release returns the slot to the board once the host closed the
// connection. An unfinished upload is discarded, so the old file stays.
func (s *Slot) Release(now int64) {
	if s.state == stFree {
		return
	}
	s.cleanup()
	s.state = stFree
	s.b.release(s)
}

func (s *Slot) cleanup() {
	b := s.b
	if s.qN > 0 || s.pN > 0 {
		s.queueRelease()
	}
	if s.up != nil {
		s.up.Abort()
		s.up = nil
		b.st.UploadsAborted++
	}
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
	if s.src == srcStats && b.statsOwner == int(s.idx) {
		s.releaseStats()
	}
	s.src = srcNone
	if s.owner {
		s.releaseBroadcast()
	}
	if s.waiting {
		s.waiting = false
		b.bcastWait = removeIdx(b.bcastWait, s.idx)
		b.statsWait = removeIdx(b.statsWait, s.idx)
	}
}

func removeIdx(l []int32, i int32) []int32 {
	for k, v := range l {
		if v == i {
			return append(l[:k], l[k+1:]...)
		}
	}
	return l
}

// RxSpace returns where the host should read the next socket bytes into,
// or nil when the slot cannot take bytes now (its buffer is full of bytes it
// cannot process until its output drains, or it is closing).
func (s *Slot) RxSpace() []byte {
	if s.state == stFree || s.state == stClosing {
		return nil
	}
	if s.rs == s.re {
		s.rs, s.re, s.scanned = 0, 0, 0
	} else if s.re == len(s.rxb()) && s.rs > 0 {
		n := copy(s.rxb(), s.rxb()[s.rs:s.re])
		s.scanned -= s.rs
		if s.scanned < 0 {
			s.scanned = 0
		}
		s.rs, s.re = 0, n
	}
	if s.re == len(s.rxb()) {
		return nil
	}
	return s.rxb()[s.re:]
}

// Received tells the slot n bytes were read into RxSpace at time now.
func (s *Slot) Received(n int, now int64) {
	if n <= 0 || s.state == stFree {
		return
	}
	s.re += n
	s.lastIn = now
	s.b.nowHint = now
	s.pingAt = 0
	s.b.st.BytesIn += uint64(n)
	if s.state == stHead && s.headStart == 0 {
		s.headStart = now
	}
	s.process(now)
}

// TxPending returns the bytes waiting to be sent.
func (s *Slot) TxPending() []byte { return s.txb()[s.ts:s.te] }

// Sent tells the slot n bytes of TxPending were written at time now.
func (s *Slot) Sent(n int, now int64) {
	if n <= 0 || s.state == stFree {
		return
	}
	s.ts += n
	s.lastOut = now
	s.b.nowHint = now
	s.b.st.BytesOut += uint64(n)
	s.txSent += uint64(n)
	q := s.qRing()
	for s.qN > s.qWait && q[s.qHead] <= s.txSent {
		s.qHead = (s.qHead + 1) % int32(len(q))
		s.qN--
		s.b.qMsgs--
	}
	if s.ts == s.te {
		s.ts, s.te = 0, 0
	}
	s.process(now)
}

// PeerClosed tells the slot the client ended its side (EOF or reset).
func (s *Slot) PeerClosed(now int64) {
	if s.state == stWS && !s.closeRecv {
		s.b.st.Abnormal++
	}
	s.cleanup()
	s.state = stClosing
	s.ts, s.te = 0, 0
}

// PeerEOF tells the slot the client will send nothing more (a FIN: it
// shut down its sending side and may still be reading). Requests that
// arrived whole are answered in full and the connection then closes; an
// unfinished upload or a WebSocket ends as with PeerClosed.
func (s *Slot) PeerEOF(now int64) {
	switch s.state {
	case stHead, stRespond:
		s.eof = true
		s.process(now)
	case stClosing:
		// What is left in tx still goes out.
	default:
		s.PeerClosed(now)
	}
}

// Done reports whether the host should close the connection now.
func (s *Slot) Done() bool { return s.state == stClosing && s.ts == s.te }

// Deadline returns when Tick must run next (0: no timer).
func (s *Slot) Deadline() int64 {
	c := &s.b.cfg
	switch s.state {
	case stHead:
		if s.headStart != 0 {
			return s.headStart + c.HeaderTimeout
		}
		if !s.kept {
			return s.lastIn + c.HeaderTimeout
		}
		return s.lastIn + c.IdleTimeout
	case stBody:
		return s.lastIn + c.HeaderTimeout
	case stRespond, stClosing:
		return s.lastOut + c.IdleTimeout
	case stWS:
		d := s.lastIn + c.PingInterval
		if s.pingAt != 0 {
			d = s.pingAt + c.PongTimeout
		} else if !s.closeSent && s.txRoom() < pingRoom {
			// The ping is due when tx has room for it, which Sent will
			// make; a client that takes nothing for PongTimeout is gone.
			d = max(d, s.lastOut+c.PongTimeout)
		}
		if s.closeSent {
			if cd := s.lastOut + c.PongTimeout; cd < d {
				d = cd
			}
		}
		if s.owner && s.ownedAt+c.HeaderTimeout < d {
			d = s.ownedAt + c.HeaderTimeout
		}
		// The next source message is due at srcNext if tx can take it
		// then; mid-message, or without room, Sent drives it instead.
		if s.ep == epSource && s.srcSent < s.srcCount && s.srcEvery > 0 && s.srcNext < d &&
			!s.srcMid && s.txRoom() >= core.MaxHeaderSize+ctrlReserve {
			d = s.srcNext
		}
		return d
	}
	return 0
}

// Tick runs the slot's timers at time now: the slowloris and idle
// timeouts, pinging an idle WebSocket client and dropping it when it does
// not answer, and the /ws/source pacing.
func (s *Slot) Tick(now int64) {
	c := &s.b.cfg
	s.b.nowHint = now
	switch s.state {
	case stHead:
		if s.headStart != 0 && now-s.headStart >= c.HeaderTimeout {
			s.b.st.Timeouts++
			s.b.st.HTTPRequests++ // answered, so counted
			s.fail(408)           // a head that dribbles in too slowly
		} else if s.headStart == 0 && (now-s.lastIn >= c.IdleTimeout || !s.kept && now-s.lastIn >= c.HeaderTimeout) {
			s.b.st.Timeouts++
			s.closeNow() // not a byte of a request: nothing to answer
		}
	case stBody:
		if now-s.lastIn >= c.HeaderTimeout {
			s.b.st.Timeouts++
			s.closeNow() // a stalled upload is discarded
		}
	case stRespond, stClosing:
		if now-s.lastOut >= c.IdleTimeout {
			s.b.st.Timeouts++
			s.closeNow()
		}
	case stWS:
		if s.closeSent && now-s.lastOut >= c.PongTimeout {
			s.closeNow() // the client never answered our close
			return
		}
		if s.owner && now-s.ownedAt >= c.HeaderTimeout {
			// A broadcast message begun and not finished within the
			// header timeout blocks every other sender: end it (1008).
			s.b.st.Timeouts++
			s.policyClose()
			return
		}
		if s.pingAt != 0 {
			if now-s.pingAt >= c.PongTimeout {
				s.b.st.Timeouts++
				s.b.st.Abnormal++
				s.closeNow()
			}
			return
		}
		if now-s.lastIn >= c.PingInterval && !s.closeSent {
			if s.txFree() >= pingRoom {
				s.te = len(core.AppendFrame(s.txb()[:s.te], true, core.OpPing, pingPayload, false, [4]byte{}))
				s.b.st.PingsSent++
				s.pingAt = now
			} else if now-s.lastOut >= c.PongTimeout {
				// Neither reading nor sending: its tx never drains.
				s.b.st.Timeouts++
				s.b.st.Abnormal++
				s.closeNow()
				return
			}
		}
		s.process(now)
	}
}

var pingPayload = []byte("idle")

// pingRoom is the tx room an idle ping takes.
const pingRoom = core.MaxHeaderSize + 4

// txRoom is the free space of tx once compacted, without compacting it.
func (s *Slot) txRoom() int { return len(s.txb()) - (s.te - s.ts) }

// closeNow drops the connection without sending anything more.
func (s *Slot) closeNow() {
	s.cleanup()
	s.state = stClosing
	s.ts, s.te = 0, 0
}

// txFree compacts the tx buffer and returns its free space.
func (s *Slot) txFree() int {
	if s.ts > 0 {
		n := copy(s.txb(), s.txb()[s.ts:s.te])
		s.ts, s.te = 0, n
	}
	return len(s.txb()) - s.te
}

// process advances the state machine as far as the buffers allow.
func (s *Slot) process(now int64) {
	for {
		before := s.state
		switch s.state {
		case stHead:
			s.doHead(now)
		case stBody:
			s.doBody(now)
		case stRespond:
			s.doRespond()
		case stWS:
			s.doWS(now)
		}
		if s.state == before {
			return
		}
	}
}

// qRing is the slot's ring of the tx offsets where its outstanding echoed
// messages end (QueueLen entries of the board's qEnds; empty without a
// queue). A slice into the board's array rather than a slice header in
// every Slot: 24 bytes a connection.
func (s *Slot) qRing() []uint64 {
	n, i := s.b.cfg.QueueLen, int(s.idx)
	return s.b.qEnds[i*n : (i+1)*n : (i+1)*n]
}
