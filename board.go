package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/results"
)

func init() {
	register("board", "run an emulated board (the firmware on Linux) until SIGINT/SIGTERM", runBoard)
}

// boardFlags are the flags that configure a board: a model from the
// catalog, and any field of it overridden. The lab's commands share them.
type boardFlags struct {
	model                                           string
	slots, rx, tx, maxMsg, maxUpload, budget, queue int
	failMode, link, cpu, tails                      string
	seed                                            uint64
	backlog                                         int
	lruPurge                                        bool
	headerTimeout, idleTimeout, pingInterval        time.Duration
	pongTimeout                                     time.Duration
	linkBps                                         int64
	linkRTT                                         time.Duration
	modelFile                                       string // a model file (wslab calibrate) instead of -model
	fs                                              *flag.FlagSet
}

func (f *boardFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.model, "model", "custom", "board model from the catalog (see -list); other flags override its fields")
	fs.IntVar(&f.slots, "slots", 8, "connection slots")
	fs.IntVar(&f.rx, "rx", 2048, "per-slot receive buffer, bytes")
	fs.IntVar(&f.tx, "tx", 2048, "per-slot transmit buffer, bytes")
	fs.IntVar(&f.maxMsg, "max-message", 16384, "largest WebSocket message, bytes (larger closes with 1009)")
	fs.IntVar(&f.maxUpload, "max-upload", 1<<20, "largest file upload, bytes (larger is 413)")
	fs.IntVar(&f.budget, "budget", 0, "heap budget for the board's buffers, bytes (0: unchecked)")
	fs.IntVar(&f.queue, "queue", 0, "echo queue length; a full queue drops new messages (0: back-pressure instead)")
	fs.StringVar(&f.failMode, "fail", "503", "how a full board refuses: "+firmware.FailModeNames)
	fs.IntVar(&f.backlog, "backlog", firmware.DefaultBacklog, "with -fail backlog: newcomers the listen backlog holds while the board is full")
	fs.BoolVar(&f.lruPurge, "lru-purge", false, "with -fail backlog: close the least recently used session to admit a newcomer (ESP-IDF lru_purge_enable)")
	fs.DurationVar(&f.headerTimeout, "header-timeout", 5*time.Second, "a request head must arrive within this (slowloris)")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", 30*time.Second, "idle HTTP connections close after this")
	fs.DurationVar(&f.pingInterval, "ping-interval", 20*time.Second, "idle WebSocket clients are pinged after this")
	fs.DurationVar(&f.pongTimeout, "pong-timeout", 10*time.Second, "a pinged client that sends nothing for this long is dropped")
	fs.StringVar(&f.link, "link", "on", "link emulation: on (the model's bandwidth and delay) or off")
	fs.StringVar(&f.cpu, "cpu", "on", "board CPU model: on (the model's cost per message, segment, handshake...) or off (the host's speed)")
	fs.StringVar(&f.tails, "tails", "on", "WiFi tails (jitter, heavy-tailed delays, loss): on (the model's) or off")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the WiFi tails: the same seed gives the same delays")
	fs.Int64Var(&f.linkBps, "link-bps", 0, "emulated link bandwidth shared by all connections, bit/s (overrides the model's)")
	fs.DurationVar(&f.linkRTT, "link-rtt", 0, "emulated round-trip delay added to the board's output (overrides the model's)")
	fs.StringVar(&f.modelFile, "model-file", "", "a model file (JSON, as wslab calibrate writes it) to start instead of -model; other flags override its fields")
}

// resolve returns the board configuration and link: the model's preset
// with every flag the user set applied on top.
func (f *boardFlags) resolve() (firmware.Config, host.Link, error) {
	cfg, link, _, err := f.resolveCPU()
	return cfg, link, err
}

// resolveCPU is resolve with the board's CPU model.
func (f *boardFlags) resolveCPU() (firmware.Config, host.Link, host.CPU, error) {
	var cfg firmware.Config
	var link host.Link
	var cpu host.CPU
	if f.modelFile != "" {
		p, err := catalog.LoadModelFile(f.modelFile)
		if err != nil {
			return cfg, link, cpu, err
		}
		cfg, link, cpu = p.Board, p.Link, p.CPU
	} else if f.model == "custom" {
		cfg = firmware.Config{Model: "custom", Slots: f.slots, RxBuf: f.rx, TxBuf: f.tx, MaxMessage: f.maxMsg, FailMode: firmware.FailReject503}
	} else {
		p, err := catalog.Get(f.model)
		if err != nil {
			return cfg, link, cpu, err
		}
		cfg, link, cpu = p.Board, p.Link, p.CPU
	}
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "slots":
			cfg.Slots = f.slots
		case "rx":
			cfg.RxBuf = f.rx
		case "tx":
			cfg.TxBuf = f.tx
		case "max-message":
			cfg.MaxMessage = f.maxMsg
		case "max-upload":
			cfg.MaxUpload = f.maxUpload
		case "budget":
			cfg.HeapBudget = f.budget
		case "queue":
			cfg.QueueLen = f.queue
		case "fail":
			fm, ok := firmware.ParseFailMode(f.failMode)
			if !ok {
				err = fmt.Errorf("unknown -fail %q: want %s", f.failMode, firmware.FailModeNames)
			}
			cfg.FailMode = fm
		case "backlog":
			cfg.Backlog = f.backlog
		case "lru-purge":
			cfg.LRUPurge = f.lruPurge
		case "header-timeout":
			cfg.HeaderTimeout = int64(f.headerTimeout)
		case "idle-timeout":
			cfg.IdleTimeout = int64(f.idleTimeout)
		case "ping-interval":
			cfg.PingInterval = int64(f.pingInterval)
		case "pong-timeout":
			cfg.PongTimeout = int64(f.pongTimeout)
		case "link-bps":
			link.Bps = f.linkBps
		case "link-rtt":
			link.RTT = int64(f.linkRTT)
		}
	})
	switch f.link {
	case "on":
	case "off":
		link = host.Link{}
	default:
		err = fmt.Errorf("-link must be on or off, not %q", f.link)
	}
	switch f.tails {
	case "on":
		link.Tails.Seed = f.seed
	case "off":
		link.Tails = host.Tails{}
	default:
		err = fmt.Errorf("-tails must be on or off, not %q", f.tails)
	}
	switch f.cpu {
	case "on":
	case "off":
		cpu = host.CPU{}
	default:
		err = fmt.Errorf("-cpu must be on or off, not %q", f.cpu)
	}
	return cfg, link, cpu, err
}

func runBoard(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab board", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var bf boardFlags
	bf.register(fs)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	store := fs.String("store", "", "directory for uploaded files (default: a temporary one)")
	list := fs.Bool("list", false, "print the catalog of board models and exit")
	var ff foreignFlags // a foreign server under the model's limits (foreigncmd.go)
	ff.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *list {
		if bf.modelFile != "" {
			p, err := catalog.LoadModelFile(bf.modelFile)
			if err != nil {
				fmt.Fprintln(stderr, "wslab board:", err)
				return 2
			}
			printPresets(stdout, []catalog.Preset{p})
			return 0
		}
		printCatalog(stdout)
		return 0
	}
	if ff.exec != "" {
		return runForeign(&ff, &bf, *listen, stdout, stderr)
	}
	cfg, link, cpu, err := bf.resolveCPU()
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 2
	}
	srv, err := host.Start(host.Options{Board: cfg, Listen: *listen, StoreDir: *store, Link: link, CPU: cpu})
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 1
	}
	printBoard(stdout, srv, link)
	if w := listenWarning(srv.Addr()); w != "" {
		fmt.Fprintln(stderr, w)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case s := <-sig:
		fmt.Fprintf(stdout, "%s: stopping the board\n", s)
	case <-srv.Done():
	}
	if err := srv.Close(); err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 1
	}
	return 0
}

// listenWarning is what the board says when it listens beyond loopback:
// PUT and DELETE on /files take no credentials.
func listenWarning(a *net.TCPAddr) string {
	if a == nil || a.IP.IsLoopback() {
		return ""
	}
	return "wslab board: warning: listening on " + a.String() + ", beyond this machine: " +
		"PUT and DELETE on /files are unauthenticated, so anyone who reaches this address can replace or delete the stored files"
}

// printCatalog prints the board models as a table, then each figure's source.
func printCatalog(w io.Writer) { printPresets(w, catalog.All()) }

// printPresets prints presets as a table, then each figure's source.
func printPresets(w io.Writer, all []catalog.Preset) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tSLOTS\tRX/TX B\tMSG CAP\tQUEUE\tFOOTPRINT/BUDGET\tLINK\tRTT\tCPU/ECHO\tWHEN FULL")
	for _, p := range all {
		b := p.Board
		fp := b.Footprint()
		queue := "-"
		if b.QueueLen > 0 {
			queue = fmt.Sprintf("%d drop", b.QueueLen)
		}
		linkS := "off"
		if p.Link.Bps > 0 {
			linkS = fmt.Sprintf("%g Mbit/s", float64(p.Link.Bps)/1e6)
		}
		cpuS := "-"
		if p.CPU.On() {
			cpuS = time.Duration(p.CPU.MessageCost(50)).String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d/%d\t%s\t%s\t%s/%s\t%s\t%s\t%s\t%s\n", p.Name, b.Slots, b.RxBuf, b.TxBuf,
			humanBytes(b.MaxMessage), queue, humanBytes(fp.Total), humanBytes(b.HeapBudget), linkS,
			time.Duration(p.Link.RTT), cpuS, b.FailMode)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nSources ([V] read in the source, [D] datasheet, [E] estimate to calibrate):")
	for _, p := range all {
		fmt.Fprintf(w, "\n%s: %s\n", p.Name, p.Description)
		keys := make([]string, 0, len(p.Sources))
		for k := range p.Sources {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %-12s %s\n", k, p.Sources[k])
		}
	}
}

func humanBytes(n int) string { return results.FormatBytes(int64(n)) }

func printBoard(w io.Writer, srv *host.Server, link host.Link) {
	c := srv.Config()
	f := srv.Footprint()
	fmt.Fprintf(w, "board %s listening on %s (WebSocket echo at %s)", c.Model, srv.URL(), srv.WSURL("/ws"))
	if u := srv.StatsURL(); u != "" {
		// The lab reads this line: "stats at URL" names the stats port.
		fmt.Fprintf(w, "; stats at %s", u)
	}
	fmt.Fprintf(w, "\nmemory: %s B", f.AppendSum(nil))
	if f.Budget > 0 {
		fmt.Fprintf(w, " (%s) of a %s budget", results.FormatBytes(int64(f.Total)), results.FormatBytes(int64(f.Budget)))
	}
	if link.On() {
		fmt.Fprintf(w, "\nlink: %g Mbit/s shared, +%s round trip", float64(link.Bps)/1e6, time.Duration(link.RTT))
	} else {
		fmt.Fprintf(w, "\nlink: off (loopback speed)")
	}
	if t := link.Tails; t.On() {
		fmt.Fprintf(w, "\ntails (seed %d): jitter %s mean, %.1f%% of packets +%s.. (Pareto, cap %s), loss %.2f%% (RTO %s), power save %v",
			t.Seed, time.Duration(t.Jitter), t.TailP*100, time.Duration(t.TailMin), time.Duration(t.TailMax), t.Loss*100, time.Duration(t.RTO), t.PowerSave)
	}
	if cpu := srv.CPU(); cpu.On() {
		fmt.Fprintf(w, "\ncpu: %s per small echo on a busy core (+%s wake-up from idle), handshake %s",
			time.Duration(cpu.MessageCost(50)), time.Duration(cpu.Wake), time.Duration(cpu.Request+cpu.Handshake))
	} else {
		fmt.Fprintf(w, "\ncpu: off (host speed)")
	}
	fmt.Fprintf(w, "\nfiles in %s; stop with Ctrl-C\n", srv.StoreDir())
}
