package results

import (
	"strings"
	"testing"
	"time"
)

// textRun is a small fixed run with every part WriteRun prints.
func textRun() *Run {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &Run{
		Schema:   SchemaVersion,
		ID:       "text",
		Scenario: Scenario{Name: "rate", Conns: 9, Size: 64, Rate: 500, Shard: Shard{Index: 1, Count: 2}},
		Board: Board{Model: "esp32-idf", Slots: 7, RxBuf: 1024, TxBuf: 2048, MaxMessage: 16384,
			StaticFootprint: 45 * 1024, HeapBudget: 160 * 1024, WhenFull: "backlog"},
		Target:     "ws://127.0.0.1:8080/ws",
		Start:      start,
		End:        start.Add(2500 * time.Millisecond),
		Counts:     Counts{ConnsAttempted: 9, ConnsOpened: 7, ConnsRefused: 2, ConnsFailed: 3, ConnsDropped: 1, MsgsSent: 1200, MsgsReceived: 1100, BytesSent: 76800, BytesReceived: 70400},
		Rates:      Rates{MsgsPerSec: 480, UpBytesPerSec: 30720, DownBytesPerSec: 28160, WindowLength: Duration(2 * time.Second)},
		Errors:     map[string]int64{"hung": 2, "close 1006": 1},
		Histograms: map[string]*Histogram{},
		Notes:      []string{"board holds 7; the 8th hung in the backlog"},
	}
	lat, late, hs := NewHistogram(), NewHistogram(), NewHistogram()
	for i := int64(1); i <= 100; i++ {
		lat.Record(1000 + 10*i)
		late.Record(i)
	}
	for i := int64(1); i <= 7; i++ {
		hs.Record(5000 + 100*i)
	}
	r.Histograms[HistLatency], r.Histograms[HistLateness], r.Histograms[HistHandshake] = lat, late, hs
	for i, ram := range []int64{50 * 1024, 60 * 1024, 55 * 1024} {
		r.Heap = append(r.Heap, HeapSample{Offset: Duration(time.Duration(i) * time.Second), HeapInUse: 2 << 20,
			StaticFootprint: 45 * 1024, RAMInUse: ram})
	}
	return r
}

const textGolden = `scenario          rate  conns 9  size 64 B  rate 500/s  shard 1/2
target            ws://127.0.0.1:8080/ws
board             esp32-idf  7 slots  rx 1 KiB  tx 2 KiB  max message 16 KiB  footprint 45 KiB  when full: backlog
time              2.5s
connections       9 attempted, 7 opened, 2 refused, 3 failed, 1 dropped
messages          1200 sent, 1100 received
payload bytes     76800 up (client to board), 70400 down (board to client)
throughput        480 msgs/s; payload up 0.031 MB/s, down 0.028 MB/s (over the 2s measurement window)
latency µs        p50 1500  p90 1900  p99 1990  p99.9 2000  max 2000  (n=100, from the intended send time)
send_lateness µs  p50 50  p90 90  p99 99  p99.9 100  max 100  (n=100, of open-loop sends behind their schedule)
handshake µs      p50 5403  p90 5603  p99 5703  p99.9 5703  max 5703  (n=7, TCP connect, TLS with wss, and upgrade)
errors            close 1006 1, hung 2
board RAM         RAM 60 KiB of 160 KiB budget (38%) at its peak, 55 KiB at the end (3 samples)
refused           2: hung 2
process heap      start 2 MiB, end 2 MiB, max 2 MiB, slope 0 B/h (3 samples)
note              board holds 7; the 8th hung in the backlog
`

// WriteRun prints the run as `wslab load` shows it: every row, its
// figures in their columns. The figures of textRun differ pairwise (sent
// and received, up and down, each quantile), so a printer that swaps two
// of them fails.
func TestWriteRun(t *testing.T) {
	var b strings.Builder
	if err := WriteRun(&b, textRun()); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != textGolden {
		t.Errorf("WriteRun:\n%s\nwant:\n%s", got, textGolden)
	}
}
