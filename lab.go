package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wslab/wslab/lab"
	"github.com/wslab/wslab/plots/report"
	"github.com/wslab/wslab/results"
)

// jobFlags are the flags lab, sweep and compare share.
type jobFlags struct {
	linkOff, quiet, inProcess *bool
	results, out              *string
	outputFlags
}

func registerJobFlags(fs *flag.FlagSet) *jobFlags {
	jf := &jobFlags{
		linkOff:   fs.Bool("link-off", false, "run emulated boards at loopback speed, without their link"),
		results:   fs.String("results", results.DefaultDir, "results folder"),
		out:       fs.String("out", report.DefaultDir, "report folder"),
		quiet:     fs.Bool("quiet", false, "no live progress line"),
		inProcess: fs.Bool("in-process", false, "run emulated boards in this process (their heap figures then include the load generator's)"),
	}
	jf.outputFlags.register(fs)
	return jf
}

// parse parses the job's flags and checks --threshold and --summary before
// anything runs; it returns the human output (stderr when stdout is for a
// script) and an exit status when the command must stop.
func (jf *jobFlags) parse(fs *flag.FlagSet, args []string, what string, stdout, stderr io.Writer) (io.Writer, int, bool) {
	if err := checkDurationArgs(args, "duration"); err != nil {
		fmt.Fprintf(stderr, "wslab %s: %v\n", what, err)
		return nil, exitUsage, false
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, 0, false
		}
		return nil, exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wslab %s: unexpected arguments: %s\n", what, strings.Join(fs.Args(), " "))
		return nil, exitUsage, false
	}
	if err := jf.outputFlags.check(); err != nil {
		fmt.Fprintf(stderr, "wslab %s: %v\n", what, err)
		return nil, exitUsage, false
	}
	var bad []error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "target":
			for _, u := range splitList(f.Value.String()) {
				if err := checkTarget(u); err != nil {
					bad = append(bad, err)
				}
			}
		case "model", "models":
			if err := lab.CheckModels(splitList(f.Value.String())); err != nil {
				bad = append(bad, err)
			}
		}
	})
	if len(bad) > 0 {
		fmt.Fprintf(stderr, "wslab %s: %v\n", what, bad[0])
		return nil, exitUsage, false
	}
	if jf.machine() {
		return stderr, 0, true
	}
	return stdout, 0, true
}

// boardExe is this binary, to run emulated boards as child processes
// ("wslab board"), or "" to run them in this process.
func boardExe(inProcess bool) string {
	if inProcess {
		return ""
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

func intList(s string) ([]int, error) {
	var out []int
	for _, p := range splitList(s) {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", p)
		}
		out = append(out, n)
	}
	return out, nil
}

func runLab(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", strings.Join(lab.DefaultModels, ","), "emulated board models (see wslab board -list)")
	var targets listFlag
	fs.Var(&targets, "target", "a real board's WebSocket URL (ws://host:port, or wss://); repeat or comma-separate for several; replaces the emulated boards")
	slots := fs.Int("slots", 4, "slots to assume for a real board")
	insecure := fs.Bool("insecure", false, "wss targets: accept any certificate (a board with a self-signed one)")
	caFile := fs.String("ca", "", "wss targets: trust the certificates in this PEM file too")
	jf := registerJobFlags(fs)
	var ff foreignFlags // the suite on a foreign server under a model's limits (lab_exec.go)
	ff.register(fs)
	execModel := fs.String("exec-model", "esp32-idf", "the board model put around the -exec server")
	var lf liveFlags // --live, --live-hold (liveflag.go)
	lf.register(fs)
	human, code, ok := jf.parse(fs, args, "lab", stdout, stderr)
	if !ok {
		return code
	}
	if ff.exec != "" {
		b, n, err := startForeignTarget(&ff, *execModel, *jf.linkOff, stdout, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "wslab lab:", err)
			return 2
		}
		defer b.Close()
		if !flagSet(fs, "slots") {
			*slots = n
		}
		targets = append(targets, "ws://"+b.Addr().String()+"/ws")
	}
	ctx, stop := interruptible()
	defer stop()
	o := lab.Options{Targets: targets, Slots: *slots, LinkOff: *jf.linkOff, Results: *jf.results, Out: *jf.out,
		BoardExe: boardExe(*jf.inProcess), Status: human, Progress: progressWriter(stderr, *jf.quiet),
		Insecure: *insecure, CAFile: *caFile}
	if len(targets) == 0 {
		o.Models = splitList(*models)
	}
	lv, err := lf.start("lab", "wslab lab: "+strings.Join(append(append([]string{}, o.Models...), targets...), ", "), human, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wslab lab:", err)
		return exitUsage
	}
	defer lf.stop(ctx, lv, stderr)
	if lv != nil {
		o.Observer = lv
	}
	start := time.Now()
	oc, err := lab.Lab(ctx, o)
	if lv != nil {
		lv.Done(err)
	}
	if oc != nil && len(oc.Runs) > 0 {
		fmt.Fprint(human, "\n== headline ==\n")
		lab.WriteHeadlines(human, oc.Runs)
	}
	return jf.finish(stdout, stderr, human, "lab", start, oc, err)
}

// finish is finish, then the job's summary and thresholds: exit 3 when a
// threshold was crossed and nothing else failed.
func (jf *jobFlags) finish(stdout, stderr, human io.Writer, what string, start time.Time, oc *lab.Outcome, err error) int {
	code := finish(human, stderr, what, start, oc, err)
	if oc == nil || len(oc.Runs) == 0 {
		return code
	}
	if tc := jf.outputFlags.report(stdout, stderr, oc.Runs); code == 0 {
		code = tc
	}
	return code
}

func finish(stdout, stderr io.Writer, what string, start time.Time, oc *lab.Outcome, err error) int {
	if errors.Is(err, context.Canceled) {
		// Ctrl-C: one clean line, not every step's "context canceled".
		n := 0
		if oc != nil {
			n = len(oc.Runs)
		}
		fmt.Fprintf(stderr, "wslab %s: interrupted after %s; %d runs stored\n", what, time.Since(start).Round(time.Second), n)
		return 130
	}
	if oc != nil {
		for _, f := range oc.Failed {
			fmt.Fprintf(stderr, "wslab %s: %v\n", what, f)
		}
		if len(oc.Runs) > 0 {
			fmt.Fprintf(stdout, "\n%d runs stored in %s\n", len(oc.Runs), dirOf(oc.Files))
		}
		if oc.Report != "" {
			fmt.Fprintf(stdout, "report: %s\n", oc.Report)
		}
	}
	fmt.Fprintf(stdout, "done in %s\n", time.Since(start).Round(time.Second))
	if err != nil {
		fmt.Fprintf(stderr, "wslab %s: %v\n", what, err)
		return 1
	}
	if oc != nil && len(oc.Failed) > 0 {
		return 1
	}
	return 0
}

func dirOf(files []string) string {
	if len(files) == 0 {
		return ""
	}
	f := files[0]
	if i := strings.LastIndexByte(f, '/'); i >= 0 {
		return f[:i]
	}
	return "."
}

func runSweep(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "esp32-idf", "board model")
	rx := fs.String("rx", "256,512,1024,2048,4096", "receive buffer sizes, bytes, comma-separated")
	tx := fs.String("tx", "", "transmit buffer sizes, bytes, comma-separated (default: the model's)")
	slots := fs.String("slots", "", "slot counts, comma-separated (default: the model's)")
	scenario := fs.String("scenario", "echo", "scenario to run on each configuration")
	conns := fs.Int("conns", 0, "connections (default: the configuration's slots)")
	size := fs.Int("size", 0, "message size, bytes (default 64)")
	dur := fs.Duration("duration", 2*time.Second, "load per configuration")
	rate := fs.Float64("rate", 0, "open-loop rate, msg/s (rate scenario)")
	goal := fs.String("goal", "", "what the configuration must meet, e.g. 'p99<=20ms,throughput>=100kB/s' (figures: "+strings.Join(results.GoalFigureNames(), " ")+"; throughput is the one-way payload rate; default: within 90% of the best message rate)")
	repeat := fs.Int("repeat", 1, "runs per configuration; the verdict is on their medians")
	jf := registerJobFlags(fs)
	human, code, ok := jf.parse(fs, args, "sweep", stdout, stderr)
	if !ok {
		return code
	}
	o := lab.SweepOptions{Model: *model, Scenario: *scenario, Conns: *conns, Size: *size, Duration: *dur, Rate: *rate, Repeat: *repeat,
		LinkOff: *jf.linkOff, BoardExe: boardExe(*jf.inProcess), Results: *jf.results, Out: *jf.out, Status: human, Progress: progressWriter(stderr, *jf.quiet)}
	var err error
	for _, l := range []struct {
		dst *[]int
		s   string
		n   string
	}{{&o.Rx, *rx, "-rx"}, {&o.Tx, *tx, "-tx"}, {&o.Slots, *slots, "-slots"}} {
		if *l.dst, err = intList(l.s); err != nil {
			fmt.Fprintf(stderr, "wslab sweep: %s: %v\n", l.n, err)
			return 2
		}
	}
	if *goal != "" {
		if o.Goal, err = lab.ParseGoal(*goal); err != nil {
			fmt.Fprintln(stderr, "wslab sweep:", err)
			return 2
		}
	}
	ctx, stop := interruptible()
	defer stop()
	start := time.Now()
	so, err := lab.Sweep(ctx, o)
	if so != nil {
		fmt.Fprintln(human)
		lab.WriteSweepTable(human, so, o.Goal)
		for _, f := range so.Figure {
			fmt.Fprintf(human, "figure: %s\n", f)
		}
		code := jf.finish(stdout, stderr, human, "sweep", start, &so.Outcome, err)
		if code == 0 && len(o.Goal) > 0 && so.Pick == nil {
			// WriteSweepTable named the closest and what it missed by.
			fmt.Fprintf(stderr, "wslab sweep: no configuration meets the goal %s\n", o.Goal)
			code = exitThreshold
		}
		return code
	}
	return finish(human, stderr, "sweep", start, nil, err)
}

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", "esp32-idf,picow-sdk,nano33-wifinina", "board models, comma-separated")
	var targets listFlag
	fs.Var(&targets, "target", "a real board's WebSocket URL; repeat for several (with -models '' to compare only real boards)")
	scenario := fs.String("scenario", "echo", "scenario")
	conns := fs.Int("conns", 0, "connections (default: the smallest slot count of the models, so every board gets the same load)")
	size := fs.Int("size", 0, "message size, bytes (default 64)")
	dur := fs.Duration("duration", 3*time.Second, "load per board")
	rate := fs.Float64("rate", 0, "open-loop rate, msg/s (rate scenario)")
	insecure := fs.Bool("insecure", false, "wss targets: accept any certificate (a board with a self-signed one)")
	caFile := fs.String("ca", "", "wss targets: trust the certificates in this PEM file too")
	jf := registerJobFlags(fs)
	var ff foreignFlags // your firmware beside the models, under a model's limits (lab_exec.go)
	ff.register(fs)
	execModel := fs.String("exec-model", "esp32-idf", "the board model put around the -exec server")
	human, code, ok := jf.parse(fs, args, "compare", stdout, stderr)
	if !ok {
		return code
	}
	if ff.exec != "" {
		b, _, err := startForeignTarget(&ff, *execModel, *jf.linkOff, stdout, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "wslab compare:", err)
			return 2
		}
		defer b.Close()
		targets = append(targets, "ws://"+b.Addr().String()+"/ws")
	}
	ctx, stop := interruptible()
	defer stop()
	start := time.Now()
	co, err := lab.Compare(ctx, lab.CompareOptions{Models: splitList(*models), Targets: targets, Scenario: *scenario,
		Conns: *conns, Size: *size, Duration: *dur, Rate: *rate, LinkOff: *jf.linkOff, BoardExe: boardExe(*jf.inProcess), Results: *jf.results, Out: *jf.out,
		Status: human, Progress: progressWriter(stderr, *jf.quiet), Insecure: *insecure, CAFile: *caFile})
	if co != nil {
		fmt.Fprintln(human)
		lab.WriteCompareTable(human, co.Runs)
		for _, f := range co.Figure {
			fmt.Fprintf(human, "figure: %s\n", f)
		}
		return jf.finish(stdout, stderr, human, "compare", start, &co.Outcome, err)
	}
	return finish(human, stderr, "compare", start, nil, err)
}
