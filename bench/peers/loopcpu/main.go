// Command loopcpu is the helper of bench/peers/loopcpu.sh, which measures
// the emulated board's event loop against gobwas in one run (issue 16
// item 2) and the load generator against a plain Go client (item 3):
//
//	loopcpu -mode gobwas -addr A       a gobwas echo server, goroutine per
//	                                   connection on the net poller, on
//	                                   gobwas's zero-allocation path
//	                                   (ReadHeaderBuffer, WriteHeaderBuffer)
//	loopcpu -mode client -addr A       a plain Go closed-loop client: -conns
//	                                   connections echo -size B for -d, and
//	                                   it prints the messages answered
//	loopcpu -mode cpu -pid P           the CPU time process P has used, ns
//	                                   (the sum of its threads' schedstat)
//	loopcpu -mode floor -d 3s          the scheduler's floor for a pacer: a
//	                                   thread that spins to every due time of
//	                                   5,000/s and prints how late it saw
//	                                   them (what the machine's scheduler
//	                                   allows any pacer on that core)
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
)

func main() {
	mode := flag.String("mode", "client", "gobwas, client, cpu or floor")
	addr := flag.String("addr", "127.0.0.1:9100", "server address")
	path := flag.String("path", "/ws", "WebSocket path")
	conns := flag.Int("conns", 16, "client connections")
	size := flag.Int("size", 64, "client message size, bytes")
	dur := flag.Duration("d", 4*time.Second, "client or floor duration")
	pid := flag.Int("pid", 0, "process for -mode cpu")
	rate := flag.Float64("rate", 5000, "due times per second for -mode floor")
	flag.Parse()
	var err error
	switch *mode {
	case "gobwas":
		err = serve(*addr)
	case "client":
		var n int64
		if n, err = client(*addr, *path, *conns, *size, *dur); err == nil {
			fmt.Println(n)
		}
	case "cpu":
		var ns int64
		if ns, err = procCPU(*pid); err == nil {
			fmt.Println(ns)
		}
	case "floor":
		floor(*dur, *rate)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loopcpu:", err)
		os.Exit(1)
	}
}

// procCPU sums the run time of every thread of process pid.
func procCPU(pid int) (int64, error) {
	ms, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if len(ms) == 0 {
		return 0, fmt.Errorf("no process %d", pid)
	}
	var t int64
	for _, m := range ms {
		b, err := os.ReadFile(m)
		if err != nil {
			continue // a thread that ended
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			v, _ := strconv.ParseInt(f[0], 10, 64)
			t += v
		}
	}
	return t, nil
}

func serve(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go echo(c)
	}
}

// echo answers every message with one write of header and payload.
func echo(c net.Conn) {
	defer c.Close()
	if _, err := ws.Upgrade(c); err != nil {
		return
	}
	br := bufio.NewReaderSize(c, 4096)
	hbuf := make([]byte, ws.MaxHeaderSize)
	var out bytes.Buffer
	out.Grow(4096 + ws.MaxHeaderSize)
	payload := make([]byte, 4096)
	for {
		h, err := ws.ReadHeaderBuffer(br, hbuf)
		if err != nil || h.Length > int64(len(payload)) || h.OpCode == ws.OpClose {
			return
		}
		p := payload[:h.Length]
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		out.Reset()
		if err := ws.WriteHeaderBuffer(&out, ws.Header{Fin: true, OpCode: h.OpCode, Length: h.Length}, hbuf); err != nil {
			return
		}
		out.Write(p)
		if _, err := c.Write(out.Bytes()); err != nil {
			return
		}
	}
}

// client runs conns closed-loop echo connections for d and returns the
// messages answered.
func client(addr, path string, conns, size int, d time.Duration) (int64, error) {
	var total atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	stop := time.Now().Add(d)
	for range conns {
		c, _, _, err := ws.Dial(context.Background(), "ws://"+addr+path)
		if err != nil {
			return 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			mask := [4]byte{1, 2, 3, 4}
			var frame bytes.Buffer
			hbuf := make([]byte, ws.MaxHeaderSize)
			_ = ws.WriteHeaderBuffer(&frame, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: int64(size), Masked: true, Mask: mask}, hbuf)
			p := make([]byte, size)
			ws.Cipher(p, mask, 0)
			frame.Write(p)
			br := bufio.NewReaderSize(c, 4096)
			rb := make([]byte, size)
			var n int64
			for time.Now().Before(stop) {
				for range 100 {
					_, err := c.Write(frame.Bytes())
					var h ws.Header
					if err == nil {
						h, err = ws.ReadHeaderBuffer(br, hbuf)
					}
					if err == nil && h.Length != int64(size) {
						err = fmt.Errorf("answer of %d B, want %d", h.Length, size)
					}
					if err == nil {
						_, err = io.ReadFull(br, rb)
					}
					if err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
						total.Add(n)
						return
					}
					n++
				}
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	return total.Load(), firstErr
}

// floor spins to every due time of rate per second for d and prints the
// distribution of how late the thread saw them.
func floor(d time.Duration, rate float64) {
	every := time.Duration(float64(time.Second) / rate)
	start := time.Now().Add(time.Millisecond)
	var late []time.Duration
	for k := 0; ; k++ {
		due := start.Add(time.Duration(k) * every)
		if due.Sub(start) > d {
			break
		}
		for time.Now().Before(due) {
		}
		late = append(late, time.Since(due))
	}
	slices.Sort(late)
	q := func(p float64) time.Duration { return late[int(p*float64(len(late)-1))].Round(time.Microsecond) }
	fmt.Printf("scheduler floor (a thread spinning to each due time): p50 %v p90 %v p99 %v p99.9 %v max %v (n=%d)\n",
		q(.5), q(.9), q(.99), q(.999), late[len(late)-1].Round(time.Microsecond), len(late))
}
