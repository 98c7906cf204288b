//go:build linux

package loadgen

import (
	"context"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/results"
)

// BenchmarkRecord is the cost of recording one latency sample in a lane's
// HDR histogram (target: <= 1 µs).
func BenchmarkRecord(b *testing.B) {
	l := &lane{}
	l.hists[hLatency] = results.NewHistogram()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.record(hLatency, int64(i&0xFFFFF)*1000)
	}
}

// BenchmarkMessageCPU is the generator's own work per message, without
// the kernel: build, mask and stamp a frame, then decode its echo and
// record both latencies.
func BenchmarkMessageCPU(b *testing.B) {
	for _, size := range []int{64, 1024} {
		b.Run(strconv.Itoa(size)+"B", func(b *testing.B) {
			tc := newTestConn(b, Spec{Scenario: Echo, Size: size})
			c, w := tc.c, tc.w
			echo := core.AppendFrame(nil, true, core.OpBinary, w.payload, false, [4]byte{})
			c.writable = false // nothing goes to the socket: only the generator's own work
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				now := w.e.clk.now()
				c.te = 0
				c.send(now)
				// The board's answer to it, as read from the socket.
				putField(echo[len(echo)-size:], uint64(c.sent-1), false)
				c.re = copy(c.rx, echo)
				c.process(now)
			}
			if w.recv != c.sent {
				b.Fatalf("%d answered of %d", w.recv, c.sent)
			}
		})
	}
}

// BenchmarkMessageSocket adds the kernel: one message through a
// socketpair to a peer that echoes it, and back.
func BenchmarkMessageSocket(b *testing.B) {
	tc := newTestConn(b, Spec{Scenario: Echo, Size: 64})
	c, w := tc.c, tc.w
	b.ReportAllocs()
	for b.Loop() {
		c.pump(w.e.clk.now())
		tc.echo(b)
		c.readAll(w.e.clk.now())
	}
}

// BenchmarkPacing runs the open-loop pacer at 5,000 msg/s against an
// in-process board and reports how late sends left: the timerfd-and-spin
// pacer, the same without spinning, and a time.Sleep schedule for
// comparison.
func BenchmarkPacing(b *testing.B) {
	srv := board(b, firmware.Config{})
	for _, tc := range []struct {
		name string
		spin time.Duration
	}{{"timerfd+spin50us", 50 * time.Microsecond}, {"timerfd", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			n := max(int64(b.N), 2000)
			r, err := Run(context.Background(), Spec{Target: srv.WSURL("/ws"), Scenario: Rate, Conns: 4, Rate: 5000,
				Count: n / 4, SpinAhead: tc.spin, StatsURL: "-"})
			if err != nil {
				b.Fatal(err)
			}
			h := r.Hist(HistLateness)
			b.ReportMetric(float64(h.Quantile(0.5)), "p50-late-µs")
			b.ReportMetric(float64(h.Quantile(0.99)), "p99-late-µs")
			b.ReportMetric(float64(h.Quantile(0.999)), "p999-late-µs")
		})
	}
	b.Run("time.Sleep", func(b *testing.B) {
		n := max(b.N, 2000)
		late := make([]time.Duration, 0, n)
		every := time.Second / 5000
		start := time.Now()
		for i := range n {
			due := start.Add(time.Duration(i) * every)
			time.Sleep(time.Until(due))
			late = append(late, time.Since(due))
		}
		sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
		b.ReportMetric(float64(late[n/2].Microseconds()), "p50-late-µs")
		b.ReportMetric(float64(late[n*99/100].Microseconds()), "p99-late-µs")
		b.ReportMetric(float64(late[n*999/1000].Microseconds()), "p999-late-µs")
	})
}
