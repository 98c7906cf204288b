package results

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// HistLateness is the histogram of how late open-loop sends left, from
// their intended time, in microseconds (the load generator records it).
const HistLateness = "send_lateness"

// textHists are the histograms WriteRun prints, in its order, each with
// what it measures.
var textHists = []struct{ name, what string }{
	{HistLatency, "from the intended send time"},
	{HistService, "from the actual send, answered messages"},
	{HistLateness, "of open-loop sends behind their schedule"},
	{HistHandshake, "TCP connect, TLS with wss, and upgrade"},
	{HistConnectTCP, "wss: the TCP connect"},
	{HistConnectTLS, "wss: the TLS handshake"},
	{HistConnectUpgrade, "wss: the upgrade, request to 101"},
}

// The phases of a wss:// connect, recorded apart (the handshake histogram
// holds the whole connect).
const (
	HistConnectTCP     = "connect_tcp"
	HistConnectTLS     = "connect_tls"
	HistConnectUpgrade = "connect_upgrade"
)

// WriteRun prints a run's summary as a two-column table, the way `wslab
// load` shows it: what ran (scenario, target, board configuration, time),
// the counts, throughput, each latency histogram with its n, errors by
// kind, the board's RAM against its budget, refusals by kind, the process
// heap (the host's, never the board's) and the run's notes.
func WriteRun(w io.Writer, r *Run) error {
	s := r.Summary()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	sc := r.Scenario
	fmt.Fprintf(tw, "scenario\t%s  conns %d  size %d B", sc.Name, sc.Conns, sc.Size)
	if sc.Rate > 0 {
		fmt.Fprintf(tw, "  rate %g/s", sc.Rate)
	}
	if sc.Shard.Count > 0 {
		fmt.Fprintf(tw, "  shard %s", sc.Shard)
	}
	fmt.Fprintf(tw, "\n")
	fmt.Fprintf(tw, "target\t%s\n", r.Target)
	b := r.Board
	fmt.Fprintf(tw, "board\t%s  %d slots  rx %s  tx %s  max message %s  footprint %s  when full: %s\n",
		b.Model, b.Slots, FormatBytes(int64(b.RxBuf)), FormatBytes(int64(b.TxBuf)), FormatBytes(int64(b.MaxMessage)),
		FormatBytes(b.StaticFootprint), b.WhenFull)
	fmt.Fprintf(tw, "time\t%s\n", r.Duration().Round(time.Millisecond))
	c := r.Counts
	fmt.Fprintf(tw, "connections\t%d attempted, %d opened, %d refused, %d failed, %d dropped\n",
		c.ConnsAttempted, c.ConnsOpened, c.ConnsRefused, c.ConnsFailed, c.ConnsDropped)
	fmt.Fprintf(tw, "messages\t%d sent, %d received\n", c.MsgsSent, c.MsgsReceived)
	fmt.Fprintf(tw, "payload bytes\t%d up (client to board), %d down (board to client)\n", c.BytesSent, c.BytesReceived)
	if rt := r.Rates; rt.WindowLength > 0 {
		// Per direction: an echo's throughput is the one-way rate, not
		// the sum of both.
		fmt.Fprintf(tw, "throughput\t%.0f msgs/s; payload up %.3f MB/s, down %.3f MB/s (over the %s measurement window)\n",
			s.MsgsPerSec, rt.UpBytesPerSec/1e6, rt.DownBytesPerSec/1e6, time.Duration(rt.WindowLength).Round(time.Millisecond))
	} else {
		fmt.Fprintf(tw, "throughput\t%.0f msgs/s\n", s.MsgsPerSec)
	}
	for _, h := range textHists {
		hist := r.Hist(h.name)
		if hist.Count() == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s µs\tp50 %d  p90 %d  p99 %d  p99.9 %d  max %d  (n=%d, %s)\n", h.name,
			hist.Quantile(0.5), hist.Quantile(0.9), hist.Quantile(0.99), hist.Quantile(0.999), hist.Max(), hist.Count(), h.what)
	}
	if len(r.Errors) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Errors[k]))
		}
		fmt.Fprintf(tw, "errors\t%s\n", strings.Join(parts, ", "))
	} else {
		fmt.Fprintf(tw, "errors\tnone\n")
	}
	if s.HasRAM {
		if s.RAMMax > 0 {
			fmt.Fprintf(tw, "board RAM\t%s at its peak, %s at the end (%d samples)\n",
				FormatRAM(s.RAM, s.RAMBudget), FormatBytes(s.RAMEnd), len(r.Heap))
		} else {
			fmt.Fprintf(tw, "board RAM\t%s (static footprint; the board reports no RAM in use)\n", FormatRAM(s.RAM, s.RAMBudget))
		}
	}
	if k := r.RefusalKinds(); len(k) > 0 {
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(k)) {
			parts = append(parts, fmt.Sprintf("%s %d", name, k[name]))
		}
		fmt.Fprintf(tw, "refused\t%d: %s\n", r.Refused(), strings.Join(parts, ", "))
	}
	if s.HasHeap {
		// The heap of the process running the firmware: on an emulated
		// board, the host's, not the board's RAM.
		fmt.Fprintf(tw, "process heap\tstart %s, end %s, max %s, slope %s/h (%d samples)\n",
			FormatBytes(s.HeapStart), FormatBytes(s.HeapEnd), FormatBytes(s.HeapMax),
			FormatBytes(int64(s.HeapSlope)), len(r.Heap))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	return tw.Flush()
}
