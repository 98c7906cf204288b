package results

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Config is one board configuration of a sweep with its repeated runs, the
// goal checked on the medians of the repeats.
type Config struct {
	Board Board  // the configuration (of its latest run)
	Runs  []*Run // its runs, oldest first
	// RAM is the board's RAM in use (Run.ramInUse, the median over the
	// runs): its static footprint, never the host's heap.
	RAM int64
	// OverBudget: RAM exceeds the board's heap budget.
	OverBudget bool
	// Meets: the medians meet every clause and RAM fits the budget.
	Meets bool
	// Margin is the worst clause margin (a fraction of its limit, < 0 when
	// missed) and Worst that clause; Value is the median of its figure.
	Margin float64
	Worst  Clause
	Value  float64
}

// median returns the median over the configuration's runs of the clause's
// figure, and false when no run has it.
func (c *Config) median(cl Clause) (float64, bool) {
	var v []float64
	for _, r := range c.Runs {
		if x, ok := cl.value(r); ok {
			v = append(v, x)
		}
	}
	return med(v), len(v) > 0
}

// DefaultGoal is the goal of a sweep given none: within 90% of the best
// median message rate of the configurations.
func DefaultGoal(runs []*Run) Goal {
	best := 0.0
	for _, c := range configs(runs) {
		if v, ok := c.median(Clause{Figure: "msgs"}); ok {
			best = max(best, v)
		}
	}
	lim := 0.9 * best
	return Goal{{Figure: "msgs", Op: OpGreaterEq, Limit: lim, Text: fmt.Sprintf("msgs>=%.0f (90%% of the best)", lim)}}
}

// configs groups runs by board configuration (ConfigLabel: model, slots,
// rx, tx), in the order each first ran.
func configs(runs []*Run) []*Config {
	rs := slices.Clone(runs)
	SortRuns(rs)
	byKey := map[string]*Config{}
	var out []*Config
	for _, r := range rs {
		k := ConfigLabel(r.Board)
		c := byKey[k]
		if c == nil {
			c = &Config{}
			byKey[k] = c
			out = append(out, c)
		}
		c.Runs = append(c.Runs, r)
		c.Board = r.Board
	}
	for _, c := range out {
		var ram []float64
		for _, r := range c.Runs {
			if u, _, ok := r.ramInUse(); ok {
				ram = append(ram, float64(u))
			}
		}
		c.RAM = int64(med(ram))
		c.OverBudget = c.Board.HeapBudget > 0 && c.RAM > c.Board.HeapBudget
	}
	return out
}

// Recommend is the one rule that picks a configuration of a sweep: among
// the configurations (repeats count by their median) that meet every
// clause of g and fit the heap budget, the smallest RAM; ties go to the
// higher message rate, then the smaller rx+tx. A foreign server's limits
// (ExtraMemLimit, ExtraCPUQuota, ExtraLinkBps) come before RAM: the
// smallest memory limit, then CPU cap, then link that meets the goal. A nil goal means
// DefaultGoal. It returns every configuration with its verdict, the pick,
// and, when none meets the goal, the closest: the one whose worst clause
// missed by the least (an over-budget one only when nothing else ran).
func Recommend(runs []*Run, g Goal) (pick, closest *Config, all []*Config, err error) {
	if len(runs) == 0 {
		return nil, nil, nil, errors.New("recommend: no runs")
	}
	if len(g) == 0 {
		g = DefaultGoal(runs)
	}
	all = configs(runs)
	for _, c := range all {
		c.Meets, c.Margin = true, math.Inf(1)
		for _, cl := range g {
			v, ok := c.median(cl)
			m := math.Inf(-1)
			if ok {
				m = cl.margin(v)
			}
			if !ok || !cl.holds(v) {
				c.Meets = false
			}
			if m < c.Margin || c.Worst.Text == "" {
				c.Margin, c.Worst, c.Value = m, cl, v
			}
		}
		if c.OverBudget {
			c.Meets = false
		}
	}
	msgs := func(c *Config) float64 { v, _ := c.median(Clause{Figure: "msgs"}); return v }
	better := func(a, b *Config) int {
		// A foreign server's limits first (the smaller memory limit, CPU
		// cap, link; none on an emulated board): they are what its sweep sizes.
		return cmp.Or(cmp.Compare(limitCost(a.Board, ExtraMemLimit), limitCost(b.Board, ExtraMemLimit)),
			cmp.Compare(limitCost(a.Board, ExtraCPUQuota), limitCost(b.Board, ExtraCPUQuota)),
			cmp.Compare(limitCost(a.Board, ExtraLinkBps), limitCost(b.Board, ExtraLinkBps)),
			cmp.Compare(a.RAM, b.RAM), -cmp.Compare(msgs(a), msgs(b)),
			cmp.Compare(a.Board.RxBuf+a.Board.TxBuf, b.Board.RxBuf+b.Board.TxBuf))
	}
	for _, c := range all {
		if c.Meets && (pick == nil || better(c, pick) < 0) {
			pick = c
		}
	}
	if pick != nil {
		return pick, nil, all, nil
	}
	for _, c := range all {
		switch {
		case closest == nil,
			closest.OverBudget && !c.OverBudget,
			closest.OverBudget == c.OverBudget && (c.Margin > closest.Margin || c.Margin == closest.Margin && better(c, closest) < 0):
			closest = c
		}
	}
	return nil, closest, all, fmt.Errorf("recommend: no configuration meets %s within the heap budget", g)
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
