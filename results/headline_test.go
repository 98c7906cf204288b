package results_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
)

func headlineRuns() []*results.Run {
	b := results.Board{Model: "esp32-idf", Slots: 7, RxBuf: 1024, TxBuf: 2048, HeapBudget: 100 << 10, StaticFootprint: 40 << 10, WhenFull: "accept-close"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(i int, name string, conns int, step string) *results.Run {
		r := results.New(t0.Add(time.Duration(i)*time.Minute), results.Scenario{Name: name, Conns: conns, Size: 64,
			Duration: results.Duration(time.Second), Params: map[string]string{"step": step}}, b, "ws://x")
		r.ID = "run" + string(rune('a'+i))
		r.End = r.Start.Add(time.Second)
		return r
	}
	connect := mk(0, "connect", 9, "connect")
	connect.Counts = results.Counts{ConnsAttempted: 9, ConnsOpened: 7, ConnsFailed: 2}
	connect.Errors = map[string]int64{"handshake eof": 2}
	one := mk(1, "echo", 1, "echo 1 conn")
	one.Counts = results.Counts{ConnsAttempted: 1, ConnsOpened: 1, MsgsSent: 1000, MsgsReceived: 1000, BytesSent: 64000, BytesReceived: 64000}
	h := results.NewHistogram()
	for range 1000 {
		h.Record(1000)
	}
	one.Histograms[results.HistLatency] = h
	all := mk(2, "echo", 7, "echo all slots")
	all.Counts = results.Counts{ConnsAttempted: 7, ConnsOpened: 7, MsgsSent: 5000, MsgsReceived: 5000, BytesSent: 320000, BytesReceived: 320000}
	churn := mk(3, "churn", 7, "churn")
	churn.Notes = []string{"no leak: heap grew 10 B over 100 connections (0 B/conn), slope 0 B/hour"}
	return []*results.Run{churn, all, one, connect}
}

func TestHeadline(t *testing.T) {
	hs := results.Headlines(headlineRuns())
	if len(hs) != 1 || hs[0].Board != "esp32-idf" {
		t.Fatalf("headlines %+v", hs)
	}
	got := strings.Join(hs[0].Lines, "\n")
	for _, want := range []string{
		"clients held: 7 of 9 attempted (7 slots); the next turned away: 2 closed before the upgrade (accept-close)",
		"echo 64 B at 1 client: 1000 msg/s, p50 1 ms, p99 1 ms (n=1000)",
		"echo 64 B at 7 clients: 5000 msg/s",
		// 0.32 MB/s each way for the echo at all slots, not 0.64 MB/s.
		"payload: up 0.32 MB/s (echo all slots), down 0.32 MB/s (echo all slots)",
		"RAM: 40 KiB of 100 KiB budget (40%)",
		"leak: no leak (churn:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("headline lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "failed") {
		t.Errorf("refusals counted as failures:\n%s", got)
	}
	// The order is the one a firmware engineer asks in.
	for i, prefix := range []string{"clients held", "echo 64 B at 1 client", "echo 64 B at 7", "payload", "RAM", "leak"} {
		if !strings.HasPrefix(hs[0].Lines[i], prefix) {
			t.Errorf("line %d is %q, want %q first", i, hs[0].Lines[i], prefix)
		}
	}
}

// A field scenario's one-line answer reaches the board's headline, after
// the fixed lines, in the order the suite ran.
func TestHeadlineAnswers(t *testing.T) {
	runs := headlineRuns()
	ladder := results.New(runs[0].Start.Add(time.Hour), results.Scenario{Name: "ladder"}, runs[0].Board, "ws://x")
	ladder.ID = "ladder"
	ladder.Notes = []string{"ladder (size: result) ...", results.AnswerPrefix + "first failing size 16385 B: close 1009"}
	nodrop := results.New(runs[0].Start.Add(2*time.Hour), results.Scenario{Name: "nodrop"}, runs[0].Board, "ws://x")
	nodrop.ID = "nodrop"
	nodrop.Notes = []string{results.AnswerPrefix + "highest rate without drops: 140 msgs/s"}
	hs := results.Headlines(append(runs, nodrop, ladder))
	lines := hs[0].Lines
	n := len(lines)
	if n < 2 || lines[n-2] != "ladder: first failing size 16385 B: close 1009" || lines[n-1] != "nodrop: highest rate without drops: 140 msgs/s" {
		t.Errorf("answers missing or out of order:\n%s", strings.Join(lines, "\n"))
	}
}

// tlsConnectRun is a wss:// connect run with its phases recorded apart:
// 9 connects of 2.4 s, 2.3 s of it in TLS, on a board that terminates TLS.
func tlsConnectRun(start time.Time, b results.Board) *results.Run {
	r := results.New(start, results.Scenario{Name: "connect", Conns: 9, Params: map[string]string{"step": "connect ramp"}}, b, "wss://x")
	r.ID = "tls"
	r.End = r.Start.Add(30 * time.Second)
	r.Counts = results.Counts{ConnsAttempted: 9, ConnsOpened: 7, ConnsFailed: 2}
	r.Errors = map[string]int64{"handshake eof": 2}
	fill := func(name string, p50, p99 int64) {
		h := results.NewHistogram()
		for i := range 100 {
			v := p50
			if i >= 98 {
				v = p99
			}
			h.Record(v)
		}
		r.Histograms[name] = h
	}
	fill(results.HistHandshake, 2_400_000, 3_100_000)
	fill(results.HistConnectTCP, 3_000, 9_000)
	fill(results.HistConnectTLS, 2_300_000, 2_900_000)
	fill(results.HistConnectUpgrade, 95_000, 180_000)
	return r
}

// A wss:// run's connect phases reach the headline, right after the
// clients held, with how much of a connect TLS takes; a ws:// lab has no
// such line.
func TestHeadlineConnectPhases(t *testing.T) {
	runs := headlineRuns()
	for _, l := range results.Headlines(runs)[0].Lines {
		if strings.Contains(l, "TLS") {
			t.Errorf("ws:// runs with a TLS line: %q", l)
		}
	}
	runs = append(runs, tlsConnectRun(runs[0].Start.Add(time.Hour), runs[0].Board))
	lines := results.Headlines(runs)[0].Lines
	const want = "connect p50 2.40 s: TLS 2.30 s of it (TCP 3.00 ms, upgrade 95.0 ms); p99 3.10 s: TLS 2.90 s (n=100, connect ramp)"
	if len(lines) < 2 || lines[1] != want {
		t.Errorf("headline line 2:\n got %q\nwant %q\nall:\n%s", lines[min(1, len(lines)-1)], want, strings.Join(lines, "\n"))
	}
	// The wss:// connect run (9 attempted, 2 closed) is the ramp now: a
	// board closes a wss:// newcomer during TLS when its heap has no room
	// for another session.
	if want := "clients held: 7 of 9 attempted (7 slots); the next turned away: 2 closed before the upgrade (during TLS: no heap for another session, or accept-close)"; lines[0] != want {
		t.Errorf("headline line 1:\n got %q\nwant %q", lines[0], want)
	}
}
