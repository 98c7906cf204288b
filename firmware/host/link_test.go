//go:build linux

package host

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/internal/wstest"
)

// These tests check the link emulation against its own promise: they time
// transfers whose duration the emulated link sets (seconds at 2 Mbit/s),
// not the machine, so a loaded box does not move them by percents.

func linkBoard(t *testing.T, link Link, slots int) *Server {
	t.Helper()
	srv, err := Start(Options{Board: firmware.Config{Model: "link", Slots: slots, RxBuf: 4096, TxBuf: 16384,
		MaxMessage: 1 << 16}, Link: link})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// stream pulls count messages of size bytes from /ws/source and returns
// the wire bytes after the handshake and how long they took to arrive.
func stream(addr string, size, count int) (int, time.Duration, error) {
	c, err := wstest.Dial(addr, fmt.Sprintf("/ws/source?size=%d&count=%d", size, count), 30*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	start := time.Now()
	got := 0
	for {
		ev, err := c.Next(30 * time.Second)
		if err != nil {
			return 0, 0, err
		}
		if ev.Kind == core.EventMessage {
			got++
			continue
		}
		if ev.Kind == core.EventClose {
			break
		}
	}
	elapsed := time.Since(start)
	if got != count {
		return 0, 0, fmt.Errorf("got %d messages, want %d", got, count)
	}
	wire := count*core.FrameSize(size, false) + core.FrameSize(6, false) // the messages and the close "done"
	return wire, elapsed, nil
}

func TestLinkBandwidthAccuracy(t *testing.T) {
	for _, bps := range []int64{2e6, 20e6} {
		t.Run(fmt.Sprintf("%dMbit", bps/1e6), func(t *testing.T) {
			srv := linkBoard(t, Link{Bps: bps}, 4)
			// About 1.5 s of transfer at the link's rate.
			size := 16384
			count := int(bps * 3 / 2 / 8 / int64(size))
			wire, elapsed, err := stream(srv.Addr().String(), size, count)
			if err != nil {
				t.Fatal(err)
			}
			want := time.Duration(float64(wire) * 8 / float64(bps) * 1e9)
			off := float64(elapsed-want) / float64(want)
			t.Logf("%d B at %d bit/s: %v, expected %v (%+.2f%%)", wire, bps, elapsed.Round(time.Millisecond), want.Round(time.Millisecond), off*100)
			if math.Abs(off) > 0.05 {
				t.Fatalf("bulk transfer took %v, expected %v within 5%%", elapsed, want)
			}
		})
	}
}

func TestLinkSharedCap(t *testing.T) {
	const bps = 2e6
	srv := linkBoard(t, Link{Bps: bps}, 8)
	const conns, size, count = 4, 8192, 12 // 4 x 96 KiB: ~1.6 s at 2 Mbit/s
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	var mu sync.Mutex
	total := 0
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wire, _, err := stream(srv.Addr().String(), size, count)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			total += wire
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rate := float64(total) * 8 / elapsed.Seconds()
	t.Logf("%d connections moved %d B in %v: %.3f Mbit/s together on a %.1f Mbit/s link", conns, total, elapsed.Round(time.Millisecond), rate/1e6, bps/1e6)
	// The handshakes also cross the link, so the aggregate may fall a
	// little short of the cap; it must never exceed it.
	if rate > bps*1.05 || rate < bps*0.90 {
		t.Fatalf("aggregate %.3f Mbit/s, want the shared %.1f Mbit/s cap (+5%%/-10%%)", rate/1e6, bps/1e6)
	}
}

func medianEcho(t *testing.T, addr string, n int) time.Duration {
	t.Helper()
	c, err := wstest.Dial(addr, "/ws", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := []byte("ping-pong")
	d := make([]time.Duration, n)
	for i := range d {
		t0 := time.Now()
		if err := c.Echo(msg, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		d[i] = time.Since(t0)
	}
	sort.Slice(d, func(a, b int) bool { return d[a] < d[b] })
	return d[n/2]
}

func TestLinkDelayAccuracy(t *testing.T) {
	const rtt = 20 * time.Millisecond
	base := medianEcho(t, linkBoard(t, Link{}, 2).Addr().String(), 30)
	with := medianEcho(t, linkBoard(t, Link{RTT: int64(rtt)}, 2).Addr().String(), 30)
	added := with - base
	t.Logf("echo median %v without the link, %v with RTT %v: added %v", base, with, rtt, added)
	tol := rtt / 10
	if tol < 500*time.Microsecond {
		tol = 500 * time.Microsecond
	}
	if d := added - rtt; d > tol || d < -tol {
		t.Fatalf("added round trip %v, want %v within %v", added, rtt, tol)
	}
}
