package foreign

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// Options describe a foreign server and the board model to put around it.
type Options struct {
	// Command is the server's command line, run by /bin/sh.
	Command string
	// Port is the TCP port the server listens on (on loopback).
	Port int
	// Listen is the relay's address, the one clients use.
	Listen string
	// Model names the board model; Board and Link are its configuration
	// (Slots, RxBuf, TxBuf and HeapBudget are used) and link.
	Model string
	Board firmware.Config
	Link  host.Link
	// CPUShare caps the server at this share of one CPU (0.04 is 4%);
	// 0: no cap.
	CPUShare float64
	// MemLimit is the server's memory limit in bytes; 0: its idle usage
	// once its port is open (with the files it maps that another group
	// was charged for) plus Board.HeapBudget (no limit when the
	// budget is 0 too); negative: no limit.
	MemLimit int64
	// StartTimeout bounds the wait for the server's port; default 15s.
	StartTimeout time.Duration
	// NoRestart leaves a crashed server down; by default it is started
	// again, as a board reboots.
	NoRestart bool
	// Output receives the server's stdout and stderr; nil discards them.
	Output io.Writer
	// Events receives a line per crash and reboot; nil discards them.
	Events io.Writer
}

// Crash is one end of the server that wslab did not ask for.
type Crash struct {
	At     time.Time     `json:"at"`
	Uptime time.Duration `json:"uptime_ns"`
	// Reason says how it ended: "oom-kill" (killed for memory at the
	// limit), "signal: ..." or "exit status N".
	Reason string `json:"reason"`
	OOM    bool   `json:"oom"`
	// Memory is the group's peak memory use, bytes.
	Memory int64 `json:"memory_peak"`
}

// Board is a foreign server running under a board model's limits.
type Board struct {
	o        Options
	name     string
	cg       *Cgroup
	relay    *Relay
	upstream string
	started  time.Time // of the whole board

	mu       sync.Mutex
	cmd      *exec.Cmd
	ready    time.Time // the current process's port opened
	baseline int64     // memory in use when the port opened
	limit    int64     // memory limit in force; 0: none
	crashes  []Crash
	reboots  int
	oomSeen  int64
	closing  bool
	exited   chan struct{} // closed when the current process has exited
	done     chan struct{} // closed when the board is down for good
	doneOnce sync.Once
	watching sync.WaitGroup // supervise goroutines
}

// Start runs the server, waits for its port, applies the limits and opens
// the relay.
func Start(o Options) (*Board, error) {
	if strings.TrimSpace(o.Command) == "" {
		return nil, errors.New("foreign: no command")
	}
	if o.Port <= 0 || o.Port > 65535 {
		return nil, fmt.Errorf("foreign: the server's port %d is not a TCP port", o.Port)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 15 * time.Second
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	if o.Events == nil {
		o.Events = io.Discard
	}
	if listening(o.Port) {
		return nil, fmt.Errorf("foreign: something already listens on port %d", o.Port)
	}
	cg, err := NewCgroup()
	if err != nil {
		return nil, err
	}
	b := &Board{o: o, cg: cg, upstream: net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port)),
		started: time.Now(), done: make(chan struct{})}
	b.name = o.Model + "+" + progName(o.Command)
	if err := b.launch(); err != nil {
		cg.Close()
		return nil, err
	}
	b.relay, err = StartRelay(RelayOptions{Listen: o.Listen, Upstream: b.upstream, Link: o.Link,
		RxBuf: o.Board.RxBuf, TxBuf: o.Board.TxBuf, Stats: b.statsDoc})
	if err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// progName is the base name of a command line's program.
func progName(cmd string) string {
	f := strings.Fields(cmd)
	for len(f) > 1 && (strings.Contains(f[0], "=") || f[0] == "exec") {
		f = f[1:]
	}
	if len(f) == 0 {
		return "server"
	}
	p := filepath.Base(f[0])
	if (strings.HasPrefix(p, "python") || p == "node" || p == "micropython") && len(f) > 1 {
		p = filepath.Base(f[1])
	}
	return strings.TrimSuffix(p, filepath.Ext(p))
}

// launch starts the server without limits, moves it into the group before
// it runs the command, waits for its port and then applies the limits (a
// board boots before it serves; Linux's loading of the program is not the
// board's).
func (b *Board) launch() error {
	if err := b.cg.SetCPU(0); err != nil {
		return err
	}
	_ = b.cg.write("memory", "memory.memsw.limit_in_bytes", "-1")
	if err := b.cg.write("memory", "memory.limit_in_bytes", "-1"); err != nil {
		return err
	}
	// The shell waits for a line on stdin, so it is in the group before
	// the command starts and every process it forks is too.
	cmd := exec.Command("/bin/sh", "-c", "read -r _ && exec "+b.o.Command)
	// Hide any ReadFrom of the writer: a bytes.Buffer's would hold its
	// length across the blocking read and drop what others write meanwhile.
	out := struct{ io.Writer }{b.o.Output}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	go_, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("foreign: start %q: %w", b.o.Command, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	fail := func(err error) error {
		if running(exited) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		<-exited
		return err
	}
	if err := b.cg.Add(cmd.Process.Pid); err != nil {
		return fail(err)
	}
	if _, err := go_.Write([]byte("go\n")); err != nil {
		return fail(fmt.Errorf("foreign: start %q: %w", b.o.Command, err))
	}
	go_.Close()
	deadline := time.Now().Add(b.o.StartTimeout)
	for !listening(b.o.Port) {
		select {
		case <-exited:
			return fmt.Errorf("foreign: %q ended before it listened on port %d: %v", b.o.Command, b.o.Port, waitErr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("foreign: %q did not listen on port %d within %s", b.o.Command, b.o.Port, b.o.StartTimeout))
		}
	}
	base, err := b.cg.MemoryUsage()
	if err != nil {
		return fail(err)
	}
	// The idle footprint counts the files the server maps whose pages are
	// charged to another group (UnchargedFile): under load they may come
	// to this one, and the budget is for what the server allocates
	// (CivetWeb: 256 KiB charged at its port in one CI rehearsal, 764-1020
	// KiB in others; at 256 KiB + 250 KiB it was killed for memory by its
	// first 4 clients).
	if u, err := b.cg.UnchargedFile(); err == nil {
		base += u
	}
	limit := b.o.MemLimit
	if limit == 0 && b.o.Board.HeapBudget > 0 {
		limit = base + int64(b.o.Board.HeapBudget)
	}
	if limit > 0 {
		if err := b.cg.SetMemory(limit); err != nil {
			return fail(err)
		}
	} else {
		limit = 0
	}
	if err := b.cg.SetCPU(b.o.CPUShare); err != nil {
		return fail(err)
	}
	b.mu.Lock()
	b.cmd, b.ready, b.baseline, b.limit, b.exited = cmd, time.Now(), base, limit, exited
	b.oomSeen = b.cg.OOMKills()
	b.mu.Unlock()
	b.watching.Add(1)
	go b.supervise(cmd, exited, &waitErr)
	return nil
}

// supervise waits for the process to end and records a crash unless the
// board is closing; it starts the server again unless told not to.
func (b *Board) supervise(cmd *exec.Cmd, exited chan struct{}, waitErr *error) {
	defer b.watching.Done()
	<-exited
	b.mu.Lock()
	if b.closing {
		b.mu.Unlock()
		return
	}
	now := time.Now()
	c := Crash{At: now, Uptime: now.Sub(b.ready), Reason: "exit status 0"}
	if ooms := b.cg.OOMKills(); ooms > b.oomSeen {
		c.Reason, c.OOM = "oom-kill", true
		b.oomSeen = ooms
	} else if *waitErr != nil {
		c.Reason = (*waitErr).Error()
		if ee, ok := (*waitErr).(*exec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				c.Reason = "signal: " + ws.Signal().String()
			}
		}
	}
	c.Memory, _ = b.cg.MemoryPeak()
	b.crashes = append(b.crashes, c)
	b.mu.Unlock()
	msg := c.Reason
	if c.OOM {
		msg = fmt.Sprintf("killed for memory at the %d B limit (peak %d B)", b.limit, c.Memory)
	}
	fmt.Fprintf(b.o.Events, "crash: %s at %s (+%s on the board, up %s): %s\n", b.name,
		c.At.UTC().Format(time.RFC3339Nano), c.At.Sub(b.started).Round(time.Millisecond), c.Uptime.Round(time.Millisecond), msg)
	if b.o.NoRestart {
		b.doneOnce.Do(func() { close(b.done) })
		return
	}
	if err := b.launch(); err != nil {
		b.mu.Lock()
		closing := b.closing
		b.mu.Unlock()
		if !closing {
			fmt.Fprintf(b.o.Events, "reboot failed: %v\n", err)
		}
		b.doneOnce.Do(func() { close(b.done) })
		return
	}
	b.mu.Lock()
	b.reboots++
	closing := b.closing
	b.mu.Unlock()
	if closing {
		return
	}
	fmt.Fprintf(b.o.Events, "reboot: %s serving again after %s\n", b.name, time.Since(now).Round(time.Millisecond))
}

// Name is the board's name: the model and the server's program.
func (b *Board) Name() string { return b.name }

// Addr is the relay's address, the one clients use.
func (b *Board) Addr() net.Addr { return b.relay.Addr() }

// Upstream is the server's own address.
func (b *Board) Upstream() string { return b.upstream }

// Pid is the current server process's id.
func (b *Board) Pid() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cmd.Process.Pid
}

// Cgroup is the group the server runs in.
func (b *Board) Cgroup() *Cgroup { return b.cg }

// Limits returns the memory limit in force (0: none) and the server's
// memory use when its port opened.
func (b *Board) Limits() (limit, baseline int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit, b.baseline
}

// Crashes returns the crashes so far.
func (b *Board) Crashes() []Crash {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Crash(nil), b.crashes...)
}

// Done is closed when the server is down for good (a crash with
// NoRestart, or a reboot that failed).
func (b *Board) Done() <-chan struct{} { return b.done }

// Close stops the relay and the server and removes the groups.
func (b *Board) Close() error {
	b.mu.Lock()
	b.closing = true
	cmd, exited := b.cmd, b.exited
	b.mu.Unlock()
	var errs []error
	if b.relay != nil {
		if err := b.relay.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if cmd != nil && running(exited) {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	cgErr := b.cg.Close()
	// A reboot under way fails now that the group is gone (its process
	// killed with it), or its process was started and is killed here (it
	// may have joined the group as it was being removed: remove it again).
	b.watching.Wait()
	b.mu.Lock()
	cmd, exited = b.cmd, b.exited
	b.mu.Unlock()
	if cmd != nil && running(exited) {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	if cgErr != nil {
		cgErr = b.cg.Close()
	}
	if cgErr != nil {
		errs = append(errs, cgErr)
	}
	b.doneOnce.Do(func() { close(b.done) })
	return errors.Join(errs...)
}

// statsDoc is the /stats document the relay serves: the fields of a wslab
// board's /stats that the load generator reads, filled from the process's
// cgroup, plus the foreign server's own.
type statsDoc struct {
	Model   string `json:"model"`
	Foreign struct {
		Command  string `json:"command"`
		Pid      int    `json:"pid"`
		Upstream string `json:"upstream"`
	} `json:"foreign"`
	UptimeMs int64   `json:"uptime_ms"`
	Reboots  int     `json:"reboots"`
	Crashes  []Crash `json:"crashes"`
	Heap     struct {
		Inuse   int64 `json:"inuse"` // the group's charged memory
		Sys     int64 `json:"sys"`   // the limit (0: none)
		Peak    int64 `json:"peak"`
		RSS     int64 `json:"rss"`
		Mallocs int64 `json:"mallocs"`
		Frees   int64 `json:"frees"`
	} `json:"heap"`
	// CPU is the process's CPU time from the group's cpuacct.usage, and
	// as the emulated board's "cpu" reports its processor: busy_ms is the
	// time the board's CPU (the quota) was busy, the usage over the
	// quota's share of a core (one core without a quota), busy_permille
	// that over the board's uptime, on one core.
	CPU struct {
		BusyMs           int64   `json:"busy_ms"`
		BusyPermille     int64   `json:"busy_permille"`
		Cores            int     `json:"cores"`
		UsageNs          int64   `json:"usage_ns"`
		Share            float64 `json:"share"`
		PeriodUs         int64   `json:"period_us"`
		QuotaUs          int64   `json:"quota_us"`
		ThrottledPeriods int64   `json:"throttled_periods"`
		ThrottledNs      int64   `json:"throttled_ns"`
	} `json:"cpu"`
	Slots struct {
		InUse int64 `json:"in_use"`
		Total int   `json:"total"`
	} `json:"slots"`
	Footprint struct {
		Slots   int   `json:"slots"`
		Rx      int   `json:"rx"`
		Tx      int   `json:"tx"`
		PerSlot int   `json:"per_slot"`
		Fixed   int64 `json:"fixed"`
		Total   int64 `json:"total"`
		Budget  int64 `json:"budget"`
	} `json:"footprint"`
	Config struct {
		MaxMessage int    `json:"max_message"`
		MaxUpload  int    `json:"max_upload"`
		QueueLen   int    `json:"queue_len"`
		FailMode   string `json:"fail_mode"`
		LinkBps    int64  `json:"link_bps"`
		LinkRTTus  int64  `json:"link_rtt_us"`
	} `json:"config"`
	Bytes struct {
		In  int64 `json:"in"`
		Out int64 `json:"out"`
	} `json:"bytes"`
	Conns struct {
		Accepted int64 `json:"accepted"`
	} `json:"conns"`
}

// StatsDoc returns the board's /stats document. Footprint holds the server's
// memory when its port opened (its static footprint), budget the limit.
func (b *Board) StatsDoc() []byte { return b.statsDoc(b.relay) }

func (b *Board) statsDoc(relay *Relay) []byte {
	var d statsDoc
	b.mu.Lock()
	d.Model = b.name
	d.Foreign.Command, d.Foreign.Upstream = b.o.Command, b.upstream
	if b.cmd != nil {
		d.Foreign.Pid = b.cmd.Process.Pid
	}
	d.UptimeMs = time.Since(b.ready).Milliseconds()
	d.Reboots = b.reboots
	d.Crashes = append([]Crash{}, b.crashes...)
	d.Heap.Sys = b.limit
	d.Footprint.Fixed, d.Footprint.Total, d.Footprint.Budget = b.baseline, b.baseline, b.limit
	b.mu.Unlock()
	d.Heap.Inuse, _ = b.cg.MemoryUsage()
	d.Heap.Peak, _ = b.cg.MemoryPeak()
	d.Heap.RSS, _ = b.cg.RSS()
	d.CPU.UsageNs, _ = b.cg.CPUUsage()
	d.CPU.Share = b.o.CPUShare
	busy := BoardBusy(d.CPU.UsageNs, b.o.CPUShare)
	d.CPU.BusyMs, d.CPU.Cores = busy/1e6, 1
	if up := time.Since(b.started); up > 0 {
		d.CPU.BusyPermille = min(busy*1000/int64(up), 1000)
	}
	if b.o.CPUShare > 0 {
		d.CPU.PeriodUs, d.CPU.QuotaUs = QuotaPeriod(b.o.CPUShare)
	}
	d.CPU.ThrottledPeriods, d.CPU.ThrottledNs = b.cg.Throttled()
	c := b.o.Board
	d.Slots.InUse, d.Slots.Total = relay.Active(), c.Slots
	d.Footprint.Slots, d.Footprint.Rx, d.Footprint.Tx = c.Slots, c.RxBuf, c.TxBuf
	d.Config.MaxMessage, d.Config.MaxUpload, d.Config.QueueLen = c.MaxMessage, c.MaxUpload, c.QueueLen
	d.Config.FailMode = "foreign"
	d.Config.LinkBps, d.Config.LinkRTTus = b.o.Link.Bps, b.o.Link.RTT/1000
	d.Bytes.In, d.Bytes.Out = relay.Bytes()
	d.Conns.Accepted = relay.Accepted()
	doc, _ := json.Marshal(&d)
	return doc
}

// BoardBusy turns a process's CPU time (ns) under a quota of share of one
// core into the board's busy time: the quota is the board's processor, so
// a process that used all of its quota kept the board busy all along. No
// quota (share 0) counts one host core.
func BoardBusy(usageNs int64, share float64) int64 {
	if share <= 0 {
		return usageNs
	}
	return int64(float64(usageNs) / share)
}

// running reports whether the process whose end closes exited has not
// been reaped yet (its process group id cannot belong to another).
func running(exited chan struct{}) bool {
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// listening reports whether a socket listens on TCP port (any address) in
// this network namespace, read from /proc/net/tcp{,6} so that checking does
// not take a single-client server's one connection.
func listening(port int) bool {
	want := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) > 3 && fs[3] == "0A" && strings.HasSuffix(fs[1], want) {
				fh.Close()
				return true
			}
		}
		fh.Close()
	}
	return false
}
