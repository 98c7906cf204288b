//go:build linux

package loadgen

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/internal/deadlines"
	"github.com/wslab/wslab/results"
)

// testConn is one open client connection over a socketpair, with a peer
// that echoes like a board, for driving the per-message paths directly.
type testConn struct {
	c    *conn
	w    *worker
	peer int
	pbuf []byte
	out  []byte
}

func newTestConn(t testing.TB, spec Spec) *testConn {
	t.Helper()
	spec.Target = "ws://127.0.0.1:1/ws"
	s, err := spec.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	e := &engine{s: &s, sc: scenarioOf(s.Scenario), clk: newClock(), t: &target{}}
	e.paced = s.Rate > 0
	if s.Scenario == Broadcast {
		e.stampLen = 3 * fieldLen(s.Text)
	} else if s.Size >= fieldLen(s.Text) {
		e.stampLen = fieldLen(s.Text)
	}
	e.ringLen = ringFor(&s)
	e.rxLen, e.txLen = 4096, max(512, core.FrameSize(s.Size, true))
	w := &worker{id: 0, e: e, s: &s, sc: e.sc, mask: core.NewMaskGen(1), phase: phMeasure, op: core.OpBinary, sockets: sockets{epfd: -1}}
	w.io = w
	w.payload = make([]byte, s.Size)
	fillPattern(w.payload)
	w.dl = deadlines.New(1 + nItems)
	w.lane = &lane{}
	for k := range w.lane.hists {
		w.lane.hists[k] = results.NewHistogram()
	}
	c := newConn(w, 0, 0)
	w.conns = []*conn{c}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.fd, c.st, c.writable = fds[0], csOpen, true
	tc := &testConn{c: c, w: w, peer: fds[1], pbuf: make([]byte, 1<<16), out: make([]byte, 0, 1<<16)}
	t.Cleanup(func() {
		unix.Close(fds[0])
		unix.Close(fds[1])
	})
	return tc
}

// echo reads what the client sent and answers each frame unmasked, as the
// board does. It allocates nothing.
func (tc *testConn) echo(t testing.TB) int {
	n, err := unix.Read(tc.peer, tc.pbuf)
	if err != nil {
		t.Fatalf("peer read: %v", err)
	}
	in := tc.pbuf[:n]
	out := tc.out[:0]
	frames := 0
	for len(in) > 0 {
		h, hn, err := core.ParseHeader(in)
		if err != nil {
			t.Fatalf("peer: %v", err)
		}
		p := in[hn : hn+h.Length]
		core.Mask(h.Mask, 0, p)
		out = core.AppendFrame(out, true, h.Op, p, false, [4]byte{})
		in = in[hn+h.Length:]
		frames++
	}
	if _, err := unix.Write(tc.peer, out); err != nil {
		t.Fatalf("peer write: %v", err)
	}
	return frames
}

// The per-message send and receive paths allocate nothing: closed loop,
// open loop and broadcast, binary and text.
func TestPerMessageAllocs(t *testing.T) {
	for _, sp := range []Spec{
		{Scenario: Echo, Size: 64},
		{Scenario: Echo, Size: 4, Text: true},
		{Scenario: Echo, Size: 3000, Text: true},
		{Scenario: Rate, Size: 64, Rate: 1000},
		{Scenario: Broadcast, Size: 64},
	} {
		tc := newTestConn(t, sp)
		c, w := tc.c, tc.w
		round := func() {
			now := w.e.clk.now()
			if w.e.paced {
				c.enqueue(now, now)
			} else {
				c.pump(now)
			}
			tc.echo(t)
			c.readAll(w.e.clk.now())
		}
		round() // warm up
		const runs = 500
		before := w.recv
		if a := testing.AllocsPerRun(runs, round); a != 0 {
			t.Errorf("%s size %d text %v: %.1f allocations per message, want 0", sp.Scenario, sp.Size, sp.Text, a)
		}
		if got := w.recv - before; got != runs+1 {
			t.Errorf("%s: %d messages answered in %d rounds", sp.Scenario, got, runs+1)
		}
		if w.errs.kinds != ([nErrKinds]int64{}) {
			t.Errorf("%s: errors %v", sp.Scenario, w.errs.kinds)
		}
		if h := w.lane.hists[hLatency]; h.TotalCount() != w.recv {
			t.Errorf("%s: %d latencies recorded for %d messages", sp.Scenario, h.TotalCount(), w.recv)
		}
	}
}
