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
	"time"

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
	Goal     Goal
	LinkOff  bool
	BoardExe string // see Options.BoardExe
	Results  string
	Out      string
	Status   io.Writer
	Progress io.Writer
}

// SweepRow is one configuration of a sweep.
type SweepRow struct {
	Board     BoardSpec
	Footprint int // static bytes
	Run       *results.Run
	Skipped   string // why it did not run (over budget, failed)
	Meets     bool
	Margin    float64 // worst clause margin (fraction of its limit; < 0 fails)
	Worst     Clause
}

// SweepOutcome adds the rows and the pick to an Outcome.
type SweepOutcome struct {
	Outcome
	Rows    []SweepRow
	Pick    *SweepRow // the smallest-RAM configuration that meets the goal
	Closest *SweepRow // when none does: the one that missed by the least
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
	out := &SweepOutcome{}
	total := len(rxs) * len(txs) * len(slots)
	n := 0
	start := time.Now()
	for _, sl := range slots {
		for _, tx := range txs {
			for _, rx := range rxs {
				if ctx.Err() != nil {
					return out, ctx.Err()
				}
				n++
				bs := BoardSpec{Model: o.Model, Slots: sl, RxBuf: rx, TxBuf: tx, LinkOff: o.LinkOff}
				row := SweepRow{Board: bs}
				cfg, _, err := bs.Config()
				if err != nil {
					return out, err
				}
				row.Footprint = cfg.Footprint().Total
				if err := cfg.Check(); err != nil {
					row.Skipped = err.Error()
					statusf(o.Status, "[%d/%d %s] %s: does not start: %v", n, total, elapsed(start), bs, err)
					out.Rows = append(out.Rows, row)
					continue
				}
				statusf(o.Status, "[%d/%d %s] %s: %s", n, total, elapsed(start), bs, o.Scenario)
				r, err := runOn(ctx, bs, o.BoardExe, loadgen.Spec{Scenario: o.Scenario, Conns: o.Conns, Size: o.Size,
					Duration: o.Duration, Rate: o.Rate, Progress: o.Progress})
				clearProgress(o.Progress)
				if err != nil {
					row.Skipped = err.Error()
					out.Failed = append(out.Failed, fmt.Errorf("%s: %w", bs, err))
					statusf(o.Status, "    failed: %v", err)
					out.Rows = append(out.Rows, row)
					continue
				}
				if file, err := store.Save(r); err == nil {
					out.Files = append(out.Files, file)
				}
				row.Run = r
				if len(o.Goal) > 0 {
					row.Meets, row.Margin, row.Worst = o.Goal.Check(r)
				}
				statusf(o.Status, "    %s", oneLine(r))
				out.Runs = append(out.Runs, r)
				out.Rows = append(out.Rows, row)
			}
		}
	}
	if len(out.Runs) == 0 {
		return out, fmt.Errorf("no configuration ran")
	}
	out.Pick, out.Closest = pick(out.Rows, len(o.Goal) > 0)
	var rec *results.Run
	if out.Pick != nil {
		rec = out.Pick.Run
	}
	// x is the field with the most values; the others that vary split lines.
	axis := plots.AxisRx
	switch {
	case len(txs) > len(rxs) && len(txs) >= len(slots):
		axis = plots.AxisTx
	case len(slots) > len(rxs) && len(slots) > len(txs):
		axis = plots.AxisSlots
	}
	split := splitOther(axis, len(rxs) > 1, len(txs) > 1, len(slots) > 1)
	fig, err := plots.SweepOn(relabel(out.Runs, split), relabelOne(rec, split), axis)
	if err != nil && !errors.Is(err, plots.ErrNoData) {
		return out, fmt.Errorf("sweep figure: %w", err)
	}
	if err == nil {
		fig.Name = "sweep-" + o.Model
		if o.Goal != nil {
			fig.Title += " (goal " + o.Goal.String() + ")"
		}
		dir := filepath.Join(o.Out, "sweep")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return out, err
		}
		out.Figure, err = fig.Save(dir)
		if err != nil {
			return out, err
		}
	}
	out.Report, err = report.Write(o.Out, out.Runs, report.Options{Title: "wslab sweep: " + o.Model + " " + o.Scenario})
	return out, err
}

func orZero(v []int) []int {
	if len(v) == 0 {
		return []int{0}
	}
	return v
}

// pick returns the smallest-footprint row that meets the goal (ties: the
// higher throughput), or, when none does, the row that missed by least.
// Without a goal, the pick is the smallest footprint within 90% of the
// best throughput.
func pick(rows []SweepRow, hasGoal bool) (best, closest *SweepRow) {
	if !hasGoal {
		top := 0.0
		for _, r := range rows {
			if r.Run != nil {
				top = math.Max(top, r.Run.Summary().MsgsPerSec)
			}
		}
		for i := range rows {
			if r := &rows[i]; r.Run != nil {
				r.Meets = r.Run.Summary().MsgsPerSec >= 0.9*top
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.Run == nil {
			continue
		}
		if r.Meets {
			if best == nil || r.Footprint < best.Footprint ||
				r.Footprint == best.Footprint && r.Run.Summary().MsgsPerSec > best.Run.Summary().MsgsPerSec {
				best = r
			}
		} else if closest == nil || r.Margin > closest.Margin {
			closest = r
		}
	}
	if best != nil {
		closest = nil
	}
	return best, closest
}

// splitOther returns how to name the lines of a sweep figure whose x axis
// is axis: the model and every other field that varies (nil if none does).
func splitOther(axis plots.SweepAxis, rx, tx, slots bool) func(results.Board) string {
	rx, tx, slots = rx && axis != plots.AxisRx, tx && axis != plots.AxisTx, slots && axis != plots.AxisSlots
	if !rx && !tx && !slots {
		return nil
	}
	return func(b results.Board) string {
		name := b.Model
		if rx {
			name += " rx " + strconv.Itoa(b.RxBuf)
		}
		if tx {
			name += " tx " + strconv.Itoa(b.TxBuf)
		}
		if slots {
			name += " slots " + strconv.Itoa(b.Slots)
		}
		return name
	}
}

// relabel names runs' boards by split so the sweep figure (one line per
// board model) draws one line per value of the fields off the x axis.
func relabel(runs []*results.Run, split func(results.Board) string) []*results.Run {
	if split == nil {
		return runs
	}
	out := make([]*results.Run, len(runs))
	for i, r := range runs {
		out[i] = relabelOne(r, split)
	}
	return out
}

func relabelOne(r *results.Run, split func(results.Board) string) *results.Run {
	if r == nil || split == nil {
		return r
	}
	c := *r
	c.Board.Model = split(r.Board)
	return &c
}

// runOn starts the board, runs one scenario on it and stops it.
func runOn(ctx context.Context, bs BoardSpec, exe string, spec loadgen.Spec) (*results.Run, error) {
	b, err := startBoard(bs, exe)
	if err != nil {
		return nil, err
	}
	defer b.close()
	if spec.Conns == 0 {
		spec.Conns = b.cfg.Slots
	}
	spec.Target = "ws://" + b.addr
	return loadgen.Run(ctx, spec)
}

// WriteSweepTable prints the sweep's rows and its verdict.
func WriteSweepTable(w io.Writer, o *SweepOutcome, g Goal) {
	rows := slices.Clone(o.Rows)
	fmt.Fprintf(w, "%-8s %-8s %-8s %-10s %-12s %-10s %-10s %s\n", "SLOTS", "RX", "TX", "RAM", "MSG/S", "MB/S", "P99", "VERDICT")
	for _, r := range rows {
		cfg, _, _ := r.Board.Config()
		if r.Run == nil {
			fmt.Fprintf(w, "%-8d %-8d %-8d %-10s %s\n", cfg.Slots, cfg.RxBuf, cfg.TxBuf, kb(r.Footprint), "skipped: "+r.Skipped)
			continue
		}
		s := r.Run.Summary()
		verdict := "meets"
		if !r.Meets {
			verdict = "misses " + r.Worst.Text
			if len(g) == 0 {
				verdict = "below 90% of best"
			}
		}
		if o.Pick != nil && o.Pick.Board == r.Board {
			verdict += "  <- pick"
		}
		p99 := "-"
		if s.HasLatency {
			p99 = us(s.P99)
		}
		fmt.Fprintf(w, "%-8d %-8d %-8d %-10s %-12.0f %-10.3f %-10s %s\n", cfg.Slots, cfg.RxBuf, cfg.TxBuf, kb(r.Footprint), s.MsgsPerSec, s.MBPerSec, p99, verdict)
	}
	switch {
	case o.Pick != nil:
		fmt.Fprintf(w, "\nrecommended: %s, %s of RAM\n", o.Pick.Board, kb(o.Pick.Footprint))
	case o.Closest != nil:
		fmt.Fprintf(w, "\nno configuration meets the goal; closest: %s, which misses %s by %.0f%%\n", o.Closest.Board, o.Closest.Worst.Text, -o.Closest.Margin*100)
	}
}

func kb(n int) string { return fmt.Sprintf("%.1f KiB", float64(n)/1024) }
