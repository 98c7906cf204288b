package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// loadSpec parses the load flags into a loadgen.Spec.
func loadSpec(args []string, stderr io.Writer, extra ...func(*flag.FlagSet)) (spec loadgen.Spec, out, store string, quiet bool, err error) {
	fs := flag.NewFlagSet("wslab load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, register := range extra { // flags kept in their own files: --start-at (load_startat.go)
		register(fs)
	}
	fs.StringVar(&spec.Target, "target", "ws://127.0.0.1:8080/ws", "the board's WebSocket URL (wss:// for TLS)")
	fs.BoolVar(&spec.Insecure, "insecure", false, "wss: accept any certificate (a board with a self-signed one)")
	fs.StringVar(&spec.CAFile, "ca", "", "wss: trust the certificates in this PEM file too (the board's own, or its CA)")
	fs.StringVar(&spec.Scenario, "scenario", "echo", "scenario: "+strings.Join(loadgen.Scenarios, ", "))
	fs.IntVar(&spec.Conns, "conns", loadgen.DefaultConns, "connections (over all shards)")
	fs.IntVar(&spec.Size, "size", loadgen.DefaultSize, "message (or HTTP body) size, bytes")
	fs.BoolVar(&spec.Text, "text", false, "send text messages instead of binary")
	fs.DurationVar(&spec.Duration, "duration", 0, "measurement duration (default 10s unless --count bounds the run)")
	fs.Int64Var(&spec.Count, "count", 0, "messages per connection (churn: cycles in all; http: requests per connection)")
	fs.Float64Var(&spec.Rate, "rate", 0, "open-loop rate, msgs/s in all (0: closed loop); stream: the board's push rate")
	fs.BoolVar(&spec.RatePerConn, "rate-per-conn", false, "--rate is per connection")
	fs.IntVar(&spec.Window, "window", 1, "closed loop: messages in flight per connection")
	fs.Float64Var(&spec.ConnRate, "conn-rate", 0, "ramp: connections opened per second (0: as fast as possible)")
	fs.DurationVar(&spec.Hold, "hold", 0, "connect: hold the connections this long after the ramp")
	fs.Int64Var(&spec.ReconnectEvery, "reconnect-every", 0, "reconnect each connection after this many messages (soak default 200)")
	fs.DurationVar(&spec.Settle, "settle", loadgen.DefaultSettle, "churn: wait this long before the last heap reading")
	fs.StringVar(&spec.Method, "method", "GET", "http: GET or PUT")
	fs.BoolVar(&spec.HTTPKeepAlive, "keepalive", false, "http: reuse connections")
	fs.DurationVar(&spec.LatencyBound, "latency-bound", 0, "nodrop: the p99 latency a kept rate stays under (default 100ms)")
	fs.StringVar(&spec.Backoff, "backoff", "", "reconnect-storm: immediate, fixed or exp (default exp: exponential with jitter)")
	fs.StringVar(&spec.Vanish, "vanish", "", "dead-peers: drop (their packets dropped: no ACK, no RST; the default) or silent (they only stop talking)")
	shard := fs.String("shard", "", "i/n: run shard i of n load generator processes")
	local := fs.String("local", "", "comma-separated source addresses for client sockets")
	fs.IntVar(&spec.ConnsPerAddr, "conns-per-addr", 0, "move to the next source address after this many connections")
	fs.IntVar(&spec.Workers, "workers", 0, "event loops (default GOMAXPROCS, less one for a loopback target)")
	fs.IntVar(&spec.MSS, "mss", loadgen.DefaultMSS, "TCP segment size of client sockets (negative: the kernel's)")
	fs.DurationVar(&spec.Interval, "interval", loadgen.DefaultInterval, "length of one interval of the series")
	fs.DurationVar(&spec.HeapEvery, "heap-every", 0, "board heap sampling period (default 1s; negative: off)")
	fs.StringVar(&spec.StatsURL, "stats", "", "the board's stats URL (default http://host:port/stats; - for none)")
	fs.DurationVar(&spec.DialTimeout, "dial-timeout", loadgen.DefaultDialTimeout, "bound on TCP connect plus handshake")
	fs.DurationVar(&spec.DrainTimeout, "drain-timeout", loadgen.DefaultDrainTimeout, "wait for answers after the last send")
	fs.DurationVar(&spec.CloseTimeout, "close-timeout", loadgen.DefaultCloseTimeout, "bound on the closing handshake")
	fs.DurationVar(&spec.Timeout, "timeout", 0, "bound on the whole run (default: duration plus the other waits plus 30s)")
	fs.DurationVar(&spec.SpinAhead, "spin", loadgen.DefaultSpinAhead, "pacer: spin this long before each due send (negative: never)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wslab load --target ws://host:port/path --scenario NAME [flags]\n\nscenarios:\n%s\nflags:\n", loadgen.ScenarioHelp())
		fs.PrintDefaults()
	}
	fs.StringVar(&out, "out", "", "write the Run record to this file (-: to stdout, between marker lines, for wslab merge --from-logs)")
	fs.StringVar(&store, "store", "", "also save the Run record in this results folder")
	fs.BoolVar(&quiet, "quiet", false, "no live progress line")
	loadHealth.register(fs) // a board without wslab's /stats (load_health.go)
	if err = fs.Parse(args); err != nil {
		return
	}
	if fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
		return
	}
	if spec.Shard, err = results.ParseShard(*shard); err != nil {
		return
	}
	if *local != "" {
		for _, a := range strings.Split(*local, ",") {
			spec.LocalAddrs = append(spec.LocalAddrs, strings.TrimSpace(a))
		}
	}
	return
}

func runLoad(args []string, stdout, stderr io.Writer) int {
	args, of, err := takeOutputFlags(args)
	if err == nil {
		err = checkDurationArgs(args, loadDurationFlags...)
	}
	if err != nil {
		fmt.Fprintln(stderr, "wslab load:", err)
		return exitUsage
	}
	var start startAt
	var lf liveFlags // --live, --live-hold (liveflag.go)
	spec, out, store, quiet, err := loadSpec(args, stderr, start.register, lf.register)
	if err != nil {
		if err == flag.ErrHelp {
			fmt.Fprintf(stderr, "  -threshold string\n    \t%s\n  -summary string\n    \t%s\n", thresholdHelp, summaryHelp)
			return 0
		}
		fmt.Fprintln(stderr, "wslab load:", err)
		return 2
	}
	if err := checkTarget(spec.Target); err != nil {
		fmt.Fprintln(stderr, "wslab load:", err)
		return exitUsage
	}
	human := stdout
	if of.machine() {
		human = stderr
	}
	if !quiet && isTerminal(stderr) {
		spec.Progress = stderr
	}
	health, err := startHealth(&loadHealth, &spec, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "wslab load:", err)
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	lv, err := lf.start("load", spec.Scenario+" on "+spec.Target, stderr, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wslab load:", err)
		return exitUsage
	}
	defer lf.stop(ctx, lv, stderr)
	if err := start.wait(ctx, time.Now, stderr); err != nil {
		fmt.Fprintln(stderr, "wslab load:", err)
		if ctx.Err() != nil {
			return 1 // interrupted while waiting
		}
		return 2 // a start time refused
	}
	if lv != nil {
		lv.Begin(spec.Target, "", 0, 0, &spec)
	}
	r, err := loadgen.Run(ctx, spec)
	if health != nil {
		attachHealth(health, r, spec.Settle)
	}
	if lv != nil {
		lv.End(r, "", err)
		lv.Done(err)
	}
	status := 0
	if err != nil {
		fmt.Fprintln(stderr, "wslab load:", err)
		status = 1
	}
	if r == nil {
		return status
	}
	results.WriteRun(human, r)
	printBoardEvents(human, r) // crashes and reboots (load_health.go)
	if why := results.MeasuredNothing(r); why != "" && status == 0 {
		fmt.Fprintf(stderr, "wslab load: measured nothing: %s\n", why)
		status = exitFailed
	}
	if out == "-" {
		if err := results.WriteLog(stdout, r); err != nil {
			fmt.Fprintln(stderr, "wslab load:", err)
			return 1
		}
	} else if out != "" {
		b, err := results.Marshal(r)
		if err == nil {
			err = os.WriteFile(out, b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "wslab load:", err)
			return 1
		}
		fmt.Fprintf(human, "wrote %s\n", out)
	}
	if store != "" {
		st, err := results.Open(store)
		var path string
		if err == nil {
			path, err = st.Save(r)
		}
		if err != nil {
			fmt.Fprintln(stderr, "wslab load:", err)
			return 1
		}
		fmt.Fprintf(human, "saved %s\n", path)
	}
	if code := of.report(stdout, stderr, []*results.Run{r}); status == 0 {
		status = code
	}
	return status
}
