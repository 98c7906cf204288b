package results

import (
	"cmp"
	"errors"
	"slices"
	"sort"
)

// Target is what a board configuration must achieve to be recommended.
// Zero fields are not checked, except MinMsgsPerSec: when zero, a
// configuration must reach 90% of the best throughput seen.
type Target struct {
	MinMsgsPerSec float64
	MaxP99        float64 // µs
	MaxErrors     int64
}

// Recommend picks, among runs of one scenario that differ in board
// configuration (a buffer sweep), the configuration with the smallest RAM
// (the larger of the static footprint and the peak heap) that meets t and
// fits the board's heap budget. Repeated runs of a configuration count by
// their median. It returns the latest run of that configuration, or an
// error when none qualifies.
func Recommend(runs []*Run, t Target) (*Run, error) {
	type conf struct {
		slots, rx, tx int
	}
	type agg struct {
		runs            []*Run
		tput, p99, errs []float64
		ram             []float64
	}
	byConf := map[conf]*agg{}
	var confs []conf
	for _, r := range runs {
		c := conf{r.Board.Slots, r.Board.RxBuf, r.Board.TxBuf}
		a := byConf[c]
		if a == nil {
			a = &agg{}
			byConf[c] = a
			confs = append(confs, c)
		}
		s := r.Summary()
		a.runs = append(a.runs, r)
		a.tput = append(a.tput, s.MsgsPerSec)
		if s.HasLatency {
			a.p99 = append(a.p99, s.P99)
		}
		a.errs = append(a.errs, float64(s.Errors))
		a.ram = append(a.ram, float64(max(r.Board.StaticFootprint, s.HeapMax)))
	}
	if len(confs) == 0 {
		return nil, errors.New("recommend: no runs")
	}
	if t.MinMsgsPerSec == 0 {
		best := 0.0
		for _, a := range byConf {
			best = max(best, med(a.tput))
		}
		t.MinMsgsPerSec = 0.9 * best
	}
	var ok []conf
	for _, c := range confs {
		a := byConf[c]
		r := a.runs[len(a.runs)-1]
		switch {
		case med(a.tput) < t.MinMsgsPerSec,
			t.MaxP99 > 0 && (len(a.p99) == 0 || med(a.p99) > t.MaxP99),
			t.MaxErrors >= 0 && med(a.errs) > float64(t.MaxErrors),
			r.Board.HeapBudget > 0 && med(a.ram) > float64(r.Board.HeapBudget):
			continue
		}
		ok = append(ok, c)
	}
	if len(ok) == 0 {
		return nil, errors.New("recommend: no configuration meets the target within the heap budget")
	}
	best := slices.MinFunc(ok, func(x, y conf) int {
		if c := cmp.Compare(med(byConf[x].ram), med(byConf[y].ram)); c != 0 {
			return c
		}
		return -cmp.Compare(med(byConf[x].tput), med(byConf[y].tput))
	})
	rs := slices.Clone(byConf[best].runs)
	SortRuns(rs)
	return rs[len(rs)-1], nil
}

func med(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
