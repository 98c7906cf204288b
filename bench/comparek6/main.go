// Command comparek6 runs k6 and wslab's load generator side by side against
// the same emulated board (started in this process) and prints their
// figures with wslab's targets: msgs/s of a 64 B closed-loop echo on 16
// connections (wslab >= 3x k6, <= 10 µs of generator CPU per message),
// 1,000 connections opened (<= 0.1 s, generator RSS <= 32 MB), a constant
// 5,000 msg/s (within +/- 0.5% per interval, p99 send lateness <= 100 µs)
// and HDR recording (<= 1 µs per sample). For each figure it names what
// limited it, from the CPU the generator (a child process, measured with
// getrusage) and the board (this process) used.
//
// The tools run interleaved over several passes (-passes, default 3): each
// pass runs the echo with k6 and with wslab, in alternating order, then
// wslab's other scenarios; the table shows the median of the passes and
// their range, and each verdict is taken from the rounded figure the table
// shows. The k6 ratio is paired: wslab's rate over k6's in the same pass.
//
// k6 is not installed by this command. It is looked for where -k6 says,
// else on PATH, else where `go install go.k6.io/k6@v1.8.1` puts it: GOBIN,
// or the bin folder of the first GOPATH entry; when none holds it, the
// output says where it looked, wslab's figures are still measured, and the
// command exits non-zero, as it does when any target is missed.
//
//	go run ./bench/comparek6 [-k6 PATH] [-duration 10s] [-passes 3]
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
	k6 := flag.String("k6", "", "the k6 binary (default: on PATH, else in GOBIN or GOPATH/bin, where go install puts it)")
	script := flag.String("script", "loadgen/k6/echo.js", "the k6 echo script")
	dur := flag.Duration("duration", 10*time.Second, "length of the echo and rate runs")
	conns := flag.Int("conns", 16, "echo connections")
	size := flag.Int("size", 64, "echo message size, bytes")
	passes := flag.Int("passes", 3, "passes over the tools, interleaved")
	flag.Parse()
	if *passes < 1 || *dur <= 0 || *conns < 1 || *size < 1 {
		fmt.Fprintln(os.Stderr, "comparek6: -passes, -duration, -conns and -size must be positive")
		os.Exit(2)
	}
	path, where := *k6, "-k6"
	if path == "" {
		path, where = findK6()
	}
	ok, err := run(os.Stdout, config{k6: path, k6Where: where, script: *script, dur: *dur, conns: *conns, size: *size, passes: *passes})
	if err != nil {
		fmt.Fprintln(os.Stderr, "comparek6:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
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
	maxRSS     int64         // the child's peak RSS, bytes
	boardCPU   time.Duration // this process (the board) meanwhile
	busy       float64       // the machine's busy fraction meanwhile (all processes)
	exitErr    error
	stdoutTail string
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// child runs a command and measures it.
func child(name string, args ...string) usage {
	cmd := exec.Command(name, args...)
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	b0 := selfCPU()
	busy0, total0 := procStat()
	t0 := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(t0), boardCPU: selfCPU() - b0, exitErr: err}
	if busy1, total1 := procStat(); total1 > total0 {
		u.busy = float64(busy1-busy0) / float64(total1-total0)
	}
	if ps := cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			u.maxRSS = ru.Maxrss * 1024
		}
	}
	s := out.String()
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	u.stdoutTail = s
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
	figure, wslab, k6, target, pass, limit string
}

type config struct {
	k6, k6Where, script string
	dur                 time.Duration
	conns, size, passes int
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

// run measures and prints the table; ok is false when a target was missed
// or k6 could not be run.
func run(w io.Writer, c config) (ok bool, err error) {
	tmp, err := os.MkdirTemp("", "wslab-comparek6-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
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
	var k6Note string
	if c.k6 == "" {
		k6Note = "k6 not found (looked on " + c.k6Where + "); install it with go install go.k6.io/k6@v1.8.1 or pass -k6: no k6 figure was measured"
	} else if _, err := os.Stat(c.k6); err != nil {
		k6Note = "k6 not found at " + c.k6 + " (" + c.k6Where + "): no k6 figure was measured"
	} else {
		fmt.Fprintf(w, "k6: %s (found on %s)\n", c.k6, c.k6Where)
	}

	var (
		k6Rate, k6CPU, rate, cpuPer, ratio spread
		ramps, rss, devs, lates            spread
		allOpened                          = true
		echoLim, connLim, rateLim, lateLim string
		late50, late999                    spread
	)
	cores := float64(runtime.NumCPU())
	for pass := 1; pass <= c.passes; pass++ {
		// 1. Closed-loop echo, k6 and wslab on the same board, first one
		// then the other and the other way round in the next pass.
		var k6r float64
		runK6 := func() {
			if k6Note != "" {
				return
			}
			sum := filepath.Join(tmp, "k6.json")
			os.Remove(sum)
			fmt.Fprintf(w, "pass %d: k6: %d VUs, %d B echo for %s...\n", pass, c.conns, c.size, c.dur)
			u := child(c.k6, "run", "--quiet", "--no-usage-report", "-e", "TARGET="+target, "-e", fmt.Sprint("VUS=", c.conns),
				"-e", fmt.Sprint("SIZE=", c.size), "-e", fmt.Sprint("DURATION_MS=", c.dur.Milliseconds()), "-e", "SUMMARY="+sum, c.script)
			n, err := k6Echoes(sum)
			switch {
			case u.exitErr != nil:
				k6Note = fmt.Sprintf("k6 failed: %v: %s", u.exitErr, u.stdoutTail)
			case err != nil:
				k6Note = "k6 summary: " + err.Error()
			default:
				k6r = float64(n) / c.dur.Seconds()
				k6Rate = append(k6Rate, k6r)
				k6CPU = append(k6CPU, u.cpu.Seconds()*1e6/float64(n))
			}
		}
		var wsr float64
		runWslab := func() error {
			echoOut := filepath.Join(tmp, "echo.json")
			fmt.Fprintf(w, "pass %d: wslab: %d connections, %d B echo for %s...\n", pass, c.conns, c.size, c.dur)
			u := child(wslab, "load", "--quiet", "--target", target, "--scenario", "echo", "--text", "--conns", fmt.Sprint(c.conns),
				"--size", fmt.Sprint(c.size), "--duration", c.dur.String(), "--out", echoOut)
			r, err := readRun(echoOut, u)
			if err != nil {
				return err
			}
			if r.Counts.MsgsReceived == 0 {
				return fmt.Errorf("wslab echo: no message came back\n%s", u.stdoutTail)
			}
			wsr = r.Summary().MsgsPerSec
			rate = append(rate, wsr)
			cpuPer = append(cpuPer, u.cpu.Seconds()*1e6/float64(r.Counts.MsgsReceived))
			echoLim = limit(u, cores)
			return nil
		}
		if pass%2 == 1 {
			runK6()
			err = runWslab()
		} else {
			if err = runWslab(); err == nil {
				runK6()
			}
		}
		if err != nil {
			return false, err
		}
		if k6r > 0 {
			ratio = append(ratio, wsr/k6r)
		}

		// 2. 1,000 connections.
		connOut := filepath.Join(tmp, "connect.json")
		fmt.Fprintf(w, "pass %d: wslab: opening 1000 connections...\n", pass)
		u := child(wslab, "load", "--quiet", "--target", target, "--scenario", "connect", "--conns", "1000", "--out", connOut)
		r, err := readRun(connOut, u)
		if err != nil {
			return false, err
		}
		ramp, opened := rampOf(r)
		ramps = append(ramps, ramp.Seconds()*1e3)
		allOpened = allOpened && ramp > 0 && opened == 1000
		rss = append(rss, float64(u.maxRSS)/1e6)
		connLim = limit(u, cores)

		// 3. A constant 5,000 msg/s.
		rateOut := filepath.Join(tmp, "rate.json")
		fmt.Fprintf(w, "pass %d: wslab: 5000 msg/s for %s...\n", pass, c.dur)
		u = child(wslab, "load", "--quiet", "--target", target, "--scenario", "rate", "--rate", "5000", "--conns", "16",
			"--size", "64", "--duration", c.dur.String(), "--out", rateOut)
		r, err = readRun(rateOut, u)
		if err != nil {
			return false, err
		}
		if d, n := worstInterval(r, 5000, c.dur); n > 0 {
			devs = append(devs, d)
		}
		h := r.Hist(loadgen.HistLateness)
		lates = append(lates, float64(h.Quantile(0.99)))
		late50 = append(late50, float64(h.Quantile(0.5)))
		late999 = append(late999, float64(h.Quantile(0.999)))
		rateLim, lateLim = limit(u, 1), latencyLimit(u, 1)
	}

	var rows []row
	all := true
	verdict := func(ok bool) string {
		all = all && ok
		return passFail(ok)
	}
	ratioShown, ratioPass := "-", "?"
	if len(ratio) > 0 {
		ratioShown = ratio.show("%.1fx")
		ratioPass = verdict(rounded("%.1fx", ratio.median()) >= 3)
	} else {
		all = false
	}
	rows = append(rows,
		row{"echo msgs/s (64 B, 16 conns)", rate.show("%.0f"), k6Rate.show("%.0f"), "", "", echoLim},
		row{"echo msgs/s, wslab over k6 (paired)", ratioShown, "", ">= 3x k6", ratioPass, ""},
		row{"generator CPU per message", cpuPer.show("%.2f µs"), k6CPU.show("%.2f µs"), "<= 10 µs",
			verdict(rounded("%.2f µs", cpuPer.median()) <= 10), echoLim},
		row{"1000 connections opened in", ramps.show("%.1f ms"), "", "<= 100 ms",
			verdict(allOpened && rounded("%.1f ms", ramps.median()) <= 100), connLim},
		row{"generator RSS with 1000 connections", rss.show("%.1f MB"), "", "<= 32 MB",
			verdict(rounded("%.1f MB", rss.median()) <= 32), ""})
	// The rate holds per interval: the verdict is the worst pass's figure.
	devRow := row{"5000 msg/s: worst 1 s interval", "no whole 1 s interval measured (-duration too short)", "", "+/- 0.5%", verdict(false), rateLim}
	if len(devs) > 0 {
		worst := devs[0]
		for _, d := range devs {
			if math.Abs(d) > math.Abs(worst) {
				worst = d
			}
		}
		wr := rounded("%+.2f%%", worst)
		devRow.wslab = fmt.Sprintf("worst %+.2f%% (passes: %s)", worst, devs.show("%+.2f%%"))
		devRow.pass = verdict(wr <= 0.5 && wr >= -0.5)
	}
	rows = append(rows, devRow,
		row{"5000 msg/s: p99 send lateness", fmt.Sprintf("%s (p50 %s, p99.9 %s)", lates.show("%.0f µs"), late50.show("%.0f"), late999.show("%.0f")),
			"", "<= 100 µs", verdict(rounded("%.0f µs", lates.median()) <= 100), lateLim})

	// 4. HDR recording.
	res := testing.Benchmark(func(b *testing.B) {
		h := results.NewHistogram()
		for i := 0; b.Loop(); i++ {
			h.Record(int64(i&0xFFFF) + 1)
		}
	})
	ns := float64(res.T.Nanoseconds()) / float64(res.N)
	rows = append(rows, row{"HDR recording per sample", fmt.Sprintf("%.0f ns", ns), "", "<= 1 µs", verdict(rounded("%.0f", ns) <= 1000), "generator CPU"})

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nfigure (median of %d passes, range)\twslab\tk6\ttarget\tpass\tlimited by (last pass)\n", c.passes)
	for _, x := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.figure, x.wslab, x.k6, x.target, x.pass, x.limit)
	}
	tw.Flush()
	if k6Note != "" {
		fmt.Fprintln(w, "note:", k6Note)
	}
	fmt.Fprintf(w, "load average after: %s\n", loadavg())
	return all && k6Note == "", nil
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

var _ = context.Background
