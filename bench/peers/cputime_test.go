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
// medians and ranges of the paired ratios. The handshake's floor
// (floorUpgrade: read, SHA-1, base64, write) runs in the same rounds: its
// share of gobwas's time, and each side's overhead above it. It measures, it asserts nothing
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
	fc := &loopConn{out: make([]byte, 0, 512)}
	fu := newFloorUpgrade(fc, chromeRequest)
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
		floor  func(n int) // the work both share, where there is one
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
			},
			func(n int) {
				for range n {
					fc.reset(raw)
					fu.upgrade()
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
			}, nil},
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
			}, nil},
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
			}, nil},
	}
	const rounds = 30
	med := func(x []float64) float64 { return x[len(x)/2] }
	for _, p := range pairs {
		var g, w, f, r, fr, or []float64
		for range rounds {
			t0 := threadCPU()
			p.gobwas(p.n)
			t1 := threadCPU()
			p.wslab(p.n)
			t2 := threadCPU()
			g = append(g, float64(t1-t0)/float64(p.n))
			w = append(w, float64(t2-t1)/float64(p.n))
			r = append(r, float64(t2-t1)/float64(t1-t0))
			if p.floor != nil {
				p.floor(p.n)
				t3 := threadCPU()
				f = append(f, float64(t3-t2)/float64(p.n))
				fr = append(fr, float64(t3-t2)/float64(t1-t0))
				or = append(or, float64(t2-t1-(t3-t2))/float64(t1-t0-(t3-t2)))
			}
		}
		for _, x := range [][]float64{g, w, f, r, fr, or} {
			slices.Sort(x)
		}
		fmt.Printf("%-26s gobwas %7.1f ns  wslab %7.1f ns  (medians)  wslab/gobwas %.2f (%.2f..%.2f)\n",
			p.name, med(g), med(w), med(r), r[0], r[rounds-1])
		if p.floor != nil {
			fmt.Printf("%-26s floor %.1f ns = %.2f (%.2f..%.2f) of gobwas's time; above the floor wslab %.1f ns, gobwas %.1f ns: %.2f (%.2f..%.2f)\n",
				"", med(f), med(fr), fr[0], fr[rounds-1], med(w)-med(f), med(g)-med(f), med(or), or[0], or[rounds-1])
		}
	}
}
