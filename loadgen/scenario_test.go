//go:build linux

package loadgen

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/internal/wstest"
	"github.com/wslab/wslab/results"
)

// checkMsgs checks that every message sent is received or counted as an
// error, and that the interval series adds up to the totals.
func checkMsgs(t *testing.T, r *results.Run) {
	t.Helper()
	c := r.Counts
	if c.MsgsSent != c.MsgsReceived+msgErrors(r) {
		t.Errorf("sent %d != received %d + message errors %d (%v)", c.MsgsSent, c.MsgsReceived, msgErrors(r), r.Errors)
	}
	var sent, recv, bs, br int64
	for _, iv := range r.Intervals {
		sent += iv.MsgsSent
		recv += iv.MsgsReceived
		bs += iv.BytesSent
		br += iv.BytesReceived
	}
	if sent != c.MsgsSent || recv != c.MsgsReceived || bs != c.BytesSent || br != c.BytesReceived {
		t.Errorf("intervals add to %d/%d msgs, %d/%d bytes; totals %d/%d, %d/%d",
			sent, recv, bs, br, c.MsgsSent, c.MsgsReceived, c.BytesSent, c.BytesReceived)
	}
	if h := r.Hist(results.HistLatency); h.Count() != c.MsgsReceived {
		t.Errorf("latency histogram holds %d values for %d messages", h.Count(), c.MsgsReceived)
	}
	if h := r.Hist(results.HistService); h.Count() != c.MsgsReceived {
		t.Errorf("service histogram holds %d values for %d messages", h.Count(), c.MsgsReceived)
	}
}

func TestEcho(t *testing.T) {
	srv := board(t, firmware.Config{})
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Echo, Conns: 16, Size: 64, Duration: time.Second})
	logRun(t, r)
	checkMsgs(t, r)
	if r.Counts.ConnsOpened != 16 || r.Counts.MsgsReceived < 1000 || len(r.Errors) != 0 {
		t.Errorf("counts %+v errors %v", r.Counts, r.Errors)
	}
	if r.Counts.BytesReceived != 64*r.Counts.MsgsReceived {
		t.Errorf("%d bytes for %d messages of 64 B", r.Counts.BytesReceived, r.Counts.MsgsReceived)
	}
	// The board's identity and heap series come from its /stats.
	if r.Board.Model != "test-board" || r.Board.Slots != 32 || r.Board.RxBuf != 4096 || r.Board.WhenFull != "503" ||
		r.Board.StaticFootprint != int64(srv.Footprint().Total) {
		t.Errorf("board %+v", r.Board)
	}
	if len(r.Heap) < 3 || r.Heap[0].HeapInUse <= 0 {
		t.Errorf("heap series %+v", r.Heap)
	}
	// Both histograms, and every interval on the run's clock.
	if len(r.Intervals) < 2 || r.Hist(results.HistHandshake).Count() != 16 {
		t.Errorf("%d intervals, handshake histogram %d", len(r.Intervals), r.Hist(results.HistHandshake).Count())
	}
	st := srv.Stats()
	if int64(st.MsgsIn) != r.Counts.MsgsSent || int64(st.MsgsOut) != r.Counts.MsgsReceived {
		t.Errorf("board counted %d in, %d out; generator %d sent, %d received", st.MsgsIn, st.MsgsOut, r.Counts.MsgsSent, r.Counts.MsgsReceived)
	}
}

// Large messages (fragmented by the board's echo), text, and a window.
func TestEchoLargeTextWindow(t *testing.T) {
	srv := board(t, firmware.Config{RxBuf: 1024, TxBuf: 1024, MaxMessage: 64 << 10})
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Echo, Conns: 4, Size: 20000, Text: true, Window: 3, Count: 50})
	logRun(t, r)
	checkMsgs(t, r)
	if r.Counts.MsgsReceived != 200 || r.Counts.BytesReceived != 200*20000 || len(r.Errors) != 0 {
		t.Errorf("counts %+v errors %v", r.Counts, r.Errors)
	}
}

// A 5,000 msg/s open-loop run delivers 5,000 +/- 0.5% per second: a count
// over the run, not a timing.
func TestRateCount(t *testing.T) {
	srv := board(t, firmware.Config{})
	const rate, secs = 5000, 2
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Rate, Conns: 16, Size: 64, Rate: rate, Duration: secs * time.Second})
	logRun(t, r)
	checkMsgs(t, r)
	perSec := float64(r.Counts.MsgsReceived) / secs
	if math.Abs(perSec-rate) > 0.005*rate {
		t.Errorf("delivered %.0f msgs/s over %d s, want %d +/- 0.5%%", perSec, secs, rate)
	}
	if r.Hist(HistLateness).Count() != r.Counts.MsgsSent {
		t.Errorf("lateness recorded for %d of %d sends", r.Hist(HistLateness).Count(), r.Counts.MsgsSent)
	}
	// Latency from the intended time is never below the one from the
	// actual send.
	if lat, svc := r.Hist(results.HistLatency), r.Hist(results.HistService); lat.Max() < svc.Max() || lat.Mean() < svc.Mean() {
		t.Errorf("latency (intended) max %d mean %.1f below service max %d mean %.1f", lat.Max(), lat.Mean(), svc.Max(), svc.Mean())
	}
	if r.Scenario.Rate != rate {
		t.Errorf("scenario rate %v", r.Scenario.Rate)
	}
}

// Per-connection rate, and a count bound instead of a duration.
func TestRatePerConnCount(t *testing.T) {
	srv := board(t, firmware.Config{})
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Rate, Conns: 8, Size: 32, Rate: 200, RatePerConn: true, Count: 100})
	logRun(t, r)
	checkMsgs(t, r)
	if r.Counts.MsgsSent != 800 || r.Counts.MsgsReceived != 800 {
		t.Errorf("counts %+v errors %v", r.Counts, r.Errors)
	}
}

// A stream of a known size moves exactly that many bytes.
func TestStreamExact(t *testing.T) {
	srv := board(t, firmware.Config{})
	const conns, size, count = 4, 3000, 500
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Stream, Conns: conns, Size: size, Count: count})
	logRun(t, r)
	if r.Counts.MsgsReceived != conns*count || r.Counts.BytesReceived != conns*count*size || len(r.Errors) != 0 {
		t.Errorf("counts %+v errors %v, want %d msgs, %d bytes", r.Counts, r.Errors, conns*count, conns*count*size)
	}
	if r.Rates.MsgsPerSec <= 0 || r.Scenario.Path != "/ws/source" {
		t.Errorf("rates %+v path %q", r.Rates, r.Scenario.Path)
	}
}

// A stream records the gaps between each connection's arrivals: one fewer
// than its messages per connection, at the pace the board sent them (a
// gap timed from the connection's start, or one counted for the first
// message, is off by far).
func TestStreamGaps(t *testing.T) {
	srv := board(t, firmware.Config{})
	const conns, count, perConn = 2, 40, 100.0 // messages per second per connection
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Stream, Conns: conns, Size: 200, Count: count, Rate: conns * perConn})
	logRun(t, r)
	h := r.Histograms[results.HistArrivalGap]
	if h == nil {
		t.Fatalf("no %s histogram: %v", results.HistArrivalGap, slices.Collect(maps.Keys(r.Histograms)))
	}
	want := 1e6 / perConn // µs
	if h.Count() != conns*(count-1) || math.Abs(h.Mean()-want) > 0.25*want {
		t.Errorf("gaps: %d, mean %.0f µs; want %d, %.0f µs (±25%%)", h.Count(), h.Mean(), conns*(count-1), want)
	}
	// An echo records none.
	r = run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Echo, Conns: 1, Size: 32, Count: 10})
	if _, ok := r.Histograms[results.HistArrivalGap]; ok {
		t.Errorf("an echo run recorded %s", results.HistArrivalGap)
	}
}

// The board counts every message and byte the sink scenario sent.
func TestSink(t *testing.T) {
	srv := board(t, firmware.Config{})
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Sink, Conns: 4, Size: 1000, Duration: 500 * time.Millisecond})
	logRun(t, r)
	st := srv.Stats()
	if r.Counts.MsgsSent == 0 || int64(st.MsgsIn) != r.Counts.MsgsSent || len(r.Errors) != 0 {
		t.Errorf("generator sent %d, board received %d; errors %v", r.Counts.MsgsSent, st.MsgsIn, r.Errors)
	}
	if r.Counts.BytesSent != 1000*r.Counts.MsgsSent {
		t.Errorf("%d bytes for %d messages", r.Counts.BytesSent, r.Counts.MsgsSent)
	}
}

// Every broadcast message reaches every receiver or is counted missed, as
// many as the board counted drops.
func TestBroadcast(t *testing.T) {
	srv := board(t, firmware.Config{})
	for _, rate := range []float64{0, 2000} {
		before := srv.Stats()
		const conns = 8
		r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Broadcast, Conns: conns, Size: 64, Rate: rate, Duration: time.Second})
		logRun(t, r)
		after := srv.Stats()
		c := r.Counts
		if c.MsgsSent == 0 || c.MsgsReceived+r.Errors["missed"] != conns*c.MsgsSent {
			t.Errorf("rate %v: sent %d x %d receivers != received %d + missed %d", rate, c.MsgsSent, conns, c.MsgsReceived, r.Errors["missed"])
		}
		if drops := int64(after.MsgsDropped - before.MsgsDropped); drops != r.Errors["missed"] {
			t.Errorf("rate %v: board dropped %d, generator missed %d", rate, drops, r.Errors["missed"])
		}
		if h := r.Hist(results.HistLatency); h.Count() != c.MsgsReceived {
			t.Errorf("rate %v: %d latencies for %d receipts", rate, h.Count(), c.MsgsReceived)
		}
		// Every message of the schedule was sent, or counted as not sent
		// (the sender had too many in flight, on a loaded machine).
		if sched := c.MsgsSent + r.Errors["backlog"] + r.Errors["unsent"]; rate > 0 && sched != int64(rate) {
			t.Errorf("scheduled %d (sent %d) in 1 s at %v/s", sched, c.MsgsSent, rate)
		}
	}
}

// connect finds how many connections the board takes and how it refuses
// the rest, in each fail mode.
func TestConnectFailModes(t *testing.T) {
	// accept-close shows as an EOF before the handshake's answer (the board
	// reads what arrived before it closes, so the close is a FIN); reset
	// as a refused connect (RST|ACK to the SYN), or as a reset when the
	// kernel completed the connect before the board turned full.
	for _, tc := range []struct {
		mode firmware.FailMode
		keys []string
	}{
		{firmware.FailReject503, []string{"handshake 503"}},
		{firmware.FailAcceptClose, []string{"handshake eof"}},
		{firmware.FailReset, []string{"refused", "reset"}},
	} {
		srv := board(t, firmware.Config{Slots: 10, FailMode: tc.mode})
		r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Connect, Conns: 15, ConnRate: 500, Hold: 100 * time.Millisecond})
		logRun(t, r)
		c := r.Counts
		var n int64
		for _, k := range tc.keys {
			n += r.Errors[k]
		}
		if c.ConnsAttempted != 15 || c.ConnsOpened != 10 || n != 5 || r.ErrorsTotal() != 5 {
			t.Errorf("%v: counts %+v errors %v, want 10 opened and 5 of %v", tc.mode, c, r.Errors, tc.keys)
		}
		if r.Hist(results.HistHandshake).Count() != 10 {
			t.Errorf("%v: %d handshake latencies", tc.mode, r.Hist(results.HistHandshake).Count())
		}
		if r.Board.WhenFull != tc.mode.String() {
			t.Errorf("board when_full %q", r.Board.WhenFull)
		}
		if c.ConnsRefused != 5 || c.ConnsFailed != 0 {
			t.Errorf("%v: %d refused, %d failed: a full board's refusals are refusals", tc.mode, c.ConnsRefused, c.ConnsFailed)
		}
		wantNote(t, r, "board holds 10; the 11th ")
	}
}

// wantNote fails unless one of r's notes starts with prefix.
func wantNote(t *testing.T, r *results.Run, prefix string) {
	t.Helper()
	for _, n := range r.Notes {
		if strings.HasPrefix(n, prefix) {
			return
		}
	}
	t.Errorf("no note starting %q in %q", prefix, r.Notes)
}

// The refusal modes that hold or drop the newcomer, and eviction: each is
// reported by its own kind, never as a generic error, with the sentence
// that says how many the board holds and what happened to the next. The
// board's figures are read on its stats port, which takes no slot.
func TestConnectHeldOrDropped(t *testing.T) {
	// The ramp is slow enough (20 ms apart) for the board to take each
	// connection before the next arrives; a newcomer that still arrives
	// before the board turned full waits in the accept queue (hung), so
	// the counts allow that one way of being held.
	t.Run("backlog", func(t *testing.T) {
		srv := board(t, firmware.Config{Slots: 4, FailMode: firmware.FailBacklog, Backlog: 2})
		// 4 held, 2 wait in the backlog, the 7th's SYN is dropped (the
		// backlog is full); all give up before the hold ends.
		r := run(t, Spec{Target: srv.WSURL("/ws"), StatsURL: srv.StatsURL(), Scenario: Connect, Conns: 7, ConnRate: 50,
			Hold: 1500 * time.Millisecond, DialTimeout: 500 * time.Millisecond})
		logRun(t, r)
		if c := r.Counts; c.ConnsOpened != 4 || c.ConnsRefused != 3 || r.Errors["hung"] < 2 ||
			r.Errors["hung"]+r.Errors["syn timeout"] != 3 || r.ErrorsTotal() != 3 {
			t.Errorf("counts %+v errors %v: want 4 opened, 2 hung in the backlog, 1 SYN unanswered", c, r.Errors)
		}
		wantNote(t, r, "board holds 4; the 5th hung in the backlog")
		for _, n := range r.Notes {
			if strings.Contains(n, "stats readings failed") {
				t.Errorf("a stats reading failed on the stats port: %s", n)
			}
		}
	})
	t.Run("syn-drop", func(t *testing.T) {
		srv := board(t, firmware.Config{Slots: 4, FailMode: firmware.FailSynDrop})
		r := run(t, Spec{Target: srv.WSURL("/ws"), StatsURL: srv.StatsURL(), Scenario: Connect, Conns: 6, ConnRate: 50,
			Hold: 1500 * time.Millisecond, DialTimeout: 500 * time.Millisecond})
		logRun(t, r)
		if c := r.Counts; c.ConnsOpened != 4 || c.ConnsRefused != 2 || r.Errors["syn timeout"] < 1 ||
			r.Errors["syn timeout"]+r.Errors["hung"] != 2 || r.ErrorsTotal() != 2 {
			t.Errorf("counts %+v errors %v: want 4 opened and 2 SYNs unanswered", c, r.Errors)
		}
		if r.Errors["syn timeout"] == 2 {
			wantNote(t, r, "board holds 4; the 5th had its SYN dropped")
		}
	})
	t.Run("syn-retry", func(t *testing.T) {
		// A client of the test's holds the only slot and leaves once the
		// generator's SYN was dropped, before its retransmission (after
		// 1 s): the retransmitted SYN connects.
		srv := board(t, firmware.Config{Slots: 1, FailMode: firmware.FailSynDrop})
		other, err := wstest.Dial(srv.Addr().String(), "/ws", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		freed := make(chan error, 1)
		go func() {
			err := wstest.WaitSynSent(srv.Addr().Port, 10*time.Second) // the generator's SYN met the full board
			other.Close()
			freed <- err
		}()
		r := run(t, Spec{Target: srv.WSURL("/ws"), StatsURL: srv.StatsURL(), Scenario: Connect, Conns: 1,
			Hold: 200 * time.Millisecond, DialTimeout: 5 * time.Second})
		if err := <-freed; err != nil {
			t.Fatal(err)
		}
		logRun(t, r)
		if c := r.Counts; c.ConnsOpened != 1 || r.Errors["syn retry"] != 1 {
			t.Errorf("counts %+v errors %v: want it opened after a SYN retransmission", c, r.Errors)
		}
		wantNote(t, r, "board holds 0; the 1st had its SYN dropped and connected only on a retransmission")
	})
	t.Run("evict-oldest", func(t *testing.T) {
		// 50 ms apart, so the evicted client's close is done before the
		// next newcomer; one that comes sooner finds the spare slot busy
		// and is reset (the board's stack out of connections).
		srv := board(t, firmware.Config{Slots: 4, FailMode: firmware.FailEvictOldest})
		r := run(t, Spec{Target: srv.WSURL("/ws"), StatsURL: srv.StatsURL(), Scenario: Connect, Conns: 6, ConnRate: 20,
			Hold: 300 * time.Millisecond})
		logRun(t, r)
		ev := r.Errors["evicted"]
		if c := r.Counts; ev < 1 || ev+r.Errors["reset"] != 2 || c.ConnsOpened != 4+ev || r.ErrorsTotal() != 2 || c.ConnsDropped != ev {
			t.Errorf("counts %+v errors %v: want 6 opened and the 2 oldest evicted", c, r.Errors)
		}
		wantNote(t, r, "board holds 4; each newcomer past them was admitted and the oldest client evicted")
	})
}

func TestHTTP(t *testing.T) {
	srv := board(t, firmware.Config{})
	for _, m := range []string{"GET", "PUT"} {
		r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: HTTP, Method: m, Conns: 4, Size: 2000, Duration: 500 * time.Millisecond})
		logRun(t, r)
		c := r.Counts
		if c.HTTPRequests == 0 || c.HTTPRequests != c.HTTPResponses || c.MsgsReceived != c.HTTPResponses || len(r.Errors) != 0 {
			t.Errorf("%s: counts %+v errors %v", m, c, r.Errors)
		}
		moved := c.BytesReceived
		if m == "PUT" {
			moved = c.BytesSent
		}
		if moved != 2000*c.HTTPRequests || r.Hist(results.HistLatency).Count() != c.HTTPResponses {
			t.Errorf("%s: %d bytes for %d requests", m, moved, c.HTTPRequests)
		}
		if r.Scenario.Name != "http-"+map[string]string{"GET": "get", "PUT": "put"}[m] {
			t.Errorf("scenario %q", r.Scenario.Name)
		}
	}
}

func TestChurnCounts(t *testing.T) {
	srv := board(t, firmware.Config{})
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Churn, Conns: 8, Count: 300, Settle: 100 * time.Millisecond})
	logRun(t, r)
	checkMsgs(t, r)
	c := r.Counts
	if c.ConnsAttempted != 300 || c.ConnsOpened != 300 || c.MsgsReceived != 300 || len(r.Errors) != 0 {
		t.Errorf("counts %+v errors %v", c, r.Errors)
	}
	if st := srv.Stats(); st.Upgrades != 300 || st.SlotsInUse != 0 {
		t.Errorf("board saw %d upgrades, %d slots in use after", st.Upgrades, st.SlotsInUse)
	}
}

func TestSoakCounts(t *testing.T) {
	srv := board(t, firmware.Config{})
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Soak, Conns: 4, Rate: 2000, ReconnectEvery: 50, Duration: time.Second})
	logRun(t, r)
	checkMsgs(t, r)
	if r.Counts.ConnsOpened < 4+10 || r.Counts.ConnsDropped != 0 {
		t.Errorf("counts %+v errors %v: want reconnections and no drop", r.Counts, r.Errors)
	}
	// The schedule's 2000 messages were sent, or counted as not sent (when
	// every connection was reconnecting at once on a loaded machine).
	if sched := r.Counts.MsgsSent + r.Errors["unsent"] + r.Errors["backlog"]; sched != 2000 {
		t.Errorf("scheduled %d messages at 2000/s for 1 s (errors %v)", sched, r.Errors)
	}
}

// Open-loop HTTP against a server that never answers: every request fails
// by the timeout, and each is in the latency distribution at the lateness
// it reached (at least the timeout), not dropped from it.
func TestHTTPFailedInDistribution(t *testing.T) {
	addr := wstest.SilentServer(t)
	r, err := Run(context.Background(), Spec{Target: "ws://" + addr + "/ws", Scenario: HTTP, Method: "PUT",
		Conns: 1, Size: 100, Rate: 20, Duration: time.Second, DialTimeout: 200 * time.Millisecond, StatsURL: "-"})
	if err == nil || r == nil {
		t.Fatalf("err %v, run %v: want a failed run with its record", err, r)
	}
	var failed int64
	for _, n := range r.Errors {
		failed += n
	}
	t.Logf("errors %v notes %q", r.Errors, r.Notes)
	lat := r.Hist(results.HistLatency)
	if failed == 0 || lat == nil || lat.Count() != failed || lat.Min() < 200_000 {
		t.Fatalf("errors %v, latencies %v: want every failed request at 200 ms or later", r.Errors, lat)
	}
	if !strings.Contains(strings.Join(r.Notes, " "), "failed ones") {
		t.Errorf("notes %q do not name the failed requests in the latency figures", r.Notes)
	}
}

// A board that serves /stats from a client slot (a real board) refuses
// the readings while full: the record says which were refused.
func TestSamplerSaysRefused(t *testing.T) {
	srv := board(t, firmware.Config{Slots: 1, FailMode: firmware.FailReject503})
	u := "http://" + srv.Addr().String() + "/stats" // through a slot, not the stats port
	r := run(t, Spec{Target: srv.WSURL("/ws"), StatsURL: u, Scenario: Connect, Conns: 1, Hold: time.Second, HeapEvery: 100 * time.Millisecond})
	logRun(t, r)
	found := false
	for _, n := range r.Notes {
		if strings.Contains(n, "refused by the board") && strings.Contains(n, "holes at ") {
			found = true
		}
	}
	if !found {
		t.Errorf("no note names the refused readings: %q", r.Notes)
	}
	// The same board read on its stats port loses no reading.
	r = run(t, Spec{Target: srv.WSURL("/ws"), StatsURL: srv.StatsURL(), Scenario: Connect, Conns: 1, Hold: time.Second, HeapEvery: 100 * time.Millisecond})
	for _, n := range r.Notes {
		if strings.Contains(n, "readings failed") {
			t.Errorf("the stats port lost readings: %s", n)
		}
	}
	if len(r.Heap) < 5 || r.Heap[len(r.Heap)-1].RAMInUse < int64(srv.Footprint().Total) {
		t.Errorf("heap series %+v: want readings with the board's RAM", r.Heap)
	}
}

// By default the generator moves to a wslab board's stats port, named in
// its /stats: a full board's readings are not refused.
func TestSamplerFindsStatsPort(t *testing.T) {
	srv := board(t, firmware.Config{Slots: 1, FailMode: firmware.FailReject503})
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Connect, Conns: 2, Hold: 500 * time.Millisecond, HeapEvery: 100 * time.Millisecond})
	for _, n := range r.Notes {
		if strings.Contains(n, "readings failed") {
			t.Errorf("readings through a slot: %s", n)
		}
	}
	if len(r.Heap) < 3 {
		t.Errorf("%d readings", len(r.Heap))
	}
	// The first reading (the identity, on the target's port) and the
	// connection took a slot; the periodic readings took none.
	if st := srv.Stats(); st.Accepted != 2 || st.Refused != 1 {
		t.Errorf("the readings took slots: accepted %d, refused %d", st.Accepted, st.Refused)
	}
}

// A rate given to a scenario that takes none is refused with the reason,
// not dropped silently (an echo run asked for 100 msgs/s ran closed
// loop); where the rate paces or means something else it is taken.
func TestRateOnlyWhereItMeansSomething(t *testing.T) {
	for _, sc := range scenarioTable {
		s, err := Spec{Target: "ws://127.0.0.1:1/ws", Scenario: sc.name, Rate: 100}.withDefaults()
		switch {
		case sc.pace == paceNever && err == nil:
			t.Errorf("%s: a rate was taken by a scenario that ignores it", sc.name)
		case sc.pace == paceNever && !strings.Contains(err.Error(), "the "+sc.name+" scenario takes no rate"):
			t.Errorf("%s: %v: want the reason", sc.name, err)
		case sc.pace != paceNever && err != nil && strings.Contains(err.Error(), "rate"):
			t.Errorf("%s: its rate refused: %v", sc.name, err)
		case sc.pace != paceNever && err == nil && s.Rate != 100:
			t.Errorf("%s: rate %v, want 100", sc.name, s.Rate)
		}
	}
	for _, name := range []string{Echo, Connect, Churn} {
		if sc := scenarioOf(name); sc.pace != paceNever {
			t.Errorf("%s takes a rate it has no use for", name)
		}
	}
}
