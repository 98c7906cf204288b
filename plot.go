package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wslab/wslab/plots"
	"github.com/wslab/wslab/results"
)

// runPlot is `wslab plot`: read the named records, draw plots.Select's
// figures as PNG and SVG into --out, print each file written. Exit status:
// 0 done, 1 a file could not be read or a figure failed (the others are
// still drawn), 2 usage.
func runPlot(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "wslab-plots", "write the figures into `DIR`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: wslab plot RUN.json... [--out DIR]\n\nflags:")
		fs.PrintDefaults()
	}
	files, err := flagsAnywhere(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	status := 0
	runs, bad := readRunFiles(files)
	for _, e := range bad {
		fmt.Fprintf(stderr, "wslab plot: %v\n", e)
		status = 1
	}
	if len(runs) == 0 {
		fmt.Fprintln(stderr, "wslab plot: no run to plot")
		return 1
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "wslab plot: %v\n", err)
		return 1
	}
	figs, err := plots.Select(runs)
	if err != nil {
		fmt.Fprintf(stderr, "wslab plot: %v\n", err)
		status = 1
	}
	if len(figs) == 0 {
		fmt.Fprintln(stderr, "wslab plot: no plot applies to these runs")
		return 1
	}
	for _, f := range figs {
		paths, err := f.Save(*out)
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
		if err != nil {
			fmt.Fprintf(stderr, "wslab plot: %v\n", err)
			status = 1
		}
	}
	return status
}

// readRunFiles reads each named record, collecting the errors.
func readRunFiles(files []string) (runs []*results.Run, errs []error) {
	for _, f := range files {
		r, err := results.ReadFile(f)
		if err != nil {
			var fe *results.FileError
			var ve *results.VersionError
			if !errors.As(err, &fe) && !errors.As(err, &ve) {
				err = &results.FileError{File: f, Err: err}
			}
			errs = append(errs, err)
			continue
		}
		runs = append(runs, r)
	}
	return runs, errs
}
