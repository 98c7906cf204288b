package loadgen

import "time"

// Tick is what a run reports at the end of each interval to
// Spec.OnInterval: the interval's own counts (not running totals), its
// latency quantiles, the connections open and the board's latest /stats
// reading. It is a plain value, so reporting it allocates nothing.
type Tick struct {
	Index          int           // the interval's index in the Run's series
	Offset, Length time.Duration // its start from the run's start, and its nominal length
	ConnsOpen      int64         // connections open when it was reported

	MsgsSent, MsgsReceived   int64
	BytesSent, BytesReceived int64 // payload up (to the board) and down
	Errors                   int64

	// Hist names the histogram P50 and P99 come from: results.HistLatency,
	// or results.HistHandshake for runs that record no latency, or "" when
	// the interval recorded none. N is its count; the quantiles are in µs.
	Hist     string
	P50, P99 int64
	N        int64

	// HaveBoard says a /stats reading is in: the board's own RAM in use
	// against its budget, its slots in use and, when the board models its
	// processor (HaveCPU), the processor's busy time so far.
	HaveBoard                      bool
	BoardAt                        time.Duration // when that reading was taken, from the run's start
	RAMInUse, RAMBudget, Footprint int64
	SlotsInUse, SlotsTotal         int64
	HaveCPU                        bool
	CPUBusy                        time.Duration
	CPUCores                       int64
}

// intervalHook is the collector's onInterval for a run: the progress line
// and Spec.OnInterval, both fed at each complete interval. It returns nil
// when neither wants it.
func (f *frame) intervalHook(s *Spec, t0 int64, open func() int64) func(k int, iv *interval) {
	if s.Progress == nil && s.OnInterval == nil {
		return nil
	}
	return func(k int, iv *interval) {
		var x sample
		var have bool
		if f.smp != nil {
			x, have = f.smp.last()
		}
		n := open()
		if s.Progress != nil {
			f.prog.line(time.Duration(int64(k+1)*f.col.every), n, iv, s.Interval, x.HeapInUse, have)
		}
		if s.OnInterval != nil {
			s.OnInterval(tickOf(k, iv, f.col.every, n, x, have, t0))
		}
	}
}

func tickOf(k int, iv *interval, every, open int64, x sample, have bool, t0 int64) Tick {
	t := Tick{Index: k, Offset: time.Duration(int64(k) * every), Length: time.Duration(every), ConnsOpen: open,
		MsgsSent: iv.msgsSent, MsgsReceived: iv.msgsRecv, BytesSent: iv.bytesSent, BytesReceived: iv.bytesRecv, Errors: iv.errors}
	for _, h := range [...]int{hLatency, hHandshake} {
		if hist := iv.hists[h]; hist != nil && hist.TotalCount() > 0 {
			t.Hist, t.N = histNames[h], hist.TotalCount()
			t.P50, t.P99 = hist.ValueAtQuantile(50), hist.ValueAtQuantile(99)
			break
		}
	}
	if have {
		t.HaveBoard, t.BoardAt = true, time.Duration(x.at-t0)
		t.RAMInUse, t.RAMBudget, t.Footprint = x.RAMInUse, x.Budget, x.Footprint
		t.SlotsInUse, t.SlotsTotal = x.SlotsInUse, x.SlotsTotal
		if x.CPUCores > 0 {
			t.HaveCPU, t.CPUBusy, t.CPUCores = true, time.Duration(x.CPUBusyMs)*time.Millisecond, x.CPUCores
		}
	}
	return t
}
