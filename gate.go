package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wslab/wslab/bench/gate"
)

// runGate is `wslab gate`: flags to gate.Options (and gate.ABOptions for
// --against), then gate.Compare and the table. Exit status: 0 no
// regression, 1 regression, 2 usage, parse or run error.
func runGate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	alpha := fs.Float64("alpha", 0.01, "Mann-Whitney U significance level for sec/op")
	threshold := fs.String("threshold", "10%", "sec/op rise that fails when also significant")
	instrThreshold := fs.String("instr-threshold", "1%", "instr/op rise that fails")
	units := fs.String("units", "time,allocs,bytes,instr", "comma-separated kinds to gate: time, allocs, bytes, instr")
	fs.StringVar(units, "only", "time,allocs,bytes,instr", "same as -units")
	against := fs.String("against", "", "A/B mode: benchmark git revision `REV` (BASE) against the working tree (HEAD)")
	var pkgs listFlag
	fs.Var(&pkgs, "pkg", "A/B mode: package pattern, repeatable or space-separated (default ./...)")
	bench := fs.String("bench", ".", "A/B mode: -test.bench regular expression")
	count := fs.Int("count", 10, "A/B mode: runs per side")
	benchtime := fs.String("benchtime", "", "A/B mode: -test.benchtime")
	keep := fs.String("keep", "", "A/B mode: write base.txt and head.txt into `DIR`")
	confirm := fs.Bool("confirm", true, "A/B mode: rerun the benchmarks of a suspected time regression, interleaved, and fail only if the rerun confirms it")
	verbose := fs.Bool("v", false, "print every row (default: only rows that changed, failed or need attention)")
	gab := fs.String("export-gab", "", "write HEAD's medians to `FILE` in github-action-benchmark's customSmallerIsBetter JSON")
	bencher := fs.String("export-bencher", "", "write HEAD's medians to `FILE` in Bencher Metric Format JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: wslab gate [flags] BASE HEAD")
		fmt.Fprintln(stderr, "       wslab gate [flags] --against REV [--pkg ./core/...] [--bench RE] [--count 10] [--keep DIR]")
		fmt.Fprintln(stderr, "\nExit status: 0 no regression, 1 regression, 2 usage or input error.\n\nflags:")
		fs.PrintDefaults()
	}
	files, err := flagsAnywhere(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}

	opts := gate.Options{Alpha: *alpha}
	if opts.TimeThreshold, err = gate.ParseFraction(*threshold); err != nil {
		return usageErr(stderr, "-threshold: %v", err)
	}
	if opts.InstrThreshold, err = gate.ParseFraction(*instrThreshold); err != nil {
		return usageErr(stderr, "-instr-threshold: %v", err)
	}
	if opts.Kinds, err = gate.ParseKinds(*units); err != nil {
		return usageErr(stderr, "-units: %v", err)
	}
	if *alpha <= 0 || *alpha >= 1 {
		return usageErr(stderr, "-alpha must be between 0 and 1, got %g", *alpha)
	}
	if opts.TimeThreshold == 0 {
		opts.TimeThreshold = 1e-12 // 0% means "any significant rise", not the default
	}
	if opts.InstrThreshold == 0 {
		opts.InstrThreshold = 1e-12
	}

	var base, head *gate.Set
	var abo gate.ABOptions
	ctx, stop := interruptible()
	defer stop()
	switch {
	case *against != "":
		if len(files) != 0 {
			return usageErr(stderr, "--against takes no BASE HEAD files")
		}
		abo = gate.ABOptions{
			Against: *against, Pkgs: pkgs, Bench: *bench, Count: *count,
			Benchtime: *benchtime, Keep: *keep, Log: stderr,
		}
		res, err := gate.RunAB(ctx, abo)
		if err != nil {
			fmt.Fprintf(stderr, "wslab gate: %v\n", err)
			return 2
		}
		if res.BasePath != "" {
			fmt.Fprintf(stderr, "wslab gate: kept %s and %s\n", res.BasePath, res.HeadPath)
		}
		base, head = res.Base, res.Head
	case len(files) == 2:
		if base, err = gate.ReadFile(files[0]); err != nil {
			fmt.Fprintf(stderr, "wslab gate: BASE: %v\n", err)
			return 2
		}
		if head, err = gate.ReadFile(files[1]); err != nil {
			fmt.Fprintf(stderr, "wslab gate: HEAD: %v\n", err)
			return 2
		}
	default:
		return usageErr(stderr, "want BASE and HEAD files, or --against REV")
	}

	rep := gate.Compare(base, head, opts)
	if *against != "" && *confirm {
		if regex := gate.SuspectedTime(rep); regex != "" {
			// A time regression on a shared machine may be a burst of
			// noise: measure those benchmarks again, interleaved, and keep
			// the verdict only where the rerun agrees.
			fmt.Fprintf(stderr, "wslab gate: time regression suspected; confirming with an interleaved rerun of %s\n", regex)
			re := abo
			re.Bench, re.Keep = regex, ""
			res, err := gate.RunAB(ctx, re)
			if err != nil {
				fmt.Fprintf(stderr, "wslab gate: confirming: %v\n", err)
				return 2
			}
			gate.Confirm(rep, gate.Compare(res.Base, res.Head, opts))
		}
	}
	rep.Verbose = *verbose
	if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "wslab gate: %v\n", err)
		return 2
	}
	for _, ex := range []struct {
		file  string
		write func(io.Writer) error
	}{{*gab, rep.WriteGitHubActionBenchmark}, {*bencher, rep.WriteBencher}} {
		if ex.file == "" {
			continue
		}
		f, err := os.Create(ex.file)
		if err == nil {
			err = ex.write(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "wslab gate: %v\n", err)
			return 2
		}
	}
	if rep.Failed() {
		return 1
	}
	return 0
}

func usageErr(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "wslab gate: "+format+"\n", args...)
	fmt.Fprintln(stderr, "Run 'wslab gate -h' for usage.")
	return 2
}
