package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wslab/wslab/lab"
)

func init() {
	register("lab", "the lab's main job: a default suite on three emulated boards (or a real one), stored runs, plots and an HTML report", runLab)
	register("sweep", "run one scenario across buffer sizes of a board model and name the smallest configuration that meets a goal", runSweep)
	register("compare", "run one scenario on several board models or real boards: one table, one figure", runCompare)
}

// interruptible returns a context cancelled by SIGINT/SIGTERM.
func interruptible() (context.Context, func()) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// progressWriter returns w when it is a terminal (the live progress line
// needs one) and quiet is off, else nil.
func progressWriter(w io.Writer, quiet bool) io.Writer {
	if quiet {
		return nil
	}
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return w
}

// jobFlags are the flags lab, sweep and compare share.
type jobFlags struct {
	linkOff, quiet, inProcess *bool
	results, out              *string
}

func registerJobFlags(fs *flag.FlagSet) *jobFlags {
	return &jobFlags{
		linkOff:   fs.Bool("link-off", false, "run emulated boards at loopback speed, without their link"),
		results:   fs.String("results", "wslab-results", "results folder"),
		out:       fs.String("out", "wslab-report", "report folder"),
		quiet:     fs.Bool("quiet", false, "no live progress line"),
		inProcess: fs.Bool("in-process", false, "run emulated boards in this process (their heap figures then include the load generator's)"),
	}
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

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
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

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, splitList(s)...); return nil }

func runLab(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", strings.Join(lab.DefaultModels, ","), "emulated board models (see wslab board -list)")
	var targets stringList
	fs.Var(&targets, "target", "a real board's WebSocket URL (ws://host:port); repeat or comma-separate for several; replaces the emulated boards")
	slots := fs.Int("slots", 4, "slots to assume for a real board")
	jf := registerJobFlags(fs)
	var ff foreignFlags // the suite on a foreign server under a model's limits (foreignlab.go)
	ff.register(fs)
	execModel := fs.String("exec-model", "esp32-idf", "the board model put around the -exec server")
	if err := fs.Parse(args); err != nil {
		return 2
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
		BoardExe: boardExe(*jf.inProcess), Status: stdout, Progress: progressWriter(stderr, *jf.quiet)}
	if len(targets) == 0 {
		o.Models = splitList(*models)
	}
	start := time.Now()
	oc, err := lab.Lab(ctx, o)
	return finish(stdout, stderr, "lab", start, oc, err)
}

func finish(stdout, stderr io.Writer, what string, start time.Time, oc *lab.Outcome, err error) int {
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
	goal := fs.String("goal", "", "what the configuration must meet, e.g. 'p99<20ms,throughput>1MB/s' (default: within 90% of the best throughput)")
	jf := registerJobFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o := lab.SweepOptions{Model: *model, Scenario: *scenario, Conns: *conns, Size: *size, Duration: *dur, Rate: *rate,
		LinkOff: *jf.linkOff, BoardExe: boardExe(*jf.inProcess), Results: *jf.results, Out: *jf.out, Status: stdout, Progress: progressWriter(stderr, *jf.quiet)}
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
		fmt.Fprintln(stdout)
		lab.WriteSweepTable(stdout, so, o.Goal)
		for _, f := range so.Figure {
			fmt.Fprintf(stdout, "figure: %s\n", f)
		}
		return finish(stdout, stderr, "sweep", start, &so.Outcome, err)
	}
	return finish(stdout, stderr, "sweep", start, nil, err)
}

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", "esp32-idf,picow-sdk,nano33-wifinina", "board models, comma-separated")
	var targets stringList
	fs.Var(&targets, "target", "a real board's WebSocket URL; repeat for several (with -models '' to compare only real boards)")
	scenario := fs.String("scenario", "echo", "scenario")
	conns := fs.Int("conns", 0, "connections (default: the smallest slot count of the models, so every board gets the same load)")
	size := fs.Int("size", 0, "message size, bytes (default 64)")
	dur := fs.Duration("duration", 3*time.Second, "load per board")
	rate := fs.Float64("rate", 0, "open-loop rate, msg/s (rate scenario)")
	jf := registerJobFlags(fs)
	var ff foreignFlags // your firmware beside the models, under a model's limits (foreignlab.go)
	ff.register(fs)
	execModel := fs.String("exec-model", "esp32-idf", "the board model put around the -exec server")
	if err := fs.Parse(args); err != nil {
		return 2
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
		Status: stdout, Progress: progressWriter(stderr, *jf.quiet)})
	if co != nil {
		fmt.Fprintln(stdout)
		lab.WriteCompareTable(stdout, co.Runs)
		for _, f := range co.Figure {
			fmt.Fprintf(stdout, "figure: %s\n", f)
		}
		return finish(stdout, stderr, "compare", start, &co.Outcome, err)
	}
	return finish(stdout, stderr, "compare", start, nil, err)
}
