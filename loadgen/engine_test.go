//go:build linux

package loadgen

import (
	"github.com/wslab/wslab/internal/testenv"
	"github.com/wslab/wslab/internal/wstest"

	"bytes"
	"context"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/results"
)

// A target with nothing listening gives a clear error at once, not a hang.
func TestRefusedTarget(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	r, err := Run(context.Background(), Spec{Target: "ws://" + addr + "/ws", Conns: 4, Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if r == nil || r.Errors["refused"] != 4 || r.Counts.ConnsRefused != 4 || r.Counts.MsgsSent != 0 {
		t.Fatalf("run %+v", r)
	}
}

// A server that accepts and never answers fails the handshake by the dial
// timeout.
func TestHandshakeTimeout(t *testing.T) {
	addr := wstest.SilentServer(t)
	r, err := Run(context.Background(), Spec{Target: "ws://" + addr + "/ws", Conns: 3,
		Duration: time.Second, DialTimeout: 200 * time.Millisecond, StatsURL: "-"})
	if err == nil || r == nil || r.Errors["hung"] != 3 || r.Counts.ConnsRefused != 3 {
		t.Fatalf("err = %v, run %+v", err, r)
	}
	if r.Board.Model != "real" {
		t.Errorf("board model %q without /stats", r.Board.Model)
	}
}

// Client sockets move over source addresses: after ConnsPerAddr, or from
// the caller's list.
func TestSourceAddresses(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	seen := map[string]int{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			seen[c.RemoteAddr().(*net.TCPAddr).IP.String()]++
			mu.Unlock()
			c.Close()
		}
	}()
	target := "ws://" + l.Addr().String() + "/ws"
	for _, tc := range []struct {
		spec Spec
		want map[string]int
	}{
		{Spec{Conns: 6, ConnsPerAddr: 2}, map[string]int{"127.0.0.1": 2, "127.0.0.2": 2, "127.0.0.3": 2}},
		{Spec{Conns: 4, ConnsPerAddr: 2, LocalAddrs: []string{"127.0.0.7", "127.0.0.9"}}, map[string]int{"127.0.0.7": 2, "127.0.0.9": 2}},
	} {
		mu.Lock()
		clear(seen)
		mu.Unlock()
		sp := tc.spec
		sp.Target, sp.Scenario, sp.StatsURL, sp.Workers = target, Connect, "-", 1
		r, _ := Run(context.Background(), sp)
		if r == nil || r.Counts.ConnsAttempted != int64(sp.Conns) {
			t.Fatalf("run %+v", r)
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			mu.Lock()
			n := 0
			for _, v := range seen {
				n += v
			}
			got := len(seen)
			mu.Unlock()
			if n == sp.Conns || time.Now().After(deadline) {
				_ = got
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		mu.Lock()
		if len(seen) != len(tc.want) {
			t.Errorf("%+v: sources %v, want %v", sp.LocalAddrs, seen, tc.want)
		}
		for ip, n := range tc.want {
			if seen[ip] != n {
				t.Errorf("%+v: sources %v, want %v", sp.LocalAddrs, seen, tc.want)
				break
			}
		}
		mu.Unlock()
	}
}

// Two shards together make one run: counts add and histograms merge.
func TestShardsMerge(t *testing.T) {
	srv := board(t, firmware.Config{})
	var wg sync.WaitGroup
	runs := make([]*results.Run, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i], errs[i] = Run(context.Background(), Spec{Target: srv.WSURL("/ws"), Scenario: Rate, Conns: 9, Rate: 1000,
				Duration: time.Second, Shard: results.Shard{Index: i, Count: 2}})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	if runs[0].Counts.ConnsOpened != 5 || runs[1].Counts.ConnsOpened != 4 {
		t.Errorf("shards opened %d and %d connections of 9", runs[0].Counts.ConnsOpened, runs[1].Counts.ConnsOpened)
	}
	m, err := results.MergeShards(runs)
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts.MsgsSent != 1000 || m.Counts.MsgsReceived != 1000 {
		t.Errorf("merged counts %+v, want 1000 messages at 1000/s for 1 s", m.Counts)
	}
	if h := m.Hist(results.HistLatency); h.Count() != runs[0].Hist(results.HistLatency).Count()+runs[1].Hist(results.HistLatency).Count() {
		t.Errorf("merged histogram holds %d", h.Count())
	}
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		testenv.SkipOrFail(t, "no /proc/self/fd")
	}
	return len(ents)
}

// Run can be called many times in one process: it leaves no goroutine or
// socket behind.
func TestRunCleansUp(t *testing.T) {
	srv := board(t, firmware.Config{})
	run(t, Spec{Target: srv.WSURL("/ws"), Conns: 4, Duration: 100 * time.Millisecond}) // warm up
	time.Sleep(50 * time.Millisecond)
	g0, f0 := runtime.NumGoroutine(), openFDs(t)
	for _, sc := range []string{Echo, Rate, Stream, Connect, Churn, HTTP} {
		sp := Spec{Target: srv.WSURL("/ws"), Scenario: sc, Conns: 4, Duration: 200 * time.Millisecond, Rate: 400, Count: 40}
		if sc == Stream || sc == Churn {
			sp.Duration = 0
		}
		if sc == HTTP {
			sp.Count = 0
		}
		if scenarioOf(sc).pace == paceNever {
			sp.Rate = 0 // refused where it means nothing
		}
		run(t, sp)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFDs(t)
		if g <= g0 && f <= f0 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutines %d -> %d, fds %d -> %d\n%s", g0, g, f0, f, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A run is bounded by its Timeout even when its count would take forever:
// it stops, says so, and still accounts for every message.
func TestTimeoutBounds(t *testing.T) {
	srv := board(t, firmware.Config{})
	r, err := Run(context.Background(), Spec{Target: srv.WSURL("/ws"), Scenario: Echo, Conns: 2, Count: 1 << 40, Timeout: 300 * time.Millisecond})
	if err == nil || r == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "stopped early") || r.Counts.MsgsSent == 0 {
		t.Errorf("notes %q counts %+v", r.Notes, r.Counts)
	}
	if r.Counts.MsgsSent != r.Counts.MsgsReceived+msgErrors(r) {
		t.Errorf("counts %+v errors %v", r.Counts, r.Errors)
	}
}

// The live line shows each interval.
func TestProgressLine(t *testing.T) {
	srv := board(t, firmware.Config{})
	var buf bytes.Buffer
	var mu sync.Mutex
	run(t, Spec{Target: srv.WSURL("/ws"), Conns: 2, Duration: 600 * time.Millisecond, Interval: 200 * time.Millisecond,
		Progress: writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })})
	out := buf.String()
	if strings.Count(out, "\r") < 3 || !strings.Contains(out, "msgs/s") || !strings.Contains(out, "p99") || !strings.Contains(out, "board heap") {
		t.Errorf("progress %q", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A message over the board's cap closes the connection with 1009: counted
// by code, and its messages as lost.
func TestCloseCodeCounted(t *testing.T) {
	srv := board(t, firmware.Config{MaxMessage: 1000})
	r, err := Run(context.Background(), Spec{Target: srv.WSURL("/ws"), Scenario: Echo, Conns: 3, Size: 2000, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	logRun(t, r)
	if r.Errors["close 1009"] != 3 || r.Counts.ConnsDropped != 3 || r.Counts.MsgsSent != r.Counts.MsgsReceived+msgErrors(r) || r.Errors["lost"] != 3 {
		t.Errorf("counts %+v errors %v", r.Counts, r.Errors)
	}
}

// The address pool moves on when an address runs out of ports, extending
// over 127.0.0.x for loopback, and says when a given list is used up.
func TestAddrPool(t *testing.T) {
	lo := &target{ip: net.IPv4(127, 0, 0, 1).To4(), loopback: true}
	p, err := newAddrPool(&Spec{}, lo)
	if err != nil {
		t.Fatal(err)
	}
	i, ok := p.get()
	if !ok || i != 0 || !p.ip(0).Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("first address %d %v", i, p.ip(i))
	}
	if !p.exhausted(0) {
		t.Fatal("no address after 127.0.0.1")
	}
	if i, _ := p.get(); !p.ip(i).Equal(net.IPv4(127, 0, 0, 2)) {
		t.Errorf("next address %v", p.ip(i))
	}
	p, err = newAddrPool(&Spec{LocalAddrs: []string{"127.0.0.5"}}, lo)
	if err != nil {
		t.Fatal(err)
	}
	if i, ok := p.get(); !ok || !p.ip(i).Equal(net.IPv4(127, 0, 0, 5)) || p.exhausted(i) {
		t.Errorf("a one-address list: %v %v", p.ip(i), ok)
	}
	if _, ok := p.get(); ok {
		t.Error("an address after the list ran out")
	}
	if _, err := newAddrPool(&Spec{LocalAddrs: []string{"nope"}}, lo); err == nil {
		t.Error("a bad address was accepted")
	}
}

// Thousands of connections from one process.
func TestManyConnections(t *testing.T) {
	const n = 2000
	srv := board(t, firmware.Config{Slots: n, RxBuf: 512, TxBuf: 512, MaxMessage: 256})
	r := run(t, Spec{Target: srv.WSURL("/ws"), Scenario: Connect, Conns: n, Hold: 200 * time.Millisecond})
	if r.Counts.ConnsOpened != n || r.ErrorsTotal() != 0 {
		t.Errorf("counts %+v errors %v", r.Counts, r.Errors)
	}
	t.Log(r.Notes)
}

// A server that accepts an extension the client never offered
// (permessage-deflate) gets the connection failed (RFC 6455 4.1), not
// frames read as if uncompressed.
func TestUnofferedExtension(t *testing.T) {
	for _, extra := range []string{"Sec-WebSocket-Extensions: permessage-deflate", "sec-websocket-protocol: chat"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					buf := make([]byte, 4096)
					n, _ := c.Read(buf)
					var key []byte
					for _, line := range bytes.Split(buf[:n], []byte("\r\n")) {
						if k, ok := bytes.CutPrefix(line, []byte("Sec-WebSocket-Key: ")); ok {
							key = k
						}
					}
					acc := core.AcceptKey(key)
					c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
						"Sec-WebSocket-Accept: " + string(acc[:]) + "\r\n" + extra + "\r\n\r\n"))
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
					}
				}()
			}
		}()
		r, err := Run(context.Background(), Spec{Target: "ws://" + l.Addr().String() + "/ws", Conns: 2,
			Duration: 300 * time.Millisecond, StatsURL: "-"})
		l.Close()
		if err == nil || r == nil || r.Errors["handshake extension"] != 2 || r.Counts.ConnsOpened != 0 {
			t.Errorf("%s: err = %v, run %+v", extra, err, r)
		}
	}
}
