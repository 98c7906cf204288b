package results

import (
	"math"
	"strconv"

	"gonum.org/v1/gonum/stat"
)

// Summary holds the headline figures of one run.
type Summary struct {
	// MsgsPerSec is Rates.MsgsPerSec, or else messages received (messages
	// sent when none were received, as in a sink scenario) over Duration.
	MsgsPerSec float64
	// MBPerSec is Rates.BytesPerSec, or else bytes sent plus received over
	// Duration, in units of 10^6 bytes per second: both directions added,
	// so an echo counts every byte twice. Print UpMBPerSec, DownMBPerSec
	// or OneWayMBPerSec instead; this total is kept for old comparisons.
	MBPerSec float64
	// UpMBPerSec is payload sent by the load generator to the board (10^6
	// bytes/s), DownMBPerSec payload received from it, over the same
	// measurement window as MBPerSec.
	UpMBPerSec, DownMBPerSec float64
	// OneWayMBPerSec is what a throughput goal means: the payload rate in
	// one direction. For a scenario that moves payload both ways (echo) it
	// is the smaller of up and down (the rate of payload that made the
	// round trip), else the one direction that moved payload.
	OneWayMBPerSec float64
	// P50, P99 and P999 are quantiles of the latency histogram (or of the
	// service histogram when there is no latency one), in microseconds.
	P50, P99, P999 float64
	HasLatency     bool
	Errors         int64
	// Refused counts connections the board turned away (Run.Refused).
	Refused int64
	// RAM is the board's RAM in use and RAMBudget its heap budget, in
	// bytes (Run.ramInUse): the board's own, never the host's heap.
	HasRAM         bool
	RAM, RAMBudget int64
	// Heap figures come from the heap series (/stats "heap"); HasHeap is
	// false without one. For an emulated board this is the heap of the
	// host process that emulates it, not the board's RAM: show it, if at
	// all, as "host process heap".
	HasHeap                     bool
	HeapStart, HeapEnd, HeapMax int64
	// HeapSlope is the least-squares slope of heap in use over time, in
	// bytes per hour; near zero when nothing leaks. It needs at least two
	// samples at different offsets.
	HeapSlope float64
	// RAMEnd and RAMMax are the board's own RAM in use
	// (HeapSample.RAMInUse) at the end and at its peak; 0 when the board
	// does not report it.
	RAMEnd, RAMMax int64
}

// Summary computes the run's headline figures.
func (r *Run) Summary() Summary {
	var s Summary
	secs := r.Duration().Seconds()
	s.MsgsPerSec = r.Rates.MsgsPerSec
	if s.MsgsPerSec == 0 && secs > 0 {
		n := r.Counts.MsgsReceived
		if n == 0 {
			n = r.Counts.MsgsSent
		}
		s.MsgsPerSec = float64(n) / secs
	}
	bps := r.Rates.BytesPerSec
	if bps == 0 && secs > 0 {
		bps = float64(r.Counts.BytesSent+r.Counts.BytesReceived) / secs
	}
	s.MBPerSec = bps / 1e6
	if rt := r.Rates; rt.UpBytesPerSec > 0 || rt.DownBytesPerSec > 0 {
		// The load generator's own per-direction rates over its
		// measurement window (Rates.WindowStart, WindowLength).
		s.UpMBPerSec, s.DownMBPerSec = rt.UpBytesPerSec/1e6, rt.DownBytesPerSec/1e6
	} else if tot := r.Counts.BytesSent + r.Counts.BytesReceived; tot > 0 {
		// An older record: each direction over the window bps was
		// measured on.
		s.UpMBPerSec = s.MBPerSec * float64(r.Counts.BytesSent) / float64(tot)
		s.DownMBPerSec = s.MBPerSec * float64(r.Counts.BytesReceived) / float64(tot)
	}
	switch {
	case s.UpMBPerSec > 0 && s.DownMBPerSec > 0:
		s.OneWayMBPerSec = min(s.UpMBPerSec, s.DownMBPerSec)
	default:
		s.OneWayMBPerSec = s.UpMBPerSec + s.DownMBPerSec
	}
	h := r.Histograms[HistLatency]
	if h.Count() == 0 {
		h = r.Histograms[HistService]
	}
	if h.Count() > 0 {
		s.HasLatency = true
		s.P50 = float64(h.Quantile(0.50))
		s.P99 = float64(h.Quantile(0.99))
		s.P999 = float64(h.Quantile(0.999))
	}
	s.Errors = r.ErrorsTotal()
	s.Refused = r.Refused()
	s.RAM, s.RAMBudget, s.HasRAM = r.ramInUse()
	if len(r.Heap) > 0 {
		s.HasHeap = true
		s.HeapStart = r.Heap[0].HeapInUse
		s.HeapEnd = r.Heap[len(r.Heap)-1].HeapInUse
		for _, x := range r.Heap {
			s.HeapMax = max(s.HeapMax, x.HeapInUse)
		}
		s.HeapSlope = heapSlope(r.Heap)
	}
	for _, x := range r.Heap {
		if x.RAMInUse > 0 {
			s.RAMEnd = x.RAMInUse
			s.RAMMax = max(s.RAMMax, x.RAMInUse)
		}
	}
	return s
}

// FormatBytes prints a byte count in B, KiB or MiB (powers of two): whole
// numbers without decimals, else one decimal (two for MiB), e.g. "512 B",
// "43.5 KiB", "250 KiB", "1.45 MiB". Every memory figure wslab prints
// goes through it.
func FormatBytes(n int64) string {
	v, unit, prec := float64(n), "B", 0
	switch a := math.Abs(v); {
	case a >= 1<<20:
		v, unit, prec = v/(1<<20), "MiB", 2
	case a >= 1<<10:
		v, unit, prec = v/(1<<10), "KiB", 1
	}
	if v == math.Trunc(v) {
		prec = 0
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + unit
}

// FormatRAM prints RAM in use against a budget, e.g. "RAM 43.5 KiB of
// 250 KiB budget (17%)"; without a budget, "RAM 43.5 KiB".
func FormatRAM(inUse, budget int64) string {
	s := "RAM " + FormatBytes(inUse)
	if budget > 0 {
		s += " of " + FormatBytes(budget) + " budget (" + strconv.FormatInt((100*inUse+budget/2)/budget, 10) + "%)"
	}
	return s
}

// heapSlope fits heap in use against time by least squares and returns the
// slope in bytes per hour. It returns 0 with fewer than two distinct offsets.
func heapSlope(heap []HeapSample) float64 {
	if len(heap) < 2 {
		return 0
	}
	xs := make([]float64, len(heap))
	ys := make([]float64, len(heap))
	distinct := false
	for i, h := range heap {
		xs[i] = h.Offset.D().Hours()
		ys[i] = float64(h.HeapInUse)
		if xs[i] != xs[0] {
			distinct = true
		}
	}
	if !distinct {
		return 0
	}
	_, beta := stat.LinearRegression(xs, ys, nil, false)
	return beta
}

// A Figure is one number that summarises a run, such as its throughput or
// its p99 latency. Figures are what Compare tests and what the regression
// plot draws.
type Figure struct {
	// Name is the short name used on the command line and in tables.
	Name string
	// Unit is how the value reads: "msg/s", "MB/s", "µs", "errors", "bytes",
	// "bytes/h".
	Unit string
	// HigherIsBetter tells the direction of an improvement.
	HigherIsBetter bool
	// Of extracts the value, and false when the run lacks it.
	Of func(Summary) (float64, bool)
}

// figures are the figures Compare reports, in order. The host process
// heap is not among them: it is the emulator's, not the board's.
var figures = []Figure{
	{"msgs/s", "msg/s", true, func(s Summary) (float64, bool) { return s.MsgsPerSec, true }},
	{"up MB/s", "MB/s", true, func(s Summary) (float64, bool) { return s.UpMBPerSec, s.UpMBPerSec > 0 }},
	{"down MB/s", "MB/s", true, func(s Summary) (float64, bool) { return s.DownMBPerSec, s.DownMBPerSec > 0 }},
	{"p50", "µs", false, func(s Summary) (float64, bool) { return s.P50, s.HasLatency }},
	{"p99", "µs", false, func(s Summary) (float64, bool) { return s.P99, s.HasLatency }},
	{"p999", "µs", false, func(s Summary) (float64, bool) { return s.P999, s.HasLatency }},
	{"errors", "errors", false, func(s Summary) (float64, bool) { return float64(s.Errors), true }},
	{"refused", "errors", false, func(s Summary) (float64, bool) { return float64(s.Refused), true }},
	{"ram", "bytes", false, func(s Summary) (float64, bool) { return float64(s.RAM), s.HasRAM }},
}

// FigureByName returns the figure with that name.
func FigureByName(name string) (Figure, bool) {
	for _, f := range figures {
		if f.Name == name {
			return f, true
		}
	}
	return Figure{}, false
}
