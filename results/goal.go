package results

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Op is a comparison in a goal clause.
type Op string

// The comparisons a clause may use.
const (
	OpLess      Op = "<"
	OpLessEq    Op = "<="
	OpGreater   Op = ">"
	OpGreaterEq Op = ">="
	OpEqual     Op = "=="
)

// Clause is one condition of a goal or threshold, e.g. "p99<=20ms".
type Clause struct {
	// Figure is one of goalFigures' names.
	Figure string
	Op     Op
	// Limit is in the figure's base unit: µs for latencies, bytes/s for
	// throughput, up and down, msgs/s for msgs, a count for errors and
	// refused, bytes for ram (or a fraction of the budget when Percent).
	Limit float64
	// Percent: ram's limit is a fraction of the board's heap budget.
	Percent bool
	// Text is the clause as written.
	Text string
}

// Goal is what a run must meet: every clause. A threshold is a goal.
type Goal []Clause

// goalFigures names the figures a goal may test, with what they mean.
var goalFigures = []struct{ Name, Means string }{
	{"p50", "median latency from the intended send time (ns, us, µs, ms, s, min)"},
	{"p90", "90th percentile latency"},
	{"p99", "99th percentile latency"},
	{"p999", "99.9th percentile latency"},
	{"throughput", "one-way payload rate (an echo's bytes count once): B/s, kB/s, KB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s"},
	{"up", "payload rate load generator -> board"},
	{"down", "payload rate board -> load generator"},
	{"msgs", "messages per second (a plain number, or with /s)"},
	{"errors", "errors other than refusals (a whole number)"},
	{"refused", "connections the board turned away (a whole number)"},
	{"ram", "the board's RAM in use: B, KiB, MiB, KB, MB, or % of its heap budget"},
}

// GoalFigureNames returns the names of the figures a goal (or a threshold)
// may test, in order: the one list help texts and error messages print.
func GoalFigureNames() []string {
	names := make([]string, len(goalFigures))
	for i, f := range goalFigures {
		names[i] = f.Name
	}
	return names
}

var (
	clauseRE = regexp.MustCompile(`^([a-z0-9/.]+)\s*(<=|>=|==|<|>)\s*(.*)$`)
	// A plain decimal number: no sign, hex, exponent, NaN or Inf.
	numberRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(.*)$`)
)

// ParseGoal reads a goal such as "p99<=20ms,throughput>1MB/s,errors==0".
// It parses exactly what is written: <, <=, >, >= and == mean what they
// say, every value is a plain decimal number with a unit from its figure's
// list, and anything ambiguous ("20m": minutes or milliseconds?) or not a
// number (NaN, Inf) is refused with a message that says what to write.
func ParseGoal(s string) (Goal, error) {
	var g Goal
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		c, err := parseClause(part)
		if err != nil {
			return nil, fmt.Errorf("goal %q: %w", part, err)
		}
		g = append(g, c)
	}
	if len(g) == 0 {
		return nil, fmt.Errorf("empty goal: want clauses such as 'p99<20ms,throughput>1MB/s'")
	}
	return g, nil
}

func parseClause(part string) (Clause, error) {
	m := clauseRE.FindStringSubmatch(strings.ToLower(part[:figureEnd(part)]) + part[figureEnd(part):])
	if m == nil {
		if strings.Contains(part, "=<") || strings.Contains(part, "=>") {
			return Clause{}, fmt.Errorf("operator: write <= or >=")
		}
		if strings.Contains(part, "!=") {
			return Clause{}, fmt.Errorf("!= is not supported: use <, <=, >, >= or ==")
		}
		if i := strings.IndexByte(part, '='); i > 0 && !strings.ContainsAny(part, "<>") {
			return Clause{}, fmt.Errorf("write == for equality")
		}
		return Clause{}, fmt.Errorf("want FIGURE OP VALUE with OP one of <, <=, >, >=, ==, e.g. p99<=20ms")
	}
	c := Clause{Figure: m[1], Op: Op(m[2]), Text: part}
	val := strings.TrimSpace(m[3])
	if strings.HasPrefix(val, "=") || strings.HasPrefix(val, "<") || strings.HasPrefix(val, ">") {
		return Clause{}, fmt.Errorf("operator %q: want one of <, <=, >, >=, ==", string(c.Op)+val[:1])
	}
	switch c.Figure {
	case "msgs/s":
		c.Figure = "msgs"
	case "p99.9":
		c.Figure = "p999"
	}
	nm := numberRE.FindStringSubmatch(val)
	if nm == nil {
		return Clause{}, fmt.Errorf("value %q: want a plain decimal number with a unit, e.g. 20ms", val)
	}
	num, err := strconv.ParseFloat(nm[1], 64)
	if err != nil || math.IsNaN(num) || math.IsInf(num, 0) {
		return Clause{}, fmt.Errorf("value %q is not a finite number", nm[1])
	}
	unit := strings.TrimSpace(nm[2])
	var mul float64
	switch c.Figure {
	case "p50", "p90", "p99", "p999":
		mul, err = durationUnit(unit)
	case "throughput", "up", "down":
		mul, err = rateUnit(unit)
	case "msgs":
		switch unit {
		case "", "/s", "msgs/s", "msg/s":
			mul = 1
		default:
			err = fmt.Errorf("unit %q: msgs takes a plain number per second, e.g. msgs>1000", unit)
		}
	case "errors", "refused":
		if unit != "" || num != math.Trunc(num) {
			err = fmt.Errorf("%s takes a whole number, e.g. %s==0", c.Figure, c.Figure)
		}
		mul = 1
	case "ram":
		if unit == "%" {
			c.Percent, mul = true, 0.01
		} else {
			mul, err = sizeUnit(unit)
		}
	default:
		return Clause{}, fmt.Errorf("unknown figure %q (want one of %s)", c.Figure, strings.Join(GoalFigureNames(), ", "))
	}
	if err != nil {
		return Clause{}, err
	}
	c.Limit = num * mul
	return c, nil
}

// figureEnd is where the figure name ends (lowercased before matching).
func figureEnd(s string) int {
	if i := strings.IndexAny(s, "<>=!"); i >= 0 {
		return i
	}
	return len(s)
}

// durationUnit returns the multiplier to microseconds.
func durationUnit(u string) (float64, error) {
	switch u {
	case "ns":
		return 1e-3, nil
	case "us", "µs", "μs":
		return 1, nil
	case "ms":
		return 1e3, nil
	case "s":
		return 1e6, nil
	case "min":
		return 60e6, nil
	case "m":
		return 0, fmt.Errorf("unit \"m\" is ambiguous: use ms or min")
	case "":
		return 0, fmt.Errorf("latencies need a unit, e.g. 20ms")
	}
	return 0, fmt.Errorf("unit %q: want ns, us, µs, ms, s or min", u)
}

// rateUnit returns the multiplier to bytes per second.
func rateUnit(u string) (float64, error) {
	switch u {
	case "B/s":
		return 1, nil
	case "kB/s", "KB/s":
		return 1e3, nil
	case "MB/s":
		return 1e6, nil
	case "GB/s":
		return 1e9, nil
	case "KiB/s":
		return 1 << 10, nil
	case "MiB/s":
		return 1 << 20, nil
	case "GiB/s":
		return 1 << 30, nil
	case "b/s", "kb/s", "Kb/s", "Mb/s", "mb/s", "Gb/s", "kbps", "Mbps", "mbps":
		return 0, fmt.Errorf("unit %q: bits or bytes? write bytes with a capital B, e.g. MB/s", u)
	case "":
		return 0, fmt.Errorf("throughput needs a unit, e.g. 1MB/s")
	}
	return 0, fmt.Errorf("unit %q: want B/s, kB/s, MB/s, GB/s, KiB/s, MiB/s or GiB/s", u)
}

// sizeUnit returns the multiplier to bytes.
func sizeUnit(u string) (float64, error) {
	switch u {
	case "B":
		return 1, nil
	case "kB", "KB":
		return 1e3, nil
	case "MB":
		return 1e6, nil
	case "KiB":
		return 1 << 10, nil
	case "MiB":
		return 1 << 20, nil
	case "":
		return 0, fmt.Errorf("ram needs a unit, e.g. ram<64KiB or ram<80%%")
	}
	return 0, fmt.Errorf("unit %q: want B, KB, MB, KiB, MiB or %%", u)
}

func (g Goal) String() string {
	s := make([]string, len(g))
	for i, c := range g {
		s[i] = c.Text
	}
	return strings.Join(s, ",")
}

// ramInUse is the board's RAM in use in bytes and its budget, as the board
// reports them: the static footprint of its slots and buffers (the most a
// board's stack holds), never the heap of the host process that emulates
// it. ok is false when the board reported no footprint.
func (r *Run) ramInUse() (inUse, budget int64, ok bool) {
	// The board's own figure at its peak when it reports one (a wslab
	// board's /stats "ram"), else its static footprint.
	for _, h := range r.Heap {
		inUse = max(inUse, h.RAMInUse)
	}
	if inUse == 0 {
		inUse = r.Board.StaticFootprint
		for _, h := range r.Heap {
			inUse = max(inUse, h.StaticFootprint)
		}
	}
	return inUse, r.Board.HeapBudget, inUse > 0
}

// CPUBusyPeak is the board's busiest stretch in the run (CPUBusySeries),
// in permille (1000: every core busy). ok is false when the board does not
// report a CPU or the run has fewer than two samples with it.
func (r *Run) CPUBusyPeak() (permille int64, ok bool) {
	s, ok := r.CPUBusySeries()
	for _, c := range s {
		permille = max(permille, c.Permille)
	}
	return permille, ok
}

// CPUStretch is the board's CPU over a stretch of a run: busy From To in
// permille of its cores.
type CPUStretch struct {
	From, To Duration
	Permille int64
}

// CPUBusySeries is the board's CPU through the run: the growth of its CPU
// busy time between heap samples over the time between them and its
// cores. A stretch spans at least CPUMinSpan (the busy time counts whole
// milliseconds: over a shorter gap, such as the last sample taken just
// after the run, one of them reads as a busy board), closer samples join
// the next; a series shorter than that is one stretch. ok is false when
// the board does not report a CPU or the run has fewer than two samples
// with it.
func (r *Run) CPUBusySeries() (s []CPUStretch, ok bool) {
	var prev, first, last *HeapSample
	busyEver := false
	stretch := func(a, b *HeapSample) {
		if b.Offset > a.Offset && b.CPUBusyMs >= a.CPUBusyMs {
			busy := float64(b.CPUBusyMs-a.CPUBusyMs) * float64(time.Millisecond)
			p := int64(1000*busy/float64(b.Offset-a.Offset)/float64(b.CPUCores) + 0.5)
			s = append(s, CPUStretch{From: a.Offset, To: b.Offset, Permille: min(p, 1000)})
		}
	}
	for i := range r.Heap {
		h := &r.Heap[i]
		if h.CPUCores == 0 {
			continue // a reading without the CPU figures
		}
		busyEver = busyEver || h.CPUBusyMs > 0
		if first == nil {
			first = h
		}
		last = h
		if prev != nil && time.Duration(h.Offset-prev.Offset) < CPUMinSpan {
			continue
		}
		if prev != nil {
			stretch(prev, h)
		}
		prev = h
	}
	if len(s) == 0 && first != nil && last != first {
		stretch(first, last)
	}
	// A board whose CPU is not modelled reports 0 ms busy throughout.
	if len(s) == 0 || !busyEver {
		return nil, false
	}
	return s, true
}

// CPUMinSpan is the shortest stretch CPUBusyPeak measures the board's CPU
// over.
const CPUMinSpan = 100 * time.Millisecond

// Refused counts connections the board turned away, whatever the way:
// nothing listening, an HTTP status instead of the upgrade, a close or a
// reset before the upgrade. The kinds are in RefusalKinds.
func (r *Run) Refused() int64 {
	var n int64
	for _, v := range r.RefusalKinds() {
		n += v
	}
	return n
}

// RefusalKinds returns the refusals by kind: "refused" (TCP connect
// refused: nothing listening, or a stack out of PCBs), "handshake NNN" (an
// HTTP status instead of the upgrade, e.g. 503), "handshake eof" (accepted,
// then closed without a byte) and "reset" (reset before the upgrade: the
// connections that failed for no other recorded reason, at most the resets
// counted). Keys the load generator adds with the prefix "refused " count
// too.
func (r *Run) RefusalKinds() map[string]int64 {
	out := map[string]int64{}
	var handshake int64
	for k, v := range r.Errors {
		if v <= 0 {
			continue
		}
		switch {
		case k == "refused" || strings.HasPrefix(k, "refused "):
			out[k] = v
		case k == "hung" || k == "syn timeout" || k == "evicted":
			// A backlog board's newcomer left hanging, an lwIP board's
			// dropped SYN, AsyncWebSocket's oldest client evicted.
			out[k] = v
		case k == "handshake eof" || strings.HasPrefix(k, "handshake ") && k != "handshake bad":
			out[k] = v
			handshake += v
		}
	}
	// What the load generator counted as refused without a key of its own
	// is resets before the upgrade and, in an older record, "nothing
	// listening". (Evicted clients were admitted first: not in
	// ConnsRefused.)
	var named int64
	for k, v := range out {
		if k != "evicted" {
			named += v
		}
	}
	if rest := r.Counts.ConnsRefused - named; rest > 0 {
		if resets := min(rest, r.Errors["reset"]); resets > 0 {
			out["reset"] = resets
			rest -= resets
		}
		if _, ok := out["refused"]; !ok && rest > 0 {
			out["refused"] = rest
		}
	} else if r.Counts.ConnsRefused == 0 {
		// A record from before resets counted as refusals.
		other := r.Counts.ConnsFailed - handshake - r.Errors["timeout"] - r.Errors["handshake bad"]
		if resets := min(other, r.Errors["reset"]); resets > 0 {
			out["reset"] = resets
		}
	}
	return out
}

// value returns the clause's figure for run r in the clause's base unit,
// and false when the run does not have it.
func (c Clause) value(r *Run) (float64, bool) {
	s := r.Summary()
	switch c.Figure {
	case "p50":
		return s.P50, s.HasLatency
	case "p90":
		q, ok := r.quantile(HistLatency, 0.90)
		if !ok {
			q, ok = r.quantile(HistService, 0.90)
		}
		return float64(q), ok
	case "p99":
		return s.P99, s.HasLatency
	case "p999":
		return s.P999, s.HasLatency
	case "throughput":
		return s.OneWayMBPerSec * 1e6, true
	case "up":
		return s.UpMBPerSec * 1e6, true
	case "down":
		return s.DownMBPerSec * 1e6, true
	case "msgs":
		return s.MsgsPerSec, true
	case "errors":
		return float64(s.Errors - s.Refused), true
	case "refused":
		return float64(r.Refused()), true
	case "ram":
		used, budget, ok := r.ramInUse()
		if c.Percent {
			if budget <= 0 {
				return 0, false
			}
			return float64(used) / float64(budget), ok
		}
		return float64(used), ok
	}
	return 0, false
}

// holds reports whether value v meets the clause.
func (c Clause) holds(v float64) bool {
	switch c.Op {
	case OpLess:
		return v < c.Limit
	case OpLessEq:
		return v <= c.Limit
	case OpGreater:
		return v > c.Limit
	case OpGreaterEq:
		return v >= c.Limit
	case OpEqual:
		return v == c.Limit
	}
	return false
}

// check reports whether r meets c, and the margin: how far the value is
// from the limit as a fraction of the limit (of 1 when the limit is 0),
// negative when it fails. A run without the figure fails with margin -Inf.
func (c Clause) check(r *Run) (ok bool, margin float64) {
	v, has := c.value(r)
	if !has {
		return false, math.Inf(-1)
	}
	return c.holds(v), c.margin(v)
}

// margin is how far v is on the good side of the limit, as a fraction of
// it; negative when v fails the clause.
func (c Clause) margin(v float64) float64 {
	lim := math.Abs(c.Limit)
	if lim == 0 {
		lim = 1
	}
	var m float64
	switch c.Op {
	case OpLess, OpLessEq:
		m = (c.Limit - v) / lim
	case OpGreater, OpGreaterEq:
		m = (v - c.Limit) / lim
	case OpEqual:
		m = -math.Abs(v-c.Limit) / lim
	}
	if !c.holds(v) && m >= 0 {
		// On the limit of a strict clause: failing, by the least amount.
		m = -math.SmallestNonzeroFloat64
	}
	return m
}

// check reports whether r meets every clause, and its worst margin and
// the clause that gave it.
func (g Goal) check(r *Run) (ok bool, worst float64, clause Clause) {
	ok, worst = true, math.Inf(1)
	for _, c := range g {
		cok, m := c.check(r)
		ok = ok && cok
		if m < worst || clause.Text == "" {
			worst, clause = m, c
		}
	}
	return ok, worst, clause
}

// FormatValue prints a value in the clause's base unit the way its figure
// reads: latencies in µs/ms/s, rates in MB/s, RAM in KiB or %.
func (c Clause) FormatValue(v float64) string {
	switch c.Figure {
	case "p50", "p90", "p99", "p999":
		return FormatValue(v, "µs")
	case "throughput", "up", "down":
		return FormatValue(v/1e6, "MB/s")
	case "msgs":
		return FormatValue(v, "msg/s")
	case "ram":
		if c.Percent {
			return fmt.Sprintf("%.0f%%", v*100)
		}
		return FormatValue(v, "bytes")
	}
	return fmt.Sprintf("%.0f", v)
}
