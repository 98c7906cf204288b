package plots

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wslab/wslab/results"
)

// MaxLines is the most runs Select puts in one line plot.
const MaxLines = 8

// Select returns every figure that applies to runs, with unique file names:
//
//   - per scenario: the latency spectrum and latency over time of the latest
//     run of each board and connection count (at most MaxLines, latest
//     first), throughput against connections when it varies, heap over time
//     when sampled, the board's CPU over time when it reports one; for a
//     field scenario, its own figure of each board's latest run
//     (FieldFigure);
//   - per board and scenario with two or more buffer sizes: the buffer sweep,
//     with results.Recommend's default pick marked;
//   - with two or more boards: the board comparison;
//   - per board and scenario run at three or more commits: the regression
//     history of throughput and p99, against the runs of the first commit
//     as baseline.
//
// Figures that lack data are left out; other errors are joined in err.
func Select(runs []*results.Run) (figs []*Figure, err error) {
	sorted := slices.Clone(runs)
	results.SortRuns(sorted)
	var errs []error
	add := func(name, what string, f *Figure, e error) {
		switch {
		case errors.Is(e, ErrNoData):
		case e != nil:
			errs = append(errs, fmt.Errorf("%s: %w", name, e))
		default:
			f.Name = name
			if what != "" {
				f.Title += ": " + what
			}
			figs = append(figs, f)
		}
	}
	byScenario := groupBy(sorted, func(r *results.Run) string { return r.Scenario.Name })
	for _, sc := range slices.Sorted(maps.Keys(byScenario)) {
		rs := byScenario[sc]
		latest := latestPer(rs, func(r *results.Run) string { return r.Label() }, MaxLines)
		f, e := LatencySpectrum(latest, results.HistLatency)
		add("latency-spectrum-"+fileSafe(sc), sc, f, e)
		f, e = LatencyOverTime(latestPer(rs, func(r *results.Run) string { return r.Board.Model }, 4), results.HistLatency)
		add("latency-over-time-"+fileSafe(sc), sc, f, e)
		// A field scenario (browser, ladder, nodrop, ...) answers in a
		// sentence; its msgs/s is a by-product, not a scaling curve.
		if !isField(rs) && distinct(rs, func(r *results.Run) string { return fmt.Sprint(r.Scenario.Conns) }) >= 2 {
			f, e = ThroughputVsConns(rs)
			add("throughput-vs-conns-"+fileSafe(sc), sc, f, e)
		}
		f, e = HeapOverTime(latestPer(rs, func(r *results.Run) string { return r.Board.Model }, 4))
		add("heap-over-time-"+fileSafe(sc), sc, f, e)
		f, e = CPUOverTime(latestPer(rs, func(r *results.Run) string { return r.Board.Model }, 4))
		add("cpu-over-time-"+fileSafe(sc), sc, f, e)
		// A field scenario's own figure, per board (its latest run).
		if slices.Contains(FieldScenarios, sc) {
			for _, r := range latestPer(rs, func(r *results.Run) string { return r.Board.Model }, len(rs)) {
				f, e = FieldFigure(r)
				add("field-"+fileSafe(sc+"-"+r.Board.Model), "", f, e)
			}
		}
	}
	byBoardKey := groupBy(sorted, func(r *results.Run) string { return r.Board.Model + "|" + r.Scenario.Key() })
	for _, k := range slices.Sorted(maps.Keys(byBoardKey)) {
		rs := byBoardKey[k]
		what := fmt.Sprintf("%s, %s c=%d", rs[0].Board.Model, rs[0].Scenario.Name, rs[0].Scenario.Conns)
		name := fileSafe(rs[0].Board.Model + "-" + rs[0].Scenario.Name + "-c" + fmt.Sprint(rs[0].Scenario.Conns))
		if distinct(rs, func(r *results.Run) string { return fmt.Sprint(r.Board.RxBuf) }) >= 2 {
			var rec *results.Run
			if pick, _, _, _ := results.Recommend(rs, nil); pick != nil {
				rec = pick.Runs[len(pick.Runs)-1]
			}
			f, e := BufferSweep(rs, rec)
			add("buffer-sweep-"+name, what, f, e)
		}
		if distinct(rs, func(r *results.Run) string { return r.Host.Commit }) >= 3 {
			first := rs[0].Host.Commit
			var base []*results.Run
			for _, r := range rs {
				if r.Host.Commit == first {
					base = append(base, r)
				}
			}
			for _, fig := range []string{"msgs/s", "p99"} {
				f, e := RegressionHistory(rs, fig, base)
				add("history-"+name+"-"+fileSafe(fig), what, f, e)
			}
		}
	}
	if len(boards(sorted)) >= 2 {
		f, e := BoardComparison(sorted)
		add("board-comparison", "", f, e)
	}
	return figs, errors.Join(errs...)
}

func groupBy(runs []*results.Run, key func(*results.Run) string) map[string][]*results.Run {
	m := map[string][]*results.Run{}
	for _, r := range runs {
		m[key(r)] = append(m[key(r)], r)
	}
	return m
}

func distinct(runs []*results.Run, key func(*results.Run) string) int {
	return len(groupBy(runs, key))
}

// latestPer keeps the latest run per key (runs sorted by start), at most n
// of them, sorted by board, scenario and connections.
func latestPer(runs []*results.Run, key func(*results.Run) string, n int) []*results.Run {
	last := map[string]*results.Run{}
	for _, r := range runs {
		last[key(r)] = r
	}
	out := slices.Collect(maps.Values(last))
	results.SortRuns(out)
	if len(out) > n {
		out = out[len(out)-n:]
	}
	slices.SortFunc(out, func(a, b *results.Run) int {
		return cmp.Or(strings.Compare(a.Board.Model, b.Board.Model), strings.Compare(a.Scenario.Name, b.Scenario.Name),
			cmp.Compare(a.Scenario.Conns, b.Scenario.Conns), strings.Compare(key(a), key(b)))
	})
	return out
}

// isField reports whether the runs are a field scenario's: they carry a
// one-line answer.
func isField(rs []*results.Run) bool {
	for _, r := range rs {
		for _, n := range r.Notes {
			if strings.HasPrefix(n, results.AnswerPrefix) {
				return true
			}
		}
	}
	return false
}
