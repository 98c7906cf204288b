package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

func init() {
	register("board", "run an emulated board (the firmware on Linux) until SIGINT/SIGTERM", runBoard)
}

// boardFlags are the flags that configure a board; the lab's commands share them.
type boardFlags struct {
	slots, rx, tx, maxMsg, maxUpload, budget, queue int
	failMode                                        string
	headerTimeout, idleTimeout, pingInterval        time.Duration
	linkBps                                         int64
	linkRTT                                         time.Duration
}

func (f *boardFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.slots, "slots", 8, "connection slots")
	fs.IntVar(&f.rx, "rx", 2048, "per-slot receive buffer, bytes")
	fs.IntVar(&f.tx, "tx", 2048, "per-slot transmit buffer, bytes")
	fs.IntVar(&f.maxMsg, "max-message", 16384, "largest WebSocket message, bytes (larger closes with 1009)")
	fs.IntVar(&f.maxUpload, "max-upload", 1<<20, "largest file upload, bytes (larger is 413)")
	fs.IntVar(&f.budget, "budget", 0, "heap budget for the board's buffers, bytes (0: unchecked)")
	fs.IntVar(&f.queue, "queue", 0, "echo queue length; a full queue drops new messages (0: back-pressure instead)")
	fs.StringVar(&f.failMode, "fail", "503", "how a full board refuses: 503, accept-close or reset")
	fs.DurationVar(&f.headerTimeout, "header-timeout", 5*time.Second, "a request head must arrive within this (slowloris)")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", 30*time.Second, "idle HTTP connections close after this")
	fs.DurationVar(&f.pingInterval, "ping-interval", 20*time.Second, "idle WebSocket clients are pinged after this")
	fs.Int64Var(&f.linkBps, "link-bps", 0, "emulated link bandwidth shared by all connections, bit/s (0: off)")
	fs.DurationVar(&f.linkRTT, "link-rtt", 0, "emulated round-trip delay added to the board's output")
}

func (f *boardFlags) config() (firmware.Config, error) {
	fm, ok := firmware.ParseFailMode(f.failMode)
	if !ok {
		return firmware.Config{}, fmt.Errorf("unknown -fail %q: want 503, accept-close or reset", f.failMode)
	}
	return firmware.Config{
		Model: "custom", Slots: f.slots, RxBuf: f.rx, TxBuf: f.tx, MaxMessage: f.maxMsg,
		MaxUpload: f.maxUpload, HeapBudget: f.budget, QueueLen: f.queue, FailMode: fm,
		HeaderTimeout: int64(f.headerTimeout), IdleTimeout: int64(f.idleTimeout),
		PingInterval: int64(f.pingInterval),
	}, nil
}

func runBoard(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab board", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var bf boardFlags
	bf.register(fs)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	store := fs.String("store", "", "directory for uploaded files (default: a temporary one)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := bf.config()
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 2
	}
	srv, err := host.Start(host.Options{Board: cfg, Listen: *listen, StoreDir: *store,
		Link: host.Link{Bps: bf.linkBps, RTT: int64(bf.linkRTT)}})
	if err != nil {
		fmt.Fprintln(stderr, "wslab board:", err)
		return 1
	}
	printBoard(stdout, srv)
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

func printBoard(w io.Writer, srv *host.Server) {
	c := srv.Config()
	f := srv.Footprint()
	fmt.Fprintf(w, "board %s listening on %s (WebSocket echo at %s)\n", c.Model, srv.URL(), srv.WSURL("/ws"))
	fmt.Fprintf(w, "memory: %d slots x (%d rx + %d tx + bookkeeping) + %d fixed = %d B", f.Slots, f.Rx, f.Tx, f.Fixed, f.Total)
	if f.Budget > 0 {
		fmt.Fprintf(w, " of a %d B budget", f.Budget)
	}
	fmt.Fprintf(w, "\nfiles in %s; stop with Ctrl-C\n", srv.StoreDir())
}
