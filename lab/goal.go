package lab

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wslab/wslab/results"
)

// Clause is one condition of a goal, e.g. "p99<20ms".
type Clause struct {
	Figure string  // p50, p99, p999, throughput (bytes/s), msgs (msgs/s), errors
	Less   bool    // value must be below Limit (else above)
	Limit  float64 // in the figure's base unit: µs, bytes/s, msgs/s, count
	Text   string
}

// Goal is what a configuration must meet: every clause.
type Goal []Clause

// ParseGoal reads a goal such as "p99<20ms,throughput>1MB/s,errors<1".
// Latencies take ns, us/µs, ms, s; throughput takes B/s, KB/s, MB/s,
// GB/s (powers of ten) or KiB/s, MiB/s; msgs takes a plain number (per
// second).
func ParseGoal(s string) (Goal, error) {
	var g Goal
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.IndexAny(part, "<>")
		if i <= 0 {
			return nil, fmt.Errorf("goal %q: want FIGURE<VALUE or FIGURE>VALUE", part)
		}
		c := Clause{Figure: strings.ToLower(strings.TrimSpace(part[:i])), Less: part[i] == '<', Text: part}
		val := strings.TrimSpace(strings.TrimPrefix(part[i+1:], "="))
		var err error
		switch c.Figure {
		case "p50", "p90", "p99", "p999":
			var d time.Duration
			d, err = time.ParseDuration(strings.ReplaceAll(val, "µs", "us"))
			c.Limit = float64(d) / float64(time.Microsecond)
		case "throughput":
			c.Limit, err = parseRate(val)
		case "msgs", "msgs/s":
			c.Figure = "msgs"
			c.Limit, err = strconv.ParseFloat(strings.TrimSuffix(val, "/s"), 64)
		case "errors":
			c.Limit, err = strconv.ParseFloat(val, 64)
		default:
			return nil, fmt.Errorf("goal %q: unknown figure %q (want p50, p90, p99, p999, throughput, msgs or errors)", part, c.Figure)
		}
		if err != nil {
			return nil, fmt.Errorf("goal %q: %v", part, err)
		}
		g = append(g, c)
	}
	if len(g) == 0 {
		return nil, fmt.Errorf("empty goal")
	}
	return g, nil
}

func parseRate(v string) (float64, error) {
	units := []struct {
		suffix string
		mul    float64
	}{{"GiB/s", 1 << 30}, {"MiB/s", 1 << 20}, {"KiB/s", 1 << 10}, {"GB/s", 1e9}, {"MB/s", 1e6}, {"KB/s", 1e3}, {"kB/s", 1e3}, {"B/s", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(v, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			return f * u.mul, err
		}
	}
	return 0, fmt.Errorf("throughput %q: want a unit such as MB/s", v)
}

// value returns the figure of a run's summary in the clause's unit.
func (c Clause) value(r *results.Run) (float64, bool) {
	s := r.Summary()
	switch c.Figure {
	case "p50":
		return s.P50, s.HasLatency
	case "p90":
		q, ok := r.Quantile(results.HistLatency, 0.90)
		return float64(q), ok
	case "p99":
		return s.P99, s.HasLatency
	case "p999":
		return s.P999, s.HasLatency
	case "throughput":
		return s.MBPerSec * 1e6, true
	case "msgs":
		return s.MsgsPerSec, true
	case "errors":
		return float64(s.Errors), true
	}
	return 0, false
}

// Check reports whether r meets c, and the margin: how far the value is
// from the limit as a fraction of the limit (negative when failing).
func (c Clause) Check(r *results.Run) (ok bool, margin float64) {
	v, has := c.value(r)
	if !has {
		return false, math.Inf(-1)
	}
	lim := c.Limit
	if lim == 0 {
		lim = 1
	}
	if c.Less {
		margin = (c.Limit - v) / lim
		return v < c.Limit, margin
	}
	margin = (v - c.Limit) / lim
	return v > c.Limit, margin
}

// Check reports whether r meets every clause, and its worst margin and
// the clause that gave it.
func (g Goal) Check(r *results.Run) (ok bool, worst float64, clause Clause) {
	ok, worst = true, math.Inf(1)
	for _, c := range g {
		cok, m := c.Check(r)
		ok = ok && cok
		if m < worst {
			worst, clause = m, c
		}
	}
	return ok, worst, clause
}
