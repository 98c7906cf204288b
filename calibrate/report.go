//go:build linux

package calibrate

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// Row is one probe point: measured on the board and on its twin.
type Row struct {
	Probe    string  `json:"probe"`
	Point    string  `json:"point"`
	Unit     string  `json:"unit"`
	Measured float64 `json:"measured"`
	Twin     float64 `json:"twin"`
	// Exact rows (slots, refusal, cap, close code) must be equal; the
	// others are judged by the ratio twin/measured against Tol.
	Exact bool    `json:"exact,omitempty"`
	Tol   float64 `json:"tol,omitempty"`
	// Judged is false for a row shown but not judged (a tail quantile from
	// few samples, a point only one side measured).
	Judged bool   `json:"judged"`
	Text   string `json:"text,omitempty"` // for exact rows with names: "measured / twin"
	// Noise is the relative standard error of the ratio twin/measured:
	// both sides' own sampling errors combined, each from its samples (a
	// closed loop's rate: the latency's CV over sqrt(n); a p50: the spread
	// of the quantiles one rank's standard error either side; a
	// download: its arrivals' gaps' CV over sqrt(n)); 0 where not
	// estimated. A difference within the tolerance plus twice of it is not
	// told apart from the draw of two short probes: a longer probe tells.
	Noise float64 `json:"noise,omitempty"`
	// Again is how long (s) a point the twin missed was measured once
	// more on both sides, againFactor times its first probe (0: it was
	// not): Measured, Twin and Noise are then the longer probes', First
	// the first ones' (measured, twin). A miss that was the draw of two
	// short probes is not one again; a twin off the board is.
	Again float64    `json:"again_s,omitempty"`
	First [2]float64 `json:"first,omitzero"`
	key   probeKey
}

// probeKey names the probe a row's point came from, to measure it again
// (kind "" for a point that is not measured again).
type probeKey struct {
	kind                  string // "echo", "rate", "down", "up"
	size, clients, window int
	dur                   float64 // the board's first probe, s
}

// InNoise reports whether a point outside the tolerance still lies within
// the tolerance plus twice the combined sampling error (Noise): the twin
// is not shown to be off there.
func (r Row) InNoise() bool {
	return r.Judged && !r.OK() && !r.Exact && r.Noise > 0 && math.Abs(r.Ratio()-1) <= r.Tol+2*r.Noise
}

// Missed reports whether the twin is shown not to reproduce the point:
// outside the tolerance and outside twice the combined sampling error.
func (r Row) Missed() bool { return !r.OK() && !r.InNoise() }

// OK reports whether the twin reproduced the point.
func (r Row) OK() bool {
	if !r.Judged {
		return true
	}
	if r.Exact {
		return r.Measured == r.Twin
	}
	return r.Measured > 0 && math.Abs(r.Twin-r.Measured) <= r.Tol*r.Measured
}

// Ratio is twin/measured (0 when measured is 0).
func (r Row) Ratio() float64 {
	if r.Measured == 0 {
		return 0
	}
	return r.Twin / r.Measured
}

// Tolerance is the default tolerance of a continuous figure.
const Tolerance = 0.15

// Compare lines up every probe point of the board (m) and its twin (t).
// tol is the tolerance of the continuous figures (0: Tolerance).
func Compare(m, t *Measurements, tol float64) []Row {
	if tol <= 0 {
		tol = Tolerance
	}
	var rows []Row
	add := func(probe, point, unit string, mv, tv float64, judged bool, k float64) {
		rows = append(rows, Row{Probe: probe, Point: point, Unit: unit, Measured: mv, Twin: tv, Tol: k * tol, Judged: judged && mv > 0 && tv > 0})
	}
	exact := func(probe, point string, mv, tv float64, text string) {
		rows = append(rows, Row{Probe: probe, Point: point, Measured: mv, Twin: tv, Exact: true, Judged: true, Text: text})
	}
	add("handshake", "p50", "ms", m.Handshake, t.Handshake, false, 1)
	for _, a := range m.Echo {
		b := find(t.Echo, a.Size, a.Clients)
		add("echo 1 client", fmt.Sprintf("%d B p50", a.Size), "ms", a.P50, b.P50, a.N >= 10, 1)
		rows[len(rows)-1].Noise = both(a.P50Err, b.P50Err)
		rows[len(rows)-1].key = probeKey{kind: "echo", size: a.Size, clients: 1, dur: a.Dur}
		add("echo 1 client", fmt.Sprintf("%d B p99", a.Size), "ms", a.P99, b.P99, false, 3)
	}
	if a := m.Sparse; a.N > 0 {
		add(fmt.Sprintf("echo every %s", SparseGap), "32 B p50", "ms", a.P50, t.Sparse.P50, a.N >= 8, 1)
		rows[len(rows)-1].Noise = both(a.P50Err, t.Sparse.P50Err)
	}
	for _, a := range m.Rate {
		b := findW(t.Rate, a.Size, a.Clients, a.Window)
		c := fmt.Sprintf("%d clients", a.Clients)
		if a.Window > 1 {
			c += fmt.Sprintf(" x%d in flight", a.Window)
		}
		add("rate", c+" msgs/s", "msg/s", a.Msgs, b.Msgs, a.N >= 20, 1)
		rows[len(rows)-1].Noise = both(a.rateErr(), b.rateErr())
		rows[len(rows)-1].key = probeKey{kind: "rate", size: a.Size, clients: a.Clients, window: a.Window, dur: a.Dur}
		add("rate", c+" p50", "ms", a.P50, b.P50, false, 1)
	}
	for _, a := range m.Down {
		b := find(t.Down, a.Size, a.Clients)
		pt := fmt.Sprintf("%d B", a.Size)
		if a.Clients > 1 {
			pt += fmt.Sprintf(" on %d connections", a.Clients)
		}
		add("download", pt, "MB/s", a.MBps, b.MBps, true, 1)
		rows[len(rows)-1].Noise = both(a.RateErr, b.RateErr)
		rows[len(rows)-1].key = probeKey{kind: "down", size: a.Size, clients: a.Clients, dur: a.Dur}
	}
	for _, a := range m.Up {
		b := find(t.Up, a.Size, a.Clients)
		pt := fmt.Sprintf("%d B", a.Size)
		if a.Clients > 1 {
			pt += fmt.Sprintf(" on %d connections", a.Clients)
		}
		add("upload", pt, "MB/s", a.MBps, b.MBps, true, 1)
		// One connection's from its runs; two connections' not estimated.
		rows[len(rows)-1].Noise = both(a.RateErr, b.RateErr)
		rows[len(rows)-1].key = probeKey{kind: "up", size: a.Size, clients: a.Clients, dur: a.runDur()}
	}
	exact("ladder", "message cap", float64(m.Cap), float64(t.Cap), "")
	exact("ladder", "close code", float64(m.CloseCode), float64(t.CloseCode), "")
	exact("connect", "slots held", float64(m.Held), float64(t.Held), "")
	same := 0.0
	if m.Refusal == t.Refusal {
		same = 1
	}
	exact("connect", "refusal", 1, same, m.Refusal+" / "+t.Refusal)
	add("idle", "ping after", "s", m.PingAfter, t.PingAfter, m.PingAfter > 0, 1)
	if len(m.Echo) > 0 && len(t.Echo) > 0 && m.Echo[0].P50 > 0 && t.Echo[0].P50 > 0 {
		a, b := m.Echo[0], t.Echo[0]
		add("tail", "p99/p50", "x", a.P99/a.P50, b.P99/b.P50, false, 1)
		add("tail", "p999/p50", "x", a.P999/a.P50, b.P999/b.P50, false, 1)
	}
	return rows
}

// both combines two relative standard errors (the ratio's, to first
// order); 0 when either side's is unknown.
func both(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return math.Hypot(a, b)
}

// rateErr is a closed loop's rate's relative standard error: messages in
// flight over the mean latency, so the mean's (CV over sqrt(n)).
func (p Point) rateErr() float64 {
	if p.CV <= 0 || p.N <= 0 {
		return 0
	}
	return p.CV / math.Sqrt(float64(p.N))
}

func find(ps []Point, size, clients int) Point { return findW(ps, size, clients, 0) }

func findW(ps []Point, size, clients, window int) Point {
	for _, p := range ps {
		if p.Size == size && p.Clients == clients && p.Window == window {
			return p
		}
	}
	return Point{}
}

// Misses counts the judged rows the twin is shown not to reproduce
// (Missed: outside the tolerance and the two probes' noise).
func Misses(rows []Row) int {
	n := 0
	for _, r := range rows {
		if r.Missed() {
			n++
		}
	}
	return n
}

// MissesInNoise counts the rows outside the tolerance but within it plus
// twice the combined sampling error (InNoise): not counted by Misses.
func MissesInNoise(rows []Row) int {
	n := 0
	for _, r := range rows {
		if r.InNoise() {
			n++
		}
	}
	return n
}

// PrintTable prints the side-by-side table: NOISE is the ratio's standard
// error (both probes' sampling errors combined), where estimated; a point
// measured again (Row.Again) says so, with its first ratio.
func PrintTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBE\tPOINT\tMEASURED\tTWIN\tTWIN/MEASURED\tNOISE\tVERDICT")
	for _, r := range rows {
		v := "ok"
		switch {
		case !r.Judged:
			v = "shown"
		case r.InNoise():
			v = "within noise"
		case !r.OK():
			v = "MISS"
		}
		tolS := ""
		if r.Judged && !r.Exact {
			tolS = fmt.Sprintf(" (±%.0f%%)", r.Tol*100)
		} else if r.Exact {
			tolS = " (exact)"
		}
		if r.InNoise() {
			tolS = fmt.Sprintf(" (±%.0f%% + 2x noise)", r.Tol*100)
		}
		if r.Again > 0 && r.First[0] > 0 {
			tolS += fmt.Sprintf("; measured again over %.3gs on both, first %.2f", r.Again, r.First[1]/r.First[0])
		}
		if r.Text != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t\t%s%s\n", r.Probe, r.Point, r.Text, v, tolS)
			continue
		}
		noise := ""
		if r.Noise > 0 {
			noise = fmt.Sprintf("±%.1f%%", r.Noise*100)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%s\t%s%s\n", r.Probe, r.Point, num(r.Measured, r.Unit), num(r.Twin, r.Unit), r.Ratio(), noise, v, tolS)
	}
	tw.Flush()
}

func num(v float64, unit string) string {
	switch {
	case unit == "":
		return fmt.Sprintf("%.0f", v)
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 1:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
	return fmt.Sprintf("%.3f %s", v, unit)
}
