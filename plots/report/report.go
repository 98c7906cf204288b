// Package report writes a self-contained HTML report of wslab runs: a
// folder with index.html, every applicable figure (plots.Select) as PNG
// with a link to its SVG, and a summary table per board. Paths inside the
// report are relative, so the folder can be moved or published as is. The
// page depends only on the runs, never on the clock, so the same runs give
// the same report.
package report

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wslab/wslab/plots"
	"github.com/wslab/wslab/results"
)

// DefaultDir is the report folder used when none is given.
const DefaultDir = "wslab-report"

// Options change what the report shows.
type Options struct {
	// Title heads the page; "wslab report" when empty.
	Title string
	// Skipped are files that could not be read (as from results.ReadDir);
	// the page lists them so that nobody mistakes a partial report for a
	// complete one.
	Skipped []error
	// Against, when set, compares the runs with a baseline run set
	// (results.DiffSets(baseline, runs)); Baseline names it.
	Against  []results.SetDiff
	Baseline string
	// Sweep, when set, heads the page with a sweep's goal, verdict,
	// recommendation and figure.
	Sweep *Sweep
}

// Sweep is a buffer sweep's outcome for the page.
type Sweep struct {
	Goal    string
	Verdict string // the recommendation, or the closest miss
	Met     bool   // a configuration meets the goal
	Figure  string // the sweep figure's PNG in the report folder
	Lines   []SweepLine
}

// SweepLine is one configuration of a sweep.
type SweepLine struct {
	Config, RAM, Msgs, Up, Down, P99, Verdict string
	Runs                                      int
	Pick                                      bool
}

//go:embed index.html.tmpl
var pageText string

var page = template.Must(template.New("index").Parse(pageText))

type figureView struct {
	Title, PNG, SVG string
}

type rowView struct {
	ID, Step, Scenario, Conns, Opened, Size, Slots, Buffers string
	MsgsPerSec, Up, Down, P50, P99, P999, N                 string
	Errors, Refused, RAM, Commit, Date                      string
	// Connect is a wss:// run's connect p50 with its phases; "–" for others.
	Connect string
}

type boardView struct {
	Model, Config string
	Rows          []rowView
	// TLS: some run of the board timed TLS handshakes; the table gets a
	// column with the connect's phases.
	TLS bool
}

type headlineView struct {
	Board, Config string
	Lines         []lineView
}

// lineView is a headline line; a field scenario's answer has its figure
// beside it.
type lineView struct {
	Text string
	Fig  *figureView
}

type diffRowView struct {
	Figure, Old, New, Delta, P, Verdict string
}

type diffView struct {
	Board, Scenario, Note string
	OldN, NewN, Tested    int
	Rows                  []diffRowView
}

type pageView struct {
	Title       string
	Runs        int
	From, Until string
	Commits     []string
	Skipped     []string
	Figures     []figureView
	Boards      []boardView
	Headlines   []headlineView
	Sweep       *Sweep
	SweepSVG    string
	Others      []string
	Against     []diffView
	Baseline    string
	Verdict     string
	Alpha       float64
	MinP999N    int64
	FigureError string
}

// Write renders the report for runs into dir (created if needed) and
// returns the path of its index.html. A figure that fails to render is
// noted on the page and in the returned error, after the page is written.
func Write(dir string, runs []*results.Run, opt Options) (string, error) {
	if len(runs) == 0 {
		return "", errors.New("report: no runs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	sorted := slices.Clone(runs)
	results.SortRuns(sorted)
	v := pageView{Title: cmp.Or(opt.Title, "wslab report"), Runs: len(sorted), Alpha: results.Alpha, MinP999N: MinP999Samples}
	for _, h := range results.Headlines(sorted) {
		hv := headlineView{Board: h.Board, Config: h.Config}
		for _, l := range h.Lines {
			hv.Lines = append(hv.Lines, lineView{Text: l})
		}
		v.Headlines = append(v.Headlines, hv)
	}
	// Reports of other jobs (sweep, compare) in sub-folders.
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "index.html")); e.IsDir() && err == nil {
				v.Others = append(v.Others, e.Name())
			}
		}
	}
	if opt.Sweep != nil {
		v.Sweep = opt.Sweep
		v.SweepSVG = strings.TrimSuffix(opt.Sweep.Figure, ".png") + ".svg"
	}
	if opt.Against != nil {
		v.Baseline = cmp.Or(opt.Baseline, "baseline")
		v.Verdict = results.DiffVerdict(opt.Against)
		v.Against = diffViews(opt.Against)
	}
	v.From = sorted[0].Start.UTC().Format(time.DateTime + " MST")
	v.Until = sorted[len(sorted)-1].Start.UTC().Format(time.DateTime + " MST")
	commits := map[string]bool{}
	for _, r := range sorted {
		if r.Host.Commit != "" && !commits[r.Host.Commit] {
			commits[r.Host.Commit] = true
			v.Commits = append(v.Commits, r.Host.Commit)
		}
	}
	for _, e := range opt.Skipped {
		v.Skipped = append(v.Skipped, e.Error())
	}

	figs, figErr := plots.Select(sorted)
	// The board comparison answers the first question: it goes first.
	slices.SortStableFunc(figs, func(a, b *plots.Figure) int {
		return cmp.Compare(boolRank(a.Name != "board-comparison"), boolRank(b.Name != "board-comparison"))
	})
	for _, f := range figs {
		if _, err := f.Save(dir); err != nil {
			figErr = errors.Join(figErr, err)
			continue
		}
		fv := figureView{Title: f.Title, PNG: f.Name + ".png", SVG: f.Name + ".svg"}
		// A field scenario's figure goes beside its answer in the
		// board's headline (the latest run's: the last such line).
		if f.Scenario != "" && v.attach(f.Board, f.Scenario, fv) {
			continue
		}
		v.Figures = append(v.Figures, fv)
	}
	if figErr != nil {
		v.FigureError = figErr.Error()
	}

	// Boards in the order they first ran, runs in the order they ran (the
	// suite's order), never alphabetical.
	byBoard := map[string][]*results.Run{}
	var boards []string
	for _, r := range sorted {
		if byBoard[r.Board.Model] == nil {
			boards = append(boards, r.Board.Model)
		}
		byBoard[r.Board.Model] = append(byBoard[r.Board.Model], r)
	}
	for _, b := range boards {
		rs := byBoard[b]
		bv := boardView{Model: b, Config: results.BoardConfig(rs[0].Board)}
		for _, r := range rs[1:] {
			if results.BoardConfig(r.Board) != bv.Config {
				bv.Config = "Configuration varies between runs: see the slots and buffer columns."
				break
			}
		}
		for _, r := range rs {
			rv := row(r)
			bv.TLS = bv.TLS || rv.Connect != "–"
			bv.Rows = append(bv.Rows, rv)
		}
		v.Boards = append(v.Boards, bv)
	}

	index := filepath.Join(dir, "index.html")
	f, err := os.Create(index)
	if err != nil {
		return "", err
	}
	if err := page.Execute(f, v); err != nil {
		f.Close()
		return "", fmt.Errorf("report: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if figErr != nil {
		return index, fmt.Errorf("report: some figures failed: %w", figErr)
	}
	return index, nil
}

// attach puts fv beside the last answer line of scenario in board's
// headline; false when there is none.
func (v *pageView) attach(board, scenario string, fv figureView) bool {
	for i := range v.Headlines {
		h := &v.Headlines[i]
		if h.Board != board {
			continue
		}
		for j := len(h.Lines) - 1; j >= 0; j-- {
			if strings.HasPrefix(h.Lines[j].Text, scenario+": ") && h.Lines[j].Fig == nil {
				h.Lines[j].Fig = &fv
				return true
			}
		}
	}
	return false
}

// MinP999Samples is the fewest latency samples a p99.9 is shown for: with
// fewer, the 99.9th percentile is the maximum of a handful of values.
const MinP999Samples = 1000

func row(r *results.Run) rowView {
	s := r.Summary()
	rv := rowView{
		ID:         r.ID,
		Step:       cmp.Or(r.Scenario.Params["step"], r.Scenario.Name),
		Scenario:   r.Scenario.Name,
		Conns:      fmt.Sprint(r.Scenario.Conns),
		Opened:     fmt.Sprint(r.Counts.ConnsOpened),
		Size:       results.FormatValue(float64(r.Scenario.Size), "bytes"),
		Slots:      fmt.Sprint(r.Board.Slots),
		Buffers:    results.FormatValue(float64(r.Board.RxBuf), "bytes") + " / " + results.FormatValue(float64(r.Board.TxBuf), "bytes"),
		MsgsPerSec: fmt.Sprintf("%.0f", s.MsgsPerSec),
		Up:         fmt.Sprintf("%.3f", s.UpMBPerSec),
		Down:       fmt.Sprintf("%.3f", s.DownMBPerSec),
		P50:        "–", P99: "–", P999: "–", N: "0", RAM: "–",
		Errors:  fmt.Sprint(s.Errors - s.Refused),
		Refused: fmt.Sprint(s.Refused),
		Commit:  r.Host.Commit,
		Date:    r.Start.UTC().Format("2006-01-02 15:04"),
		Connect: "–",
	}
	if c, ok := r.ConnectPhases(); ok {
		rv.Connect = c.Short()
	}
	if s.HasLatency {
		n := r.Hist(results.HistLatency).Count()
		if n == 0 {
			n = r.Hist(results.HistService).Count()
		}
		rv.N = fmt.Sprint(n)
		rv.P50 = results.FormatValue(s.P50, "µs")
		rv.P99 = results.FormatValue(s.P99, "µs")
		if n >= MinP999Samples {
			rv.P999 = results.FormatValue(s.P999, "µs")
		}
	}
	if s.HasRAM {
		rv.RAM = results.FormatValue(float64(s.RAM), "bytes")
		if s.RAMBudget > 0 {
			rv.RAM += fmt.Sprintf(" (%.0f%%)", 100*float64(s.RAM)/float64(s.RAMBudget))
		}
	}
	return rv
}

func diffViews(ds []results.SetDiff) []diffView {
	var out []diffView
	for _, d := range ds {
		dv := diffView{Board: d.Board, Scenario: d.Scenario}
		switch {
		case d.OnlyOld:
			dv.Note = "only in the baseline"
		case d.OnlyNew:
			dv.Note = "not in the baseline"
		case d.Err != nil:
			dv.Note = d.Err.Error()
		default:
			dv.OldN, dv.NewN, dv.Tested = d.OldN, d.NewN, d.Tested
			for _, ch := range d.Changes {
				r := diffRowView{Figure: ch.Figure.Name, Old: "–", New: "–", Delta: "–", P: "–", Verdict: ch.Verdict}
				if ch.Verdict != results.VerdictMissing {
					r.Old = results.FormatValue(ch.OldCenter, ch.Figure.Unit)
					r.New = results.FormatValue(ch.NewCenter, ch.Figure.Unit)
					if !math.IsNaN(ch.Delta) {
						r.Delta = fmt.Sprintf("%+.1f%%", ch.Delta*100)
					}
					if len(ch.Old) > 1 && len(ch.New) > 1 {
						r.P = fmt.Sprintf("%.3f", ch.PAdj)
					}
				}
				dv.Rows = append(dv.Rows, r)
			}
		}
		out = append(out, dv)
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
