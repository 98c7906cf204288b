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
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wslab/wslab/plots"
	"github.com/wslab/wslab/results"
)

// Options change what the report shows.
type Options struct {
	// Title heads the page; "wslab report" when empty.
	Title string
	// Skipped are files that could not be read (as from results.ReadDir);
	// the page lists them so that nobody mistakes a partial report for a
	// complete one.
	Skipped []error
}

//go:embed index.html.tmpl
var pageText string

var page = template.Must(template.New("index").Parse(pageText))

type figureView struct {
	Title, PNG, SVG string
}

type rowView struct {
	ID, Scenario, Conns, Size, Slots, Buffers string
	MsgsPerSec, MBPerSec, P50, P99, P999      string
	Errors, HeapStart, HeapEnd, Commit, Date  string
}

type boardView struct {
	Model, Config string
	Rows          []rowView
}

type pageView struct {
	Title       string
	Runs        int
	From, Until string
	Commits     []string
	Skipped     []string
	Figures     []figureView
	Boards      []boardView
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
	v := pageView{Title: cmp.Or(opt.Title, "wslab report"), Runs: len(sorted)}
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
	for _, f := range figs {
		if _, err := f.Save(dir); err != nil {
			figErr = errors.Join(figErr, err)
			continue
		}
		v.Figures = append(v.Figures, figureView{Title: f.Title, PNG: f.Name + ".png", SVG: f.Name + ".svg"})
	}
	if figErr != nil {
		v.FigureError = figErr.Error()
	}

	byBoard := map[string][]*results.Run{}
	for _, r := range sorted {
		byBoard[r.Board.Model] = append(byBoard[r.Board.Model], r)
	}
	for _, b := range slices.Sorted(maps.Keys(byBoard)) {
		rs := byBoard[b]
		slices.SortStableFunc(rs, func(x, y *results.Run) int {
			return cmp.Or(strings.Compare(x.Scenario.Name, y.Scenario.Name), cmp.Compare(x.Scenario.Conns, y.Scenario.Conns))
		})
		bv := boardView{Model: b, Config: boardConfig(rs[0].Board)}
		for _, r := range rs[1:] {
			if boardConfig(r.Board) != bv.Config {
				bv.Config = "Configuration varies between runs: see the slots and buffer columns."
				break
			}
		}
		for _, r := range rs {
			bv.Rows = append(bv.Rows, row(r))
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

func boardConfig(b results.Board) string {
	parts := []string{
		fmt.Sprintf("%d slots", b.Slots),
		"rx " + results.FormatValue(float64(b.RxBuf), "bytes"),
		"tx " + results.FormatValue(float64(b.TxBuf), "bytes"),
		"heap budget " + results.FormatValue(float64(b.HeapBudget), "bytes"),
	}
	if b.LinkBandwidth > 0 {
		parts = append(parts, fmt.Sprintf("link %g Mbit/s", float64(b.LinkBandwidth)/1e6))
	}
	if b.LinkRTT > 0 {
		parts = append(parts, "RTT "+b.LinkRTT.String())
	}
	if b.WhenFull != "" {
		parts = append(parts, "when full: "+b.WhenFull)
	}
	return strings.Join(parts, ", ")
}

func row(r *results.Run) rowView {
	s := r.Summary()
	rv := rowView{
		ID:         r.ID,
		Scenario:   r.Scenario.Name,
		Conns:      fmt.Sprint(r.Scenario.Conns),
		Size:       results.FormatValue(float64(r.Scenario.Size), "bytes"),
		Slots:      fmt.Sprint(r.Board.Slots),
		Buffers:    fmt.Sprintf("%d/%d", r.Board.RxBuf, r.Board.TxBuf),
		MsgsPerSec: fmt.Sprintf("%.0f", s.MsgsPerSec),
		MBPerSec:   fmt.Sprintf("%.2f", s.MBPerSec),
		P50:        "–", P99: "–", P999: "–", HeapStart: "–", HeapEnd: "–",
		Errors: fmt.Sprint(s.Errors),
		Commit: r.Host.Commit,
		Date:   r.Start.UTC().Format("2006-01-02 15:04"),
	}
	if s.HasLatency {
		rv.P50 = results.FormatValue(s.P50, "µs")
		rv.P99 = results.FormatValue(s.P99, "µs")
		rv.P999 = results.FormatValue(s.P999, "µs")
	}
	if s.HasHeap {
		rv.HeapStart = results.FormatValue(float64(s.HeapStart), "bytes")
		rv.HeapEnd = results.FormatValue(float64(s.HeapEnd), "bytes")
	}
	return rv
}
