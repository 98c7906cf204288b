//go:build linux

package loadgen

import (
	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/results"
)

type connState uint8

const (
	csIdle      connState = iota // no socket
	csDialing                    // TCP connect in progress
	csHandshake                  // request sent, waiting for 101
	csOpen                       // WebSocket open
	csClosing                    // close frame queued or sent, waiting for the end
)

// stamp is when a message was meant to leave and when it did.
type stamp struct{ intended, actual int64 }

// conn is one client connection slot. Its buffers are made once, when the
// worker is made, and reused by every connection the slot opens.
type conn struct {
	w   *worker
	i   int   // index in w.conns
	gid int   // global connection number over all shards
	gen int32 // bumped when the socket closes, to ignore stale events
	fd  int
	st  connState

	addr   int // source address index
	dialAt int64
	key    [core.ClientKeyLen]byte

	rx []byte
	re int
	tx []byte
	ts int
	te int
	rd core.Reader

	writable                   bool
	outWanted                  bool // write readiness is reported
	outLeft, outPos, outMaskAt int
	outKey                     [4]byte
	pong                       [core.MaxControlPayload]byte
	pongN                      int
	pongPending                bool
	closePending, closeSent    bool
	closeRecv                  bool

	// messages; sequence numbers count over the slot's whole life
	queued   int64 // scheduled (open loop) or sent (closed loop)
	sent     int64
	recvNext int64 // the next sequence number expected back
	ring     []stamp
	onConn   int64 // messages answered on this connection
	inLen    int
	stampBuf [48]byte
	stampN   int
	bseq     int64 // broadcast: the next sequence number expected
	lastIn   int64 // stream: when the last message arrived on this connection (0: none yet)

	redial      bool // reopen once closed (soak reconnections)
	reconnect   bool // close once nothing is in flight
	finished    bool // stream: the board ended it with 1000
	abandoned   bool // given up after the drain deadline: ignore data
	countedOpen bool
	dialSoon    bool // dial at the next deadline (a churn cycle or reconnection)
	lives       int  // connections the slot opened
}

func newConn(w *worker, i, gid int) *conn {
	e := w.e
	c := &conn{w: w, i: i, gid: gid, fd: -1}
	c.rx = make([]byte, e.rxLen)
	c.tx = make([]byte, e.txLen)
	if e.ringLen > 0 {
		c.ring = make([]stamp, e.ringLen)
	}
	c.rd = core.Reader{Role: core.Client, Stream: true}
	return c
}

func (c *conn) setDeadline(t int64) { c.w.dl.Set(c.i, t) }

func (c *conn) closing() bool { return c.closePending || c.closeSent || c.reconnect }

// dial opens a new connection to the target.
func (c *conn) dial(now int64) {
	w := c.w
	if w.sc.rule == ruleCycle {
		w.cycles++
	}
	w.attempts++
	res, k := w.io.dial(c)
	if res == dialNoSocket {
		c.failDial(now, k)
		return
	}
	c.dialAt = now
	if w.firstDial == 0 {
		w.firstDial = now
	}
	c.st = csDialing
	c.resetIO()
	w.active++
	w.dialing++
	c.outWanted = true // the transport reports write readiness while connecting
	switch res {
	case dialNow:
		c.connected(now)
	case dialPending:
		c.setDeadline(now + int64(w.s.DialTimeout))
	default:
		c.failed(now, k)
	}
}

func (c *conn) resetIO() {
	c.re, c.ts, c.te = 0, 0, 0
	c.writable = false
	c.outLeft, c.pongPending, c.closePending, c.closeSent, c.closeRecv = 0, false, false, false, false
	c.reconnect, c.finished, c.abandoned, c.countedOpen = false, false, false, false
	c.onConn, c.inLen, c.stampN = 0, 0, 0
	c.rd.Reset()
}

// failDial counts a connection attempt that failed before it had a socket.
func (c *conn) failDial(now int64, k errKind) {
	w := c.w
	w.errs.add(k, 1)
	w.lane.errors++
	w.failed++
	w.e.noteFail(c.gid, errNames[k])
	c.st = csIdle
	c.afterClose(now)
}

// failed ends a connection attempt (dial or handshake) with error k.
func (c *conn) failed(now int64, k errKind) {
	w := c.w
	w.errs.add(k, 1)
	w.lane.errors++
	if refusal(k) {
		w.refused++
	} else {
		w.failed++
	}
	w.e.noteFail(c.gid, errNames[k])
	c.closeFD(now)
}

func (c *conn) connected(now int64) {
	e := c.w.e
	c.st = csHandshake
	c.writable = true
	c.lastIn = 0
	c.key = core.NewClientKey(c.w.mask)
	c.te = len(core.AppendClientRequest(c.tx[:0], e.hostB, e.pathB, c.key[:], nil))
	c.setDeadline(now + int64(c.w.s.DialTimeout))
	c.wantOut(false)
	c.flush(now)
}

// connectDone ends a pending connect: k is eNone when it succeeded.
func (c *conn) connectDone(now int64, k errKind) {
	if k != eNone {
		c.failed(now, k)
		return
	}
	c.connected(now)
}

// onWritable handles the transport's report that bytes can be written.
func (c *conn) onWritable(now int64) {
	c.writable = true
	c.wantOut(false)
	c.flush(now)
	if c.fd < 0 {
		return
	}
	c.pump(now)
}

// flush writes pending bytes, refilling from the frame in progress and
// the queued control frames, until the socket is full or nothing is left.
func (c *conn) flush(now int64) {
	for c.fd >= 0 {
		if c.ts == c.te {
			c.ts, c.te = 0, 0
			switch {
			case c.outLeft > 0:
				c.fill()
			case c.pongPending:
				c.pongPending = false
				c.te = len(core.AppendFrame(c.tx[:0], true, core.OpPong, c.pong[:c.pongN], true, c.w.mask.NextMask()))
			case c.closePending:
				c.closePending = false
				c.closeSent = true
				c.te = len(core.AppendClose(c.tx[:0], core.CloseNormal, nil, true, c.w.mask.NextMask()))
			default:
				return
			}
		}
		if !c.writable {
			return
		}
		n, st, k := c.w.io.write(c, c.tx[c.ts:c.te])
		if n > 0 {
			c.ts += n
		}
		switch st {
		case ioAgain:
			c.writable = false
			c.wantOut(true)
			return
		case ioFail, ioEOF:
			c.lostIO(now, k)
			return
		}
	}
}

// fill copies (and masks) the next part of the frame in progress into tx.
func (c *conn) fill() {
	k := min(c.outLeft, len(c.tx)-c.te)
	if k <= 0 {
		return
	}
	dst := c.tx[c.te : c.te+k]
	copy(dst, c.w.payload[c.outPos:c.outPos+k])
	c.outMaskAt = core.Mask(c.outKey, c.outMaskAt, dst)
	c.te += k
	c.outPos += k
	c.outLeft -= k
}

// wantSend reports whether the connection should send a message now.
func (c *conn) wantSend(now int64) bool {
	w := c.w
	if c.st != csOpen || c.closing() {
		return false
	}
	if w.e.paced {
		return c.sent < c.queued && (w.phase == phMeasure || w.phase == phDrain)
	}
	if w.phase != phMeasure || (w.end > 0 && now >= w.end) || c.doneSending() {
		return false
	}
	switch w.sc.rule {
	case ruleSink:
		return true
	case ruleBroadcast:
		return c.gid == 0 && c.sent == c.recvNext
	case ruleEcho:
		return c.sent-c.recvNext < int64(w.s.Window)
	}
	return false
}

// doneSending reports whether the connection has sent all it will.
func (c *conn) doneSending() bool {
	if c.w.sc.rule == ruleStream {
		return c.finished
	}
	return c.quotaDone() || (c.st == csIdle && !c.redial && !c.dialSoon)
}

// quotaDone reports whether the connection has nothing left to send by
// its scenario's rule and Count, whatever the state of its connection: a
// connection that died before its count is not done, its messages are
// owed (unsent).
func (c *conn) quotaDone() bool {
	s := c.w.s
	switch c.w.sc.rule {
	case ruleHold, ruleCycle:
		return true
	case ruleStream:
		return c.finished
	case ruleBroadcast:
		if c.gid != 0 {
			return true
		}
	}
	return s.Count > 0 && c.queued >= s.Count
}

// pump sends what the scenario wants sent, batching whole frames into one
// write when several are due.
func (c *conn) pump(now int64) {
	if c.st != csOpen {
		return
	}
	size := c.w.s.Size
	need := core.FrameSize(size, true)
	for c.writable && c.outLeft == 0 && c.wantSend(now) {
		if c.te > 0 && len(c.tx)-c.te < need {
			c.flush(now)
			if c.fd < 0 || c.te > 0 {
				return
			}
			continue
		}
		c.send(now)
	}
	c.flush(now)
}

// send builds the next message's frame into tx. The per-message path: no
// allocation.
func (c *conn) send(now int64) {
	w := c.w
	e := w.e
	s := w.s
	seq := c.sent
	intended := now
	if e.paced {
		intended = c.ring[seq&int64(len(c.ring)-1)].intended
	}
	fl := fieldLen(s.Text)
	if e.stampLen > 0 && s.Size >= fl {
		if w.sc.rule == ruleBroadcast {
			// The stamp says whose clock its times are on.
			putField(w.payload, uint64(seq)|e.clockTag<<seqBits, s.Text)
			putField(w.payload[fl:], uint64(intended), s.Text)
			putField(w.payload[2*fl:], uint64(now), s.Text)
		} else {
			putField(w.payload, uint64(seq), s.Text)
		}
	}
	c.outKey = w.mask.NextMask()
	c.te = len(core.AppendHeader(c.tx[:c.te], core.Header{Fin: true, Op: w.op, Length: s.Size, Masked: true, Mask: c.outKey}))
	c.outLeft, c.outPos, c.outMaskAt = s.Size, 0, 0
	c.fill()
	if c.ring != nil {
		c.ring[seq&int64(len(c.ring)-1)] = stamp{intended, now}
	}
	c.sent++
	if !e.paced {
		c.queued = c.sent
	}
	if w.sc.rule == ruleSink {
		c.recvNext = c.sent // nothing comes back: the message leaves the ring when sent
	}
	w.sent++
	w.bsent += int64(s.Size)
	w.lane.msgsSent++
	w.lane.bytesSent += int64(s.Size)
	if e.paced {
		w.lane.record(hLateness, now-intended)
	}
	if w.sc.rule == ruleBroadcast {
		e.bcastSent.Store(c.sent)
	}
}

// canTake reports whether an open-loop message can be queued on the
// connection now: open, not closing or done, and room in its ring.
func (c *conn) canTake() bool {
	return c.st == csOpen && !c.closing() && !c.doneSending() && c.queued-c.recvNext < int64(len(c.ring))
}

// enqueue schedules an open-loop message intended for time intended; the
// caller checked canTake.
func (c *conn) enqueue(intended, now int64) {
	c.ring[c.queued&int64(len(c.ring)-1)].intended = intended
	c.queued++
	c.pump(now)
}

// begin starts the scenario's sending on an open connection.
func (c *conn) begin(now int64) {
	s := c.w.s
	switch c.w.sc.rule {
	case ruleCycle:
		if s.Size > 0 {
			c.queued = c.sent // one message, then close on its echo
			c.send(now)
			c.queued = c.sent
			c.flush(now)
		} else {
			c.startClose(now)
		}
		return
	}
	c.pump(now)
}

// readAll reads what the socket holds: once, or again while reads fill
// the buffer (the socket is level-triggered, so what is left is reported
// again).
func (c *conn) readAll(now int64) {
	for k := 0; k < 8 && c.fd >= 0; k++ {
		if c.re == len(c.rx) {
			// Only a handshake response can fill rx; frames are consumed.
			c.failed(now, eHandshakeBad)
			return
		}
		n, st, k := c.w.io.read(c, c.rx[c.re:])
		if n > 0 {
			room := len(c.rx) - c.re
			c.re += n
			c.process(now)
			if n < room {
				return
			}
			continue
		}
		switch st {
		case ioEOF:
			c.onEOF(now)
		case ioFail:
			c.lostIO(now, k)
		}
		return
	}
}

// wantOut turns write readiness reports on or off.
func (c *conn) wantOut(on bool) {
	if c.outWanted == on || c.fd < 0 {
		return
	}
	c.outWanted = on
	c.w.io.wantOut(c, on)
}

// process decodes what is in rx.
func (c *conn) process(now int64) {
	w := c.w
	if c.st == csHandshake {
		resp, n, err := core.ParseResponse(c.rx[:c.re], c.key[:])
		switch err {
		case core.ErrNeedMore:
			return
		case nil:
		case core.ErrBadStatus:
			w.errs.addStatus(resp.Status)
			w.lane.errors++
			if resp.Status == 503 {
				w.refused++ // a full board's answer
			} else {
				w.failed++
			}
			w.e.noteFail(c.gid, results.HandshakeStatus(resp.Status))
			c.closeFD(now)
			return
		default:
			c.failed(now, eHandshakeBad)
			return
		}
		if unoffered(resp.Head) {
			c.failed(now, eHandshakeExt)
			return
		}
		c.re = copy(c.rx, c.rx[n:c.re])
		c.opened(now)
		if c.fd < 0 || c.re == 0 {
			return
		}
	}
	in := c.rx[:c.re]
	for len(in) > 0 && c.fd >= 0 {
		n, ev, err := c.rd.Feed(in)
		in = in[n:]
		if err != nil {
			if err == core.ErrClosed {
				break // bytes after the close frame
			}
			w.errs.add(eProtocol, 1)
			w.lane.errors++
			c.dropped(now)
			return
		}
		switch ev.Kind {
		case core.EventFragment:
			if ev.First {
				c.inLen, c.stampN = 0, 0
			}
			if c.stampN < w.e.stampLen {
				c.stampN += copy(c.stampBuf[c.stampN:w.e.stampLen], ev.Payload)
			}
			c.inLen += len(ev.Payload)
			if ev.Final {
				c.onMessage(now)
			}
		case core.EventPing:
			c.pongN = copy(c.pong[:], ev.Payload)
			c.pongPending = true
			c.flush(now)
		case core.EventClose:
			c.onClose(now, ev.Code)
		}
	}
	c.re = 0
}

// opened completes the handshake.
func (c *conn) opened(now int64) {
	w := c.w
	c.st = csOpen
	c.setDeadline(0)
	c.countedOpen = true
	c.lives++
	w.dialing--
	w.opened++
	w.e.open.Add(1)
	w.lane.record(hHandshake, now-c.dialAt)
	if w.tlsDials != nil {
		w.tlsUpgraded(c, now)
	}
	w.lastOpen = now
	if w.firstOpen == 0 {
		w.firstOpen = now
	}
	if w.phase == phRamp {
		w.dialRamp(now)
	}
	if w.phase == phMeasure || (w.phase == phDrain && w.sc.rule == ruleCycle) {
		c.begin(now)
	}
	if w.owe.n > 0 && (w.phase == phMeasure || w.phase == phDrain) {
		w.payOwed(now)
	}
}

// lifeLen is how many messages the connection answers before it
// reconnects: the first lives are staggered over the connections so that
// they do not all reconnect at once.
func (c *conn) lifeLen() int64 {
	s := c.w.s
	if c.lives > 1 {
		return s.ReconnectEvery
	}
	return max(1, s.ReconnectEvery*int64(c.gid+1)/int64(s.Conns))
}

// onMessage handles a whole data message from the board.
func (c *conn) onMessage(now int64) {
	w := c.w
	s := w.s
	if c.abandoned {
		return
	}
	n := int64(c.inLen)
	switch w.sc.rule {
	case ruleStream:
		if c.lastIn > 0 {
			w.lane.record(hGap, now-c.lastIn)
		}
		c.lastIn = now
		w.countRecv(n)
		return
	case ruleSink, ruleHold:
		w.errs.add(eUnexpected, 1)
		w.lane.errors++
		return
	case ruleBroadcast:
		c.onBroadcast(now, n)
		return
	}
	fl := fieldLen(s.Text)
	seq := c.recvNext
	if s.Size >= fl {
		v, ok := getField(c.stampBuf[:], s.Text)
		if !ok || c.stampN < fl {
			w.errs.add(eUnexpected, 1)
			w.lane.errors++
			return
		}
		seq = int64(v)
	}
	if seq < c.recvNext || seq >= c.sent {
		w.errs.add(eUnexpected, 1)
		w.lane.errors++
		return
	}
	if seq > c.recvNext {
		// The board never echoed these (a full queue drops them).
		w.errs.add(eDropped, seq-c.recvNext)
		w.lane.errors += seq - c.recvNext
	}
	st := c.ring[seq&int64(len(c.ring)-1)]
	w.lane.record(hLatency, now-st.intended)
	w.lane.record(hService, now-st.actual)
	c.recvNext = seq + 1
	c.onConn++
	w.countRecv(n)
	if w.sc.rule == ruleCycle {
		c.startClose(now)
		return
	}
	if s.ReconnectEvery > 0 && c.onConn >= c.lifeLen() && w.phase == phMeasure {
		c.reconnect = true
	}
	if c.reconnect && c.recvNext == c.queued {
		c.redial = true
		c.startClose(now)
		return
	}
	if w.owe.n > 0 {
		w.payOwed(now)
	}
	c.pump(now)
}

func (w *worker) countRecv(n int64) {
	w.recv++
	w.brecv += n
	w.lane.msgsRecv++
	w.lane.bytesRecv += n
}

func (c *conn) onBroadcast(now, n int64) {
	w := c.w
	text := w.s.Text
	fl := fieldLen(text)
	if c.stampN < 3*fl {
		w.errs.add(eUnexpected, 1)
		w.lane.errors++
		return
	}
	tagged, ok1 := getField(c.stampBuf[:], text)
	seq, tag := tagged&(1<<seqBits-1), tagged>>seqBits
	in, ok2 := getField(c.stampBuf[fl:], text)
	act, ok3 := getField(c.stampBuf[2*fl:], text)
	if !ok1 || !ok2 || !ok3 || int64(seq) < c.bseq {
		w.errs.add(eUnexpected, 1)
		w.lane.errors++
		return
	}
	if gap := int64(seq) - c.bseq; gap > 0 {
		w.errs.add(eMissed, gap)
		w.lane.errors += gap
	}
	c.bseq = int64(seq) + 1
	if tag == w.e.clockTag {
		w.lane.record(hLatency, now-int64(in))
		w.lane.record(hService, now-int64(act))
	} else {
		// The sender's CLOCK_MONOTONIC is another machine's: its
		// times do not compare with ours. Counted, not timed.
		w.foreign++
	}
	w.countRecv(n)
	if c.gid == 0 && int64(seq) >= c.recvNext {
		c.recvNext = int64(seq) + 1 // the sender's own copy: closed loop goes on
		if w.owe.n > 0 {
			w.payOwed(now)
		}
		c.pump(now)
	}
}

// settled reports whether nothing the run waits for is still under way.
func (c *conn) settled() bool {
	w := c.w
	switch c.st {
	case csIdle, csDialing, csHandshake:
		return true
	}
	if c.outLeft > 0 || c.ts < c.te {
		return false
	}
	switch w.sc.rule {
	case ruleStream:
		return c.finished || (w.end > 0 && w.sendEnd >= w.end)
	case ruleBroadcast:
		return c.bseq >= w.e.bcastSent.Load()
	case ruleSink, ruleHold:
		return true
	}
	return c.recvNext >= c.queued
}

// giveUp ends the wait for answers: what is still out is counted lost.
func (c *conn) giveUp(now int64) {
	c.account(now)
	if c.st == csOpen || c.st == csClosing {
		c.abandoned = true
	}
}

// account counts the messages still in flight or queued as errors and
// forgets them. Each goes into the latency distribution at the lateness it
// reached by now (from its intended send time): a message never answered
// is as late as the run waited for it, not absent.
func (c *conn) account(now int64) {
	w := c.w
	if c.abandoned {
		return
	}
	switch w.sc.rule {
	case ruleBroadcast:
		if sent := w.e.bcastSent.Load(); sent > c.bseq && c.countedOpen {
			w.errs.add(eMissed, sent-c.bseq)
			w.lane.errors += sent - c.bseq
			c.bseq = sent
		}
		return
	case ruleStream, ruleSink, ruleHold:
		return
	}
	for seq := c.recvNext; seq < c.queued; seq++ {
		w.lane.record(hLatency, now-c.ring[seq&int64(len(c.ring)-1)].intended)
	}
	if d := c.sent - c.recvNext; d > 0 {
		w.errs.add(eLost, d)
		w.lane.errors += d
	}
	if d := c.queued - c.sent; d > 0 {
		w.errs.add(eUnsent, d)
		w.lane.errors += d
	}
	c.recvNext, c.queued = c.sent, c.sent
}

// sinkSndBuf bounds a sink connection's kernel send buffer (Linux doubles it).
const sinkSndBuf = 16 << 10

// startClose begins the closing handshake.
func (c *conn) startClose(now int64) {
	if c.closePending || c.closeSent {
		return
	}
	c.st = csClosing
	c.closePending = true
	c.setDeadline(now + int64(c.w.s.CloseTimeout))
	c.flush(now)
}

func (c *conn) onClose(now int64, code core.CloseCode) {
	w := c.w
	c.closeRecv = true
	normal := c.closeSent || c.closePending
	if w.sc.rule == ruleStream && code == core.CloseNormal {
		normal = true
		c.finished = true
		w.lastDone = now
	}
	if w.sc.rule == ruleSink && normal {
		// The board answers the close only after reading everything
		// sent before it: the sink's bytes are delivered by now.
		w.lastDone = max(w.lastDone, now)
	}
	if !normal {
		if code == core.CloseNoStatus {
			w.errs.add(eEvicted, 1)
		} else {
			w.errs.addClose(int(code))
		}
		w.lane.errors++
		w.dropped++
		c.account(now)
		c.redial = false
	}
	if !c.closeSent && !c.closePending {
		c.st = csClosing
		c.closePending = true
		c.flush(now)
		if c.fd < 0 {
			return // the reply's write failed and closed the connection
		}
	}
	c.st = csClosing
	c.setDeadline(now + int64(w.s.CloseTimeout))
}

// onEOF handles the board closing the TCP connection.
func (c *conn) onEOF(now int64) {
	switch c.st {
	case csHandshake:
		c.failed(now, eHandshakeEOF)
	case csOpen:
		c.w.errs.add(eEOF, 1)
		c.w.lane.errors++
		c.dropped(now)
	default:
		c.closeFD(now)
	}
}

// lostIO handles a read or write error of kind k.
func (c *conn) lostIO(now int64, k errKind) {
	switch c.st {
	case csHandshake, csDialing:
		c.failed(now, k)
	case csOpen:
		c.w.errs.add(k, 1)
		c.w.lane.errors++
		c.dropped(now)
	default:
		c.closeFD(now)
	}
}

// dropped ends an open connection the board lost.
func (c *conn) dropped(now int64) {
	c.w.dropped++
	c.account(now)
	c.redial = false
	c.closeFD(now)
}

func (c *conn) onDeadline(now int64) {
	switch c.st {
	case csIdle:
		if c.dialSoon {
			c.dialSoon = false
			w := c.w
			if w.sc.rule == ruleCycle && w.cycles >= w.cycleQuota {
				return
			}
			if w.phase == phMeasure {
				c.dial(now)
			}
		}
	case csDialing:
		// The board never answered the SYN or its retransmissions (wss:
		// or the TLS handshake, once connected: hung).
		k := eSynTimeout
		if c.w.tlsDials != nil {
			k = c.w.tlsTimeoutKind(c)
		}
		c.failed(now, k)
	case csHandshake:
		// Connected, and no answer: the board stopped accepting and the
		// connection waits in its backlog.
		c.failed(now, eHung)
	case csClosing:
		if !c.closeRecv || c.ts < c.te {
			c.w.errs.add(eCloseTimeout, 1)
			c.w.lane.errors++
		}
		c.closeFD(now)
	}
}

func (c *conn) closeSocket() {
	if c.fd >= 0 {
		c.w.io.shut(c)
		c.fd = -1
	}
	c.gen++
}

// closeFD closes the socket and, for a reconnection or a churn cycle,
// opens the next connection.
func (c *conn) closeFD(now int64) {
	w := c.w
	if c.st == csDialing || c.st == csHandshake {
		w.dialing--
	}
	if c.countedOpen {
		w.e.open.Add(-1)
		c.countedOpen = false
	}
	c.closeSocket()
	if c.st != csIdle {
		w.active--
	}
	c.st = csIdle
	c.setDeadline(0)
	c.afterClose(now)
}

func (c *conn) afterClose(now int64) {
	w := c.w
	if w.phase == phRamp {
		w.dl.Set(w.item(itemDial), now+1)
		return
	}
	if w.phase != phMeasure && !(w.phase == phDrain && w.sc.rule == ruleCycle) {
		c.redial = false
		return
	}
	if w.end > 0 && now >= w.end {
		c.redial = false
		return
	}
	if (w.sc.rule == ruleCycle && w.cycles < w.cycleQuota) || c.redial {
		// Dial from the timer loop, not from here: a dial that fails at
		// once must not recurse.
		c.redial = false
		c.dialSoon = true
		c.setDeadline(now + 1)
	}
}
