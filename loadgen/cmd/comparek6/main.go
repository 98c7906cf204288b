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
// It is what `make compare-k6` runs, from the module root, after
// `go install go.k6.io/k6@v1.8.1`:
//
//	go run ./loadgen/cmd/comparek6 [-k6 PATH] [-duration 10s]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
	k6 := flag.String("k6", defaultK6(), "the k6 binary (go install go.k6.io/k6@v1.8.1)")
	script := flag.String("script", "loadgen/k6/echo.js", "the k6 echo script")
	dur := flag.Duration("duration", 10*time.Second, "length of the echo and rate runs")
	conns := flag.Int("conns", 16, "echo connections")
	size := flag.Int("size", 64, "echo message size, bytes")
	flag.Parse()
	if err := run(os.Stdout, *k6, *script, *dur, *conns, *size); err != nil {
		fmt.Fprintln(os.Stderr, "comparek6:", err)
		os.Exit(1)
	}
}

func defaultK6() string {
	if p, err := exec.LookPath("k6"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "k6"
	}
	return filepath.Join(strings.TrimSpace(string(gopath)), "bin", "k6")
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

func run(w io.Writer, k6, script string, dur time.Duration, conns, size int) error {
	tmp, err := os.MkdirTemp("", "wslab-comparek6-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wslab := filepath.Join(tmp, "wslab")
	fmt.Fprintln(w, "building wslab...")
	if out, err := exec.Command("go", "build", "-o", wslab, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "compare-k6", Slots: 1100,
		RxBuf: 2048, TxBuf: 2048, MaxMessage: 4096}})
	if err != nil {
		return err
	}
	defer srv.Close()
	target := srv.WSURL("/ws")
	fmt.Fprintf(w, "board at %s; %d cores; load average %s\n", target, runtime.NumCPU(), loadavg())
	var rows []row

	// 1. Closed-loop echo: k6, then wslab, on the same board.
	var k6Rate float64
	var k6Note string
	if _, err := os.Stat(k6); err != nil {
		k6Note = "k6 not found at " + k6 + " (go install go.k6.io/k6@v1.8.1)"
	} else {
		sum := filepath.Join(tmp, "k6.json")
		fmt.Fprintf(w, "k6: %d VUs, %d B echo for %s...\n", conns, size, dur)
		u := child(k6, "run", "--quiet", "--no-usage-report", "-e", "TARGET="+target, "-e", fmt.Sprint("VUS=", conns),
			"-e", fmt.Sprint("SIZE=", size), "-e", fmt.Sprint("DURATION_MS=", dur.Milliseconds()), "-e", "SUMMARY="+sum, script)
		n, err := k6Echoes(sum)
		switch {
		case u.exitErr != nil:
			k6Note = fmt.Sprintf("k6 failed: %v: %s", u.exitErr, u.stdoutTail)
		case err != nil:
			k6Note = "k6 summary: " + err.Error()
		default:
			k6Rate = float64(n) / dur.Seconds()
			rows = append(rows, row{"k6 echo msgs/s", "", fmt.Sprintf("%.0f", k6Rate), "", "",
				limit(u, float64(runtime.NumCPU()))})
			rows = append(rows, row{"k6 CPU per message", "", fmt.Sprintf("%.1f µs", u.cpu.Seconds()*1e6/float64(n)), "", "", ""})
		}
	}
	echoOut := filepath.Join(tmp, "echo.json")
	fmt.Fprintf(w, "wslab: %d connections, %d B echo for %s...\n", conns, size, dur)
	u := child(wslab, "load", "--quiet", "--target", target, "--scenario", "echo", "--text", "--conns", fmt.Sprint(conns),
		"--size", fmt.Sprint(size), "--duration", dur.String(), "--out", echoOut)
	r, err := readRun(echoOut, u)
	if err != nil {
		return err
	}
	rate := r.Summary().MsgsPerSec
	cpuPer := u.cpu.Seconds() * 1e6 / float64(r.Counts.MsgsReceived)
	ratio := "-"
	pass := "?"
	if k6Rate > 0 {
		ratio = fmt.Sprintf("%.1fx k6", rate/k6Rate)
		pass = passFail(rate >= 3*k6Rate)
	}
	lim := limit(u, float64(runtime.NumCPU()))
	rows = append(rows,
		row{"echo msgs/s (64 B, 16 conns)", fmt.Sprintf("%.0f (%s)", rate, ratio), fmt.Sprintf("%.0f", k6Rate), ">= 3x k6", pass, lim},
		row{"generator CPU per message", fmt.Sprintf("%.2f µs", cpuPer), "", "<= 10 µs", passFail(cpuPer <= 10), lim})

	// 2. 1,000 connections.
	connOut := filepath.Join(tmp, "connect.json")
	fmt.Fprintln(w, "wslab: opening 1000 connections...")
	u = child(wslab, "load", "--quiet", "--target", target, "--scenario", "connect", "--conns", "1000", "--out", connOut)
	r, err = readRun(connOut, u)
	if err != nil {
		return err
	}
	ramp, opened := rampOf(r)
	rows = append(rows,
		row{"1000 connections opened in", fmt.Sprintf("%v (%d opened)", ramp.Round(100*time.Microsecond), opened), "", "<= 100ms",
			passFail(ramp > 0 && ramp <= 100*time.Millisecond && opened == 1000), limit(u, float64(runtime.NumCPU()))},
		row{"generator RSS with 1000 connections", fmt.Sprintf("%.1f MB", float64(u.maxRSS)/1e6), "", "<= 32 MB", passFail(u.maxRSS <= 32e6), ""})

	// 3. A constant 5,000 msg/s.
	rateOut := filepath.Join(tmp, "rate.json")
	fmt.Fprintf(w, "wslab: 5000 msg/s for %s...\n", dur)
	u = child(wslab, "load", "--quiet", "--target", target, "--scenario", "rate", "--rate", "5000", "--conns", "16",
		"--size", "64", "--duration", dur.String(), "--out", rateOut)
	r, err = readRun(rateOut, u)
	if err != nil {
		return err
	}
	dev := worstInterval(r, 5000, dur)
	late := r.Hist(loadgen.HistLateness).Quantile(0.99)
	rows = append(rows,
		row{"5000 msg/s: worst 1 s interval", fmt.Sprintf("%+.2f%% (%d sent in all)", dev, r.Counts.MsgsSent), "", "+/- 0.5%",
			passFail(dev <= 0.5 && dev >= -0.5), limit(u, 1)},
		row{"5000 msg/s: p99 send lateness", fmt.Sprintf("%d µs (p50 %d, p99.9 %d)", late, r.Hist(loadgen.HistLateness).Quantile(0.5),
			r.Hist(loadgen.HistLateness).Quantile(0.999)), "", "<= 100 µs", passFail(late <= 100), latencyLimit(u, 1)})

	// 4. HDR recording.
	res := testing.Benchmark(func(b *testing.B) {
		h := results.NewHistogram()
		for i := 0; b.Loop(); i++ {
			h.Record(int64(i&0xFFFF) + 1)
		}
	})
	ns := float64(res.T.Nanoseconds()) / float64(res.N)
	rows = append(rows, row{"HDR recording per sample", fmt.Sprintf("%.0f ns", ns), "", "<= 1 µs", passFail(ns <= 1000), "generator CPU"})

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nfigure\twslab\tk6\ttarget\tpass\tlimited by")
	for _, x := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.figure, x.wslab, x.k6, x.target, x.pass, x.limit)
	}
	tw.Flush()
	if k6Note != "" {
		fmt.Fprintln(w, "note:", k6Note)
	}
	fmt.Fprintf(w, "load average after: %s\n", loadavg())
	return nil
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
// in a whole interval of the measurement from the rate.
func worstInterval(r *results.Run, rate float64, dur time.Duration) float64 {
	worst := 0.0
	for k, iv := range r.Intervals {
		if k == 0 || iv.Offset.D()+iv.Length.D() > dur || iv.Length.D() < time.Second {
			continue // the first holds the ramp; the last is cut
		}
		want := rate * iv.Length.D().Seconds()
		d := 100 * (float64(iv.MsgsSent) - want) / want
		if d*d > worst*worst {
			worst = d
		}
	}
	return worst
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
