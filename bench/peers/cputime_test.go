//go:build linux

package peers

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"unsafe"

	"github.com/gobwas/ws"
	"github.com/wslab/wslab/core"
)

// threadCPU is the calling thread's CPU time in nanoseconds
// (CLOCK_THREAD_CPUTIME_ID): time the thread spent descheduled on a busy
// machine does not count, which wall-clock benchmarks cannot say.
func threadCPU() int64 {
	const clockThreadCPUTime = 3
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// TestCPUTimeRatios measures the four figures of issue 16 (handshake, 64 B
// echo, 7-bit header parse and append) in thread CPU time, wslab and
// gobwas's zero-allocation path alternating in 30 rounds, and prints the
// medians and ranges of the paired ratios. It measures, it asserts nothing
// (speed lives in benchmarks): run it with PEERS_CPUTIME=1 and -v.
func TestCPUTimeRatios(t *testing.T) {
	if os.Getenv("PEERS_CPUTIME") == "" {
		t.Skip("set PEERS_CPUTIME=1 to measure")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	raw := []byte(chromeRequest)
	gc, wc := &loopConn{out: make([]byte, 0, 512)}, &loopConn{out: make([]byte, 0, 512)}
	wu := newWslabUpgrade(wc)
	gec, wec := &loopConn{out: make([]byte, 0, 512)}, &loopConn{out: make([]byte, 0, 512)}
	ge, we := gobwasEcho(gec), wslabEcho(wec)
	gec.reset(echoFrame)
	wec.reset(echoFrame)
	unmasked := core.AppendHeader(nil, core.Header{Fin: true, Op: core.OpBinary, Length: 125})
	br := bytes.NewReader(unmasked)
	hbuf := make([]byte, ws.MaxHeaderSize)
	var gout bytes.Buffer
	gout.Grow(ws.MaxHeaderSize)
	wout := make([]byte, 0, core.MaxHeaderSize)
	gh, wh := gobwasHeader(125), coreHeader(125)

	// Each pair runs its loops written out, so that no call through a
	// function value is added to either side.
	pairs := []struct {
		name   string
		n      int
		gobwas func(n int)
		wslab  func(n int)
	}{
		{"ServerHandshake", 2000,
			func(n int) {
				for range n {
					gc.reset(raw)
					ws.Upgrade(gc)
				}
			},
			func(n int) {
				for range n {
					wc.reset(raw)
					wu.upgrade()
				}
			}},
		{"Echo64", 20000,
			func(n int) {
				for range n {
					gec.out = gec.out[:0]
					ge()
				}
			},
			func(n int) {
				for range n {
					wec.out = wec.out[:0]
					we()
				}
			}},
		{"HeaderParse/7bit/unmasked", 100000,
			func(n int) {
				for range n {
					br.Reset(unmasked)
					ws.ReadHeaderBuffer(br, hbuf)
				}
			},
			func(n int) {
				for range n {
					core.ParseHeader(unmasked)
				}
			}},
		{"HeaderWrite/7bit/masked", 100000,
			func(n int) {
				for range n {
					gout.Reset()
					ws.WriteHeaderBuffer(&gout, gh, hbuf)
				}
			},
			func(n int) {
				for range n {
					wout = core.AppendHeader(wout[:0], wh)
				}
			}},
	}
	const rounds = 30
	for _, p := range pairs {
		var g, w, r []float64
		for range rounds {
			t0 := threadCPU()
			p.gobwas(p.n)
			t1 := threadCPU()
			p.wslab(p.n)
			t2 := threadCPU()
			g = append(g, float64(t1-t0)/float64(p.n))
			w = append(w, float64(t2-t1)/float64(p.n))
			r = append(r, float64(t2-t1)/float64(t1-t0))
		}
		slices.Sort(g)
		slices.Sort(w)
		slices.Sort(r)
		fmt.Printf("%-26s gobwas %7.1f ns  wslab %7.1f ns  (medians)  wslab/gobwas %.2f (%.2f..%.2f)\n",
			p.name, g[rounds/2], w[rounds/2], r[rounds/2], r[0], r[rounds-1])
	}
}
