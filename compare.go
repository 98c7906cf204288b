package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wslab/wslab/lab"
)

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
	var lf liveFlags // --live, --live-hold (liveflag.go)
	lf.register(fs)
	human, code, ok := jf.parse(fs, args, "compare", stdout, stderr)
	if !ok {
		return code
	}
	if jf.twin != "" && !flagSet(fs, "exec-model") {
		*execModel = jf.twin // the twin's limits around the -exec server
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
	o := lab.CompareOptions{Models: jf.models(fs, *models), Targets: targets, Scenario: *scenario,
		Conns: *conns, Size: *size, Duration: *dur, Rate: *rate, LinkOff: *jf.linkOff, BoardExe: boardExe(*jf.inProcess), Results: *jf.results, Out: *jf.out,
		Status: human, Progress: progressWriter(stderr, *jf.quiet), Insecure: *insecure, CAFile: *caFile}
	lv, err := lf.start("compare", "wslab compare: "+*scenario+" on "+strings.Join(append(append([]string{}, o.Models...), targets...), ", "), human, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wslab compare:", err)
		return exitUsage
	}
	defer lf.stop(ctx, lv, stderr)
	if lv != nil {
		o.Observer = lv
	}
	start := time.Now()
	co, err := lab.Compare(ctx, o)
	if lv != nil {
		lv.Done(err)
	}
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
