package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/lab"
	"github.com/wslab/wslab/results"
)

// boardFlags are the flags that configure a board: a model from the
// catalog, and any field of it overridden. The lab's commands share them.
type boardFlags struct {
	model                                                      string
	slots, rx, tx, maxMsg, maxUpload, budget, queue, queueHeap int
	failMode, link, cpu, tails                                 string
	seed                                                       uint64
	backlog                                                    int
	lruPurge                                                   bool
	headerTimeout, idleTimeout, pingInterval                   time.Duration
	pongTimeout                                                time.Duration
	linkBps                                                    int64
	linkRTT                                                    time.Duration
	modelFile                                                  string // a model file (wslab calibrate) instead of -model
	fs                                                         *flag.FlagSet
	names                                                      map[string]bool // the flags register defined
}

// setFlags names the board flags given on the command line.
func (f *boardFlags) setFlags() []string {
	var set []string
	f.fs.Visit(func(fl *flag.Flag) {
		if f.names[fl.Name] {
			set = append(set, fl.Name)
		}
	})
	return set
}

func (f *boardFlags) register(fs *flag.FlagSet) {
	f.names = map[string]bool{}
	defer fs.VisitAll(func(fl *flag.Flag) { f.names[fl.Name] = true })
	f.fs = fs
	fs.StringVar(&f.model, "model", "custom", "board model from the catalog (see -list); other flags override its fields")
	fs.IntVar(&f.slots, "slots", 8, "connection slots")
	fs.IntVar(&f.rx, "rx", 2048, "per-slot receive buffer, bytes")
	fs.IntVar(&f.tx, "tx", 2048, "per-slot transmit buffer, bytes")
	fs.IntVar(&f.maxMsg, "max-message", 16384, "largest WebSocket message, bytes (larger closes with 1009)")
	fs.IntVar(&f.maxUpload, "max-upload", 1<<20, "largest file upload, bytes (larger is 413)")
	fs.IntVar(&f.budget, "budget", 0, "heap budget for the board's buffers, bytes (0: unchecked)")
	fs.IntVar(&f.queue, "queue", 0, "echo queue length: messages per client outstanding on the queue's heap or in tx; a full queue drops new messages (0: back-pressure instead)")
	fs.IntVar(&f.queueHeap, "queue-heap", 0, "bytes of heap the echo queues share (0: what the budget leaves once the footprint and every connection are taken)")
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

// board returns the board the flags name: the model with every flag the
// user set applied on top, through catalog.Resolve.
func (f *boardFlags) board() (catalog.Board, error) {
	var o catalog.Overrides
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "slots":
			o.Slots = &f.slots
		case "rx":
			o.RxBuf = &f.rx
		case "tx":
			o.TxBuf = &f.tx
		case "max-message":
			o.MaxMessage = &f.maxMsg
		case "max-upload":
			o.MaxUpload = &f.maxUpload
		case "budget":
			o.HeapBudget = &f.budget
		case "queue":
			o.QueueLen = &f.queue
		case "queue-heap":
			o.QueueHeap = &f.queueHeap
		case "fail":
			o.FailMode = &f.failMode
		case "backlog":
			o.Backlog = &f.backlog
		case "lru-purge":
			o.LRUPurge = &f.lruPurge
		case "header-timeout":
			o.HeaderTimeout = (*int64)(&f.headerTimeout)
		case "idle-timeout":
			o.IdleTimeout = (*int64)(&f.idleTimeout)
		case "ping-interval":
			o.PingInterval = (*int64)(&f.pingInterval)
		case "pong-timeout":
			o.PongTimeout = (*int64)(&f.pongTimeout)
		case "link-bps":
			o.LinkBps = &f.linkBps
		case "link-rtt":
			o.LinkRTT = (*int64)(&f.linkRTT)
		case "seed":
			o.Seed = &f.seed
		}
	})
	for _, sw := range []struct {
		name, v string
		off     *bool
	}{{"link", f.link, &o.LinkOff}, {"tails", f.tails, &o.TailsOff}, {"cpu", f.cpu, &o.CPUOff}} {
		switch sw.v {
		case "on":
		case "off":
			*sw.off = true
		default:
			err = fmt.Errorf("-%s must be on or off, not %q", sw.name, sw.v)
		}
	}
	if err != nil {
		return catalog.Board{}, err
	}
	o.ModelFile = f.modelFile
	b, err := catalog.Resolve(f.model, o)
	if err != nil && o.FailMode != nil {
		if _, ok := firmware.ParseFailMode(f.failMode); !ok {
			err = fmt.Errorf("unknown -fail %q: want %s", f.failMode, firmware.FailModeNames)
		}
	}
	return b, err
}

// readBoardFile reads a resolved board (catalog.Board as JSON) from path,
// "-" for standard input.
func readBoardFile(path string, stdin io.Reader) (catalog.Board, error) {
	if path == "-" {
		return catalog.ReadBoard(stdin)
	}
	fh, err := os.Open(path)
	if err != nil {
		return catalog.Board{}, err
	}
	defer fh.Close()
	return catalog.ReadBoard(fh)
}

// boardStopWait bounds how long a board stopped by a signal takes to
// close before it exits regardless.
const boardStopWait = 5 * time.Second

// awaitBoard waits for a signal (ctx) or the board's end (done) and says
// whether a signal came. A board stopped by a signal (Ctrl-C, or SIGTERM
// when the lab that started it died) closes, removing what it made,
// before it writes anything (a dead lab's pipe would end it there), and
// exits within boardStopWait whatever its Close does.
func awaitBoard(ctx context.Context, done <-chan struct{}) bool {
	select {
	case <-ctx.Done():
		time.AfterFunc(boardStopWait, func() { os.Exit(1) })
		return true
	case <-done:
		return false
	}
}

func runBoard(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab board", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var bf boardFlags
	bf.register(fs)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	store := fs.String("store", "", "directory for uploaded files (default: a temporary one)")
	list := fs.Bool("list", false, "print the catalog of board models and exit")
	configJSON := fs.String("config-json", "", "run the resolved board in this JSON file (\"-\": standard input), as the lab hands it to its boards; no other board flag may be given with it")
	var ff foreignFlags // a foreign server under the model's limits (board_exec.go)
	ff.register(fs)
	var tf tlsFlags // TLS termination in front of the board (board_tls.go)
	tf.register(fs)
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	if *list {
		if bf.modelFile != "" {
			p, err := catalog.LoadModelFile(bf.modelFile)
			if err != nil {
				fmt.Fprintln(stderr, "wslab board:", err)
				return 2
			}
			catalog.WriteList(stdout, []catalog.Preset{p})
			return 0
		}
		catalog.WriteList(stdout, catalog.All())
		return 0
	}
	if ff.exec != "" {
		if tf.set() {
			fmt.Fprintln(stderr, "wslab board: --tls terminates TLS in front of wslab's own board; a server run with --exec serves its own TLS, if any")
			return 2
		}
		return runForeign(&ff, &bf, *listen, stdout, stderr)
	}
	var b catalog.Board
	var err error
	if *configJSON != "" {
		if set := bf.setFlags(); len(set) > 0 {
			fmt.Fprintf(stderr, "wslab board: -config-json holds the whole board: drop -%s\n", strings.Join(set, ", -"))
			return 2
		}
		b, err = readBoardFile(*configJSON, os.Stdin)
	} else {
		b, err = bf.board()
	}
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 2
	}
	opts := b.Options()
	opts.Listen, opts.StoreDir = *listen, *store
	tp, err := tf.apply(&opts, b.Config.Model)
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 2
	}
	srv, err := host.Start(opts)
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 1
	}
	certPath, err := tf.writeCert(srv)
	if err != nil {
		srv.Close()
		fmt.Fprintln(stderr, "wslab board:", err)
		return 1
	}
	if certPath != "" {
		defer os.Remove(certPath)
	}
	// The first line is for the process that started the board (the lab):
	// where it listens and the board it runs, as data.
	fmt.Fprintln(stdout, lab.ReadyLine(lab.Ready{Addr: srv.Addr().String(), URL: srv.URL(), WS: srv.WSURL("/ws"),
		Stats: srv.StatsURL(), Board: b}))
	printBoard(stdout, srv, b.Link)
	if srv.TLSOn() {
		tf.printTLS(stdout, srv, tp, certPath)
	}
	if w := listenWarning(srv.Addr()); w != "" {
		fmt.Fprintln(stderr, w)
	}
	ctx, stop := interruptible()
	defer stop()
	interrupted := awaitBoard(ctx, srv.Done())
	err = srv.Close()
	if interrupted {
		fmt.Fprintln(stdout, "interrupted: the board stopped")
	}
	if err != nil {
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

func printBoard(w io.Writer, srv *host.Server, link host.Link) {
	c := srv.Config()
	f := srv.Footprint()
	fmt.Fprintf(w, "board %s listening on %s (WebSocket echo at %s)", c.Model, srv.URL(), srv.WSURL("/ws"))
	if u := srv.StatsURL(); u != "" {
		fmt.Fprintf(w, "; stats at %s", u)
	}
	fmt.Fprintf(w, "\nmemory: %s B", f.AppendSum(nil))
	if f.Budget > 0 {
		fmt.Fprintf(w, " (%s) of a %s budget", results.FormatBytes(int64(f.Total)), results.FormatBytes(int64(f.Budget)))
	}
	if f.QueueHeap > 0 {
		fmt.Fprintf(w, "\necho queue: %d messages per client, new ones dropped beyond; the queues share a heap: %s B (+%d B per message beyond its bytes)",
			c.QueueLen, f.AppendQueueHeap(nil), firmware.QueueMsgOverhead)
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
