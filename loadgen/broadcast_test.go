//go:build linux

package loadgen

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/core"
)

// A broadcast receiver times only messages stamped on its own machine's
// clock: a sender on another host (another boot id) is counted, not timed,
// and the record says why (issue 19.3).
func TestBroadcastForeignClock(t *testing.T) {
	for _, text := range []bool{false, true} {
		tc := newTestConn(t, Spec{Scenario: Broadcast, Size: 64, Text: text})
		c, w := tc.c, tc.w
		w.e.clockTag = 0x1234
		c.gid = 1 // a receiver
		fl := fieldLen(text)
		msg := func(seq, tag uint64, intended, actual int64) {
			p := make([]byte, 64)
			fillPattern(p)
			putField(p, seq|tag<<seqBits, text)
			putField(p[fl:], uint64(intended), text)
			putField(p[2*fl:], uint64(actual), text)
			op := core.OpBinary
			if text {
				op = core.OpText
			}
			if _, err := unix.Write(tc.peer, core.AppendFrame(nil, true, op, p, false, [4]byte{})); err != nil {
				t.Fatal(err)
			}
			c.readAll(w.e.clk.now())
		}
		now := w.e.clk.now()
		msg(0, 0x1234, now-5e6, now-4e6) // ours: 5 ms late
		msg(1, 0x0777, 1, 2)             // another machine's clock
		msg(3, 0x1234, now-5e6, now-4e6) // ours again; seq 2 missed
		lat := w.lane.hists[hLatency]
		if w.recv != 3 || w.foreign != 1 || lat.TotalCount() != 2 || w.errs.kinds[eMissed] != 1 {
			t.Errorf("text %v: received %d, foreign %d, timed %d, missed %d; want 3, 1, 2, 1",
				text, w.recv, w.foreign, lat.TotalCount(), w.errs.kinds[eMissed])
		}
		if lat.Min() < 5000 || lat.Max() > 1e6 {
			t.Errorf("text %v: latency %d..%d µs, want about 5000", text, lat.Min(), lat.Max())
		}
	}
	// The engine's tag names this machine, the same for every run.
	if a, b := hostClockTag(), hostClockTag(); a != b || a>>(64-seqBits) != 0 {
		t.Errorf("hostClockTag %x, %x", a, b)
	}
}
