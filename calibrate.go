package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wslab/wslab/calibrate"
	"github.com/wslab/wslab/firmware/catalog"
)

func runCalibrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "the board's WebSocket URL, ws://host:port/ws (required)")
	out := fs.String("out", "", "the model file to write (JSON; default NAME.json)")
	name := fs.String("name", "myboard", "the model's name")
	scale := fs.Float64("scale", 1, "multiply every probe's duration (0.25: a quick look; 1: about three minutes)")
	maxConns := fs.Int("max-conns", 24, "the connect ramp stops here when the board takes every connection")
	idle := fs.Duration("idle", 0, "how long the idle probe waits for a ping or a drop (default 35s x scale)")
	statsURL := fs.String("stats-url", "-", "the board's stats for the load generator's records (\"-\": none; the fit never reads them)")
	verify := fs.Bool("verify", true, "start the twin and run the same probes against it, side by side (exit 3 when it misses a point)")
	report := fs.String("report", "", "write the side-by-side plot (calibration.png, .svg) to this folder")
	tol := fs.Float64("tolerance", calibrate.Tolerance, "relative tolerance of the continuous figures in the side-by-side verdicts")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wslab calibrate: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	if *target == "" {
		fmt.Fprintln(stderr, "wslab calibrate: --target ws://host:port/ws is required")
		return exitUsage
	}
	if *scale <= 0 || *tol <= 0 || *maxConns < 2 {
		fmt.Fprintln(stderr, "wslab calibrate: --scale and --tolerance must be positive and --max-conns at least 2")
		return exitUsage
	}
	if *out == "" {
		*out = *name + ".json"
	}
	o := calibrate.Options{Target: *target, Scale: *scale, MaxConns: *maxConns, IdleWait: *idle, StatsURL: *statsURL, Log: stderr}
	ctx, stop := interruptible()
	defer stop()
	res, err := calibrate.Calibrate(ctx, o, *name)
	if err != nil {
		fmt.Fprintln(stderr, "wslab calibrate:", err)
		return exitFailed
	}
	printFit(stdout, res.Fit)
	misses := 0
	if *verify {
		fmt.Fprintf(stderr, "the twin: the same probes against the model\n")
		misses, err = res.Verify(ctx, o, *tol)
		if err != nil {
			fmt.Fprintln(stderr, "wslab calibrate:", err)
			return exitFailed
		}
		fmt.Fprintln(stdout, "\nThe board and its twin, probe by probe:")
		calibrate.PrintTable(stdout, res.Rows)
		if *report != "" {
			if err := os.MkdirAll(*report, 0o755); err != nil {
				fmt.Fprintln(stderr, "wslab calibrate:", err)
				return exitFailed
			}
			paths, err := calibrate.Plot(*report, *name, res.Meas, res.Twin, res.Rows)
			if err != nil {
				fmt.Fprintln(stderr, "wslab calibrate:", err)
				return exitFailed
			}
			fmt.Fprintf(stdout, "plot: %s\n", strings.Join(paths, ", "))
		}
	}
	if err := catalog.WriteModelFile(*out, res.Model); err != nil {
		fmt.Fprintln(stderr, "wslab calibrate:", err)
		return exitFailed
	}
	abs, _ := filepath.Abs(*out)
	fmt.Fprintf(stdout, "\nmodel file: %s (start it: wslab board --model-file %s)\n", abs, *out)
	if k := calibrate.MissesInNoise(res.Rows); k > 0 {
		fmt.Fprintf(stdout, "%d probe point(s) differ by more than ±%.0f%% but within twice the two probes' sampling error (NOISE): the probes cannot tell the twin from the board there; a longer probe (--scale 2) narrows it\n", k, *tol*100)
	}
	if misses > 0 {
		fmt.Fprintf(stdout, "the twin missed %d probe point(s) beyond ±%.0f%% and their noise (or not exactly): trust it where it matched\n", misses, *tol*100)
		return exitThreshold
	}
	return 0
}

// printFit prints each fitted figure with its provenance.
func printFit(w io.Writer, f *calibrate.Fit) {
	fmt.Fprintf(w, "Model %s (nearest preset %s):\n", f.Twin.Name, f.Nearest)
	for _, x := range f.Figures {
		how := "assumed "
		if x.Measured {
			how = "measured"
		}
		v := fmt.Sprintf("%.4g %s", x.Value, x.Unit)
		if x.Err > 0 {
			v = fmt.Sprintf("%.4g ±%.2g %s", x.Value, x.Err, x.Unit)
		}
		if x.Name == "fail" {
			v = x.Unit
		}
		fmt.Fprintf(w, "  %-12s %-14s %s  %s\n", x.Name, v, how, x.Source)
	}
}
