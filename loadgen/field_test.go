//go:build linux

package loadgen

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/results"
)

// fieldRun runs a field scenario and returns its record and answer.
func fieldRun(t *testing.T, spec Spec) (string, *results.Run) {
	t.Helper()
	r := run(t, spec)
	a := Answer(r)
	t.Logf("%s: %s", spec.Scenario, a)
	for _, n := range r.Notes {
		t.Logf("note: %s", n)
	}
	if a == "" {
		t.Fatalf("no answer in %q", r.Notes)
	}
	return a, r
}

func TestFieldBrowser(t *testing.T) {
	// A roomy board opens the page for every user, Chromium and Firefox
	// headers alike, and declines permessage-deflate.
	srv := board(t, firmware.Config{Slots: 32})
	a, r := fieldRun(t, Spec{Target: srv.WSURL("/ws"), Scenario: Browser, Conns: 4, DialTimeout: 2 * time.Second})
	if a != "page opens at once for all 4 users tried" {
		t.Errorf("answer %q", a)
	}
	if r.Counts.ConnsOpened != 4 || r.Errors["handshake extension"] != 0 {
		t.Errorf("counts %+v errors %v", r.Counts, r.Errors)
	}
	if pages := r.Scenario.Params["pages"]; strings.Count(pages, ":ok") != 4 || !strings.HasPrefix(pages, "Chromium:") {
		t.Errorf("pages for the plot %q", pages)
	}
	// A 7-socket board (libesphttpd): one user's six connections and
	// WebSocket take every socket; the second user cannot get in.
	srv7 := board(t, firmware.Config{Slots: 7, FailMode: firmware.FailReset, IdleTimeout: 60 * firmware.Second})
	a, _ = fieldRun(t, Spec{Target: srv7.WSURL("/ws"), Scenario: Browser, Conns: 4, DialTimeout: time.Second})
	if !strings.HasPrefix(a, "page opens at once for 1 user; the 2nd (Firefox) fails") {
		t.Errorf("answer %q", a)
	}
	// The same board closing idle keep-alive connections after 300 ms:
	// the second user waits for them.
	srvIdle := board(t, firmware.Config{Slots: 7, FailMode: firmware.FailReset, IdleTimeout: 300 * firmware.Millisecond})
	a, _ = fieldRun(t, Spec{Target: srvIdle.WSURL("/ws"), Scenario: Browser, Conns: 2, DialTimeout: 3 * time.Second})
	if !strings.HasPrefix(a, "page opens at once for 1 user; the 2nd (Firefox) waits") {
		t.Errorf("answer %q", a)
	}
}

func TestFieldLadder(t *testing.T) {
	// A board that echoes every size up to its cap, split anywhere.
	srv := board(t, firmware.Config{RxBuf: 2048, TxBuf: 2048, MaxMessage: 4096})
	a, r := fieldRun(t, Spec{Target: srv.WSURL("/ws"), Scenario: Ladder})
	if a != "first failing size 4097 B: close 1009 (every size up to 4096 B echoed)" {
		t.Errorf("answer %q", a)
	}
	if r.Counts.MsgsReceived < 200 {
		t.Errorf("only %d echoes: the ladder skipped rungs", r.Counts.MsgsReceived)
	}
	// A board capped at 1000 B: the ladder's first failing size is 1001,
	// with the board's close 1009, below every MSS rung.
	small := board(t, firmware.Config{RxBuf: 1024, TxBuf: 1024, MaxMessage: 1000})
	a, r = fieldRun(t, Spec{Target: small.WSURL("/ws"), Scenario: Ladder})
	if a != "first failing size 1001 B: close 1009 (every size up to 1000 B echoed)" {
		t.Errorf("answer %q", a)
	}
	if r.Errors["close 1009"] == 0 {
		t.Errorf("errors %v", r.Errors)
	}
	// The record has every rung for the plot, the first failing marked.
	if p := r.Scenario.Params; p["first_failing"] != "1001" || !strings.Contains(p["rungs"], "|1000:") || !strings.HasSuffix(p["rungs"], "|1001:-1:whole: close 1009") {
		t.Errorf("rungs %q, first failing %q", p["rungs"], p["first_failing"])
	}
}

// linkBoard starts a board behind an emulated link.
func linkBoard(t *testing.T, cfg firmware.Config, link host.Link) *host.Server {
	t.Helper()
	cfg.Model = "test-link"
	if cfg.Slots == 0 {
		cfg.Slots = 8
	}
	cfg.RxBuf, cfg.TxBuf = 4096, 4096
	srv, err := host.Start(host.Options{Board: cfg, Listen: "127.0.0.1:0", Link: link})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestFieldNoDrop(t *testing.T) {
	// Two boards behind the same 40 ms link: one applies back-pressure,
	// one drops echoes once two wait in its queue (the AsyncWebSocket
	// policy). The dropping board's highest rate without drops is lower
	// (or none: a loaded machine's pacer may catch up in a burst even at
	// the first rate), and its drops are found in its queue. The latency
	// bound is wide (300 ms over a 40 ms link), so a loaded machine's
	// pauses do not fail the low rates' steps: their drops do.
	link := host.Link{RTT: int64(40 * time.Millisecond)}
	spec := Spec{Scenario: NoDrop, Conns: 1, Size: 64, Rate: 25, Duration: 2 * time.Second, LatencyBound: 300 * time.Millisecond}
	spec.Target = linkBoard(t, firmware.Config{}, link).WSURL("/ws")
	a, r := fieldRun(t, spec)
	good := r.Scenario.Rate
	spec.Target = linkBoard(t, firmware.Config{QueueLen: 2}, link).WSURL("/ws")
	a2, r2 := fieldRun(t, spec)
	bad := r2.Scenario.Rate
	if !strings.HasPrefix(a, "highest rate without drops: ") {
		t.Fatalf("answer %q", a)
	}
	if !strings.HasPrefix(a2, "highest rate without drops: ") && !strings.HasPrefix(a2, "no rate without drops: ") {
		t.Fatalf("answer %q", a2)
	}
	if !(bad < good/2) {
		t.Errorf("the dropping board kept %.0f msgs/s, the other %.0f: the search did not find the drops", bad, good)
	}
	if !strings.Contains(a2, "in the board's queue") || strings.Contains(a2, " 0 in the board's queue") {
		t.Errorf("the dropping board's answer does not put the drops in its queue: %q", a2)
	}
	// The answer says the resolution: the steps' lengths and the fewest
	// messages one sent; every step is in the record for the plot.
	if !strings.Contains(a, "; steps of ") || !strings.Contains(a, " messages") {
		t.Errorf("no resolution in %q", a)
	}
	if n := strings.Count(r.Scenario.Params["steps"], ":kept:"); n == 0 {
		t.Errorf("no kept step in the record's steps %q", r.Scenario.Params["steps"])
	}
}

func TestNoDropStepLength(t *testing.T) {
	// A fast rate gets a step as short as its 100 messages (not under
	// 50 ms); a slow one the whole Duration/10.
	for _, c := range []struct {
		base time.Duration
		rate float64
		want time.Duration
	}{
		{time.Second, 1000, 100 * time.Millisecond},
		{time.Second, 100000, 50 * time.Millisecond},
		{time.Second, 50, time.Second},
		{300 * time.Millisecond, 50, 300 * time.Millisecond},
		{300 * time.Millisecond, 500, 200 * time.Millisecond},
	} {
		if got := noDropStepFor(c.base, c.rate); got != c.want {
			t.Errorf("step at %g/s with Duration/10 %s: %s, want %s", c.rate, c.base, got, c.want)
		}
	}
}

func TestFieldDeadPeers(t *testing.T) {
	// A board that pings an idle client after 200 ms and drops it 200 ms
	// later frees the dead peers' slots, and newcomers get in.
	ok := board(t, firmware.Config{Slots: 4, FailMode: firmware.FailReset,
		PingInterval: 200 * firmware.Millisecond, PongTimeout: 200 * firmware.Millisecond})
	// The run ends once a newcomer got in: the duration is only a bound
	// (the board's linger after its close holds the slot 2 s more).
	a, _ := fieldRun(t, Spec{Target: ok.WSURL("/ws"), Scenario: DeadPeers, Vanish: VanishSilent, Duration: 6 * time.Second})
	if !strings.HasPrefix(a, "the board closed all 4 dead peers after ") || !strings.Contains(a, "pinged") || !strings.Contains(a, "newcomers got in after") {
		t.Errorf("answer %q", a)
	}
	// A board whose ping and idle timeout are off (an hour): the dead
	// peers hold every slot, and no newcomer gets in.
	held := board(t, firmware.Config{Slots: 4, FailMode: firmware.FailReset,
		PingInterval: 3600 * firmware.Second, IdleTimeout: 3600 * firmware.Second})
	a, _ = fieldRun(t, Spec{Target: held.WSURL("/ws"), Scenario: DeadPeers, Vanish: VanishSilent, Duration: 1500 * time.Millisecond})
	if !strings.HasPrefix(a, "4 dead peers held their slots for the whole ") || !strings.Contains(a, "no newcomer got in") {
		t.Errorf("answer %q", a)
	}
	if _, err := Run(context.Background(), Spec{Target: held.WSURL("/ws"), Scenario: DeadPeers, Vanish: "quietly"}); err == nil {
		t.Error("an unknown vanish mode ran")
	}
}

func TestFieldDeadPeersDropped(t *testing.T) {
	// Peers whose every packet is dropped (no ACK, no RST): the board's
	// pings go unanswered and unacknowledged, and it gives their slots
	// back only at its pong timeout, never before; a live client beside
	// them goes on, and a newcomer gets in once a slot is free.
	const ping, pong = 300 * time.Millisecond, 400 * time.Millisecond
	ok := board(t, firmware.Config{Slots: 4, FailMode: firmware.FailReset,
		PingInterval: int64(ping), PongTimeout: int64(pong)}) // nanoseconds both
	a, r := fieldRun(t, Spec{Target: ok.WSURL("/ws"), Scenario: DeadPeers, Duration: 8 * time.Second})
	if !strings.HasPrefix(a, "the board gave up on all 3 vanished peers (no ACK, no RST) ") || !strings.Contains(a, "unacknowledged in FIN_WAIT1") ||
		!strings.Contains(a, "newcomers got in after") || !strings.Contains(a, "a live client's echoes went on") {
		t.Errorf("answer %q", a)
	}
	if r.Scenario.Params["vanish"] != VanishDrop {
		t.Errorf("params %v", r.Scenario.Params)
	}
	// Held from vanishing until the board's ping went unanswered for its
	// pong timeout, never less (the slack: the handshake's own last bytes
	// reach the board a moment before the peer vanishes).
	held, err := time.ParseDuration(r.Scenario.Params["held_min"])
	if err != nil {
		t.Fatalf("held_min: %v (params %v)", err, r.Scenario.Params)
	}
	if held < ping+pong-100*time.Millisecond {
		t.Errorf("a vanished peer's slot was given back %s after it vanished, before the board's ping and pong timeouts (%s)", held, ping+pong)
	}
	// The board's ping and close frame wait unacknowledged in its send
	// queue: nothing reaches the vanished peer's TCP.
	if q := r.Scenario.Params["board_txq_max"]; q == "" || q == "0" {
		t.Errorf("the board's send queue to a vanished peer was never seen holding anything (%q): the peer acknowledged?", q)
	}
	// A board whose newcomers hang in its backlog (ESP-IDF httpd): a
	// newcomer's dial waits there, and the live client beside the dead
	// peers still echoes (and answers its pings) meanwhile.
	backlog := board(t, firmware.Config{Slots: 4, FailMode: firmware.FailBacklog,
		PingInterval: int64(ping), PongTimeout: int64(pong)})
	a, _ = fieldRun(t, Spec{Target: backlog.WSURL("/ws"), Scenario: DeadPeers, Duration: 8 * time.Second})
	if !strings.HasPrefix(a, "the board gave up on all 3 vanished peers (no ACK, no RST) ") || !strings.Contains(a, "a live client's echoes went on") {
		t.Errorf("answer %q", a)
	}
	// A board whose ping and idle timeout are off: the vanished peers hold
	// their slots for good; the live client still gets its echoes.
	never := board(t, firmware.Config{Slots: 4, FailMode: firmware.FailReset,
		PingInterval: 3600 * firmware.Second, IdleTimeout: 3600 * firmware.Second})
	a, _ = fieldRun(t, Spec{Target: never.WSURL("/ws"), Scenario: DeadPeers, Duration: 1500 * time.Millisecond})
	if !strings.HasPrefix(a, "3 vanished peers (no ACK, no RST) held their slots for the whole ") ||
		!strings.Contains(a, "no newcomer got in") || !strings.Contains(a, "a live client's echoes went on") {
		t.Errorf("answer %q", a)
	}
}

func TestFieldReconnectStorm(t *testing.T) {
	// A board that drops silent peers after 300 ms: every client is back,
	// after the board let go of its old connections.
	ok := board(t, firmware.Config{Slots: 6, FailMode: firmware.FailReset,
		PingInterval: 150 * firmware.Millisecond, PongTimeout: 150 * firmware.Millisecond})
	a, r := fieldRun(t, Spec{Target: ok.WSURL("/ws"), Scenario: ReconnectStorm, Conns: 5, Backoff: BackoffImmediate, Duration: 6 * time.Second})
	if !strings.HasPrefix(a, "all 5 clients back ") || !strings.Contains(a, "immediate backoff") {
		t.Errorf("answer %q", a)
	}
	if r.Counts.ConnsFailed == 0 {
		t.Errorf("no failed attempt while the board still held the old connections: %+v", r.Counts)
	}
	// With slots to spare, exponential backoff brings everyone back on
	// the first try.
	roomy := board(t, firmware.Config{Slots: 12, FailMode: firmware.FailReset})
	a, r = fieldRun(t, Spec{Target: roomy.WSURL("/ws"), Scenario: ReconnectStorm, Conns: 5, Duration: 2 * time.Second})
	if !strings.HasPrefix(a, "all 5 clients back ") || !strings.Contains(a, "exp backoff; no failed attempt") {
		t.Errorf("answer %q", a)
	}
	if back := r.Scenario.Params["back_ms"]; len(strings.Split(back, ",")) != 5 || r.Scenario.Params["clients"] != "5" {
		t.Errorf("clients back for the plot %q of %q", back, r.Scenario.Params["clients"])
	}
	// A board that never drops a silent peer: the clients cannot come
	// back until its slots free, which they never do.
	held := board(t, firmware.Config{Slots: 5, FailMode: firmware.FailReset, PingInterval: 3600 * firmware.Second})
	a, _ = fieldRun(t, Spec{Target: held.WSURL("/ws"), Scenario: ReconnectStorm, Conns: 5, Backoff: BackoffFixed, Duration: 1200 * time.Millisecond})
	if !strings.HasPrefix(a, "0 of 5 clients back within 1.2 s, 5 never") {
		t.Errorf("answer %q", a)
	}
	// Once the old connections are closed for good, the board takes one
	// again (as their FINs arrive, however loaded the machine).
	if strings.Contains(a, "takes no connection") {
		t.Errorf("answer %q", a)
	}
	if _, err := Run(context.Background(), Spec{Target: held.WSURL("/ws"), Scenario: ReconnectStorm, Backoff: "linear"}); err == nil {
		t.Error("an unknown backoff ran")
	}
}

func TestFieldReload(t *testing.T) {
	// A sound board is back where it started after a storm of 20
	// reloads/s, and the heap series (the plot) has its slots over time.
	ok := board(t, firmware.Config{Slots: 8})
	// (Settle bounds the wait for the board to be back: the scenario
	// reads until it is, so a loaded machine only makes it wait longer.)
	a, r := fieldRun(t, Spec{Target: ok.WSURL("/ws"), Scenario: Reload, Rate: 20, Duration: time.Second, Settle: 5 * time.Second})
	if !strings.HasPrefix(a, "reload storm 20/s for ") || !strings.Contains(a, "none failed; recovered") {
		t.Errorf("answer %q", a)
	}
	if len(r.Heap) < 4 {
		t.Errorf("%d heap samples: no series to plot", len(r.Heap))
	}
	if from, to, ok := strings.Cut(r.Scenario.Params["storm_ms"], "-"); !ok || from == to {
		t.Errorf("the storm's span for the plot %q", r.Scenario.Params["storm_ms"])
	}
	// A board leaking 64 KiB per connection does not recover.
	leaky := startBoard(t, host.Options{Board: firmware.Config{Slots: 8}, LeakPerConn: 64 << 10})
	a, _ = fieldRun(t, Spec{Target: leaky.WSURL("/ws"), Scenario: Reload, Rate: 20, Duration: time.Second, Settle: 300 * time.Millisecond})
	if !strings.Contains(a, "not recovered") || !strings.Contains(a, "heap +") {
		t.Errorf("answer %q", a)
	}
}

func TestFieldBackgroundTab(t *testing.T) {
	// The board drops broadcast messages to a client without room for
	// them: the healthy clients go on, the stuck one loses its messages.
	// (Its tx buffer holds 32 messages: room for a healthy client on a
	// loaded machine, whose board loop may take in many messages at once
	// before it writes; far from room for what the stuck one never reads.)
	b := board(t, firmware.Config{Slots: 8, RxBuf: 2048, TxBuf: 32 << 10})
	spec := Spec{Target: b.WSURL("/ws"), Scenario: BackgroundTab, Conns: 8, Size: 1024, Rate: 200, Duration: 1500 * time.Millisecond}
	a, _ := fieldRun(t, spec)
	if !strings.HasPrefix(a, "healthy clients unaffected by 1 stuck") || !strings.Contains(a, "kept open and their messages dropped") {
		t.Errorf("answer %q", a)
	}
	// A board that pings idle clients closes the stuck one (at a rate
	// that leaves room for the ping in its tx buffer when it is due).
	pinging := board(t, firmware.Config{Slots: 8, RxBuf: 2048, TxBuf: 32 << 10,
		PingInterval: 200 * firmware.Millisecond, PongTimeout: 200 * firmware.Millisecond})
	spec.Target, spec.Rate, spec.Duration = pinging.WSURL("/ws"), 100, 1500*time.Millisecond
	a, _ = fieldRun(t, spec)
	if !strings.HasPrefix(a, "healthy clients unaffected by 1 stuck") || !strings.Contains(a, "the stuck clients were closed after") {
		t.Errorf("answer %q", a)
	}
	// A server with one send path for every client stalls them all
	// behind the stuck ones (a quarter of 8, without /stats to say the
	// board's slots): the scenario says so.
	spec.Target, spec.Rate, spec.Duration, spec.StatsURL = stallingBroadcaster(t), 400, time.Second, "-"
	a, r := fieldRun(t, spec)
	if !strings.HasPrefix(a, "healthy clients stalled by 2 stuck") {
		t.Errorf("answer %q against a server with one blocking send path", a)
	}
	if r.Counts.MsgsSent == 0 || r.Counts.MsgsReceived == 0 {
		t.Errorf("counts %+v: nothing went through before the stall", r.Counts)
	}
	// The verdict: a gap at a healthy client or a shortfall is a stall.
	for _, v := range []tabVerdict{
		{healthy: 3, stuck: 1, sent: 100, minGot: 100, maxGap: 2 * time.Second, dropped: 0},
		{healthy: 3, stuck: 1, sent: 100, minGot: 50, maxGap: 10 * time.Millisecond, dropped: 0},
	} {
		if !strings.HasPrefix(v.answer(), "healthy clients stalled by 1 stuck") {
			t.Errorf("%+v: %q", v, v.answer())
		}
	}
	// A board that dropped more than the stuck clients were sent dropped
	// the healthy clients' messages too: not said to be the stuck's doing.
	v := tabVerdict{healthy: 3, stuck: 1, sent: 100, minGot: 70, dropped: 160}
	if a := v.answer(); !strings.HasPrefix(a, "healthy clients lost messages beside 1 stuck: the worst got 70 of 100, and the board dropped 160, more than the 100 sent") {
		t.Errorf("%+v: %q", v, a)
	}
}

func TestFieldLadderBisects(t *testing.T) {
	// Without /stats the ladder does not know the cap (5000 B): it climbs
	// the powers of two, and bisects between the last size echoed (4097)
	// and the first that failed (8191) for the exact first failing size.
	b := board(t, firmware.Config{RxBuf: 2048, TxBuf: 2048, MaxMessage: 5000})
	a, r := fieldRun(t, Spec{Target: b.WSURL("/ws"), Scenario: Ladder, StatsURL: "-"})
	if a != "first failing size 5001 B: close 1009 (every size up to 5000 B echoed)" {
		t.Errorf("answer %q", a)
	}
	if r.Scenario.Size != 65537 {
		t.Errorf("the ladder's top rung is %d, want 65537 (the 16-bit length's edge, one past)", r.Scenario.Size)
	}
}

// stallingBroadcaster is a foreign broadcast server (ws://.../ws/broadcast)
// with one send path for every client, as a single-threaded server or a
// board's one send task has it: each message is written to every client in
// turn, blocking, from a small send buffer. A client that stops reading
// fills its window and that buffer, and the blocked write to it holds
// back every client behind it (head-of-line blocking).
func stallingBroadcaster(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	msgs := make(chan []byte, 16)
	done := make(chan struct{})
	go func() { // the one send path
		var frame []byte
		for {
			select {
			case m := <-msgs:
				frame = core.AppendFrame(frame[:0], true, core.OpBinary, m, false, [4]byte{})
				mu.Lock()
				to := slices.Clone(conns)
				mu.Unlock()
				for _, c := range to {
					c.Write(frame) // blocks while c's window and send buffer are full
				}
			case <-done:
				return
			}
		}
	}()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			http.NotFound(w, r)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetWriteBuffer(4096)
		}
		acc := core.AcceptKey([]byte(r.Header.Get("Sec-WebSocket-Key")))
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+string(acc[:])+"\r\n\r\n")
		mu.Lock()
		conns = append(conns, conn)
		mu.Unlock()
		rd := core.ConnReader{Src: brw, Rx: make([]byte, 4096), R: core.Reader{Role: core.Server, Buf: make([]byte, 4096)}}
		for {
			ev, err := rd.Next()
			if err != nil || ev.Kind == core.EventClose {
				return
			}
			if ev.Kind == core.EventMessage {
				select {
				case msgs <- slices.Clone(ev.Payload):
				case <-done:
					return
				}
			}
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() {
		close(done)
		srv.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close() // unblocks the send path's write
		}
		mu.Unlock()
	})
	return "ws://" + ln.Addr().String() + "/ws/broadcast"
}

// deflateServer is a foreign server that accepts permessage-deflate (and
// then echoes uncompressed frames, so the page still works): a board
// that must decline the offer and does not.
func deflateServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			io.WriteString(w, "<html>page</html>")
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		acc := core.AcceptKey([]byte(r.Header.Get("Sec-WebSocket-Key")))
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
			string(acc[:])+"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
		rd := core.ConnReader{Src: brw, Rx: make([]byte, 4096), R: core.Reader{Role: core.Server, Buf: make([]byte, 4096)}}
		for {
			ev, err := rd.Next()
			if err != nil || ev.Kind == core.EventClose {
				return
			}
			if ev.Kind == core.EventMessage {
				conn.Write(core.AppendFrame(nil, true, ev.Op, ev.Payload, false, [4]byte{}))
			}
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "ws://" + ln.Addr().String() + "/ws"
}

func TestFieldBrowserDeflate(t *testing.T) {
	a, r := fieldRun(t, Spec{Target: deflateServer(t), Scenario: Browser, Conns: 2, StatsURL: "-"})
	if a != "page opens at once for all 2 users tried; the board accepted permessage-deflate (Chromium, Firefox), which it must decline" {
		t.Errorf("answer %q", a)
	}
	if r.Errors["handshake extension"] != 2 {
		t.Errorf("errors %v", r.Errors)
	}
}
