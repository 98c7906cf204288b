//go:build linux

package loadgen

import (
	"testing"
	"time"
)

const leakBytes = 8192

// churn and soak catch a board that leaks per connection, with about the
// leak's size per connection, and do not flag the normal board.
func TestLeakChurn(t *testing.T) {
	for _, leak := range []int{0, leakBytes} {
		srv := leakyBoard(t, leak)
		r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Churn, Conns: 8, Count: 800, Settle: 200 * time.Millisecond})
		logRun(t, r)
		l := CheckLeak(r, 0, 0)
		t.Logf("leak %d: %s", leak, l)
		if !l.Checked || l.Suspected != (leak > 0) {
			t.Errorf("board leaking %d B/conn: verdict %s", leak, l)
		}
		if leak > 0 && (l.PerConn < 0.8*float64(leak) || l.PerConn > 1.5*float64(leak)) {
			t.Errorf("measured %.0f B/conn for a %d B/conn leak", l.PerConn, leak)
		}
		if r.Counts.ConnsOpened != 800 {
			t.Errorf("counts %+v", r.Counts)
		}
	}
}

func TestLeakSoak(t *testing.T) {
	for _, leak := range []int{0, leakBytes} {
		srv := leakyBoard(t, leak)
		r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Soak, Conns: 8, ReconnectEvery: 20, Duration: 1500 * time.Millisecond, HeapEvery: 50 * time.Millisecond})
		logRun(t, r)
		l := CheckLeak(r, 0, 0)
		t.Logf("leak %d: %s (%d samples)", leak, l, len(r.Heap))
		if !l.Checked || l.Suspected != (leak > 0) {
			t.Errorf("board leaking %d B/conn: verdict %s", leak, l)
		}
		if leak > 0 && l.PerHour < 1e6 {
			t.Errorf("slope %.0f B/h for a leaking board", l.PerHour)
		}
	}
}
