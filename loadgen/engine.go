package loadgen

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/results"
)

// engine is the state the workers of one run share.
type engine struct {
	s     *Spec
	sc    *scenario // s.Scenario's row
	t     *target
	clk   clock
	col   *collector
	addrs *addrPool

	workers []*worker
	reports chan report

	hostB, pathB []byte // the handshake's Host and request path

	stampLen int    // bytes of a message's stamp (seq, or seq+times for broadcast)
	clockTag uint64 // broadcast: this machine's clock (see hostClockTag), in the stamp's seq field
	paced    bool   // open loop
	ringLen  int    // in-flight messages a connection can track (power of two)
	rxLen    int
	txLen    int
	sndBuf   int // the client sockets' send buffer (0: the kernel's)

	used [nHist]bool   // histograms recorded
	plan time.Duration // how long the run may last, for allocation
	nIv  int           // intervals allocated

	// The run's times on clk: its start and end, the measurement window.
	t0, end                  int64
	measureStart, measureEnd int64

	open      atomic.Int64 // connections open now
	bcastSent atomic.Int64 // broadcast: messages the sender sent
	bcastDone atomic.Bool  // broadcast: the sender has finished

	mu           sync.Mutex
	firstFail    string // the kind of the failed connection attempt of the lowest number
	firstFailGid int
	tlsErr       error // wss: the first certificate error, with its fix (tls.go)

	tlsCtx context.Context // wss: ends the connect goroutines with the run
	tlsWG  sync.WaitGroup  // wss: the connections' goroutines, waited for at the end
}

// report is a worker's message to the coordinator.
type report struct {
	w    int
	kind int
}

const (
	repRampDone = iota // every initial connection was attempted
	repDrained         // sending is over and answers are in (or given up)
	repDone            // every connection is closed; the worker exits
)

// noteFail remembers the failed connection attempt of the lowest global
// connection number: the ramp dials in that order, so it is the first
// newcomer the board turned away, whichever failure was seen first (a
// hung handshake and a dropped SYN time out at different moments).
func (e *engine) noteFail(gid int, kind string) {
	e.mu.Lock()
	if e.firstFail == "" || gid < e.firstFailGid {
		e.firstFail, e.firstFailGid = kind, gid
	}
	e.mu.Unlock()
}

// maxRing is the largest in-flight window per connection.
const maxRing = 1024

func ringFor(s *Spec) int {
	n := 4
	want := s.Window
	if s.Rate > 0 {
		want = 256
	}
	for n < 2*want && n < maxRing {
		n *= 2
	}
	return n
}

// newEngine sets a WebSocket run up from its spec: what a connection
// stamps and tracks, its buffers, the histograms recorded, and how many
// intervals to allocate. own is this shard's connections, nw the workers.
func newEngine(s *Spec, t *target, clk clock, own, nw int) *engine {
	e := &engine{s: s, sc: scenarioOf(s.Scenario), t: t, clk: clk, reports: make(chan report, 4*nw),
		hostB: []byte(t.hostport), pathB: []byte(t.path), clockTag: hostClockTag()}
	ru := e.sc.rule
	e.paced = s.Rate > 0 && (e.sc.pace == paceable || e.sc.pace == paceRequired)
	fl := fieldLen(s.Text)
	switch {
	case ru == ruleBroadcast:
		e.stampLen = 3 * fl
	case ru.echoes() && s.Size >= fl:
		e.stampLen = fl
	}
	if ru.stamped() || e.paced {
		e.ringLen = ringFor(s)
	}
	frame := core.FrameSize(s.Size, true)
	e.rxLen = ru.rxLen(frame, own)
	e.txLen = min(max(frame, 512), 64<<10)
	if ru == ruleSink {
		e.txLen = max(e.txLen, 16<<10)
		// A sink measures what the board takes: keep the kernel from
		// queueing megabytes the board has not read yet.
		e.sndBuf = sinkSndBuf
	}
	e.txLen = max(e.txLen, 256+len(e.hostB)+len(e.pathB))

	e.used[hHandshake] = true
	if t.tls != nil {
		e.used[hTCP], e.used[hTLS], e.used[hUpgrade] = true, true, true
	}
	if ru.stamped() {
		e.used[hLatency], e.used[hService] = true, true
	}
	e.used[hLateness] = e.paced
	e.used[hGap] = ru == ruleStream
	// Intervals for the whole run, allocated now (see the package doc).
	e.plan = s.Duration + s.Hold + s.DrainTimeout + 2*time.Second
	if s.ConnRate > 0 {
		e.plan += time.Duration(float64(own) / s.ConnRate * float64(time.Second))
	}
	if ru == ruleCycle {
		e.plan += s.Settle + 2*time.Second
	}
	e.nIv = min(int(e.plan/s.Interval)+2, MaxIntervals+8)
	return e
}

// lastOpen is when the last connection of the run opened.
func (e *engine) lastOpen() int64 {
	var t int64
	for _, w := range e.workers {
		t = max(t, w.lastOpen)
	}
	return t
}

// firstDial is when the run's first dial started (0: none did).
func (e *engine) firstDial() int64 {
	var t int64
	for _, w := range e.workers {
		if w.firstDial > 0 && (t == 0 || w.firstDial < t) {
			t = w.firstDial
		}
	}
	return t
}

// record assembles the Run from the workers' counts and the collector's
// intervals ivs, over [e.t0, e.end]: the one assembly of a WebSocket run's
// record, whatever drove the workers.
func (e *engine) record(ivs []*interval, board results.Board) *results.Run {
	s := e.s
	sc := results.Scenario{Name: s.Scenario, Conns: s.Conns, Size: s.Size, Duration: results.Duration(s.Duration),
		Path: pathOnly(e.t.path), Shard: s.Shard, Params: params(s)}
	if e.paced || e.sc.rule == ruleStream {
		sc.Rate = s.totalRate()
	}
	r := results.New(e.clk.wall(e.t0), sc, board, s.Target)
	r.End = e.clk.wall(e.end)
	var errs errCounts
	var c results.Counts
	var sendEnd, firstOpen, lastDone int64
	for _, w := range e.workers {
		errs.merge(&w.errs)
		c.ConnsAttempted += w.attempts
		c.ConnsOpened += w.opened
		c.ConnsRefused += w.refused
		c.ConnsFailed += w.failed
		c.ConnsDropped += w.dropped
		c.MsgsSent += w.sent
		c.MsgsReceived += w.recv
		c.BytesSent += w.bsent
		c.BytesReceived += w.brecv
		sendEnd = max(sendEnd, w.sendEnd)
		if w.firstOpen > 0 && (firstOpen == 0 || w.firstOpen < firstOpen) {
			firstOpen = w.firstOpen
		}
		lastDone = max(lastDone, w.lastDone)
	}
	var foreign int64
	for _, w := range e.workers {
		foreign += w.foreign
	}
	r.Counts = c
	errs.into(r.Errors)
	if foreign > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("broadcast latency not measured for %d of %d messages received: their sender ran on "+
			"another machine, whose CLOCK_MONOTONIC does not compare with this one's (run the sender's shard, 0, on the receivers' machine "+
			"to time them); they are counted in messages received and missed", foreign, c.MsgsReceived))
	}
	fillSeries(r, ivs, e.col, e.t0, e.end)
	if n := errs.kinds[eLost] + errs.kinds[eUnsent] + errs.kinds[eBacklog]; n > 0 && e.used[hLatency] && e.sc.rule != ruleBroadcast {
		r.Notes = append(r.Notes, fmt.Sprintf("latency (from the intended send time) holds %d answered messages and %d never answered "+
			"(lost %d, unsent %d, backlog %d) at the lateness they reached when the run gave up on them; service time holds the answered only",
			c.MsgsReceived, n, errs.kinds[eLost], errs.kinds[eUnsent], errs.kinds[eBacklog]))
	}

	// Rates over the measurement window, not the ramp before it.
	winStart, winEnd := e.measureStart, sendEnd
	if e.sc.rule == ruleStream {
		winStart, winEnd = firstOpen, lastDone
		if e.measureEnd > 0 && (lastDone == 0 || lastDone > e.measureEnd) {
			winEnd = max(sendEnd, lastDone)
		}
	}
	if e.sc.rule == ruleSink && lastDone > 0 {
		// Until the board confirmed it read the last byte (its close).
		winEnd = max(winEnd, lastDone)
	}
	if winEnd > winStart && winStart > 0 {
		secs := float64(winEnd-winStart) / 1e9
		n := c.MsgsReceived
		if e.sc.rule == ruleSink {
			n = c.MsgsSent
		}
		r.Rates = results.Rates{MsgsPerSec: float64(n) / secs, BytesPerSec: float64(c.BytesSent+c.BytesReceived) / secs,
			UpBytesPerSec: float64(c.BytesSent) / secs, DownBytesPerSec: float64(c.BytesReceived) / secs,
			WindowStart: results.Duration(winStart - e.t0), WindowLength: results.Duration(winEnd - winStart)}
	}
	return r
}

// seqBits are the bits of a broadcast stamp's seq field that hold the
// sequence number; the bits above hold the sender's clock tag.
const seqBits = 40

// hostClockTag names this machine's CLOCK_MONOTONIC in 24 bits: a hash of
// the kernel's boot id, which two machines (or two boots) do not share.
// Broadcast receivers time only the messages whose stamp carries their own
// tag.
func hostClockTag() uint64 {
	id, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil || len(id) == 0 {
		name, _ := os.Hostname()
		id = []byte(name)
	}
	h := fnv.New32a()
	h.Write(id)
	return uint64(h.Sum32()) & (1<<(64-seqBits) - 1)
}
