package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/plots"
	"github.com/wslab/wslab/plots/report"
	"github.com/wslab/wslab/results"
)

// CompareOptions configure Compare.
type CompareOptions struct {
	Models   []string
	Targets  []string // real boards by URL
	Scenario string
	Conns    int // default: each board's slots (4 for a real board)
	Size     int
	Duration time.Duration
	Rate     float64
	LinkOff  bool
	BoardExe string // see Options.BoardExe
	Results  string
	Out      string
	Status   io.Writer
	Progress io.Writer
	// Observer, when set, follows each run (observer.go): board is the
	// model or the target, step the scenario.
	Observer Observer
	Insecure bool   // wss targets: see Options.Insecure
	CAFile   string // wss targets: see Options.CAFile
}

// CompareOutcome adds the figure's files to an Outcome.
type CompareOutcome struct {
	Outcome
	Figure []string
}

// Compare runs one scenario on each board and draws them side by side.
func Compare(ctx context.Context, o CompareOptions) (*CompareOutcome, error) {
	if o.Scenario == "" {
		o.Scenario = loadgen.Echo
	}
	if o.Duration == 0 {
		o.Duration = 3 * time.Second
	}
	if err := CheckModels(o.Models); err != nil {
		return nil, err
	}
	o.Results, o.Out = folders(o.Results, o.Out)
	store, err := results.Open(o.Results)
	if err != nil {
		return nil, err
	}
	out := &CompareOutcome{}
	total := len(o.Models) + len(o.Targets)
	start := time.Now()
	save := func(label string, r *results.Run, err error) {
		clearProgress(o.Progress)
		if err != nil {
			out.Failed = append(out.Failed, fmt.Errorf("%s: %w", label, err))
			statusf(o.Status, "    failed: %v", err)
			return
		}
		save(store, r, label, &out.Files, &out.Failed, o.Status) // shown even when not stored: it was measured
		out.Runs = append(out.Runs, r)
		statusf(o.Status, "    %s", oneLine(r))
	}
	if o.Conns == 0 {
		// The same load on every board: as many connections as the
		// smallest of them has slots.
		for _, m := range o.Models {
			if rb, err := (BoardSpec{Model: m}).Resolve(); err == nil && (o.Conns == 0 || rb.Config.Slots < o.Conns) {
				o.Conns = rb.Config.Slots
			}
		}
	}
	spec := loadgen.Spec{Scenario: o.Scenario, Conns: o.Conns, Size: o.Size, Duration: o.Duration, Rate: o.Rate, Progress: o.Progress}
	for i, m := range o.Models {
		statusf(o.Status, "[%d/%d %s] %s: %s", i+1, total, elapsed(start), m, o.Scenario)
		r, err := runOn(ctx, BoardSpec{Model: m, LinkOff: o.LinkOff}, o.BoardExe, spec, observed{o.Observer, m, o.Scenario, i + 1, total})
		save(m, r, err)
	}
	for i, u := range o.Targets {
		statusf(o.Status, "[%d/%d %s] %s: %s", len(o.Models)+i+1, total, elapsed(start), u, o.Scenario)
		s := spec
		s.Target = baseURL(u)
		s.Insecure, s.CAFile = o.Insecure, o.CAFile
		if s.Conns == 0 {
			s.Conns = 4
		}
		r, err := observed{o.Observer, u, o.Scenario, len(o.Models) + i + 1, total}.run(ctx, s)
		save(u, r, err)
	}
	if len(out.Runs) == 0 {
		return out, fmt.Errorf("no board ran")
	}
	fig, err := plots.BoardComparison(out.Runs)
	if err != nil {
		return out, fmt.Errorf("comparison figure: %w", err)
	}
	// Its own report folder: a compare never overwrites the lab's report.
	dir := filepath.Join(o.Out, fileSafe("compare-"+o.Scenario))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return out, err
	}
	fig.Name = "compare-" + fileSafe(o.Scenario)
	if out.Figure, err = fig.Save(dir); err != nil {
		return out, err
	}
	names := append(append([]string{}, o.Models...), o.Targets...)
	out.Report, err = report.Write(dir, out.Runs, report.Options{Title: "wslab compare: " + o.Scenario + " on " + strings.Join(names, ", ")})
	return out, err
}

// WriteCompareTable prints one row per board.
func WriteCompareTable(w io.Writer, runs []*results.Run) {
	fmt.Fprintf(w, "%-18s %-6s %-12s %-10s %-10s %-10s %-10s %-8s %-8s %s\n", "BOARD", "OPENED", "MSG/S", "UP MB/S", "DOWN MB/S", "P50", "P99", "REFUSED", "ERRORS", "RAM (OF BUDGET)")
	for _, r := range runs {
		s := r.Summary()
		fmt.Fprintf(w, "%-18s %-6s %-12.0f %-10.3f %-10.3f %-10s %-10s %-8d %-8d %s\n", r.Board.Model, fmt.Sprintf("%d/%d", r.Counts.ConnsOpened, r.Scenario.Conns),
			s.MsgsPerSec, s.UpMBPerSec, s.DownMBPerSec, us(s.P50), us(s.P99), s.Refused, s.Errors-s.Refused, ramOf(s))
	}
}

func ramOf(s results.Summary) string {
	if !s.HasRAM {
		return "-"
	}
	if s.RAMBudget > 0 {
		return fmt.Sprintf("%s (%.0f%%)", kb(int(s.RAM)), 100*float64(s.RAM)/float64(s.RAMBudget))
	}
	return kb(int(s.RAM))
}
