package gate

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// shown reports whether a row belongs in the compact table: it failed,
// changed in a gated unit (ok), or needs a reader's eye (missing, new, too
// few samples). Unchanged rows ("~", 0 ± 0%) and ungated ones are left to
// the verbose table.
func (row Row) shown() bool {
	switch row.Verdict {
	case Same, NotGated:
		return false
	}
	return true
}

// WriteTable prints r as an aligned table, one row per benchmark and unit
// (only the rows Row.shown keeps unless r.Verbose):
//
//	benchmark  unit  base  head  delta  p  verdict
//
// where base and head are "median ± CI" (the half-width of the 95%
// confidence interval in percent, ∞ when a sample is too small for one),
// followed by benchmath's warnings (deduplicated) and the summary line.
func (r *Report) WriteTable(w io.Writer) error {
	o := r.Options
	var b strings.Builder
	fmt.Fprintf(&b, "gate: BASE %s vs HEAD %s\n", r.Base, r.Head)
	kinds := make([]string, len(o.Kinds))
	for i, k := range o.Kinds {
		kinds[i] = k.String()
	}
	fmt.Fprintf(&b, "rules: gated %s; sec/op fails if p < %g (Mann-Whitney, Holm-adjusted over the %d sec/op rows) and > +%s; instr/op fails if > +%s; allocs/op and B/op fail on any rise\n\n",
		strings.Join(kinds, ","), o.Alpha, r.TimeTests, formatPct(o.TimeThreshold), formatPct(o.InstrThreshold))

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tunit\tbase\thead\tdelta\tp\tverdict")
	hidden := 0
	for _, row := range r.Rows {
		if !r.Verbose && !row.shown() {
			hidden++
			continue
		}
		name := row.Key.String()
		if row.Key.Pkg != "" && r.multiPkg() {
			name = row.Key.Pkg + "." + name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, row.Unit,
			cell(row, row.Base, row.HasBase), cell(row, row.Head, row.HasHead),
			formatDelta(row.Delta), pCell(row), verdictCell(row))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "(%d unchanged or ungated rows not shown; -v shows every row)\n", hidden)
	}

	// benchmath's warnings repeat for every row of a small sample; print
	// each once with the number of rows it concerns.
	count := map[string]int{}
	var order []string
	for _, row := range r.Rows {
		for _, wmsg := range row.Warnings {
			if count[wmsg] == 0 {
				order = append(order, wmsg)
			}
			count[wmsg]++
		}
	}
	if len(order) > 0 {
		b.WriteString("\n")
	}
	for _, wmsg := range order {
		fmt.Fprintf(&b, "note: %s (%d rows)\n", wmsg, count[wmsg])
	}
	fmt.Fprintf(&b, "\n%s\n", r.summaryLine())
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) multiPkg() bool {
	var first string
	for i, row := range r.Rows {
		if i == 0 {
			first = row.Key.Pkg
		} else if row.Key.Pkg != first {
			return true
		}
	}
	return false
}

func cell(row Row, s Summary, ok bool) string {
	if !ok {
		return "-"
	}
	if row.Unit == "" {
		return "present"
	}
	var vals []float64
	if row.HasBase {
		vals = append(vals, row.Base.Median)
	}
	if row.HasHead {
		vals = append(vals, row.Head.Median)
	}
	v := benchunit.CommonScale(vals, benchunit.ClassOf(row.Unit)).Format(s.Median)
	if s.Median == math.Trunc(s.Median) && math.Abs(s.Median) < 1e6 && row.Kind != Time {
		v = formatCount(s.Median) // counts read best whole: "0", "1", "19472"
	}
	if s.N == 1 {
		return v
	}
	return v + " ± " + benchmath.Summary{Center: s.Median, Lo: s.Lo, Hi: s.Hi}.PctRangeString()
}

func pCell(row Row) string {
	if !row.HasBase || !row.HasHead || row.Unit == "" {
		return ""
	}
	n := fmt.Sprintf("n=%d", row.Base.N)
	if row.Base.N != row.Head.N {
		n = fmt.Sprintf("n=%d+%d", row.Base.N, row.Head.N)
	}
	if math.IsNaN(row.P) {
		return n
	}
	return fmt.Sprintf("p=%.3f %s", row.PAdj, n)
}

func verdictCell(row Row) string {
	switch row.Verdict {
	case Fail:
		return "FAIL: " + row.Reason
	case Missing:
		return "warning: " + row.Reason
	}
	return row.Verdict.String()
}

// summaryLine returns the one-line verdict of the whole report, starting with
// "FAIL:" or "ok:".
func (r *Report) summaryLine() string {
	n := map[Verdict]int{}
	for _, row := range r.Rows {
		n[row.Verdict]++
	}
	var extra []string
	for _, v := range []Verdict{TooFew, NotGated, Missing, New} {
		if n[v] > 0 {
			extra = append(extra, fmt.Sprintf("%d %s", n[v], v))
		}
	}
	tail := fmt.Sprintf("%d rows", len(r.Rows))
	if len(extra) > 0 {
		tail += "; " + strings.Join(extra, ", ")
	}
	fails := r.failures()
	if len(fails) == 0 {
		return "ok: no regressions (" + tail + ")"
	}
	var what []string
	for _, f := range fails {
		what = append(what, fmt.Sprintf("%s %s", f.Key, f.Reason))
	}
	word := "regressions"
	if len(fails) == 1 {
		word = "regression"
	}
	return fmt.Sprintf("FAIL: %d %s: %s (%s)", len(fails), word, strings.Join(what, "; "), tail)
}
