//go:build linux

package host_test

import (
	"encoding/json"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// The steady state of a board allocates nothing: connections fill every
// slot, exchange 100,000 echoed messages of sizes 1 to 4096 bytes (most
// larger than the 1 KiB receive buffer, so they stream through the board
// piece by piece), some fragmented, with pings among them, and then
// connections close and reopen 1,000 times, by closing handshake, by an
// abrupt end and with a going-away code. The board runs in a process of its
// own (see TestMain), so runtime.MemStats.Mallocs, read from its /stats
// before and after, counts the board and nothing else.
//
// What the Go runtime itself may allocate in that process: the host does
// not use the net package's poller for connections or Go timers (raw
// epoll, timerfd and eventfd; only the loop's epoll descriptor is in the
// netpoller, registered once at start), so there are no per-connection
// pollDesc or timer objects; what is left is the runtime's own
// bookkeeping. When the child's main goroutine sits in read(2) on stdin, sysmon
// retakes their Ps and may start an OS thread (runtime.newm -> allocm: the
// m, its signal goroutine, a weak pointer and, with MemProfileRate 1, its
// profiling stacks), and a GC cycle's workers and the scavenger may
// allocate a sudog or grow the timer heap. The child runs one GC before it
// reports its address so the GC's worker goroutines exist before any
// measurement. Every allocation in the child is sampled (MemProfileRate 1)
// and reported with its stack, so the test tells the two apart: sites
// reached from the board's code (firmware, firmware/host, core, x/sys/unix)
// must number zero, and the Mallocs delta must not exceed the allocations
// the runtime made for itself.
//
// Measured on the 2-core Linux box (go1.26, 100,000 messages and 1,000
// reopens, 3-5 s): board-code allocations 0 in every run; Mallocs delta 0
// on an idle machine in most runs, 7-8 in others and under load, every one
// of them a runtime site (7 from newm/allocm started by sysmon's retake, 2
// from the GC's mark workers and the scavenger's timer). The client side
// (this process) allocates per connection it dials, never per message:
// 12-33 Mallocs over the 100,000 messages, for the 8 goroutines; the test
// checks that too.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	cfg := firmware.Config{
		Model: "steady", Slots: 8, RxBuf: 1024, TxBuf: 1024, MaxMessage: 4096,
		// No timeout may fire during the test: they are not steady state.
		HeaderTimeout: 600 * firmware.Second, IdleTimeout: 600 * firmware.Second,
		PingInterval: 600 * firmware.Second, PongTimeout: 600 * firmware.Second,
	}
	messages, reopens := 100_000, 1_000
	if testing.Short() {
		messages, reopens = 10_000, 100
	}
	b := startChildBoard(t, cfg)
	w := newSteadyWorkload(t, b.Addr, cfg)

	// Warm up: every slot used once, every size class echoed once.
	w.openAll()
	w.exchange(cfg.Slots * 200)
	w.reopen(cfg.Slots * 4)
	w.closeAll()

	b.snap()
	before := boardMallocs(t, b.Addr)
	start := time.Now()
	w.openAll()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	clientBefore := ms.Mallocs
	w.exchange(messages)
	runtime.ReadMemStats(&ms)
	clientMallocs := ms.Mallocs - clientBefore
	exchanged := time.Since(start)
	w.reopen(reopens)
	w.closeAll()
	after := boardMallocs(t, b.Addr)
	t.Logf("%d messages over %d connections in %v, %d reopens in %v", messages, cfg.Slots,
		exchanged.Round(time.Millisecond), reopens, (time.Since(start) - exchanged).Round(time.Millisecond))

	var boardSites, runtimeSites []allocSite
	var runtimeN int64
	for _, s := range b.diff() {
		switch classify(s) {
		case "board":
			boardSites = append(boardSites, s)
		case "runtime":
			runtimeSites = append(runtimeSites, s)
			runtimeN += s.N
		}
	}
	delta := int64(after - before)
	t.Logf("board process Mallocs: %d before, %d after: delta %d; runtime-internal allocations %d at %d sites",
		before, after, delta, runtimeN, len(runtimeSites))
	for _, s := range runtimeSites {
		t.Logf("runtime allocation x%d:\n\t%s", s.N, strings.Join(s.Frames, "\n\t"))
	}
	for _, s := range boardSites {
		t.Errorf("the board allocated %d times at:\n\t%s", s.N, strings.Join(s.Frames, "\n\t"))
	}
	if delta > runtimeN {
		t.Errorf("board process Mallocs grew by %d during the steady phase; the runtime accounts for %d", delta, runtimeN)
	}
	t.Logf("client process Mallocs during the %d messages: %d", messages, clientMallocs)
	// The client goroutines themselves cost a few allocations; a per-message
	// allocation would cost at least one per message.
	if clientMallocs > uint64(messages/100) {
		t.Errorf("the test client allocated %d times for %d messages", clientMallocs, messages)
	}
}

// classify says whose an allocation site is: "harness" for the child's own
// reporting code, "runtime" for the runtime allocating for itself
// (threads, goroutines), "board" for anything else.
func classify(s allocSite) string {
	for _, f := range s.Frames {
		fn, _, _ := strings.Cut(f, " ")
		if strings.HasPrefix(fn, "github.com/wslab/wslab/firmware/host_test.") || strings.HasPrefix(fn, "testing.") {
			return "harness"
		}
	}
	for _, f := range s.Frames {
		fn, _, _ := strings.Cut(f, " ")
		switch fn {
		case "runtime.allocm", "runtime.malg", "runtime.newproc1", "runtime.mcommoninit", "runtime.gcBgMarkStartWorkers":
			return "runtime"
		}
	}
	for _, f := range s.Frames {
		fn, _, _ := strings.Cut(f, " ")
		if !strings.HasPrefix(fn, "runtime.") && !strings.HasPrefix(fn, "internal/runtime") {
			return "board"
		}
	}
	return "runtime"
}

// boardMallocs reads heap.mallocs from the board's /stats.
func boardMallocs(t testing.TB, addr string) uint64 {
	t.Helper()
	r := get(t, addr, "/stats")
	if r.Status != 200 {
		t.Fatalf("/stats: %d %s", r.Status, r.Body)
	}
	var st struct {
		Heap struct{ Mallocs uint64 }
	}
	if err := json.Unmarshal(r.Body, &st); err != nil || st.Heap.Mallocs == 0 {
		t.Fatalf("/stats: %v in %s", err, r.Body)
	}
	return st.Heap.Mallocs
}

// steadyWorkload drives the steady-state phase: one client per slot, fixed
// buffers, a deterministic mix of sizes, opcodes and fragmentations.
type steadyWorkload struct {
	t     *testing.T
	addr  string
	conns []*wsClient
	keys  *core.MaskGen
	sizes [1024]int
	text  []byte // printable ASCII, so any slice is valid UTF-8
	bin   []byte
	next  int // the message counter, so reopen continues the mix
}

func newSteadyWorkload(t *testing.T, addr string, cfg firmware.Config) *steadyWorkload {
	w := &steadyWorkload{t: t, addr: addr, conns: make([]*wsClient, cfg.Slots), keys: core.NewMaskGen(42)}
	g := core.NewMaskGen(7)
	for i := range w.sizes {
		w.sizes[i] = 1 + int(g.Uint64()%uint64(cfg.MaxMessage))
	}
	// The length-form boundaries, the receive buffer's size and the cap.
	copy(w.sizes[:], []int{1, 125, 126, 127, 128, 1023, 1024, 1025, 2048, 4095, cfg.MaxMessage})
	w.text = payload(2*cfg.MaxMessage, true)
	w.bin = payload(2*cfg.MaxMessage, false)
	return w
}

func (w *steadyWorkload) dial() *wsClient {
	// Each connection its own mask generator: they run in parallel.
	c, err := tryDialWS(w.addr, "/ws", len(w.text)/2, core.NewMaskGen(w.keys.Uint64()))
	if err != nil {
		w.t.Fatalf("dial: %v", err)
	}
	c.t = w.t
	return c
}

func (w *steadyWorkload) openAll() {
	for i := range w.conns {
		w.conns[i] = w.dial()
	}
}

// message returns the i-th message of the mix and how many frames to send
// it in; every 97th is preceded by a ping.
func (w *steadyWorkload) message(i int) (op core.Opcode, p []byte, frags int, ping bool) {
	n := w.sizes[i%len(w.sizes)]
	off := (i * 31) % (len(w.text) - n)
	op, p = core.OpBinary, w.bin[off:off+n]
	if i%3 == 0 {
		op, p = core.OpText, w.text[off:off+n]
	}
	frags = 1
	if i%7 == 0 {
		frags = 3
	}
	return op, p, frags, i%97 == 0
}

// exchange sends total messages spread over the open connections, one
// goroutine per connection, each waiting for its echo before the next.
func (w *steadyWorkload) exchange(total int) {
	var wg sync.WaitGroup
	errs := make(chan error, len(w.conns))
	base := w.next
	for k, c := range w.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.conn.SetDeadline(time.Now().Add(10 * time.Minute))
			for i := base + k; i < base+total; i += len(w.conns) {
				op, p, frags, ping := w.message(i)
				if ping {
					if err := c.ping(p[:min(len(p), 125)]); err != nil {
						errs <- err
						return
					}
				}
				if err := c.echo(op, p, frags); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	w.next += total
	close(errs)
	for err := range errs {
		w.t.Fatalf("echo: %v", err)
	}
}

// reopen closes and reopens connections n times, round robin over the
// slots, each time in one of three ways, and echoes a message on each new
// connection.
func (w *steadyWorkload) reopen(n int) {
	for j := 0; j < n; j++ {
		k := j % len(w.conns)
		c := w.conns[k]
		switch j % 3 {
		case 0:
			c.closeNormally()
		case 1:
			// An abrupt end: no close frame, just the TCP FIN; the board
			// answers by closing its side.
			c.conn.(*net.TCPConn).CloseWrite()
			c.expectEOF()
			c.conn.Close()
		case 2:
			if err := c.sendFrame(true, core.OpClose, closePayload(1001, "going away")); err != nil {
				w.t.Fatal(err)
			}
			c.expectClose(core.CloseGoingAway)
			c.conn.Close()
		}
		c = w.dial()
		w.conns[k] = c
		op, p, frags, _ := w.message(w.next)
		w.next++
		if err := c.echo(op, p, frags); err != nil {
			w.t.Fatalf("echo after reopen %d: %v", j, err)
		}
	}
}

func (w *steadyWorkload) closeAll() {
	for _, c := range w.conns {
		c.closeNormally()
	}
}
