package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/wslab/wslab/plots/report"
	"github.com/wslab/wslab/results"
)

// runReport is `wslab report`: read a results folder (results.ReadDir),
// name each file it skips on stderr, write the report (report.Write) and
// print the path of its index.html. With --against BASELINE the page
// compares the runs with a baseline folder (results.DiffSets). Exit
// status: 0 done (even with skipped files, which the page lists too), 1
// nothing to report or a write failed, 2 usage, 3 worse than the baseline.
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", report.DefaultDir, "write the report into `DIR`")
	title := fs.String("title", "", "page title (default \"wslab report\")")
	against := fs.String("against", "", "compare the runs with the baseline results folder `BASELINE` (a section per board and scenario, Holm-corrected Mann-Whitney); exit 3 when a figure got significantly worse")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wslab report [DIR] [--out DIR] [--title TEXT] [--against BASELINE]\n\nDIR is a results folder (default %s).\n\nflags:\n", results.DefaultDir)
		fs.PrintDefaults()
	}
	pos, err := flagsAnywhere(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	dir := results.DefaultDir
	switch len(pos) {
	case 0:
	case 1:
		dir = pos[0]
	default:
		fs.Usage()
		return 2
	}
	runs, skipped, err := results.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "wslab report: %v\n", err)
		return 1
	}
	for _, e := range skipped {
		fmt.Fprintf(stderr, "wslab report: skipped %v\n", e)
	}
	if len(runs) == 0 {
		fmt.Fprintf(stderr, "wslab report: no readable run in %s\n", dir)
		return 1
	}
	opt := report.Options{Title: *title, Skipped: skipped}
	if *against != "" {
		base, bskipped, err := results.ReadDir(*against)
		if err != nil {
			fmt.Fprintf(stderr, "wslab report: --against: %v\n", err)
			return 1
		}
		for _, e := range bskipped {
			fmt.Fprintf(stderr, "wslab report: baseline: skipped %v\n", e)
		}
		if len(base) == 0 {
			fmt.Fprintf(stderr, "wslab report: --against: no readable run in %s\n", *against)
			return 1
		}
		opt.Against, opt.Baseline = results.DiffSets(base, runs), *against
	}
	index, err := report.Write(*out, runs, opt)
	if index != "" {
		fmt.Fprintln(stdout, index)
	}
	if err != nil {
		fmt.Fprintf(stderr, "wslab report: %v\n", err)
		return 1
	}
	if opt.Against != nil {
		v := results.DiffVerdict(opt.Against)
		fmt.Fprintf(stdout, "against %s: %s\n", *against, v)
		if v == results.VerdictWorse {
			return exitThreshold
		}
	}
	return 0
}
