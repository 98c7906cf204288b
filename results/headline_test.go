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

// cpuSamples is a heap series with the board's CPU busy time (ms) at one
// sample a second.
func cpuSamples(cores int, busyMs ...int64) []results.HeapSample {
	var hs []results.HeapSample
	for i, b := range busyMs {
		hs = append(hs, results.HeapSample{Offset: results.Duration(time.Duration(i) * time.Second), CPUBusyMs: b, CPUCores: cores})
	}
	return hs
}

// The board's CPU at saturation is its busiest stretch between two
// samples of any run, not the average since the board started.
func TestHeadlineBoardCPU(t *testing.T) {
	runs := headlineRuns()
	churn, all, one := runs[0], runs[1], runs[2]
	one.Heap = cpuSamples(1, 5000, 5300)         // 30%
	all.Heap = cpuSamples(1, 5300, 5800, 6670)   // 50%, then 87%
	churn.Heap = cpuSamples(2, 6670, 7470, 7570) // 40% of 2 cores, then 5%
	hs := results.Headlines(runs)
	got := strings.Join(hs[0].Lines, "\n")
	if want := "board CPU at saturation 87% (echo all slots)"; !strings.Contains(got, want) {
		t.Errorf("headline lacks %q:\n%s", want, got)
	}
	if p, ok := churn.CPUBusyPeak(); !ok || p != 400 {
		t.Errorf("churn's peak %d %v, want 400 (800 ms of 2 cores over 1 s)", p, ok)
	}
}

func TestCPUBusyPeak(t *testing.T) {
	for _, c := range []struct {
		name string
		heap []results.HeapSample
		want int64
		ok   bool
	}{
		{"no samples", nil, 0, false},
		{"one sample", cpuSamples(1, 500), 0, false},
		{"not modelled", cpuSamples(1, 0, 0, 0), 0, false},
		{"no cpu figures", []results.HeapSample{{HeapInUse: 1}, {Offset: results.Duration(time.Second), HeapInUse: 2}}, 0, false},
		{"idle then busy", cpuSamples(1, 0, 0, 250), 250, true},
		{"two cores", cpuSamples(2, 100, 1100), 500, true},
		{"over full is full", cpuSamples(1, 0, 1003), 1000, true},
	} {
		r := &results.Run{Heap: c.heap}
		if got, ok := r.CPUBusyPeak(); got != c.want || ok != c.ok {
			t.Errorf("%s: %d %v, want %d %v", c.name, got, ok, c.want, c.ok)
		}
	}
	for p, want := range map[int64]string{870: "87%", 4: "0.4%", 0: "0%", 1000: "100%", 126: "13%"} {
		if got := results.FormatPermille(p); got != want {
			t.Errorf("FormatPermille(%d) = %q, want %q", p, got, want)
		}
	}
}
