//go:build linux

package loadgen

import (
	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/internal/deadlines"
	"github.com/wslab/wslab/internal/maskseed"
)

// Worker phases.
const (
	phRamp    = iota // dialing the initial connections
	phWait           // waiting for the measurement to start
	phMeasure        // sending
	phDrain          // no new sends; waiting for the answers
	phIdle           // drained; waiting for the close command
	phClosing        // closing handshakes
	phDone
)

// Timer items after the connections' own.
const (
	itemPace = iota
	itemBound
	itemDial
	itemPhase
	nItems
)

// worker is one event loop over a share of the connections.
type worker struct {
	id int
	e  *engine
	s  *Spec
	sc *scenario

	io      transport // the worker's own sockets, but for tests
	sockets           // the epoll side (sockets.go)
	conns   []*conn
	dl      *deadlines.Heap
	lane    *lane
	mask    *core.MaskGen
	payload []byte // the message template; its stamp is rewritten per message
	op      core.Opcode

	phase      int
	start, end int64 // measurement window (end 0: unbounded)
	drainBy    int64
	sendEnd    int64 // when sending was over
	firstOpen  int64
	lastOpen   int64
	firstDial  int64 // when this worker started its first dial (0: none yet)
	lastDone   int64
	nextDial   int // next connection of the ramp
	dialing    int
	active     int // connections not idle
	cycles     int64
	cycleQuota int64 // churn: cycles this worker runs

	// pacing
	pace       bool
	pacer      Pacer // the run's schedule (message k of all shards)
	owe        owed  // messages due that could not be sent yet
	paceK      int64
	paceStride int   // connections over all shards
	paceSlots  []int // this worker's connections in schedule order
	spin       int64 // ns the pacer spins before a due send
	paceMine   int64 // ns between this worker's sends
	pollUntil  int64 // the loop polls without sleeping until this time
	rr         int

	errs     errCounts
	foreign  int64 // broadcast messages from a sender on another machine (not timed)
	attempts int64
	opened   int64
	refused  int64
	failed   int64
	dropped  int64
	sent     int64
	recv     int64
	bsent    int64
	brecv    int64
}

// newLoop makes a worker's state for connections gids: everything but
// its event loop's descriptors (a test drives it over another transport).
func newLoop(e *engine, id int, gids []int) *worker {
	w := &worker{id: id, e: e, s: e.s, sc: e.sc, mask: maskseed.New(), phase: phRamp}
	w.sockets.init(e.t)
	w.io = w
	w.payload = make([]byte, e.s.Size)
	fillPattern(w.payload)
	w.op = core.OpBinary
	if e.s.Text {
		w.op = core.OpText
	}
	w.conns = make([]*conn, len(gids))
	for i, g := range gids {
		w.conns[i] = newConn(w, i, g)
	}
	w.dl = deadlines.New(len(gids) + nItems)
	if e.paced {
		w.owe = newOwed()
	}
	return w
}

func (w *worker) item(k int) int { return len(w.conns) + k }

func (w *worker) report(kind int) { w.e.reports <- report{w: w.id, kind: kind} }

// runTimers runs every due deadline and returns the time after.
func (w *worker) runTimers(now int64) int64 {
	n := len(w.conns)
	paced := false
	for {
		i, at := w.dl.Min()
		if i < 0 || at > now || (paced && i == w.item(itemPace)) {
			// The pacer runs once per loop turn, so sockets are served
			// between its sends even when it is behind.
			return now
		}
		w.dl.Set(i, 0)
		switch {
		case i < n:
			w.conns[i].onDeadline(now)
		case i == w.item(itemPace):
			now = w.paceTick(at, now)
			paced = true
		case i == w.item(itemBound):
			w.rotate(now)
		case i == w.item(itemDial):
			w.dialRamp(now)
		case i == w.item(itemPhase):
			// step looks at the clock
		}
	}
}

// rotate hands the interval's lane to the collector.
func (w *worker) rotate(now int64) {
	col := w.e.col
	k := col.index(now)
	if k > w.lane.idx {
		w.lane = col.rotate(w.lane, k)
	}
	w.dl.Set(w.item(itemBound), col.boundary(w.lane.idx))
}

// dialRamp starts the ramp's connections that are due.
func (w *worker) dialRamp(now int64) {
	s := w.s
	for w.nextDial < len(w.conns) && w.dialing < s.DialConcurrency {
		c := w.conns[w.nextDial]
		if s.ConnRate > 0 {
			due := w.e.clk.mono0 + int64(float64(c.gid-s.firstConn())/s.ConnRate*1e9) + w.rampBase()
			if due > now {
				w.dl.Set(w.item(itemDial), due)
				return
			}
		}
		w.nextDial++
		c.dial(now)
	}
}

// rampBase is the ramp's start relative to the clock's origin.
func (w *worker) rampBase() int64 { return w.e.col.start - w.e.clk.mono0 }

// measure starts the measurement window [start, end).
func (w *worker) measure(start, end int64) {
	w.start, w.end = start, end
	w.dl.Set(w.item(itemPhase), start)
}

// step moves the worker through its phases.
func (w *worker) step(now int64) {
	s := w.s
	switch w.phase {
	case phRamp:
		if w.nextDial == len(w.conns) && w.dialing == 0 {
			w.phase = phWait
			w.report(repRampDone)
		}
	case phWait:
		if w.start == 0 || now < w.start {
			return
		}
		w.phase = phMeasure
		if w.end > 0 {
			w.dl.Set(w.item(itemPhase), w.end)
		}
		w.beginMeasure(now)
		fallthrough
	case phMeasure:
		if !w.sendingOver(now) {
			return
		}
		w.phase = phDrain
		w.sendEnd = now
		w.dl.Set(w.item(itemPace), 0)
		w.drainBy = now + int64(s.DrainTimeout)
		if w.sc.rule == ruleStream && w.end > 0 && now >= w.end {
			w.drainBy = now // a stream cut by the duration has nothing to wait for
		}
		w.dl.Set(w.item(itemPhase), w.drainBy)
		if w.e.paced || w.sc.rule == ruleSink {
			for _, c := range w.conns {
				c.pump(now) // owed messages still go
			}
		}
		fallthrough
	case phDrain:
		if w.owe.n > 0 {
			w.payOwed(now)
		}
		settled := w.owe.n == 0
		for _, c := range w.conns {
			if !c.settled() {
				settled = false
				break
			}
		}
		if !settled && now < w.drainBy {
			return
		}
		for _, c := range w.conns {
			c.giveUp(now)
		}
		w.giveUpOwed(now)
		w.phase = phIdle
		w.report(repDrained)
	case phClosing:
		if w.active == 0 {
			w.phase = phDone
		}
	}
}

// beginMeasure starts sending on every open connection.
func (w *worker) beginMeasure(now int64) {
	s := w.s
	switch w.sc.rule {
	case ruleCycle:
		w.cycleQuota = int64(s.part(int(s.Count)))
		if s.Count == 0 {
			w.cycleQuota = 1 << 62
		} else {
			// split this shard's cycles over the workers
			nw := int64(len(w.e.workers))
			q := w.cycleQuota / nw
			if int64(w.id) < w.cycleQuota%nw {
				q++
			}
			w.cycleQuota = q
		}
		for _, c := range w.conns {
			if w.cycles < w.cycleQuota {
				c.dial(now)
			}
		}
		return
	case ruleBroadcast:
		for i, c := range w.conns {
			if c.gid == 0 && s.Rate > 0 {
				w.startPace(s.Rate, 1, []int{i})
			}
		}
	}
	if w.e.paced && w.sc.rule != ruleBroadcast {
		slots := make([]int, len(w.conns))
		for i := range slots {
			slots[i] = i
		}
		w.startPace(s.totalRate(), s.Conns, slots)
	}
	for _, c := range w.conns {
		if c.st == csOpen {
			c.begin(now)
		}
	}
}

// ownsSender reports whether global connection 0 (the broadcast sender)
// is this worker's.
func (w *worker) ownsSender() bool { return len(w.conns) > 0 && w.conns[0].gid == 0 }

// startPace starts the open-loop schedule. Over all shards and workers,
// message k of the run is due at start + k/rate and belongs to global
// connection k mod stride; this worker sends those of its own connections
// (slots), so the shards together send exactly the schedule's count.
func (w *worker) startPace(rate float64, stride int, slots []int) {
	if rate <= 0 || len(slots) == 0 {
		return
	}
	w.pace = true
	w.pacer = NewPacer(w.start, rate)
	w.paceStride = stride
	w.paceSlots = slots
	w.paceK = 0
	w.paceMine = int64(w.pacer.Every * float64(stride) / float64(len(slots)))
	w.spin = min(int64(w.s.SpinAhead), w.paceMine/4)
	w.armPace()
}

// paceDue is the due time of this worker's paceK-th message.
func (w *worker) paceDue() int64 {
	n := int64(len(w.paceSlots))
	j, i := w.paceK/n, w.paceK%n
	k := j*int64(w.paceStride) + int64(w.conns[w.paceSlots[i]].gid)
	if w.sc.rule == ruleBroadcast {
		k = w.paceK
	}
	return w.pacer.Due(k)
}

func (w *worker) armPace() {
	due := w.paceDue()
	if w.end > 0 && due >= w.end {
		w.pace = false
		return
	}
	w.dl.Set(w.item(itemPace), due-w.spin)
}

// paceTick runs when the pacer's timer is due, SpinAhead before the next
// send. Woken before the send's due time, it makes the loop poll its
// sockets without sleeping until then (so sockets are served while it
// spins); at or after it, it sends every message that is due.
//
// The spin is short on purpose: a thread that sleeps is woken promptly by
// the scheduler, one that spins for long is the first to be preempted on a
// busy machine, which costs more than a timer's wakeup.
func (w *worker) paceTick(at, now int64) int64 {
	if !w.pace || w.phase != phMeasure {
		return now
	}
	due := w.paceDue()
	if now < due {
		w.pollUntil = due
		w.dl.Set(w.item(itemPace), due)
		return now
	}
	w.pollUntil = 0
	if w.owe.n > 0 {
		w.payOwed(now)
	}
	for due <= now && w.pace {
		if w.end > 0 && due >= w.end {
			w.pace = false
			break
		}
		if c := w.s.Count; c > 0 && w.sc.rule != ruleBroadcast && w.paceK >= c*int64(len(w.paceSlots)) {
			w.pace = false // this worker's share of the schedule is out
			break
		}
		w.tick(w.conns[w.paceSlots[w.paceK%int64(len(w.paceSlots))]], due, now)
		w.paceK++
		due = w.paceDue()
	}
	if w.pace {
		w.armPace()
	}
	return now
}

// tick gives one scheduled send to its connection, or when that one is
// down, done or full, to the next one of the worker that can take it; when
// none can, the message is owed (see owed), never dropped.
func (w *worker) tick(c *conn, intended, now int64) {
	if w.owe.n > 0 {
		w.payOwed(now) // older messages first
	}
	if w.sc.rule == ruleBroadcast {
		switch {
		case c.canTake() && w.owe.n == 0:
			c.enqueue(intended, now)
		case c.quotaDone():
			w.pace = false
		case c.st == csOpen:
			w.oweMsg(intended, eBacklog, now)
		default:
			w.oweMsg(intended, eUnsent, now)
		}
		return
	}
	if c.canTake() && w.owe.n == 0 {
		c.enqueue(intended, now)
		return
	}
	n := len(w.conns)
	allDone, anyOpen := true, false
	for range n {
		c := w.conns[w.rr]
		w.rr++
		if w.rr == n {
			w.rr = 0
		}
		done := c.quotaDone()
		allDone = allDone && done
		anyOpen = anyOpen || (c.st == csOpen && !c.closing() && !done)
		if c.canTake() && w.owe.n == 0 {
			c.enqueue(intended, now)
			return
		}
	}
	if allDone {
		w.pace = false // every connection sent its count
		return
	}
	if anyOpen {
		w.oweMsg(intended, eBacklog, now) // every open connection's ring is full
	} else {
		w.oweMsg(intended, eUnsent, now) // no connection open
	}
}

// oweMsg keeps a message that could not be sent; a full queue gives its
// oldest up, at the lateness it reached.
func (w *worker) oweMsg(intended int64, k errKind, now int64) {
	if at, ok, full := w.owe.push(intended, k); full {
		w.giveUpMsg(at, ok, now)
	}
}

// giveUpMsg records an owed message the run gives up on: in the latency
// distribution at the lateness it reached, and as an error of kind k.
func (w *worker) giveUpMsg(intended int64, k errKind, now int64) {
	if w.sc.rule != ruleBroadcast {
		// (A broadcast never sent is missed by every receiver; its
		// latency is per receipt.)
		w.lane.record(hLatency, now-intended)
	}
	w.errs.add(k, 1)
	w.lane.errors++
}

// payOwed sends owed messages, oldest first, while a connection can take
// one.
func (w *worker) payOwed(now int64) {
	n := len(w.conns)
	for w.owe.n > 0 {
		var to *conn
		for range n {
			c := w.conns[w.rr]
			w.rr++
			if w.rr == n {
				w.rr = 0
			}
			if c.canTake() {
				to = c
				break
			}
		}
		if to == nil {
			return
		}
		at, _ := w.owe.pop()
		to.enqueue(at, now)
	}
}

// giveUpOwed gives every owed message up (the end of the drain).
func (w *worker) giveUpOwed(now int64) {
	for w.owe.n > 0 {
		at, k := w.owe.pop()
		w.giveUpMsg(at, k, now)
	}
}

// sendingOver reports whether the worker has nothing more to send.
func (w *worker) sendingOver(now int64) bool {
	s := w.s
	if w.end > 0 && now >= w.end {
		return true
	}
	switch w.sc.rule {
	case ruleHold:
		return w.end == 0 || now >= w.end
	case ruleCycle:
		return w.cycles >= w.cycleQuota && w.active == 0
	case ruleBroadcast:
		if w.e.bcastDone.Load() {
			return true
		}
		if !w.ownsSender() {
			// Receivers only: the sender's worker says when it is over
			// (or, in another shard's process, the duration or count).
			if s.Count > 0 {
				for _, c := range w.conns {
					if c.st == csOpen && c.bseq < s.Count {
						return false
					}
				}
				return true
			}
			return false
		}
	}
	if w.e.paced && w.pace {
		return false
	}
	for _, c := range w.conns {
		if c.st != csIdle && !c.doneSending() {
			return false
		}
		if c.st == csDialing || c.st == csHandshake || c.redial || c.dialSoon {
			return false // a reconnection under way
		}
	}
	if w.sc.rule == ruleBroadcast {
		w.e.bcastDone.Store(true)
	}
	return true
}

// closeAll starts the closing handshake on every connection.
func (w *worker) closeAll(now int64) {
	w.phase = phClosing
	w.dl.Set(w.item(itemPace), 0)
	w.dl.Set(w.item(itemDial), 0)
	w.dl.Set(w.item(itemPhase), 0)
	for _, c := range w.conns {
		c.redial = false
		switch c.st {
		case csDialing, csHandshake:
			c.closeFD(now)
		case csOpen:
			c.startClose(now)
		}
	}
	w.step(now)
}

// hardStop closes every socket at once.
func (w *worker) hardStop() {
	now := w.e.clk.now()
	for _, c := range w.conns {
		c.redial, c.dialSoon = false, false
		c.giveUp(now)
		if c.fd >= 0 {
			c.closeFD(now)
		}
	}
	if w.lane != nil {
		w.giveUpOwed(now)
	}
	w.phase = phDone
}
