// Command comparek6 runs wslab's load generator beside a peer load
// generator against the same emulated board (started in this process) and
// prints their figures with wslab's targets: msgs/s of a 64 B closed-loop
// echo on 16 connections (wslab >= 3x the peer, <= 10 µs of generator CPU
// per message), 1,000 connections opened (<= 0.1 s as the server observes
// it, generator RSS <= 32 MB), a constant 5,000 msg/s (within +/- 0.5% per
// interval, p99 send lateness <= 100 µs, with p50/p90/p99.9/max beside it)
// and HDR recording (<= 1 µs per sample). For each figure it names what
// limited it, from the CPU the generator (a child process, measured with
// getrusage) and the board (this process) used.
//
// The peer is Node.js with ws (Debian's nodejs and node-ws), running
// testdata/node_echo.js: the stand-in for k6, which is under the AGPL and
// is not run here unless it is already on the machine (-k6, PATH, GOBIN or
// GOPATH/bin; this command never installs it). Like k6's script it is a JS
// program driving a WebSocket client; it takes ws's fastest path (binary
// frames from one buffer, no compression, no UTF-8 validation). Its counts
// must equal the server's exactly, else the run is an error.
//
// Messages per second are the echoes the server sent during a tool's run
// over -duration. The tools run interleaved over several passes (-passes,
// default 3), the first tool rotating from pass to pass; the table shows
// the median of the passes and their range, the ratios are paired (wslab's
// rate over the peer's in the same pass), and each verdict is taken from
// the rounded figure the table shows. The command exits non-zero when a
// target is missed, nothing was measured, or the Node.js peer cannot run
// (it says why: node or ws missing).
//
//	go run ./bench/comparek6 [-duration 10s] [-passes 3] [-node PATH] [-node-workers 1] [-k6 PATH]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

func main() {
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "comparek6:", err)
		}
		os.Exit(2)
	}
	ok, err := run(os.Stdout, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "comparek6:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// parseFlags reads the command line; bad input is an error naming it.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("comparek6", flag.ContinueOnError)
	fs.SetOutput(stderr)
	k6 := fs.String("k6", "", "the k6 binary (default: on PATH, else in GOBIN or GOPATH/bin, where go install puts it; never installed by this command)")
	script := fs.String("script", "loadgen/k6/echo.js", "the k6 echo script")
	node := fs.String("node", "", "the node binary of the Node.js peer, the stand-in for k6 (default: node on PATH)")
	nodeScript := fs.String("node-script", "bench/comparek6/testdata/node_echo.js", "the Node.js peer's echo script")
	nodePath := fs.String("node-path", "/usr/share/nodejs", "NODE_PATH for the Node.js peer (where Debian's node-ws puts ws)")
	workers := fs.Int("node-workers", 1, "worker threads of the Node.js peer")
	dur := fs.Duration("duration", 10*time.Second, "length of the echo and rate runs")
	conns := fs.Int("conns", 16, "echo connections")
	size := fs.Int("size", 64, "echo message size, bytes")
	passes := fs.Int("passes", 3, "passes over the tools, interleaved")
	text := fs.Bool("text", false, "echo text messages (default binary, each tool's fastest path; k6's script always sends text)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case *passes < 1:
		return config{}, fmt.Errorf("-passes %d: must be at least 1", *passes)
	case *dur < time.Second:
		return config{}, fmt.Errorf("-duration %s: must be at least 1s (the rate is checked per whole second)", *dur)
	case *dur > 10*time.Minute:
		return config{}, fmt.Errorf("-duration %s: at most 10m", *dur)
	case *conns < 1 || *conns > 1000:
		return config{}, fmt.Errorf("-conns %d: must be 1..1000", *conns)
	case *size < 1 || *size > 4096:
		return config{}, fmt.Errorf("-size %d: must be 1..4096 (the board's largest message)", *size)
	case *workers < 1 || *workers > *conns:
		return config{}, fmt.Errorf("-node-workers %d: must be 1..-conns", *workers)
	}
	c := config{k6: *k6, k6Where: "-k6", script: *script, node: *node, nodeWhere: "-node", nodeScript: *nodeScript,
		nodePath: *nodePath, workers: *workers, dur: *dur, conns: *conns, size: *size, passes: *passes, text: *text}
	if c.k6 == "" {
		c.k6, c.k6Where = findK6()
	}
	if c.node == "" {
		c.nodeWhere = "PATH"
		if p, err := exec.LookPath("node"); err == nil {
			c.node = p
		}
	}
	return c, nil
}

// findK6 looks for k6 on PATH, then where go install puts binaries: GOBIN
// if set, else the bin folder of the first GOPATH entry. It returns the
// path found, or "" and the places it looked.
func findK6() (path, looked string) {
	if p, err := exec.LookPath("k6"); err == nil {
		return p, "PATH"
	}
	places := []string{"PATH"}
	env := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	dir := env("GOBIN")
	if dir != "" {
		places = append(places, "GOBIN="+dir)
	} else if gopath := env("GOPATH"); gopath != "" {
		dir = filepath.Join(filepath.SplitList(gopath)[0], "bin")
		places = append(places, "GOPATH/bin="+dir)
	} else {
		places = append(places, "GOBIN and GOPATH (go env gave neither)")
	}
	if dir != "" {
		p := filepath.Join(dir, "k6")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, strings.Join(places, ", ")
		}
	}
	return "", strings.Join(places, ", ")
}

// usage is what one child process used, and the board meanwhile.
type usage struct {
	wall       time.Duration
	cpu        time.Duration // the child's user+system time
	cpuSys     time.Duration // the child's system time (the kernel's share of cpu)
	maxRSS     int64         // the child's peak RSS, bytes
	boardCPU   time.Duration // this process (the board) meanwhile
	boardSys   time.Duration // its system time
	busy       float64       // the machine's busy fraction meanwhile (all processes)
	exitErr    error
	stdoutTail string // the tail of stdout and stderr
	stdout     string
}

// selfCPUSys is this process's user+system time and its system time.
func selfCPUSys() (all, sys time.Duration) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), time.Duration(ru.Stime.Nano())
}

// childTimeout bounds every child process; run sets it from -duration.
var childTimeout = 2 * time.Minute

// child runs a command and measures it; it is killed after childTimeout.
func child(env []string, name string, args ...string) usage {
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, stdout strings.Builder
	cmd.Stdout = io.MultiWriter(&out, &stdout)
	cmd.Stderr = &out
	b0, s0 := selfCPUSys()
	busy0, total0 := procStat()
	t0 := time.Now()
	err := cmd.Run()
	b1, s1 := selfCPUSys()
	u := usage{wall: time.Since(t0), boardCPU: b1 - b0, boardSys: s1 - s0, exitErr: err}
	if busy1, total1 := procStat(); total1 > total0 {
		u.busy = float64(busy1-busy0) / float64(total1-total0)
	}
	if ps := cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			u.cpuSys = time.Duration(ru.Stime.Nano())
			u.maxRSS = ru.Maxrss * 1024
		}
	}
	s := out.String()
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	u.stdoutTail = s
	u.stdout = stdout.String()
	return u
}

// limit names what limited a figure from the CPU used over the wall time.
func limit(u usage, genThreads float64) string { return limitOf(u, genThreads, false) }

// latencyLimit is limit for a latency figure: there a share of the machine
// taken by other processes shows as scheduling delay before the CPUs are
// saturated.
func latencyLimit(u usage, genThreads float64) string { return limitOf(u, genThreads, true) }

func limitOf(u usage, genThreads float64, latency bool) string {
	cores := float64(runtime.NumCPU())
	gen := u.cpu.Seconds() / u.wall.Seconds()
	brd := u.boardCPU.Seconds() / u.wall.Seconds()
	others := max(0, u.busy*cores-gen-brd)
	desc := fmt.Sprintf("generator %.0f%% CPU, board %.0f%%, other processes %.0f%%", 100*gen, 100*brd, 100*others)
	switch {
	case u.busy >= 0.85 && others >= 0.25:
		return "the machine: other processes (" + desc + ")"
	case latency && others >= 0.1:
		return "the machine: scheduling delays from other processes (" + desc + ")"
	case gen+brd >= 0.85*cores:
		return "the machine (" + desc + " of " + fmt.Sprint(cores) + " cores)"
	case brd >= 0.85:
		return "board CPU: its one event loop (" + desc + ")"
	case gen >= 0.85*genThreads:
		return "generator CPU (" + desc + ")"
	}
	return "neither CPU saturated: latency-bound (" + desc + ")"
}

type row struct {
	figure, wslab, node, k6, target, pass, limit string
}

type config struct {
	k6, k6Where, script                   string
	node, nodeWhere, nodeScript, nodePath string
	workers                               int
	dur                                   time.Duration
	conns, size, passes                   int
	text                                  bool
}

// counter is the board's counters (the emulated board in this process).
type counter interface{ Stats() firmware.Stats }

// peerCounts is the line the Node.js peer prints.
type peerCounts struct {
	Conns, Opened, Sent, Received, Errors int64
}

// echoRun is one tool's echo: the messages the server echoed, the rate
// over the echo's duration and the generator's CPU per message.
type echoRun struct {
	msgs   int64
	rate   float64
	cpuPer float64 // µs
	u      usage
}

// nodeProblem says why the Node.js peer cannot run, or "".
func nodeProblem(c config) string {
	if c.node == "" {
		return "node not found on " + c.nodeWhere + " (Debian packages nodejs and node-ws, or pass -node)"
	}
	check := exec.Command(c.node, "-e", `require("ws")`)
	check.Env = append(os.Environ(), "NODE_PATH="+c.nodePath)
	if out, err := check.CombinedOutput(); err != nil {
		return fmt.Sprintf("%s cannot load ws with NODE_PATH=%s (Debian package node-ws): %v %s", c.node, c.nodePath, err, strings.TrimSpace(string(out)))
	}
	if _, err := os.Stat(c.nodeScript); err != nil {
		return "the Node.js peer's script: " + err.Error()
	}
	return ""
}

// runNode runs the Node.js peer's echo and checks its counts against the
// server's: every message it sent the server received, every echo the
// server sent it received.
func runNode(c config, target string, srv counter) (echoRun, error) {
	before := srv.Stats()
	text := "0"
	if c.text {
		text = "1"
	}
	u := child([]string{"NODE_PATH=" + c.nodePath, "TARGET=" + target, fmt.Sprint("CONNS=", c.conns), fmt.Sprint("SIZE=", c.size),
		fmt.Sprint("DURATION_MS=", c.dur.Milliseconds()), fmt.Sprint("WORKERS=", c.workers), "TEXT=" + text}, c.node, c.nodeScript)
	after := srv.Stats()
	var pc peerCounts
	line := strings.TrimSpace(u.stdout)
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal([]byte(line), &pc); err != nil {
		return echoRun{}, fmt.Errorf("the Node.js peer printed no counts (%v): %s", u.exitErr, u.stdoutTail)
	}
	in, out := int64(after.MsgsIn-before.MsgsIn), int64(after.MsgsOut-before.MsgsOut)
	switch {
	case pc.Received == 0 || out == 0:
		return echoRun{}, fmt.Errorf("the Node.js peer measured nothing: %d echoes received, the server echoed %d (%v): %s", pc.Received, out, u.exitErr, u.stdoutTail)
	case u.exitErr != nil:
		return echoRun{}, fmt.Errorf("the Node.js peer failed (%v): %s", u.exitErr, u.stdoutTail)
	case pc.Sent != in || pc.Received != out:
		return echoRun{}, fmt.Errorf("the Node.js peer's counts disagree with the server's: it sent %d, the server received %d; the server echoed %d, it received %d",
			pc.Sent, in, out, pc.Received)
	}
	return echoOf(out, c.dur, u), nil
}

func echoOf(msgs int64, dur time.Duration, u usage) echoRun {
	return echoRun{msgs: msgs, rate: float64(msgs) / dur.Seconds(), cpuPer: u.cpu.Seconds() * 1e6 / float64(msgs), u: u}
}

// watchRamp polls the server every 500 µs while n connections open and
// returns the span from the first connection accepted after base to the
// n-th upgrade
// (to within the polling step), or 0 when they did not all open before
// stop was closed.
func watchRamp(srv counter, base firmware.Stats, n uint64, stop <-chan struct{}) time.Duration {
	var first time.Time
	tick := time.NewTicker(500 * time.Microsecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return 0
		case <-tick.C:
		}
		st := srv.Stats()
		now := time.Now()
		if first.IsZero() && st.Accepted > base.Accepted {
			first = now
		}
		if st.Upgrades-base.Upgrades >= n {
			if first.IsZero() {
				return 500 * time.Microsecond // all within one step
			}
			return max(now.Sub(first), 500*time.Microsecond)
		}
	}
}

// spread is the figures of one quantity over the passes.
type spread []float64

func (s spread) median() float64 {
	t := slices.Clone(s)
	slices.Sort(t)
	n := len(t)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return t[n/2]
	}
	return (t[n/2-1] + t[n/2]) / 2
}

// show prints the median with format f and, over several passes, the range.
func (s spread) show(f string) string {
	if len(s) == 0 {
		return "-"
	}
	m := fmt.Sprintf(f, s.median())
	if len(s) == 1 {
		return m
	}
	return fmt.Sprintf("%s (%s..%s, %d passes)", m, fmt.Sprintf(f, slices.Min(s)), fmt.Sprintf(f, slices.Max(s)), len(s))
}

// rounded parses back the figure as printed with format f, so that a
// verdict is taken from the very number the table shows.
func rounded(f string, v float64) float64 {
	var r float64
	fmt.Sscan(strings.TrimRight(fmt.Sprintf(f, v), "xµs% "), &r)
	return r
}

// figures are the measured quantities over the passes.
type figures struct {
	passes                                   int
	rate, nodeRate, k6Rate                   spread // msgs/s counted by the server
	cpuPer, nodeCPU, k6CPU                   spread // µs per message
	nodeRatio, k6Ratio                       spread // paired, per pass
	nodeCPURatio                             spread // the peer's CPU per message over wslab's, paired
	boardCPU                                 spread // µs of board CPU per echo during wslab's runs
	genSys, boardSys                         spread // µs of system time per echo, generator's and board's, in wslab's runs
	cores                                    int
	ramps, genRamps, rss                     spread // ms, ms, MB
	allOpened                                bool
	devs                                     spread // worst interval per pass, %
	late50, late90, late99, late999, lateMax spread // µs
	hdrNS                                    float64
	echoLim, connLim, rateLim, lateLim       string
	nodeNote, k6Note                         string
	k6Tried                                  bool
}

// table makes the rows and the verdicts, each from the rounded figure
// shown. ok is false when a target was missed or the Node.js peer (the
// stand-in for k6) measured nothing.
func table(f figures) (rows []row, ok bool) {
	all := true
	verdict := func(ok bool) string {
		all = all && ok
		return passFail(ok)
	}
	ratioRow := func(name string, r spread, tried bool, target string) row {
		x := row{figure: name, wslab: "-", target: target, pass: "NO"}
		if len(r) > 0 && len(r) == f.passes {
			x.wslab = r.show("%.1fx")
			x.pass = verdict(rounded("%.1fx", r.median()) >= 3)
		} else if tried {
			all = false
		}
		return x
	}
	rows = append(rows,
		row{fmt.Sprintf("echo msgs/s, counted by the server"), f.rate.show("%.0f"), f.nodeRate.show("%.0f"), f.k6Rate.show("%.0f"), "", "", f.echoLim},
		ratioRow("echo msgs/s, wslab over Node.js+ws (paired)", f.nodeRatio, true, ">= 3x (Node.js+ws: the stand-in for k6)"))
	if len(f.boardCPU) > 0 && len(f.cpuPer) > 0 && f.cores > 0 {
		// What the machine allows when generator and board share its
		// cores: every echo costs the generator's CPU and the board's.
		gen, brd := f.cpuPer.median(), f.boardCPU.median()
		x := row{figure: "echo msgs/s the machine allows (cores / (generator + board CPU per echo))",
			wslab: fmt.Sprintf("%.0f (%d cores / (%.2f + %.2f µs))", float64(f.cores)*1e6/(gen+brd), f.cores, gen, brd)}
		if len(f.nodeRate) > 0 {
			need := 3 * f.nodeRate.median()
			x.node = fmt.Sprintf("3x its rate would need %.0f: generator + board <= %.2f µs per echo", need, float64(f.cores)*1e6/need)
		}
		rows = append(rows, x)
		if len(f.genSys) > 0 && len(f.boardSys) > 0 {
			// The kernel's share of it: the system calls and the
			// loopback TCP path every echo takes on both sides, which
			// no user-space code removes.
			gs, bs := f.genSys.median(), f.boardSys.median()
			rows = append(rows, row{figure: "of which the kernel (system time per echo: generator + board)",
				wslab: fmt.Sprintf("%.2f + %.2f = %.2f µs (%.0f%% of the generator's, %.0f%% of the board's)", gs, bs, gs+bs, 100*gs/gen, 100*bs/brd)})
		}
	}
	if len(f.nodeCPURatio) > 0 {
		rows = append(rows, row{figure: "generator CPU per message, Node.js+ws over wslab (paired)", wslab: f.nodeCPURatio.show("%.1fx")})
	}
	if f.k6Tried {
		rows = append(rows, ratioRow("echo msgs/s, wslab over k6 (paired)", f.k6Ratio, true, ">= 3x k6"))
	}
	cpuOK := len(f.cpuPer) > 0 && rounded("%.2f µs", f.cpuPer.median()) <= 10
	rows = append(rows,
		row{"generator CPU per message", f.cpuPer.show("%.2f µs"), f.nodeCPU.show("%.2f µs"), f.k6CPU.show("%.2f µs"), "<= 10 µs", verdict(cpuOK), f.echoLim},
		row{"1000 connections, server-observed", f.ramps.show("%.1f ms"), "", "", "<= 100 ms",
			verdict(f.allOpened && len(f.ramps) > 0 && rounded("%.1f ms", f.ramps.median()) <= 100), f.connLim},
		row{"1000 connections, generator's ramp figure", f.genRamps.show("%.1f ms"), "", "", "", "", ""},
		row{"generator RSS with 1000 connections", f.rss.show("%.1f MB"), "", "", "<= 32 MB",
			verdict(len(f.rss) > 0 && rounded("%.1f MB", f.rss.median()) <= 32), ""})
	// The rate holds per interval: the verdict is the worst pass's figure.
	devRow := row{"5000 msg/s: worst 1 s interval", "no whole 1 s interval measured (-duration too short)", "", "", "+/- 0.5%", "NO", f.rateLim}
	if len(f.devs) == 0 {
		all = false
	} else {
		worst := f.devs[0]
		for _, d := range f.devs {
			if math.Abs(d) > math.Abs(worst) {
				worst = d
			}
		}
		wr := rounded("%+.2f%%", worst)
		devRow.wslab = fmt.Sprintf("worst %+.2f%% (passes: %s)", worst, f.devs.show("%+.2f%%"))
		devRow.pass = verdict(wr <= 0.5 && wr >= -0.5)
	}
	rows = append(rows, devRow,
		row{"5000 msg/s: p99 send lateness", f.late99.show("%.0f µs"), "", "", "<= 100 µs",
			verdict(len(f.late99) > 0 && rounded("%.0f µs", f.late99.median()) <= 100), f.lateLim},
		row{"5000 msg/s: send lateness p50 / p90 / p99.9 / max", fmt.Sprintf("%s / %s / %s / %s µs",
			f.late50.show("%.0f"), f.late90.show("%.0f"), f.late999.show("%.0f"), f.lateMax.show("%.0f")), "", "", "", "", ""},
		row{"HDR recording per sample", fmt.Sprintf("%.0f ns", f.hdrNS), "", "", "<= 1 µs", verdict(f.hdrNS > 0 && rounded("%.0f", f.hdrNS) <= 1000), "generator CPU"})
	return rows, all && f.nodeNote == ""
}

// run measures and prints the table; ok is false when a target was missed
// or the Node.js peer could not be run.
func run(w io.Writer, c config) (ok bool, err error) {
	tmp, err := os.MkdirTemp("", "wslab-comparek6-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	childTimeout = c.dur + 2*time.Minute
	wslab := filepath.Join(tmp, "wslab")
	fmt.Fprintln(w, "building wslab...")
	if out, err := exec.Command("go", "build", "-o", wslab, ".").CombinedOutput(); err != nil {
		return false, fmt.Errorf("go build: %v\n%s", err, out)
	}
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "compare-k6", Slots: 1100,
		RxBuf: 2048, TxBuf: 2048, MaxMessage: 4096}})
	if err != nil {
		return false, err
	}
	defer srv.Close()
	target := srv.WSURL("/ws")
	fmt.Fprintf(w, "board at %s; %d cores; load average %s\n", target, runtime.NumCPU(), loadavg())
	f := figures{passes: c.passes, allOpened: true, cores: runtime.NumCPU()}
	if f.nodeNote = nodeProblem(c); f.nodeNote != "" {
		fmt.Fprintln(w, "Node.js peer (the stand-in for k6): NOT RUN:", f.nodeNote)
	} else {
		fmt.Fprintf(w, "Node.js peer (the stand-in for k6, which is under the AGPL): %s %s, NODE_PATH=%s, %d worker thread(s)\n", c.node, c.nodeScript, c.nodePath, c.workers)
	}
	switch {
	case c.k6 == "":
		fmt.Fprintln(w, "k6: not present (looked on "+c.k6Where+"); not installed by this command: no k6 column")
	default:
		if _, err := os.Stat(c.k6); err != nil {
			fmt.Fprintln(w, "k6: not found at "+c.k6+" ("+c.k6Where+"): no k6 column")
		} else {
			f.k6Tried = true
			fmt.Fprintf(w, "k6: %s (found on %s)\n", c.k6, c.k6Where)
		}
	}
	frames := "binary"
	if c.text {
		frames = "text"
	}
	cores := float64(runtime.NumCPU())
	for pass := 1; pass <= c.passes; pass++ {
		// 1. Closed-loop echo, the tools on the same board, in an order
		// rotated from pass to pass.
		var wsr, nr, k6r, wsCPU, nCPU float64
		runK6 := func() error {
			if !f.k6Tried || f.k6Note != "" {
				return nil
			}
			sum := filepath.Join(tmp, "k6.json")
			os.Remove(sum)
			fmt.Fprintf(w, "pass %d: k6: %d VUs, %d B text echo for %s...\n", pass, c.conns, c.size, c.dur)
			before := srv.Stats()
			u := child(nil, c.k6, "run", "--quiet", "--no-usage-report", "-e", "TARGET="+target, "-e", fmt.Sprint("VUS=", c.conns),
				"-e", fmt.Sprint("SIZE=", c.size), "-e", fmt.Sprint("DURATION_MS=", c.dur.Milliseconds()), "-e", "SUMMARY="+sum, c.script)
			out := int64(srv.Stats().MsgsOut - before.MsgsOut)
			n, err := k6Echoes(sum)
			switch {
			case u.exitErr != nil:
				f.k6Note = fmt.Sprintf("k6 failed: %v: %s", u.exitErr, u.stdoutTail)
			case err != nil:
				f.k6Note = "k6 summary: " + err.Error()
			case n == 0 || out == 0:
				f.k6Note = "k6 measured nothing"
			default:
				e := echoOf(out, c.dur, u)
				k6r = e.rate
				f.k6Rate, f.k6CPU = append(f.k6Rate, e.rate), append(f.k6CPU, e.cpuPer)
				fmt.Fprintf(w, "pass %d: k6: %d echoes counted by the server, %d by k6\n", pass, out, n)
			}
			return nil
		}
		runNodePeer := func() error {
			if f.nodeNote != "" {
				return nil
			}
			fmt.Fprintf(w, "pass %d: Node.js+ws: %d connections, %d B %s echo for %s...\n", pass, c.conns, c.size, frames, c.dur)
			e, err := runNode(c, target, srv)
			if err != nil {
				f.nodeNote = err.Error()
				fmt.Fprintf(w, "pass %d: Node.js+ws: %v\n", pass, err)
				return nil
			}
			nr, nCPU = e.rate, e.cpuPer
			f.nodeRate, f.nodeCPU = append(f.nodeRate, e.rate), append(f.nodeCPU, e.cpuPer)
			fmt.Fprintf(w, "pass %d: Node.js+ws: %d echoes, the server's count and its own agree\n", pass, e.msgs)
			return nil
		}
		runWslab := func() error {
			echoOut := filepath.Join(tmp, "echo.json")
			fmt.Fprintf(w, "pass %d: wslab: %d connections, %d B %s echo for %s...\n", pass, c.conns, c.size, frames, c.dur)
			args := []string{"load", "--quiet", "--target", target, "--scenario", "echo", "--conns", fmt.Sprint(c.conns),
				"--size", fmt.Sprint(c.size), "--duration", c.dur.String(), "--out", echoOut}
			if c.text {
				args = append(args, "--text")
			}
			before := srv.Stats()
			u := child(nil, wslab, args...)
			out := int64(srv.Stats().MsgsOut - before.MsgsOut)
			r, err := readRun(echoOut, u)
			if err != nil {
				return err
			}
			if r.Counts.MsgsReceived == 0 || out == 0 {
				return fmt.Errorf("wslab echo: no message came back\n%s", u.stdoutTail)
			}
			e := echoOf(out, c.dur, u)
			wsr = e.rate
			f.rate, f.cpuPer = append(f.rate, e.rate), append(f.cpuPer, e.cpuPer)
			f.boardCPU = append(f.boardCPU, u.boardCPU.Seconds()*1e6/float64(out))
			f.genSys = append(f.genSys, u.cpuSys.Seconds()*1e6/float64(out))
			f.boardSys = append(f.boardSys, u.boardSys.Seconds()*1e6/float64(out))
			wsCPU = e.cpuPer
			agree := "agree"
			if r.Counts.MsgsReceived != out {
				agree = fmt.Sprintf("differ: wslab received %d", r.Counts.MsgsReceived)
			}
			fmt.Fprintf(w, "pass %d: wslab: %d echoes counted by the server (%s)\n", pass, out, agree)
			f.echoLim = limit(u, cores)
			return nil
		}
		order := []func() error{runWslab, runNodePeer}
		if f.k6Tried {
			order = append(order, runK6)
		}
		for range (pass - 1) % len(order) { // rotate: each tool goes first in turn
			order = append(order[1:], order[0])
		}
		for _, step := range order {
			if err := step(); err != nil {
				return false, err
			}
		}
		if nr > 0 {
			f.nodeRatio = append(f.nodeRatio, wsr/nr)
			f.nodeCPURatio = append(f.nodeCPURatio, nCPU/wsCPU)
			fmt.Fprintf(w, "pass %d: wslab %.0f msgs/s over Node.js+ws %.0f msgs/s: %.2fx; CPU per message %.2f µs and %.2f µs\n", pass, wsr, nr, wsr/nr, wsCPU, nCPU)
		}
		if k6r > 0 {
			f.k6Ratio = append(f.k6Ratio, wsr/k6r)
			fmt.Fprintf(w, "pass %d: wslab %.0f msgs/s over k6 %.0f msgs/s: %.2fx\n", pass, wsr, k6r, wsr/k6r)
		}

		// 2. 1,000 connections, the span observed by the server.
		connOut := filepath.Join(tmp, "connect.json")
		fmt.Fprintf(w, "pass %d: wslab: opening 1000 connections...\n", pass)
		stop := make(chan struct{})
		span := make(chan time.Duration, 1)
		base := srv.Stats()
		go func() { span <- watchRamp(srv, base, 1000, stop) }()
		u := child(nil, wslab, "load", "--quiet", "--target", target, "--scenario", "connect", "--conns", "1000", "--out", connOut)
		close(stop)
		seen := <-span
		r, err := readRun(connOut, u)
		if err != nil {
			return false, err
		}
		ramp, opened := rampOf(r)
		f.genRamps = append(f.genRamps, ramp.Seconds()*1e3)
		if seen > 0 {
			f.ramps = append(f.ramps, seen.Seconds()*1e3)
		}
		f.allOpened = f.allOpened && seen > 0 && opened == 1000
		f.rss = append(f.rss, float64(u.maxRSS)/1e6)
		f.connLim = limit(u, cores)

		// 3. A constant 5,000 msg/s.
		rateOut := filepath.Join(tmp, "rate.json")
		fmt.Fprintf(w, "pass %d: wslab: 5000 msg/s for %s...\n", pass, c.dur)
		u = child(nil, wslab, "load", "--quiet", "--target", target, "--scenario", "rate", "--rate", "5000", "--conns", "16",
			"--size", "64", "--duration", c.dur.String(), "--out", rateOut)
		r, err = readRun(rateOut, u)
		if err != nil {
			return false, err
		}
		if d, n := worstInterval(r, 5000, c.dur); n > 0 {
			f.devs = append(f.devs, d)
		}
		h := r.Hist(loadgen.HistLateness)
		f.late50 = append(f.late50, float64(h.Quantile(0.5)))
		f.late90 = append(f.late90, float64(h.Quantile(0.9)))
		f.late99 = append(f.late99, float64(h.Quantile(0.99)))
		f.late999 = append(f.late999, float64(h.Quantile(0.999)))
		f.lateMax = append(f.lateMax, float64(h.Quantile(1)))
		f.rateLim, f.lateLim = limit(u, 1), latencyLimit(u, 1)
	}

	// 4. HDR recording.
	res := testing.Benchmark(func(b *testing.B) {
		h := results.NewHistogram()
		for i := 0; b.Loop(); i++ {
			h.Record(int64(i&0xFFFF) + 1)
		}
	})
	f.hdrNS = float64(res.T.Nanoseconds()) / float64(res.N)

	rows, ok := table(f)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nfigure (median of %d passes, range)\twslab\tNode.js+ws (k6 stand-in)\tk6\ttarget\tpass\tlimited by (last pass)\n", c.passes)
	for _, x := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.figure, x.wslab, x.node, x.k6, x.target, x.pass, x.limit)
	}
	tw.Flush()
	fmt.Fprintf(w, "msgs/s: echoes the server sent over -duration (%s), %s frames (k6's script sends text); CPU: the generator process's getrusage over the echoes\n", c.dur, frames)
	if f.nodeNote != "" {
		fmt.Fprintln(w, "note: Node.js peer:", f.nodeNote)
	}
	if f.k6Note != "" {
		fmt.Fprintln(w, "note:", f.k6Note)
	}
	fmt.Fprintf(w, "load average after: %s\n", loadavg())
	return ok && f.k6Note == "", nil
}

func passFail(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func readRun(path string, u usage) (*results.Run, error) {
	r, err := results.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wslab load (%v): %w\n%s", u.exitErr, err, u.stdoutTail)
	}
	return r, nil
}

// k6Echoes reads the echo count from k6's summary.
func k6Echoes(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var s struct {
		Metrics map[string]struct {
			Values map[string]float64 `json:"values"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, err
	}
	m, ok := s.Metrics["echoes"]
	if !ok {
		return 0, errors.New("no echoes metric: no message came back")
	}
	return int64(m.Values["count"]), nil
}

// rampOf reads the connect run's ramp note.
func rampOf(r *results.Run) (time.Duration, int64) {
	for _, n := range r.Notes {
		var opened int64
		var d string
		if _, err := fmt.Sscanf(n, "ramp: %d connections opened in %s", &opened, &d); err == nil {
			v, _ := time.ParseDuration(d)
			return v, opened
		}
	}
	return 0, 0
}

// worstInterval is the largest deviation, in percent, of the messages sent
// in a whole interval of the measurement from the rate, over n intervals.
func worstInterval(r *results.Run, rate float64, dur time.Duration) (worst float64, n int) {
	for k, iv := range r.Intervals {
		if k == 0 || iv.Offset.D()+iv.Length.D() > dur || iv.Length.D() < time.Second {
			continue // the first holds the ramp; the last is cut
		}
		n++
		want := rate * iv.Length.D().Seconds()
		d := 100 * (float64(iv.MsgsSent) - want) / want
		if d*d > worst*worst {
			worst = d
		}
	}
	return worst, n
}

// procStat returns the machine's busy and total CPU ticks.
func procStat() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, x := range f[1:] {
		var v int64
		fmt.Sscan(x, &v)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
