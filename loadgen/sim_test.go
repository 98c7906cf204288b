//go:build linux

package loadgen

import (
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/results"
)

// sim drives one worker's connections against an in-process
// firmware.Board in one goroutine, on a virtual clock: no socket, no
// timer, no sleep. The board's output reaches the client delay after the
// board wrote it (the round trip: the client's bytes reach it at once); between stallFrom and stallUntil the board neither reads
// nor writes (a board busy elsewhere).
type sim struct {
	t     testing.TB
	b     *firmware.Board
	e     *engine
	w     *worker
	now   int64
	delay int64

	stallFrom, stallUntil int64
	holdFrom, holdUntil   int64 // the client takes none of the board's output

	slots []*firmware.Slot // by connection handle (c.fd); nil once closed
	out   [][]chunk        // the board's output on its way to the client
	eof   []bool           // the board closed: the client reads EOF after out
}

type chunk struct {
	at   int64
	data []byte
}

const simStart = int64(time.Hour) // the virtual clock's first reading

// newSim sets spec up against b (Target and StatsURL are ignored).
func newSim(t testing.TB, b *firmware.Board, spec Spec, delay time.Duration) *sim {
	t.Helper()
	spec.Target = "ws://127.0.0.1:1/ws"
	spec.StatsURL = "-"
	s, err := spec.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{url: s.Target, hostport: "board", path: endpointFor(s.Scenario, "/ws")}
	if scenarioOf(s.Scenario).rule == ruleStream {
		tg.path += sourceQuery(&s)
	}
	own := s.part(s.Conns)
	e := newEngine(&s, tg, clock{base: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), mono0: simStart}, own, 1)
	e.reports = make(chan report, 64)
	e.t0 = simStart
	e.col = newCollector(e.t0, int64(s.Interval), 1, e.nIv, e.used)
	gids := make([]int, own)
	for i := range gids {
		gids[i] = s.firstConn() + i
	}
	w := newLoop(e, 0, gids)
	sm := &sim{t: t, b: b, e: e, w: w, now: simStart, delay: int64(delay)}
	w.io = sm
	e.workers = []*worker{w}
	return sm
}

func (m *sim) stalled() bool { return m.now >= m.stallFrom && m.now < m.stallUntil }

func (m *sim) holding() bool { return m.now >= m.holdFrom && m.now < m.holdUntil }

func (m *sim) dial(c *conn) (dialResult, errKind) {
	sl := m.b.Accept(m.now)
	if sl == nil {
		m.b.Refused()
		return dialNoSocket, eRefused
	}
	c.fd = len(m.slots)
	c.gen++
	m.slots = append(m.slots, sl)
	m.out = append(m.out, nil)
	m.eof = append(m.eof, false)
	return dialNow, eNone
}

func (m *sim) read(c *conn, b []byte) (int, ioStatus, errKind) {
	q := m.out[c.fd]
	if len(q) == 0 || q[0].at > m.now {
		if len(q) == 0 && m.eof[c.fd] {
			return 0, ioEOF, eNone
		}
		return 0, ioAgain, eNone
	}
	n := copy(b, q[0].data)
	q[0].data = q[0].data[n:]
	if len(q[0].data) == 0 {
		m.out[c.fd] = q[1:]
	}
	return n, ioOK, eNone
}

func (m *sim) write(c *conn, b []byte) (int, ioStatus, errKind) {
	sl := m.slots[c.fd]
	if sl == nil {
		return 0, ioFail, eReset
	}
	if m.stalled() {
		return 0, ioAgain, eNone
	}
	done := 0
	for done < len(b) {
		room := sl.RxSpace()
		if room == nil {
			m.collect(c.fd)
			if room = sl.RxSpace(); room == nil {
				return done, ioAgain, eNone
			}
		}
		n := copy(room, b[done:])
		sl.Received(n, m.now)
		done += n
		m.collect(c.fd)
	}
	return done, ioOK, eNone
}

func (m *sim) wantOut(c *conn, on bool) {}

func (m *sim) shut(c *conn) {
	if sl := m.slots[c.fd]; sl != nil {
		sl.PeerClosed(m.now)
		sl.Release(m.now)
		m.slots[c.fd] = nil
	}
}

// collect takes what board slot i has written, to arrive after the delay;
// it reports whether there was anything.
func (m *sim) collect(i int) bool {
	sl := m.slots[i]
	if sl == nil || m.stalled() || m.holding() {
		return false
	}
	got := false
	for p := sl.TxPending(); len(p) > 0; p = sl.TxPending() {
		m.out[i] = append(m.out[i], chunk{at: m.now + m.delay, data: append([]byte(nil), p...)})
		sl.Sent(len(p), m.now)
		got = true
	}
	if sl.Done() {
		sl.Release(m.now)
		m.slots[i] = nil
		m.eof[i] = true
		got = true
	}
	return got
}

// turn moves bytes and runs what is due at m.now; it reports whether
// anything happened.
func (m *sim) turn() bool {
	w := m.w
	moved := false
	for s := m.b.NextWake(); s != nil; s = m.b.NextWake() {
		// Output from another slot is collected below.
	}
	for _, c := range w.conns {
		if c.fd < 0 {
			continue
		}
		i := c.fd
		m.collect(i)
		if sl := m.slots[i]; sl != nil && !m.stalled() && sl.Deadline() > 0 && sl.Deadline() <= m.now {
			sl.Tick(m.now)
			m.collect(i)
		}
		if q := m.out[i]; (len(q) > 0 && q[0].at <= m.now) || (len(q) == 0 && m.eof[i]) {
			c.readAll(m.now)
			moved = true
		}
		if c.fd >= 0 && !c.writable && m.slots[c.fd] != nil && !m.stalled() {
			c.onWritable(m.now)
			moved = moved || c.writable
		}
	}
	w.runTimers(m.now)
	w.step(m.now)
	// What the board wrote meanwhile (to any slot: a broadcast) leaves now.
	for i := range m.slots {
		if m.collect(i) {
			moved = true
		}
	}
	return moved
}

// advance moves the clock to the next thing due.
func (m *sim) advance() {
	next := int64(1 << 62)
	if _, at := m.w.dl.Min(); at > 0 {
		next = at
	}
	for i, q := range m.out {
		if len(q) > 0 {
			next = min(next, q[0].at)
		}
		if sl := m.slots[i]; sl != nil && sl.Deadline() > 0 {
			next = min(next, sl.Deadline())
		}
	}
	for _, t := range []int64{m.stallFrom, m.stallUntil, m.holdFrom, m.holdUntil} {
		if t > m.now {
			next = min(next, t)
		}
	}
	if next == 1<<62 {
		m.t.Fatalf("sim: nothing due at %v, phase %d", time.Duration(m.now-simStart), m.w.phase)
	}
	m.now = max(m.now+1, next)
}

// until turns and advances the clock until done reports true.
func (m *sim) until(done func() bool) {
	for m.now < simStart+int64(time.Hour) {
		for m.turn() {
		}
		if done() {
			return
		}
		m.advance()
	}
	c := m.w.conns[0]
	m.t.Fatalf("sim: no end at %v: phase %d, active %d, dialing %d, conn 0 state %d fd %d",
		time.Duration(m.now-simStart), m.w.phase, m.w.active, m.w.dialing, c.st, c.fd)
}

// run runs the scenario to its end and returns its record.
func (m *sim) run() *results.Run {
	w, e := m.w, m.e
	w.lane = e.col.lane(0, e.col.index(m.now))
	w.dl.Set(w.item(itemBound), e.col.boundary(w.lane.idx))
	if e.s.Scenario == Churn {
		w.phase = phWait
	} else {
		w.dialRamp(m.now)
	}
	m.until(func() bool { return w.phase >= phWait })
	e.measureStart = m.now + int64(2*time.Millisecond)
	if e.s.Duration > 0 {
		e.measureEnd = e.measureStart + int64(e.s.Duration)
	}
	w.measure(e.measureStart, e.measureEnd)
	m.until(func() bool { return w.phase >= phIdle })
	w.closeAll(m.now)
	m.until(func() bool { return w.phase == phDone })
	e.col.finish(w.lane)
	w.lane = nil
	ivs := e.col.wait()
	e.end = m.now
	return e.record(ivs, results.Board{Model: m.b.Config().Model})
}

// simBoard is an in-process board for sim.
func simBoard(t testing.TB, cfg firmware.Config) *firmware.Board {
	t.Helper()
	if cfg.Model == "" {
		cfg.Model = "sim-board"
	}
	if cfg.Slots == 0 {
		cfg.Slots = 16
	}
	if cfg.RxBuf == 0 {
		cfg.RxBuf = 4096
	}
	if cfg.TxBuf == 0 {
		cfg.TxBuf = 4096
	}
	if cfg.MaxMessage == 0 {
		cfg.MaxMessage = 4096
	}
	b, err := firmware.NewBoard(cfg, nil, nil, simStart)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Closed-loop echo against the board with a 2 ms round trip: every message
// answered, every latency exactly 2 ms, recorded in µs.
func TestSimEcho(t *testing.T) {
	// The ramp (3 connections at 2/s) takes a second before the
	// measurement starts: the rates leave it out.
	m := newSim(t, simBoard(t, firmware.Config{}), Spec{Scenario: Echo, Conns: 3, Size: 64, Duration: time.Second,
		ConnRate: 2}, 2*time.Millisecond)
	r := m.run()
	c := r.Counts
	// 3 connections, one message per 2 ms round trip each, for 1 s.
	if c.MsgsSent != 1500 || c.MsgsReceived != 1500 || len(r.Errors) != 0 {
		t.Fatalf("counts %+v errors %v", c, r.Errors)
	}
	lat, svc := r.Hist(results.HistLatency), r.Hist(results.HistService)
	if lat.Count() != 1500 || !near(lat.Min(), 2000) || !near(lat.Max(), 2000) || !near(svc.Max(), 2000) {
		t.Errorf("latency count %d min %d max %d µs, service max %d µs; want 1500 x 2000 µs",
			lat.Count(), lat.Min(), lat.Max(), svc.Max())
	}
	if c.BytesSent != 1500*64 || c.BytesReceived != 1500*64 {
		t.Errorf("payload bytes up %d down %d", c.BytesSent, c.BytesReceived)
	}
	rt := r.Rates
	if rt.WindowStart < results.Duration(time.Second) || !nearF(float64(rt.WindowLength), 1e9) ||
		!nearF(rt.MsgsPerSec, 1500) || !nearF(rt.UpBytesPerSec, 1500*64) || !nearF(rt.DownBytesPerSec, 1500*64) {
		t.Errorf("rates %+v: want 1500 msgs/s, 96000 B/s each way, over the second after the ramp", rt)
	}
}

// near reports whether a histogram figure is v within the histogram's
// resolution (3 significant digits).
func near(got, v int64) bool { return got >= v && got <= v+v/1000 }

// nearF reports whether got is v within 0.5%.
func nearF(got, v float64) bool { return got >= v*0.995 && got <= v*1.005 }

// at is a time on the sim's clock, from its start.
func at(d time.Duration) int64 { return simStart + int64(d) }

// quantile is a histogram's quantile q (0-1) in µs; 0 when absent.
func quantile(r *results.Run, name string, q float64) int64 {
	h := r.Hist(name)
	if h == nil {
		return 0
	}
	return h.ValueAtQuantile(q * 100)
}

// Open loop against a board that stalls for 200 ms: the latency from the
// intended send time shows the stall, the service time (from the actual
// send) does not, and the sends' lateness does (issue 18's mutants: latency
// from the actual send, lateness recorded as 0).
func TestSimStallOpenLoop(t *testing.T) {
	m := newSim(t, simBoard(t, firmware.Config{}), Spec{Scenario: Rate, Conns: 1, Size: 64, Rate: 1000,
		Duration: 2 * time.Second}, time.Millisecond)
	m.stallFrom, m.stallUntil = at(time.Second), at(1200*time.Millisecond)
	r := m.run()
	if r.Counts.MsgsSent != 2000 || r.Counts.MsgsReceived != 2000 || len(r.Errors) != 0 {
		t.Fatalf("counts %+v errors %v", r.Counts, r.Errors)
	}
	lat, svc, late := quantile(r, results.HistLatency, 0.99), quantile(r, results.HistService, 0.99), quantile(r, HistLateness, 0.99)
	t.Logf("p99 latency %d µs, service %d µs, lateness %d µs", lat, svc, late)
	if lat < 150_000 || lat > 205_000 {
		t.Errorf("p99 latency %d µs: want the 200 ms stall in it", lat)
	}
	if svc > 5_000 {
		t.Errorf("p99 service time %d µs: want about the 1 ms round trip", svc)
	}
	if late < 150_000 {
		t.Errorf("p99 send lateness %d µs: the sends held by the stall left late", late)
	}
	if q := quantile(r, results.HistLatency, 0.5); !near(q, 1000) {
		t.Errorf("p50 latency %d µs, want the 1000 µs round trip", q)
	}
}

// A stall long enough to fill the connection's in-flight ring (1000
// messages due, a ring of 512): the sends that did not fit are made late,
// not dropped from the distribution.
func TestSimStallRingFull(t *testing.T) {
	m := newSim(t, simBoard(t, firmware.Config{}), Spec{Scenario: Rate, Conns: 1, Size: 64, Rate: 5000,
		Duration: time.Second}, time.Millisecond)
	m.stallFrom, m.stallUntil = at(500*time.Millisecond), at(700*time.Millisecond)
	r := m.run()
	if len(m.w.conns[0].ring) >= 1000 {
		t.Fatalf("ring of %d: the test needs one smaller than the stall's messages", len(m.w.conns[0].ring))
	}
	lat := r.Hist(results.HistLatency)
	if r.Counts.MsgsReceived != 5000 || lat.Count() != 5000 || len(r.Errors) != 0 {
		t.Fatalf("received %d, latencies %d, errors %v: want all 5000 sent late, none dropped",
			r.Counts.MsgsReceived, lat.Count(), r.Errors)
	}
	if lat.Max() < 200_000 {
		t.Errorf("latency max %d µs: the stall's first message waited 200 ms", lat.Max())
	}
}

// A board that stops answering for good: the messages never answered are
// counted, named in the record, and in the latency distribution at the
// lateness they reached when the run gave up on them.
func TestSimUnanswered(t *testing.T) {
	m := newSim(t, simBoard(t, firmware.Config{}), Spec{Scenario: Rate, Conns: 1, Size: 64, Rate: 1000,
		Duration: time.Second}, time.Millisecond)
	m.stallFrom, m.stallUntil = at(500*time.Millisecond), at(time.Hour)
	r := m.run()
	gaveUp := r.Errors["lost"] + r.Errors["unsent"] + r.Errors["backlog"]
	lat := r.Hist(results.HistLatency)
	t.Logf("counts %+v errors %v notes %q", r.Counts, r.Errors, r.Notes)
	if r.Counts.MsgsReceived+gaveUp != 1000 || gaveUp < 490 || lat.Count() != 1000 {
		t.Fatalf("received %d + given up %d (%v), %d latencies: want 1000 of each", r.Counts.MsgsReceived, gaveUp, r.Errors, lat.Count())
	}
	if p99 := quantile(r, results.HistLatency, 0.99); p99 < int64(DefaultDrainTimeout/time.Microsecond) {
		t.Errorf("p99 latency %d µs: the unanswered waited at least the drain timeout", p99)
	}
	if s := r.Hist(results.HistService); s.Count() != r.Counts.MsgsReceived {
		t.Errorf("service times %d for %d answered", s.Count(), r.Counts.MsgsReceived)
	}
	named := false
	for _, n := range r.Notes {
		named = named || strings.Contains(n, "never answered")
	}
	if !named {
		t.Errorf("notes %q do not name the messages never answered", r.Notes)
	}
}

// A board whose echo queue overflows drops messages; each one skipped is
// counted, however many one gap holds.
func TestSimDrops(t *testing.T) {
	b := simBoard(t, firmware.Config{QueueLen: 2})
	m := newSim(t, b, Spec{Scenario: Echo, Conns: 1, Size: 64, Window: 16, Duration: time.Second}, time.Millisecond)
	m.holdFrom, m.holdUntil = at(500*time.Millisecond), at(600*time.Millisecond)
	r := m.run()
	dropped := int64(b.Stats().MsgsDropped)
	t.Logf("counts %+v errors %v board dropped %d", r.Counts, r.Errors, dropped)
	if dropped < 10 {
		t.Fatalf("the board dropped %d: the test needs a gap of many", dropped)
	}
	if got := r.Errors["dropped"] + r.Errors["lost"]; got != dropped {
		t.Errorf("dropped %d + lost %d, the board dropped %d", r.Errors["dropped"], r.Errors["lost"], dropped)
	}
	if r.Counts.MsgsSent != r.Counts.MsgsReceived+msgErrors(r) {
		t.Errorf("sent %d != received %d + errors %v", r.Counts.MsgsSent, r.Counts.MsgsReceived, r.Errors)
	}
}

// A message over the board's limit: the board closes with 1009, and the
// generator counts the close code and the dropped connections.
func TestSimCloseCode(t *testing.T) {
	b := simBoard(t, firmware.Config{MaxMessage: 512})
	m := newSim(t, b, Spec{Scenario: Echo, Conns: 2, Size: 1000, Duration: time.Second}, time.Millisecond)
	r := m.run()
	if r.Errors[results.CloseCode(1009)] != 2 || r.Counts.ConnsDropped != 2 || r.Counts.MsgsReceived != 0 {
		t.Errorf("errors %v, counts %+v: want 2 x close 1009, 2 dropped", r.Errors, r.Counts)
	}
	if r.Errors["lost"] != 2 || r.Hist(results.HistLatency).Count() != 2 {
		t.Errorf("the 2 messages the board refused: errors %v, %d latencies", r.Errors, r.Hist(results.HistLatency).Count())
	}
	if got := b.Stats().ClosesSent[9]; got != 2 {
		t.Errorf("board sent %d closes 1009", got)
	}
}

// Stream: the board pushes Count messages at its rate and closes with
// 1000; all of them arrive, the payload goes down only (at 2 x 1000 x
// 1024 B/s), and the close is no error.
func TestSimStream(t *testing.T) {
	b := simBoard(t, firmware.Config{})
	// 1000 messages/s per connection from the board: 100 in 0.1 s.
	m := newSim(t, b, Spec{Scenario: Stream, Conns: 2, Size: 1024, Count: 100, Rate: 2000}, time.Millisecond)
	r := m.run()
	c := r.Counts
	if c.MsgsReceived != 200 || c.BytesReceived != 200*1024 || c.BytesSent != 0 || len(r.Errors) != 0 {
		t.Errorf("counts %+v errors %v: want 200 messages of 1024 B down, nothing up", c, r.Errors)
	}
	if r.Rates.UpBytesPerSec != 0 || r.Rates.DownBytesPerSec < 1.9e6 || r.Rates.DownBytesPerSec > 2.2e6 {
		t.Errorf("rates %+v", r.Rates)
	}
}

// An open-loop sink sends its whole schedule: nothing comes back, so a
// sent message does not hold a place in the in-flight ring (it did, and
// the sends after the ring's 512 were lost as "backlog").
func TestSimSinkPaced(t *testing.T) {
	m := newSim(t, simBoard(t, firmware.Config{}), Spec{Scenario: Sink, Conns: 2, Size: 64, Rate: 1000,
		Duration: time.Second}, time.Millisecond)
	r := m.run()
	c := r.Counts
	if c.MsgsSent != 1000 || c.BytesSent != 64000 || c.BytesReceived != 0 || len(r.Errors) != 0 {
		t.Fatalf("counts %+v errors %v: want the 1000 messages of the schedule sent", c, r.Errors)
	}
	if !nearF(r.Rates.UpBytesPerSec, 64000) || r.Rates.DownBytesPerSec != 0 {
		t.Errorf("rates %+v: want 64000 B/s up, none down", r.Rates)
	}
	if h := r.Hist(HistLateness); h == nil || h.Count() != 1000 {
		t.Errorf("lateness recorded for %v sends, want 1000", h)
	}
}

// Broadcast on the virtual clock: every message of the sender reaches
// every connection, each timed from its stamp on this machine's clock.
func TestSimBroadcast(t *testing.T) {
	b := simBoard(t, firmware.Config{})
	m := newSim(t, b, Spec{Scenario: Broadcast, Conns: 4, Size: 64, Rate: 100, Duration: time.Second}, time.Millisecond)
	r := m.run()
	c := r.Counts
	lat := r.Hist(results.HistLatency)
	if c.MsgsSent != 100 || c.MsgsReceived != 400 || len(r.Errors) != 0 || lat.Count() != 400 {
		t.Fatalf("counts %+v errors %v latencies %d: want 100 sent, 4 x 100 received and timed", c, r.Errors, lat.Count())
	}
	if !near(lat.Min(), 1000) || !near(lat.Max(), 1000) {
		t.Errorf("latency %d..%d µs, want the 1000 µs link delay", lat.Min(), lat.Max())
	}
}

// Open loop with no connection left open (the board closed it with 1009
// on the first message): the schedule's later sends are counted unsent
// and still in the latency distribution, at the lateness each reached
// when the run gave up on it.
func TestSimNoConnectionOpen(t *testing.T) {
	b := simBoard(t, firmware.Config{MaxMessage: 512})
	m := newSim(t, b, Spec{Scenario: Rate, Conns: 1, Size: 1000, Rate: 100, Duration: time.Second}, time.Millisecond)
	r := m.run()
	lat := r.Hist(results.HistLatency)
	if r.Errors["unsent"] != 99 || r.Errors["lost"] != 1 || r.Counts.ConnsDropped != 1 || lat.Count() != 100 {
		t.Fatalf("errors %v, counts %+v, %d latencies: want 99 unsent + 1 lost, all 100 in the distribution",
			r.Errors, r.Counts, lat.Count())
	}
	// The message the board refused failed 1 ms after it left; the 99
	// never sent waited for a connection until the end of the drain, 2 s
	// after sending ended.
	if !near(lat.Min(), 1000) || quantile(r, results.HistLatency, 0.02) < int64(DefaultDrainTimeout/time.Microsecond) {
		t.Errorf("latency min %d µs, p2 %d µs: want 1 ms for the lost one, the drain or more for the unsent",
			lat.Min(), quantile(r, results.HistLatency, 0.02))
	}
}
