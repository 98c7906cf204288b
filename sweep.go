package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/foreign"
	"github.com/wslab/wslab/lab"
	"github.com/wslab/wslab/results"
)

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
	var lf liveFlags // --live, --live-hold (liveflag.go)
	lf.register(fs)
	var ff foreignFlags // a sweep of your firmware's limits (sweepForeign)
	ff.register(fs)
	fs.Lookup("cpu-quota").Usage = "with -exec: the server's CPU caps to sweep, comma-separated: shares of one core (2%,4%,0.08), off, or model (the model's CPU)"
	fs.Lookup("mem-limit").Usage = "with -exec: the server's memory limits to sweep, comma-separated: sizes (32MiB,64MiB), off, or model (its memory when its port opened plus the model's heap budget)"
	linkMbps := fs.String("link-mbps", "", "with -exec: link bandwidths to sweep, Mbit/s, comma-separated (default: the model's link)")
	human, code, ok := jf.parse(fs, args, "sweep", stdout, stderr)
	if !ok {
		return code
	}
	if jf.twin != "" {
		if flagSet(fs, "model") {
			fmt.Fprintln(stderr, "wslab sweep: --model-file is the model to sweep: drop -model")
			return exitUsage
		}
		*model = jf.twin
	}
	if ff.exec == "" {
		for _, f := range []string{"exec-port", "cpu-quota", "mem-limit", "no-restart", "link-mbps"} {
			if flagSet(fs, f) {
				fmt.Fprintf(stderr, "wslab sweep: -%s needs -exec, the server to sweep\n", f)
				return exitUsage
			}
		}
	} else if !flagSet(fs, "rx") {
		*rx = "" // the model's buffers: the sweep is over the limits
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
	if ff.exec != "" {
		if o.Foreign, o.Limits, err = sweepForeign(&ff, *model, *linkMbps, *jf.linkOff, human, stderr); err != nil {
			fmt.Fprintln(stderr, "wslab sweep:", err)
			return exitUsage
		}
	}
	ctx, stop := interruptible()
	defer stop()
	lv, err := lf.start("sweep", "wslab sweep: "+*model+" "+o.Scenario, human, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wslab sweep:", err)
		return exitUsage
	}
	defer lf.stop(ctx, lv, stderr)
	if lv != nil {
		o.Observer = lv
	}
	start := time.Now()
	so, err := lab.Sweep(ctx, o)
	if lv != nil {
		lv.Done(err)
	}
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

// sweepForeign reads -cpu-quota, -mem-limit and -link-mbps as lists,
// every combination a configuration of the sweep, and returns how to
// start the -exec server under each, behind a relay on a loopback port
// (as startForeignTarget does for lab and compare).
func sweepForeign(ff *foreignFlags, model, linkMbps string, linkOff bool, events, output io.Writer) (lab.ForeignStarter, []lab.Limits, error) {
	rb, err := catalog.Resolve(model, catalog.Overrides{LinkOff: linkOff})
	if err != nil {
		return nil, nil, err
	}
	links := []int64{0} // the model's
	if linkMbps != "" {
		links = links[:0]
		for _, v := range splitList(linkMbps) {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || x <= 0 || x > 1e5 {
				return nil, nil, fmt.Errorf("-link-mbps %q: want a bandwidth in Mbit/s like 2.5", v)
			}
			links = append(links, int64(x*1e6))
		}
	}
	var limits []lab.Limits
	for _, cpu := range splitList(ff.cpuQuota) {
		for _, mem := range splitList(ff.memLimit) {
			one := *ff
			one.cpuQuota, one.memLimit = cpu, mem
			o, _, err := one.options(model, rb.Config, rb.Link, events, output)
			if err != nil {
				return nil, nil, err
			}
			for _, bps := range links {
				limits = append(limits, lab.Limits{CPUShare: o.CPUShare, MemLimit: o.MemLimit, LinkBps: bps})
			}
		}
	}
	if len(limits) == 0 {
		return nil, nil, fmt.Errorf("-cpu-quota %q, -mem-limit %q: nothing to sweep", ff.cpuQuota, ff.memLimit)
	}
	start := func(rb catalog.Board, l lab.Limits) (string, func() error, error) {
		one := *ff
		one.cpuQuota, one.memLimit = "off", "model" // l sets them
		o, _, err := one.options(model, rb.Config, rb.Link, events, output)
		if err != nil {
			return "", nil, err
		}
		o.CPUShare, o.MemLimit, o.Listen = l.CPUShare, l.MemLimit, "127.0.0.1:0"
		if l.LinkBps > 0 {
			o.Link.Bps = l.LinkBps
		}
		b, err := foreign.Start(o)
		if err != nil {
			return "", nil, err
		}
		return "ws://" + b.Addr().String() + "/ws", b.Close, nil
	}
	return start, limits, nil
}
