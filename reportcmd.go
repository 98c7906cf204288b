package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/wslab/wslab/plots/report"
	"github.com/wslab/wslab/results"
)

func init() {
	register("report", "write an HTML report of a results folder (DIR [--out DIR])", runReport)
}

// runReport is `wslab report`: read a results folder (results.ReadDir),
// name each file it skips on stderr, write the report (report.Write) and
// print the path of its index.html. Exit status: 0 done (even with skipped
// files, which the page lists too), 1 nothing to report or a write failed,
// 2 usage.
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "wslab-report", "write the report into `DIR`")
	title := fs.String("title", "", "page title (default \"wslab report\")")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wslab report [DIR] [--out DIR] [--title TEXT]\n\nDIR is a results folder (default %s).\n\nflags:\n", results.DefaultDir)
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
	index, err := report.Write(*out, runs, report.Options{Title: *title, Skipped: skipped})
	if index != "" {
		fmt.Fprintln(stdout, index)
	}
	if err != nil {
		fmt.Fprintf(stderr, "wslab report: %v\n", err)
		return 1
	}
	return 0
}
