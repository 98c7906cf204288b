package results

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
)

// Alpha is the family-wise significance level Compare uses: the chance
// that an unchanged run set shows any significant change, over all the
// figures compared together (Holm's correction).
const Alpha = 0.05

// Verdicts of a Change.
const (
	// VerdictNTooSmall: too few runs on a side for the test to ever reach
	// significance; the change is shown but not judged.
	VerdictNTooSmall = "n too small"
	// VerdictNoChange: the test found no significant difference.
	VerdictNoChange = "~"
	// VerdictBetter and VerdictWorse: a significant change, in the good or
	// the bad direction for the figure.
	VerdictBetter = "better"
	VerdictWorse  = "worse"
	// VerdictMissing: the figure is absent on at least one side.
	VerdictMissing = "missing"
)

// Change is how one figure moved between the old and new sets of runs.
type Change struct {
	Figure Figure
	// Old and New are the figure's values, one per run that has it.
	Old, New []float64
	// OldCenter and NewCenter are the medians (or the single value).
	OldCenter, NewCenter float64
	// Delta is NewCenter/OldCenter - 1 (NaN when OldCenter is 0).
	Delta float64
	// P is the Mann-Whitney U-test p-value; 1 when no test was possible.
	P float64
	// PAdj is P adjusted by Holm's step-down method over the figures of
	// the comparison that were tested (Comparison.Tested).
	PAdj float64
	// Significant is PAdj < Alpha with enough runs on both sides.
	Significant bool
	// Verdict is one of the Verdict constants.
	Verdict string
	// Warnings from the statistics, e.g. how many runs would be needed.
	Warnings []string

	tested bool
}

// Comparison is the result of Compare.
type Comparison struct {
	Scenario string // Scenario.Key of the runs
	OldN     int
	NewN     int
	Changes  []Change
	// Tested is how many figures had a test; the p-values are corrected
	// for that many (Holm). A figure with the same value in every run on
	// both sides (errors all 0) has no test and is not counted.
	Tested int
}

// Compare compares old runs with new runs of the same scenario (same
// Scenario.Key; shard and planned duration may differ) for every summary
// figure (msgs/s, up and down MB/s, p50, p99, p999, errors, refused, ram;
// FigureByName looks one up). Each figure is tested with the Mann-Whitney U-test (benchmath's
// AssumeNothing), which makes no assumption about the distribution, and
// the p-values are corrected for the number of figures tested with Holm's
// step-down method, so an unchanged run set shows a change in at most
// Alpha of comparisons. With a single run on a side, or too few runs for
// the corrected test to ever reach Alpha, the verdict is VerdictNTooSmall.
func Compare(old, new []*Run) (*Comparison, error) {
	if len(old) == 0 || len(new) == 0 {
		return nil, errors.New("compare: need at least one run on each side")
	}
	key := old[0].Scenario.Key()
	for _, r := range append(append([]*Run(nil), old...), new...) {
		if k := r.Scenario.Key(); k != key {
			return nil, fmt.Errorf("compare: run %s is %q, run %s is %q: not the same scenario", old[0].ID, key, r.ID, k)
		}
	}
	c := &Comparison{Scenario: key, OldN: len(old), NewN: len(new)}
	os, ns := summaries(old), summaries(new)
	for _, f := range figures {
		c.Changes = append(c.Changes, compareFigure(f, values(f, os), values(f, ns)))
	}
	c.holm()
	return c, nil
}

// holm adjusts the p-values of the tested figures (Holm 1979) and sets the
// verdicts from the adjusted values.
func (c *Comparison) holm() {
	var idx []int
	for i, ch := range c.Changes {
		if ch.tested {
			idx = append(idx, i)
		}
	}
	c.Tested = len(idx)
	sort.SliceStable(idx, func(a, b int) bool { return c.Changes[idx[a]].P < c.Changes[idx[b]].P })
	m := len(idx)
	running := 0.0
	for rank, i := range idx {
		ch := &c.Changes[i]
		running = math.Max(running, math.Min(1, float64(m-rank)*ch.P))
		ch.PAdj = running
		switch {
		case ch.PAdj < Alpha && ch.OldCenter != ch.NewCenter:
			ch.Significant = true
			if (ch.NewCenter > ch.OldCenter) == ch.Figure.HigherIsBetter {
				ch.Verdict = VerdictBetter
			} else {
				ch.Verdict = VerdictWorse
			}
		case float64(m)*minPossibleP(len(ch.Old), len(ch.New)) >= Alpha:
			ch.Verdict = VerdictNTooSmall
			ch.Warnings = append(ch.Warnings, fmt.Sprintf("%d vs %d runs cannot reach significance over %d figures", len(ch.Old), len(ch.New), m))
		default:
			ch.Verdict = VerdictNoChange
		}
	}
}

func summaries(runs []*Run) []Summary {
	s := make([]Summary, len(runs))
	for i, r := range runs {
		s[i] = r.Summary()
	}
	return s
}

func values(f Figure, ss []Summary) []float64 {
	var v []float64
	for _, s := range ss {
		if x, ok := f.Of(s); ok {
			v = append(v, x)
		}
	}
	return v
}

func compareFigure(f Figure, old, new []float64) Change {
	ch := Change{Figure: f, Old: old, New: new, P: 1, PAdj: 1, Delta: math.NaN()}
	if len(old) == 0 || len(new) == 0 {
		ch.Verdict = VerdictMissing
		return ch
	}
	th := &benchmath.Thresholds{CompareAlpha: Alpha}
	so, sn := benchmath.NewSample(old, th), benchmath.NewSample(new, th)
	ch.OldCenter = benchmath.AssumeNothing.Summary(so, 0.95).Center
	ch.NewCenter = benchmath.AssumeNothing.Summary(sn, 0.95).Center
	switch {
	case ch.OldCenter == ch.NewCenter:
		ch.Delta = 0
	case ch.OldCenter != 0:
		ch.Delta = ch.NewCenter/ch.OldCenter - 1
	}
	if len(old) < 2 || len(new) < 2 {
		ch.Verdict = VerdictNTooSmall
		ch.Warnings = append(ch.Warnings, fmt.Sprintf("%d vs %d runs: repeat runs to test significance", len(old), len(new)))
		return ch
	}
	if constant(old, new) {
		// Every value the same on both sides: no test could find a
		// difference, so it is not counted in the correction (Tarone).
		ch.Verdict = VerdictNoChange
		return ch
	}
	cmp := benchmath.AssumeNothing.Compare(so, sn)
	ch.P = cmp.P
	ch.tested = true
	for _, w := range cmp.Warnings {
		ch.Warnings = append(ch.Warnings, w.Error())
	}
	return ch
}

func constant(a, b []float64) bool {
	for _, v := range append(slices.Clone(a), b...) {
		if v != a[0] {
			return false
		}
	}
	return true
}

// minPossibleP is the smallest two-sided p-value the exact Mann-Whitney
// U-test can give for samples of sizes n1 and n2: 2 / C(n1+n2, n1).
func minPossibleP(n1, n2 int) float64 {
	lc, _ := math.Lgamma(float64(n1 + n2 + 1))
	l1, _ := math.Lgamma(float64(n1 + 1))
	l2, _ := math.Lgamma(float64(n2 + 1))
	return 2 / math.Exp(lc-l1-l2)
}

// write prints the comparison as an aligned table.
func (c *Comparison) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario: %s (old n=%d, new n=%d)\n", c.Scenario, c.OldN, c.NewN)
	fmt.Fprintln(tw, "figure\told\tnew\tdelta\tp (Holm)\tverdict")
	for _, ch := range c.Changes {
		if ch.Verdict == VerdictMissing {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t%s\n", ch.Figure.Name, ch.Verdict)
			continue
		}
		delta := "-"
		if !math.IsNaN(ch.Delta) {
			delta = fmt.Sprintf("%+.1f%%", ch.Delta*100)
		}
		p := "-"
		if len(ch.Old) > 1 && len(ch.New) > 1 {
			p = fmt.Sprintf("%.3f", ch.PAdj)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ch.Figure.Name,
			FormatValue(ch.OldCenter, ch.Figure.Unit), FormatValue(ch.NewCenter, ch.Figure.Unit), delta, p, ch.Verdict)
	}
	fmt.Fprintf(tw, "Mann-Whitney U-test; p-values Holm-corrected over the %d figures tested (family-wise alpha %g)\n", c.Tested, Alpha)
	return tw.Flush()
}

// FormatValue prints v with its unit, scaling microseconds to ms or s;
// bytes (and bytes/h) go through FormatBytes.
func FormatValue(v float64, unit string) string {
	switch unit {
	case "µs":
		switch {
		case math.Abs(v) >= 1e6:
			return trim(v/1e6, "s")
		case math.Abs(v) >= 1e3:
			return trim(v/1e3, "ms")
		}
		return trim(v, "µs")
	case "bytes", "bytes/h":
		return FormatBytes(int64(math.Round(v))) + strings.TrimPrefix(unit, "bytes")
	case "errors":
		return fmt.Sprintf("%.0f", v)
	}
	return trim(v, unit)
}

func trim(v float64, unit string) string {
	var s string
	switch a := math.Abs(v); {
	case a >= 100 || a == math.Trunc(a):
		s = fmt.Sprintf("%.0f", v)
	case a >= 10:
		s = fmt.Sprintf("%.1f", v)
	default:
		s = fmt.Sprintf("%.2f", v)
	}
	return s + " " + unit
}
