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
