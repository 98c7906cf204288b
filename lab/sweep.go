package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/plots"
	"github.com/wslab/wslab/plots/report"
	"github.com/wslab/wslab/results"
)

// SweepOptions configure Sweep.
type SweepOptions struct {
	Model    string
	Rx, Tx   []int // buffer sizes to try; empty keeps the model's
	Slots    []int // slot counts to try; empty keeps the model's
	Scenario string
	Conns    int // connections; default the configuration's slots
	Size     int // message size; default 64
	Duration time.Duration
	Rate     float64
	Goal     Goal // empty: within 90% of the best message rate
	Repeat   int  // runs per configuration (default 1); the median counts
	LinkOff  bool
	CPUOff   bool   // run emulated boards at the host's speed instead of the model's CPU
	BoardExe string // see Options.BoardExe
	Results  string
	Out      string
	Status   io.Writer
	Progress io.Writer
	// Observer, when set, follows each run (observer.go): board is the
	// configuration's label, step the scenario and repeat.
	Observer Observer
	// Foreign, when set, runs each configuration on a server wslab did
	// not write instead of an emulated board, once per Limits (once, with
	// no CPU cap and the model's memory limit, when Limits is empty).
	Foreign ForeignStarter
	Limits  []Limits
}

// Limits are what a sweep of a foreign server varies beside the buffers,
// as foreign.Options takes them.
type Limits struct {
	CPUShare float64 // the CPU cap, a share of one core; 0: none
	// MemLimit is the memory limit in bytes; 0: the model's (the server's
	// memory when its port opened plus the heap budget); < 0: none.
	MemLimit int64
	// LinkBps is the link's bandwidth in bit/s; 0: the model's (and the
	// runs do not record it as a limit).
	LinkBps int64
}

// text is the limits as ConfigLabel names them: "cpu 4%, mem 64 MiB".
func (l *Limits) text() string {
	s := results.ConfigLabel(results.Board{Extra: l.Extra()})
	return strings.TrimSuffix(strings.TrimPrefix(s, " ("), ")")
}

// ForeignStarter starts a foreign server under board rb (its slots, rx
// and tx buffers, link and heap budget) and limits l (its link's
// bandwidth replaced when l sets one), and returns its ws:// URL and a
// function that stops it.
type ForeignStarter func(rb catalog.Board, l Limits) (url string, stop func() error, err error)

// Extra is l as a Board's Extra records it (results.ExtraCPUQuota,
// results.ExtraMemLimit): the limits asked for, so that the repeats of a
// configuration are one configuration.
func (l Limits) Extra() map[string]string {
	cpu, mem := "off", "model"
	if l.CPUShare > 0 {
		cpu = strconv.FormatFloat(l.CPUShare, 'g', -1, 64)
	}
	switch {
	case l.MemLimit > 0:
		mem = strconv.FormatInt(l.MemLimit, 10)
	case l.MemLimit < 0:
		mem = "off"
	}
	m := map[string]string{results.ExtraCPUQuota: cpu, results.ExtraMemLimit: mem}
	if l.LinkBps > 0 {
		m[results.ExtraLinkBps] = strconv.FormatInt(l.LinkBps, 10)
	}
	return m
}

// SweepRow is one configuration of a sweep.
type SweepRow struct {
	Board     BoardSpec // every field set (the model's defaults resolved)
	Limits    *Limits   // a foreign server's (nil: an emulated board)
	Footprint int       // static bytes (a foreign server's when idle)
	Run       *results.Run
	Runs      []*results.Run // every repeat; Run is the latest
	Skipped   string         // why it did not run (over budget, failed)
	Meets     bool
	Margin    float64 // worst clause margin (fraction of its limit; < 0 fails)
	Worst     Clause
	Value     float64 // the median of the worst clause's figure
}

// SweepOutcome adds the rows and the pick to an Outcome.
type SweepOutcome struct {
	Outcome
	Rows    []SweepRow
	Pick    *SweepRow // the smallest-RAM configuration that meets the goal
	Closest *SweepRow // when none does: the one that missed by the least
	Goal    Goal      // the goal checked (the default one when none was given)
	Figure  []string  // the sweep figure's files
}

// Sweep runs the scenario on every configuration and picks the smallest
// RAM that meets the goal.
func Sweep(ctx context.Context, o SweepOptions) (*SweepOutcome, error) {
	if o.Scenario == "" {
		o.Scenario = loadgen.Echo
	}
	if o.Duration == 0 {
		o.Duration = 2 * time.Second
	}
	o.Results, o.Out = folders(o.Results, o.Out)
	rxs, txs, slots := orZero(o.Rx), orZero(o.Tx), orZero(o.Slots)
	store, err := results.Open(o.Results)
	if err != nil {
		return nil, err
	}
	if o.Repeat < 1 {
		o.Repeat = 1
	}
	// An emulated board (nil), or a foreign server under each limits.
	limits := []*Limits{nil}
	if o.Foreign != nil {
		limits = limits[:0]
		for i := range o.Limits {
			limits = append(limits, &o.Limits[i])
		}
		if len(limits) == 0 {
			limits = append(limits, &Limits{})
		}
	}
	foreignName := "" // the foreign board's name, once it ran: model+program
	out := &SweepOutcome{}
	total := len(limits) * len(rxs) * len(txs) * len(slots) * o.Repeat
	n := 0
	start := time.Now()
	for _, lim := range limits {
		for _, sl := range slots {
			for _, tx := range txs {
				for _, rx := range rxs {
					bs := BoardSpec{Model: o.Model, Slots: sl, RxBuf: rx, TxBuf: tx, LinkOff: o.LinkOff, CPUOff: o.CPUOff}
					rb, err := bs.Resolve()
					if err != nil {
						return out, err
					}
					cfg := rb.Config
					// Name every buffer, the model's defaults included.
					bs.Slots, bs.RxBuf, bs.TxBuf = cfg.Slots, cfg.RxBuf, cfg.TxBuf
					row := SweepRow{Board: bs, Limits: lim, Footprint: cfg.Footprint().Total}
					if lim != nil {
						row.Footprint = 0 // a foreign server's is known once it runs
						if foreignName != "" {
							row.Board.Model = foreignName
						}
					}
					label := row.Label()
					if err := cfg.Check(); err != nil && lim == nil {
						row.Skipped = err.Error()
						n += o.Repeat
						statusf(o.Status, "[%d/%d %s] %s: does not start: %v", n, total, elapsed(start), label, err)
						out.Rows = append(out.Rows, row)
						continue
					}
					for rep := range o.Repeat {
						if ctx.Err() != nil {
							return out, ctx.Err()
						}
						n++
						what := o.Scenario
						if o.Repeat > 1 {
							what += fmt.Sprintf(" (%d of %d)", rep+1, o.Repeat)
						}
						statusf(o.Status, "[%d/%d %s] %s: %s", n, total, elapsed(start), label, what)
						spec := loadgen.Spec{Scenario: o.Scenario, Conns: o.Conns, Size: o.Size, Duration: o.Duration, Rate: o.Rate, Progress: o.Progress}
						ob := observed{o.Observer, label, what, n, total}
						var r *results.Run
						if lim != nil {
							r, err = runForeign(ctx, rb, *lim, o.Foreign, spec, ob)
						} else {
							r, err = runOn(ctx, bs, o.BoardExe, spec, ob)
						}
						clearProgress(o.Progress)
						if err != nil {
							row.Skipped = err.Error()
							out.Failed = append(out.Failed, fmt.Errorf("%s: %w", label, err))
							statusf(o.Status, "    failed: %v", err)
							continue
						}
						if lim != nil {
							// What it holds when idle, not the emulated
							// firmware's; named as its runs are.
							row.Footprint = int(r.Board.StaticFootprint)
							row.Board.Model, foreignName = r.Board.Model, r.Board.Model
						}
						// Judged even when not stored: it was measured.
						save(store, r, label, &out.Files, &out.Failed, o.Status)
						row.Run = r
						row.Runs = append(row.Runs, r)
						statusf(o.Status, "    %s", oneLine(r))
						out.Runs = append(out.Runs, r)
					}
					out.Rows = append(out.Rows, row)
				}
			}
		}
	}
	if len(out.Runs) == 0 {
		return out, fmt.Errorf("no configuration ran")
	}
	out.Goal = o.Goal
	if len(out.Goal) == 0 {
		out.Goal = results.DefaultGoal(out.Runs)
	}
	out.Pick, out.Closest = judge(out.Rows, out.Runs, out.Goal)
	var rec *results.Run
	if out.Pick != nil {
		rec = out.Pick.Run
	}
	// x is the field with the most values; the others that vary split
	// lines (plots.SweepOn draws one line per value, never an average).
	axis := plots.AxisRx
	switch {
	case len(txs) > len(rxs) && len(txs) >= len(slots):
		axis = plots.AxisTx
	case len(slots) > len(rxs) && len(slots) > len(txs):
		axis = plots.AxisSlots
	}
	dir := filepath.Join(o.Out, fileSafe("sweep-"+o.Model+"-"+o.Scenario))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return out, err
	}
	// The figure's lines are of buffers and slots: runs under other limits
	// would fall on one line (the table and the report tell them apart).
	fig, err := (*plots.Figure)(nil), plots.ErrNoData
	if len(limits) == 1 {
		fig, err = plots.SweepOn(out.Runs, rec, axis)
	}
	if err != nil && !errors.Is(err, plots.ErrNoData) {
		return out, fmt.Errorf("sweep figure: %w", err)
	}
	if err == nil {
		fig.Name = "sweep-" + fileSafe(o.Model)
		fig.Title += " (goal " + out.Goal.String() + ")"
		out.Figure, err = fig.Save(dir)
		if err != nil {
			return out, err
		}
	}
	out.Report, err = report.Write(dir, out.Runs, report.Options{Title: "wslab sweep: " + o.Model + " " + o.Scenario, Sweep: sweepSection(out)})
	return out, err
}

// Label names the row's configuration (results.ConfigLabel), its limits
// included.
func (r *SweepRow) Label() string {
	b := results.Board{Model: r.Board.Model, Slots: r.Board.Slots, RxBuf: r.Board.RxBuf, TxBuf: r.Board.TxBuf}
	if r.Limits != nil {
		b.Extra = r.Limits.Extra()
	}
	return results.ConfigLabel(b)
}

// ram is the row's static RAM, or "-" when not known (a foreign server
// that did not run).
func (r *SweepRow) ram() string {
	if r.Footprint == 0 && r.Limits != nil {
		return "-"
	}
	return kb(r.Footprint)
}

// judge applies the one rule, results.Recommend (medians of the repeats,
// the heap budget, ties to the smaller RAM), copies its verdicts to the
// rows and returns the rows of its pick and of its closest miss.
func judge(rows []SweepRow, runs []*results.Run, g Goal) (pick, closest *SweepRow) {
	p, c, confs, _ := results.Recommend(runs, g)
	same := func(r *SweepRow, c *results.Config) bool {
		if c == nil || c.Board.Slots != r.Board.Slots || c.Board.RxBuf != r.Board.RxBuf || c.Board.TxBuf != r.Board.TxBuf {
			return false
		}
		if r.Limits != nil {
			for k, v := range r.Limits.Extra() {
				if c.Board.Extra[k] != v {
					return false
				}
			}
		}
		return true
	}
	for i := range rows {
		r := &rows[i]
		for _, cf := range confs {
			if same(r, cf) {
				r.Meets, r.Margin, r.Worst, r.Value = cf.Meets, cf.Margin, cf.Worst, cf.Value
			}
		}
		if same(r, p) {
			pick = r
		}
		if same(r, c) {
			closest = r
		}
	}
	return pick, closest
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, s)
}

// sweepSection is the sweep's goal, verdict and table for the report.
func sweepSection(o *SweepOutcome) *report.Sweep {
	sw := &report.Sweep{Goal: o.Goal.String()}
	switch {
	case o.Pick != nil:
		sw.Verdict = "recommended: " + o.Pick.Label() + ", " + kb(o.Pick.Footprint) + " of RAM"
		sw.Met = true
	case o.Closest != nil:
		sw.Verdict = "no configuration meets the goal; closest: " + o.Closest.Label() + ", which " + missText(o.Closest)
	}
	for _, f := range o.Figure {
		if strings.HasSuffix(f, ".png") {
			sw.Figure = filepath.Base(f)
		}
	}
	for i := range o.Rows {
		r := &o.Rows[i]
		line := report.SweepLine{Config: r.Label(), RAM: r.ram(), Runs: len(r.Runs), Pick: r == o.Pick,
			Msgs: "–", Up: "–", Down: "–", P99: "–"}
		switch {
		case len(r.Runs) == 0:
			line.Verdict = "did not run: " + r.Skipped
		case r.Meets:
			line.Verdict = "meets"
		default:
			line.Verdict = missText(r)
		}
		if r.Run != nil {
			s := r.median()
			line.Msgs = fmt.Sprintf("%.0f", s.MsgsPerSec)
			line.Up, line.Down = fmt.Sprintf("%.3f", s.UpMBPerSec), fmt.Sprintf("%.3f", s.DownMBPerSec)
			if s.HasLatency {
				line.P99 = results.FormatValue(s.P99, "µs")
			}
		}
		sw.Lines = append(sw.Lines, line)
	}
	return sw
}

// missText says which clause a row missed and by how much.
func missText(r *SweepRow) string {
	switch {
	case math.IsInf(r.Margin, -1):
		return fmt.Sprintf("misses %s: not measured", r.Worst.Text)
	case r.Margin >= 0:
		return "does not fit the heap budget"
	}
	return fmt.Sprintf("misses %s: %s (by %.0f%%)", r.Worst.Text, r.Worst.FormatValue(r.Value), -r.Margin*100)
}

func orZero(v []int) []int {
	if len(v) == 0 {
		return []int{0}
	}
	return v
}

// runOn starts the board, runs one scenario on it and stops it, showing
// the run to ob's observer (if any).
func runOn(ctx context.Context, bs BoardSpec, exe string, spec loadgen.Spec, ob observed) (*results.Run, error) {
	b, err := startBoard(bs, exe)
	if err != nil {
		ob.failed(spec, err)
		return nil, err
	}
	defer b.close()
	if spec.Conns == 0 {
		spec.Conns = b.board.Config.Slots
	}
	spec.Target = "ws://" + b.addr
	return ob.run(ctx, spec)
}

// runForeign starts the foreign server under rb and l, runs one scenario
// on it and stops it; the run records the limits (Limits.Extra).
func runForeign(ctx context.Context, rb catalog.Board, l Limits, start ForeignStarter, spec loadgen.Spec, ob observed) (*results.Run, error) {
	u, stop, err := start(rb, l)
	if err != nil {
		ob.failed(spec, err)
		return nil, err
	}
	defer stop()
	if spec.Conns == 0 {
		spec.Conns = rb.Config.Slots
	}
	spec.Target = baseURL(u)
	r, err := ob.run(ctx, spec)
	if r != nil {
		if r.Board.Extra == nil {
			r.Board.Extra = map[string]string{}
		}
		for k, v := range l.Extra() {
			r.Board.Extra[k] = v
		}
	}
	return r, err
}

// median returns the medians over the row's repeats of the figures the
// sweep tables show.
func (r *SweepRow) median() results.Summary {
	if len(r.Runs) == 1 {
		return r.Runs[0].Summary()
	}
	var msgs, up, down, p99 []float64
	for _, x := range r.Runs {
		s := x.Summary()
		msgs, up, down = append(msgs, s.MsgsPerSec), append(up, s.UpMBPerSec), append(down, s.DownMBPerSec)
		if s.HasLatency {
			p99 = append(p99, s.P99)
		}
	}
	m := func(v []float64) float64 {
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	s := results.Summary{MsgsPerSec: m(msgs), UpMBPerSec: m(up), DownMBPerSec: m(down), HasLatency: len(p99) > 0}
	if s.HasLatency {
		s.P99 = m(p99)
	}
	return s
}

// WriteSweepTable prints the sweep's rows (medians of each configuration's
// repeats, on which the verdict is too) and its
// verdict: the recommendation naming every buffer, or the closest miss
// and what it missed by.
func WriteSweepTable(w io.Writer, o *SweepOutcome, g Goal) {
	fmt.Fprintf(w, "goal: %s\n", o.Goal)
	// A foreign server's sweep has a column of its limits first.
	limits := func(*SweepRow) string { return "" }
	width := 0
	for i := range o.Rows {
		if l := o.Rows[i].Limits; l != nil {
			width = max(width, len("LIMITS"), len(l.text()))
		}
	}
	if width > 0 {
		limits = func(r *SweepRow) string { return fmt.Sprintf("%-*s ", width, r.Limits.text()) }
		fmt.Fprintf(w, "%-*s ", width, "LIMITS")
	}
	fmt.Fprintf(w, "%-6s %-7s %-7s %-10s %-5s %-10s %-10s %-10s %-10s %s\n", "SLOTS", "RX", "TX", "RAM", "RUNS", "MSG/S", "UP MB/S", "DOWN MB/S", "P99", "VERDICT")
	for i := range o.Rows {
		r := &o.Rows[i]
		if r.Run == nil {
			fmt.Fprintf(w, "%s%-6d %-7d %-7d %-10s %-5d %s\n", limits(r), r.Board.Slots, r.Board.RxBuf, r.Board.TxBuf, r.ram(), 0, "did not run: "+r.Skipped)
			continue
		}
		s := r.median()
		verdict := "meets"
		if !r.Meets {
			verdict = missText(r)
		}
		if r == o.Pick {
			verdict += "  <- pick"
		}
		p99 := "-"
		if s.HasLatency {
			p99 = us(s.P99)
		}
		fmt.Fprintf(w, "%s%-6d %-7d %-7d %-10s %-5d %-10.0f %-10.3f %-10.3f %-10s %s\n", limits(r), r.Board.Slots, r.Board.RxBuf, r.Board.TxBuf, r.ram(),
			len(r.Runs), s.MsgsPerSec, s.UpMBPerSec, s.DownMBPerSec, p99, verdict)
	}
	switch {
	case o.Pick != nil:
		fmt.Fprintf(w, "\nrecommended: %s, %s of RAM\n", o.Pick.Label(), kb(o.Pick.Footprint))
	case o.Closest != nil:
		fmt.Fprintf(w, "\nno configuration meets the goal; closest: %s, which %s\n", o.Closest.Label(), missText(o.Closest))
	}
}

// kb prints a memory figure the one way wslab prints them.
func kb(n int) string { return results.FormatBytes(int64(n)) }
