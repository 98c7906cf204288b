// Package gate is the CI performance gate: it compares two files of Go
// benchmark results, BASE and HEAD, and says which benchmarks regressed.
//
// It promises, per benchmark and unit present in both files:
//
//   - allocs/op and B/op: any rise of the median fails; these counts are
//     exact, so no statistics are needed.
//   - instr/op (from bench/instr): a rise of the median by more than
//     Options.InstrThreshold (default 1%) fails.
//   - sec/op (ns/op): fails only when the Mann-Whitney U test rejects "same
//     distribution" at Options.Alpha (default 0.01) family-wise, its
//     p-value Holm-adjusted over every sec/op row of the report, AND the
//     median rose by more than Options.TimeThreshold (default 10%).
//     Samples too small for the corrected test ever to reach Alpha never
//     fail; the row says "too few samples" and how many it needs. In
//     --against mode a failure is confirmed by an interleaved rerun
//     (Confirm) before it counts.
//   - every other unit (B/s, custom metrics) is reported, never gated, and
//     so is a gated kind the caller switched off with Options.Kinds.
//   - a benchmark or unit in BASE but not in HEAD is a warning, not a
//     failure; one only in HEAD is reported as new.
//
// Files are parsed with golang.org/x/perf/benchfmt and the statistics are
// golang.org/x/perf/benchmath's AssumeNothing (median, its confidence
// interval, Mann-Whitney U). Compare returns a Report whose rows carry the
// verdicts; WriteTable prints it as an aligned, benchstat-like table.
//
// What the time rule tolerates: on a shared 2-core machine the median of the
// same binary moves by up to 1.45x between runs minutes apart, while each
// run's samples sit close together, so two sequential runs of ten differ
// "significantly". Gate sec/op only on interleaved runs (RunAB does that) and
// gate CI on a noisy box on allocs, bytes and instr (Options.Kinds).
package gate

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"
)

// A Kind is the class of a unit, which decides the rule that gates it.
type Kind int

// The kinds of units. Each has its own rule (see the package doc).
const (
	Time   Kind = iota // sec/op (ns/op in the file)
	Allocs             // allocs/op
	Bytes              // B/op
	Instr              // instr/op
	Other              // any other unit: reported, never gated
)

var kindNames = [...]string{Time: "time", Allocs: "allocs", Bytes: "bytes", Instr: "instr", Other: "other"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// kindOf returns the kind of a unit as benchfmt tidies it.
func kindOf(unit string) Kind {
	switch unit {
	case "sec/op":
		return Time
	case "allocs/op":
		return Allocs
	case "B/op":
		return Bytes
	case "instr/op":
		return Instr
	}
	return Other
}

// ParseKinds parses a comma-separated list of gated kinds such as
// "time,allocs,bytes,instr". Unit spellings are accepted too: sec, ns,
// sec/op, ns/op, alloc, allocs/op, B, B/op, instr/op.
func ParseKinds(s string) ([]Kind, error) {
	var ks []Kind
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		var k Kind
		switch strings.ToLower(f) {
		case "time", "sec", "ns", "sec/op", "ns/op":
			k = Time
		case "allocs", "alloc", "allocs/op":
			k = Allocs
		case "bytes", "b", "b/op":
			k = Bytes
		case "instr", "instr/op", "instructions":
			k = Instr
		case "":
			continue
		default:
			return nil, fmt.Errorf("unknown unit kind %q (want time, allocs, bytes or instr)", f)
		}
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("no unit kinds in %q", s)
	}
	return ks, nil
}

// ParseFraction parses a threshold written as a percentage ("10%", "0.5%")
// or as a fraction ("0.1"). It returns the fraction.
func ParseFraction(s string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if strings.HasSuffix(t, "%") {
		t, scale = strings.TrimSpace(strings.TrimSuffix(t, "%")), 100
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("bad threshold %q (want e.g. 10%% or 0.1)", s)
	}
	return v / scale, nil
}

// Options configures Compare. The zero value means the defaults.
type Options struct {
	// Alpha is the Mann-Whitney U significance level for sec/op.
	// Zero means 0.01.
	Alpha float64
	// TimeThreshold is the rise of the sec/op median, as a fraction, that
	// fails when also significant. Zero means 0.10 (10%).
	TimeThreshold float64
	// InstrThreshold is the rise of the instr/op median, as a fraction,
	// that fails. Zero means 0.01 (1%).
	InstrThreshold float64
	// Kinds lists the kinds that are gated. Nil means Time, Allocs, Bytes
	// and Instr. Other is never gated.
	Kinds []Kind
	// Confidence is the level of the medians' confidence intervals.
	// Zero means 0.95.
	Confidence float64
}

func (o Options) withDefaults() Options {
	if o.Alpha == 0 {
		o.Alpha = 0.01
	}
	if o.TimeThreshold == 0 {
		o.TimeThreshold = 0.10
	}
	if o.InstrThreshold == 0 {
		o.InstrThreshold = 0.01
	}
	if o.Kinds == nil {
		o.Kinds = []Kind{Time, Allocs, Bytes, Instr}
	}
	if o.Confidence == 0 {
		o.Confidence = 0.95
	}
	return o
}

func (o Options) gated(k Kind) bool {
	if k == Other {
		return false
	}
	for _, g := range o.Kinds {
		if g == k {
			return true
		}
	}
	return false
}

// A Verdict is the outcome of one row.
type Verdict int

// The verdicts. Only Fail fails the gate.
const (
	Same     Verdict = iota // "~": no change, or none the rule can tell from noise
	OK                      // "ok": a change the rule accepts (an improvement, or within threshold)
	Fail                    // "FAIL: ...": a regression
	TooFew                  // "too few samples": sec/op with samples too small to reach Alpha
	NotGated                // "not gated": an Other unit, or a kind not in Options.Kinds
	Missing                 // "missing in HEAD": a warning
	New                     // "new": only in HEAD
)

var verdictNames = [...]string{Same: "~", OK: "ok", Fail: "FAIL", TooFew: "too few samples", NotGated: "not gated", Missing: "missing in HEAD", New: "new"}

func (v Verdict) String() string {
	if v >= 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "Verdict(" + strconv.Itoa(int(v)) + ")"
}

// A Summary describes one side's sample of one unit: its size, median and
// the median's confidence interval (infinite when the sample is too small).
type Summary struct {
	N              int
	Median, Lo, Hi float64
}

// A Row is the comparison of one benchmark in one unit.
type Row struct {
	Key  Key
	Unit string // tidied unit, e.g. "sec/op"; "" on a Missing or New benchmark row
	Kind Kind

	// Base and Head summarize the two samples; HasBase and HasHead say
	// which exist.
	Base, Head       Summary
	HasBase, HasHead bool

	// Delta is Head.Median/Base.Median - 1 (+Inf when the base median is 0
	// and the head's is not; 0 when both are 0). NaN unless both exist.
	Delta float64
	// P is the Mann-Whitney U p-value (sec/op only); NaN otherwise.
	P float64
	// PAdj is P adjusted by Holm's method over the report's time rows.
	PAdj float64

	Verdict Verdict
	// Reason explains a Fail ("+1 allocs/op", "+31.2% sec/op") and other
	// verdicts where useful.
	Reason string
	// Warnings are benchmath's notes on sec/op samples (e.g. "need >= 6
	// samples for confidence interval at level 0.95").
	Warnings []string
}

// A Report is the result of Compare.
type Report struct {
	Base, Head string // source names
	Options    Options
	Rows       []Row
	// Verbose makes WriteTable print every row, not only those that
	// changed, failed or need attention.
	Verbose bool
	// TimeTests is the number of sec/op rows tested together (Holm).
	TimeTests int
}

// failures returns the rows whose verdict is Fail.
func (r *Report) failures() []Row { return r.filter(Fail) }

// Failed reports whether any row failed.
func (r *Report) Failed() bool { return len(r.failures()) > 0 }

func (r *Report) filter(v Verdict) []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict == v {
			out = append(out, row)
		}
	}
	return out
}

// row returns the row for benchmark name (full name, with or without the
// "Benchmark" prefix) and unit, ignoring the package, and whether it exists.
// Tests use it; the first match wins.
func (r *Report) row(name, unit string) (Row, bool) {
	name = strings.TrimPrefix(name, "Benchmark")
	for _, row := range r.Rows {
		if row.Key.Name == name && row.Unit == unit {
			return row, true
		}
	}
	return Row{}, false
}

// unitOrder puts the gated units first, in a fixed order.
var unitOrder = map[string]int{"sec/op": 0, "B/op": 1, "allocs/op": 2, "instr/op": 3}

func sortedUnits(base, head []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]string{base, head} {
		for _, u := range list {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	// Stable: known units by unitOrder, the rest in first-seen order.
	rank := func(u string) int {
		if r, ok := unitOrder[u]; ok {
			return r
		}
		return len(unitOrder)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && rank(out[j]) < rank(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Compare applies the gate's rules to every benchmark and unit of base and
// head. Rows come in BASE's order, then benchmarks new in HEAD.
func Compare(base, head *Set, opts Options) *Report {
	o := opts.withDefaults()
	rep := &Report{Base: base.Name, Head: head.Name, Options: o}
	for _, k := range base.keys() {
		if _, ok := head.samples[k]; !ok {
			rep.Rows = append(rep.Rows, Row{Key: k, Verdict: Missing, HasBase: true, Delta: math.NaN(), P: math.NaN(),
				Reason: "benchmark missing in HEAD"})
			continue
		}
		for _, u := range sortedUnits(base.unitsOf(k), head.unitsOf(k)) {
			rep.Rows = append(rep.Rows, compareUnit(k, u, base.Values(k, u), head.Values(k, u), o))
		}
	}
	for _, k := range head.keys() {
		if _, ok := base.samples[k]; !ok {
			rep.Rows = append(rep.Rows, Row{Key: k, Verdict: New, HasHead: true, Delta: math.NaN(), P: math.NaN(),
				Reason: "new benchmark"})
		}
	}
	rep.holmTime()
	return rep
}

// holmTime judges the sec/op rows together: their p-values are adjusted
// by Holm's step-down method over the m rows tested, so that identical
// code fails with probability at most Alpha however many benchmarks there
// are (a 155-row table at 0.01 per row used to fail identical code). A row
// fails when its adjusted p is below Alpha and its median rose by more
// than TimeThreshold. With samples too small for even the smallest
// possible p, times m, to reach Alpha, the row says how many it needs.
func (r *Report) holmTime() {
	o := r.Options
	var idx []int
	for i, row := range r.Rows {
		if row.Kind == Time && row.HasBase && row.HasHead && row.Verdict != NotGated {
			idx = append(idx, i)
		}
	}
	m := len(idx)
	r.TimeTests = m
	sort.SliceStable(idx, func(a, b int) bool { return r.Rows[idx[a]].P < r.Rows[idx[b]].P })
	running := 0.0
	for rank, i := range idx {
		row := &r.Rows[i]
		running = math.Max(running, math.Min(1, float64(m-rank)*row.P))
		row.PAdj = running
		switch {
		case float64(m)*minUTestP(row.Base.N, row.Head.N) > o.Alpha:
			row.Verdict = TooFew
			need := 1
			for float64(m)*minUTestP(need, need) > o.Alpha && need < 1000 {
				need++
			}
			row.Reason = fmt.Sprintf("too few samples: need %d per side for alpha %g over %d time rows", need, o.Alpha, m)
		case row.PAdj >= o.Alpha:
			row.Verdict = Same
		case row.Delta > o.TimeThreshold:
			row.Verdict, row.Reason = Fail, fmt.Sprintf("%s %s (p=%.3g, Holm over %d)", formatDelta(row.Delta), row.Unit, row.PAdj, m)
		default:
			row.Verdict = OK
		}
	}
}

func summarize(vals []float64, kind Kind, o Options, warn *[]string) (Summary, *benchmath.Sample) {
	th := benchmath.Thresholds{CompareAlpha: o.Alpha}
	s := benchmath.NewSample(append([]float64(nil), vals...), &th)
	sum := benchmath.AssumeNothing.Summary(s, o.Confidence)
	if kind == Time {
		// The confidence interval matters for timings; counts are
		// exact and usually a single sample.
		for _, w := range sum.Warnings {
			*warn = append(*warn, w.Error())
		}
	}
	return Summary{N: len(vals), Median: sum.Center, Lo: sum.Lo, Hi: sum.Hi}, s
}

func compareUnit(k Key, unit string, bv, hv []float64, o Options) Row {
	row := Row{Key: k, Unit: unit, Kind: kindOf(unit), Delta: math.NaN(), P: math.NaN(),
		HasBase: len(bv) > 0, HasHead: len(hv) > 0}
	var bs, hs *benchmath.Sample
	if row.HasBase {
		row.Base, bs = summarize(bv, row.Kind, o, &row.Warnings)
	}
	if row.HasHead {
		row.Head, hs = summarize(hv, row.Kind, o, &row.Warnings)
	}
	switch {
	case !row.HasHead:
		row.Verdict, row.Reason = Missing, unit+" missing in HEAD"
		return row
	case !row.HasBase:
		row.Verdict, row.Reason = New, "new unit"
		return row
	}
	row.Delta = relDelta(row.Base.Median, row.Head.Median)
	if row.Kind == Time {
		c := benchmath.AssumeNothing.Compare(bs, hs)
		row.P = c.P
	}
	gated := o.gated(row.Kind)
	switch row.Kind {
	case Allocs, Bytes:
		if d := row.Head.Median - row.Base.Median; d > 0 {
			row.Verdict, row.Reason = Fail, "+"+formatCount(d)+" "+unit
		} else if d < 0 {
			row.Verdict = OK
		}
	case Instr:
		switch {
		case row.Delta > o.InstrThreshold:
			row.Verdict, row.Reason = Fail, fmt.Sprintf("%s %s (> %s)", formatDelta(row.Delta), unit, formatPct(o.InstrThreshold))
		case row.Delta != 0:
			row.Verdict = OK
		}
	case Time:
		// Judged in holmTime, over all the time rows of the report.
	default:
		row.Verdict = NotGated
	}
	if !gated && row.Kind != Other {
		row.Verdict, row.Reason = NotGated, row.Kind.String()+" not gated"
	}
	return row
}

func relDelta(base, head float64) float64 {
	switch {
	case base == head:
		return 0
	case base == 0:
		return math.Inf(int(math.Copysign(1, head)))
	}
	return head/base - 1
}

// minUTestP is the smallest two-sided p-value the Mann-Whitney U test can
// give for samples of sizes n1 and n2: both samples entirely apart, which is
// 2 of the C(n1+n2, n1) equally likely orderings.
func minUTestP(n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	lc, _ := math.Lgamma(float64(n1 + n2 + 1))
	l1, _ := math.Lgamma(float64(n1 + 1))
	l2, _ := math.Lgamma(float64(n2 + 1))
	return math.Min(1, 2*math.Exp(-(lc-l1-l2)))
}

// samplesFor returns the smallest equal sample size per side whose minimum
// p-value reaches alpha.
func samplesFor(alpha float64) (float64, int) {
	for n := 1; n < 1000; n++ {
		if p := minUTestP(n, n); p <= alpha {
			return p, n
		}
	}
	return 1, 1000
}

func formatDelta(d float64) string {
	switch {
	case math.IsNaN(d):
		return ""
	case math.IsInf(d, 1):
		return "+∞"
	case math.IsInf(d, -1):
		return "-∞"
	case d == 0:
		return "0.00%"
	}
	return fmt.Sprintf("%+.2f%%", 100*d)
}

func formatPct(f float64) string {
	return strconv.FormatFloat(100*f, 'g', -1, 64) + "%"
}

func formatCount(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// SuspectedTime returns a -test.bench regular expression that selects the
// top-level benchmarks with a failed sec/op row, or "" when there is none.
func SuspectedTime(r *Report) string {
	seen := map[string]bool{}
	var names []string
	for _, row := range r.Rows {
		if row.Kind != Time || row.Verdict != Fail {
			continue
		}
		top, _, _ := strings.Cut(row.Key.Name, "/")
		top = trimProcs(top)
		if !seen[top] {
			seen[top] = true
			names = append(names, regexp.QuoteMeta("Benchmark"+top))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "^(" + strings.Join(names, "|") + ")$"
}

// trimProcs removes a "-N" GOMAXPROCS suffix from a top-level name.
func trimProcs(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

// Confirm keeps a sec/op failure of r only where the rerun also fails it;
// a failure the rerun does not confirm becomes OK with the reason saying
// so. Other rows are left alone.
func Confirm(r, rerun *Report) {
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Kind != Time || row.Verdict != Fail {
			continue
		}
		again, ok := rerun.rowFor(row.Key, row.Unit)
		switch {
		case ok && again.Verdict == Fail:
			row.Reason += fmt.Sprintf("; confirmed by a rerun (%s, p=%.3f)", formatDelta(again.Delta), again.P)
		case ok:
			row.Verdict, row.Reason = OK, fmt.Sprintf("not confirmed: %s on the first run, %s (%s) on an interleaved rerun", formatDelta(row.Delta), formatDelta(again.Delta), again.Verdict)
		default:
			row.Verdict, row.Reason = OK, "not confirmed: absent from the rerun"
		}
	}
}

func (r *Report) rowFor(k Key, unit string) (Row, bool) {
	for _, row := range r.Rows {
		if row.Key == k && row.Unit == unit {
			return row, true
		}
	}
	return Row{}, false
}
