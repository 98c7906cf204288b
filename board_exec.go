package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/foreign"
	"github.com/wslab/wslab/lab"
)

// foreignFlags put a board model around a server wslab did not write:
// wslab board --exec 'CMD ARGS' --exec-port N --model esp32-idf.
type foreignFlags struct {
	exec      string
	port      int
	cpuQuota  string
	memLimit  string
	noRestart bool
}

func (f *foreignFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.exec, "exec", "", "run this server command (by /bin/sh) under the model's limits instead of the emulated board; clients use -listen, a relay with the model's link")
	fs.IntVar(&f.port, "exec-port", 0, "the TCP port the -exec server listens on (loopback)")
	fs.StringVar(&f.cpuQuota, "cpu-quota", "model", "-exec server's CPU cap: a share of one core (25% or 0.25), off, or model (the model's CPU)")
	fs.StringVar(&f.memLimit, "mem-limit", "model", "-exec server's memory limit: a size (64MiB), off, or model (its memory when its port opened plus the model's heap budget)")
	fs.BoolVar(&f.noRestart, "no-restart", false, "leave a crashed -exec server down instead of rebooting it")
}

// parseShare reads a CPU share: "25%", "0.25", "off".
func parseShare(v string) (float64, error) {
	if v == "off" || v == "0" {
		return 0, nil
	}
	s, pct := strings.CutSuffix(v, "%")
	x, err := strconv.ParseFloat(s, 64)
	if pct {
		x /= 100
	}
	if err != nil || x <= 0 || x > 64 {
		return 0, fmt.Errorf("-cpu-quota %q: want a share of one core like 25%% or 0.25, off or model", v)
	}
	return x, nil
}

// options are the foreign server's options under a board configuration,
// and where its CPU figure comes from.
func (ff *foreignFlags) options(model string, cfg firmware.Config, link host.Link, stdout, stderr io.Writer) (foreign.Options, string, error) {
	if ff.port == 0 {
		return foreign.Options{}, "", fmt.Errorf("-exec needs -exec-port, the port the server listens on")
	}
	o := foreign.Options{Command: ff.exec, Port: ff.port, Model: cfg.Model, Board: cfg, Link: link,
		NoRestart: ff.noRestart, Output: stderr, Events: stdout}
	if o.Model == "" {
		o.Model = model
	}
	var err error
	cpuSource := "-cpu-quota"
	if ff.cpuQuota == "model" {
		o.CPUShare, cpuSource = foreign.CPUShare(model)
	} else if o.CPUShare, err = parseShare(ff.cpuQuota); err != nil {
		return o, "", err
	}
	switch ff.memLimit {
	case "model":
	case "off", "0":
		o.MemLimit = -1
	default:
		n, err := humanize.ParseBytes(ff.memLimit)
		if err != nil || n == 0 {
			return o, "", fmt.Errorf("-mem-limit %q: want a size like 64MiB, off or model", ff.memLimit)
		}
		o.MemLimit = int64(n)
	}
	return o, cpuSource, nil
}

func runForeign(ff *foreignFlags, bf *boardFlags, listen string, stdout, stderr io.Writer) int {
	rb, err := bf.board()
	cfg, link := rb.Config, rb.Link
	var o foreign.Options
	var cpuSource string
	if err == nil {
		o, cpuSource, err = ff.options(bf.model, cfg, link, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 2
	}
	o.Listen = listen
	b, err := foreign.Start(o)
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 1
	}
	// The first line is for the process that started the board, as for an
	// emulated board: where it listens and the model around it, as data.
	addr := b.Addr().String()
	fmt.Fprintln(stdout, lab.ReadyLine(lab.Ready{Addr: addr, URL: "http://" + addr, WS: "ws://" + addr + "/ws",
		Stats: "http://" + addr + "/stats", Board: rb}))
	fmt.Fprintf(stdout, "board %s listening on http://%s (WebSocket at ws://%s/ws; foreign server pid %d on %s, stats at http://%s/stats)\n",
		b.Name(), addr, addr, b.Pid(), b.Upstream(), addr)
	limit, base := b.Limits()
	if limit > 0 {
		fmt.Fprintf(stdout, "memory: limit %d B (%d B in use when its port opened", limit, base)
		if o.MemLimit == 0 {
			fmt.Fprintf(stdout, " + the model's %d B budget", cfg.HeapBudget)
		}
		fmt.Fprintln(stdout, ")")
	} else {
		fmt.Fprintf(stdout, "memory: no limit (%d B in use when its port opened)\n", base)
	}
	if o.CPUShare > 0 {
		period, quota := foreign.QuotaPeriod(o.CPUShare)
		fmt.Fprintf(stdout, "cpu: %.3g%% of a core (cfs quota %d us per %d us; %s)\n", o.CPUShare*100, quota, period, cpuSource)
	} else {
		fmt.Fprintf(stdout, "cpu: no cap (%s)\n", cpuSource)
	}
	if link.On() {
		fmt.Fprintf(stdout, "link: the emulated board's: %g Mbit/s shared, +%s round trip", float64(link.Bps)/1e6, time.Duration(link.RTT))
		if link.Tails.On() {
			fmt.Fprintf(stdout, ", WiFi tails (seed %d)", link.Tails.Seed)
		}
		if link.Airtime > 0 {
			fmt.Fprintf(stdout, ", %s airtime per small frame", time.Duration(link.Airtime))
		}
		if link.RTT > 0 {
			fmt.Fprintf(stdout, ", %d B receive window", cfg.RxBuf)
		}
		fmt.Fprintf(stdout, "; client socket buffers %d/%d B\n", cfg.RxBuf, cfg.TxBuf)
	} else {
		fmt.Fprintf(stdout, "link: off (loopback speed); client socket buffers %d/%d B\n", cfg.RxBuf, cfg.TxBuf)
	}
	fmt.Fprintf(stdout, "cgroups: %s; stop with Ctrl-C\n", b.Cgroup().Name())
	ctx, stop := interruptible()
	defer stop()
	code := 0
	interrupted := awaitBoard(ctx, b.Done())
	if !interrupted {
		fmt.Fprintln(stdout, "the server is down for good")
		code = 1
	}
	err = b.Close()
	if interrupted {
		fmt.Fprintln(stdout, "interrupted: the board stopped")
	}
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 1
	}
	if n := len(b.Crashes()); n > 0 {
		fmt.Fprintf(stdout, "%d crash(es)\n", n)
	}
	return code
}
