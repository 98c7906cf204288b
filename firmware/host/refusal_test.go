//go:build linux

package host_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/internal/maskseed"
	"github.com/wslab/wslab/internal/wstest"
)

// quiet is how long a test waits to see that nothing arrives: a board that
// answers at all answers a loopback client in microseconds. It is a lower
// bound on a silence, never a speed assertion.
const quiet = 300 * time.Millisecond

// fillBoard opens n WebSocket clients that each echo once.
func fillBoard(t *testing.T, addr string, n int) []*wstest.Conn {
	t.Helper()
	cs := make([]*wstest.Conn, n)
	for i := range cs {
		c, err := wstest.Dial(addr, "/ws", opTimeout)
		if err != nil {
			t.Fatalf("client %d of %d: %v", i+1, n, err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.Echo([]byte("hello"), opTimeout); err != nil {
			t.Fatalf("client %d echo: %v", i+1, err)
		}
		cs[i] = c
	}
	return cs
}

// keepEchoing checks every client still echoes.
func keepEchoing(t *testing.T, cs []*wstest.Conn) {
	t.Helper()
	for i, c := range cs {
		if c == nil {
			continue
		}
		if err := c.Echo(bytes.Repeat([]byte{byte('a' + i)}, 100), opTimeout); err != nil {
			t.Fatalf("client %d: %v", i+1, err)
		}
	}
}

// boardStats reads /stats from the stats port.
func boardStats(t *testing.T, srv *host.Server) (st struct {
	Slots struct {
		InUse int `json:"in_use"`
	} `json:"slots"`
	Conns struct {
		Accepted, Refused, Evicted, Purged int
	} `json:"conns"`
	RAM struct {
		InUse                                int `json:"in_use"`
		Static, Conns, Queued, Stack, Budget int
	} `json:"ram"`
}) {
	t.Helper()
	c := http.Client{Timeout: opTimeout}
	resp, err := c.Get(srv.StatsURL())
	if err != nil {
		t.Fatalf("stats port: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("stats port: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// upgrade is a handshake sent on a raw connection, its answer read later.
type upgrade struct {
	nc  net.Conn
	key [core.ClientKeyLen]byte
	buf []byte
}

func sendUpgrade(t *testing.T, nc net.Conn, addr string) *upgrade {
	t.Helper()
	u := &upgrade{nc: nc, key: core.NewClientKey(maskseed.New())}
	if _, err := nc.Write(core.AppendClientRequest(nil, []byte(addr), []byte("/ws"), u.key[:], nil)); err != nil {
		t.Fatal(err)
	}
	return u
}

// answer reads the handshake's answer until deadline: the bytes, and
// whether a complete 101 arrived.
func (u *upgrade) answer(wait time.Duration) (got []byte, ok bool, err error) {
	u.nc.SetReadDeadline(time.Now().Add(wait))
	var b [4096]byte
	for {
		n, err := u.nc.Read(b[:])
		u.buf = append(u.buf, b[:n]...)
		if _, _, perr := core.ParseResponse(u.buf, u.key[:]); perr == nil {
			return u.buf, true, nil
		}
		if err != nil {
			return u.buf, false, err
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestRefuse503AcceptCloseReset: the three modes that accept at the TCP
// level and refuse at once, while the first clients keep echoing.
func TestRefuse503AcceptCloseReset(t *testing.T) {
	for _, mode := range []firmware.FailMode{firmware.FailReject503, firmware.FailAcceptClose, firmware.FailReset} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := startBoard(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024, FailMode: mode})
			addr := srv.Addr().String()
			cs := fillBoard(t, addr, 2)
			if mode == firmware.FailReset {
				// lneto answers the SYN with RST|ACK: the connect is refused.
				nc, err := net.DialTimeout("tcp", addr, opTimeout)
				if err == nil {
					nc.Close()
					t.Fatal("a full reset board completed a connect")
				}
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("a full reset board: %v, want the connect refused (RST to the SYN)", err)
				}
				keepEchoing(t, cs)
				// A slot frees: the board listens again.
				cs[0].Close()
				var c *wstest.Conn
				for try := 0; try < 100; try++ {
					if c, err = wstest.Dial(addr, "/ws", opTimeout); err == nil {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				if err != nil {
					t.Fatalf("after a slot freed: %v", err)
				}
				c.Close()
				return
			}
			got, reset, err := wstest.ReadClosed(addr, opTimeout)
			if err != nil {
				t.Fatal(err)
			}
			switch mode {
			case firmware.FailReject503:
				if !bytes.HasPrefix(got, []byte("HTTP/1.1 503 ")) || reset {
					t.Fatalf("503 board answered %q (reset %v)", got, reset)
				}
			case firmware.FailAcceptClose:
				if len(got) != 0 || reset {
					t.Fatalf("accept-close board sent %q (reset %v)", got, reset)
				}
			}
			keepEchoing(t, cs)
			st := boardStats(t, srv)
			if st.Conns.Refused != 1 || st.Conns.Accepted != 2 || st.Slots.InUse != 2 {
				t.Fatalf("stats: %+v", st)
			}
		})
	}
}

// TestRefuseBacklog: a full backlog board stops accepting; newcomers'
// connects complete in the kernel backlog (Backlog of them) and hang with
// no answer; the next SYN goes unanswered; when a slot frees, the first
// one waiting is served. The stats port answers all along.
func TestRefuseBacklog(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024, FailMode: firmware.FailBacklog, Backlog: 2})
	addr := srv.Addr().String()
	cs := fillBoard(t, addr, 2)
	var waiting []*upgrade
	for i := 0; i < 2; i++ {
		nc, err := net.DialTimeout("tcp", addr, opTimeout)
		if err != nil {
			t.Fatalf("newcomer %d: its connect must complete in the backlog: %v", i+1, err)
		}
		defer nc.Close()
		waiting = append(waiting, sendUpgrade(t, nc, addr))
	}
	for i, u := range waiting {
		if got, ok, err := u.answer(quiet); ok || len(got) > 0 || !isTimeout(err) {
			t.Fatalf("newcomer %d in the backlog got %q (%v): it must hang", i+1, got, err)
		}
	}
	// The backlog is full: the next SYN is dropped (no connect).
	if nc, err := net.DialTimeout("tcp", addr, quiet); err == nil {
		nc.Close()
		t.Fatal("a connect past the backlog completed")
	}
	keepEchoing(t, cs)
	st := boardStats(t, srv)
	if st.Slots.InUse != 2 || st.Conns.Accepted != 2 || st.Conns.Refused != 0 {
		t.Fatalf("stats while full: %+v", st)
	}
	// A slot frees: the first newcomer is served.
	cs[0].Close()
	cs[0] = nil
	if got, ok, err := waiting[0].answer(opTimeout); !ok {
		t.Fatalf("after a slot freed, the first waiting newcomer got %q (%v)", got, err)
	}
	if got, ok, _ := waiting[1].answer(quiet); ok || len(got) > 0 {
		t.Fatalf("the second newcomer got %q with no slot free", got)
	}
	keepEchoing(t, cs)
}

// TestRefuseBacklogLRUPurge: with LRUPurge the least recently used
// session is closed (no close frame) to admit the newcomer.
func TestRefuseBacklogLRUPurge(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024, FailMode: firmware.FailBacklog, LRUPurge: true})
	addr := srv.Addr().String()
	cs := fillBoard(t, addr, 2)
	// Client 2 is used last: client 1 is the least recently used.
	keepEchoing(t, cs[1:])
	c3, err := wstest.Dial(addr, "/ws", opTimeout)
	if err != nil {
		t.Fatalf("the newcomer must be admitted: %v", err)
	}
	defer c3.Close()
	cs[0].SetReadDeadline(time.Now().Add(opTimeout))
	if n, err := cs[0].Read(make([]byte, 16)); err == nil || n != 0 {
		t.Fatalf("the LRU session read %d bytes, %v: want its socket closed without a frame", n, err)
	}
	keepEchoing(t, []*wstest.Conn{cs[1], c3})
	if st := boardStats(t, srv); st.Conns.Purged != 1 || st.Slots.InUse != 2 {
		t.Fatalf("stats: %+v", st)
	}
}

// TestRefuseEvictOldest: the newcomer is admitted and the OLDEST client
// gets a close frame without a status (AsyncWebSocket's cleanupClients).
func TestRefuseEvictOldest(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024, FailMode: firmware.FailEvictOldest})
	addr := srv.Addr().String()
	cs := fillBoard(t, addr, 2)
	// The newest first, so the oldest is not the one used last.
	keepEchoing(t, []*wstest.Conn{cs[1], cs[0]})
	c3, err := wstest.Dial(addr, "/ws", opTimeout)
	if err != nil {
		t.Fatalf("the newcomer must be admitted: %v", err)
	}
	defer c3.Close()
	err = cs[0].Echo([]byte("x"), opTimeout)
	var ce *wstest.CloseError
	if !errors.As(err, &ce) || ce.Code != core.CloseNoStatus {
		t.Fatalf("the oldest client: %v, want a close frame without a status", err)
	}
	keepEchoing(t, []*wstest.Conn{cs[1], c3})
	if st := boardStats(t, srv); st.Conns.Evicted != 1 || st.Conns.Refused != 0 || st.Conns.Accepted != 3 {
		t.Fatalf("stats: %+v", st)
	}
}

// TestRefuseSynDrop: a full syn-drop board drops the SYN silently: the
// client's kernel retransmits it, and once a slot frees the retransmitted
// SYN connects. The retransmission is read from the client's TCP_INFO.
func TestRefuseSynDrop(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 1024, FailMode: firmware.FailSynDrop})
	addr := srv.Addr().String()
	cs := fillBoard(t, addr, 1)
	if nc, err := net.DialTimeout("tcp", addr, quiet); err == nil {
		nc.Close()
		t.Fatal("a connect to a full syn-drop board completed")
	} else if !isTimeout(err) {
		t.Fatalf("a connect to a full syn-drop board: %v, want no answer at all (a timeout)", err)
	}
	keepEchoing(t, cs)
	if st := boardStats(t, srv); st.Slots.InUse != 1 || st.Conns.Accepted != 1 {
		t.Fatalf("stats while full: %+v", st)
	}
	type result struct {
		nc      net.Conn
		retrans uint32
		took    time.Duration
		err     error
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		nc, err := net.DialTimeout("tcp", addr, opTimeout)
		r := result{nc: nc, err: err, took: time.Since(start)}
		if err == nil {
			rc, _ := nc.(*net.TCPConn).SyscallConn()
			_ = rc.Control(func(fd uintptr) {
				if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
					r.retrans = info.Total_retrans
				}
			})
		}
		done <- r
	}()
	if err := wstest.WaitSynSent(srv.Addr().Port, opTimeout); err != nil { // the newcomer's first SYN met the full board
		t.Fatal(err)
	}
	cs[0].Close()
	r := <-done
	if r.err != nil {
		t.Fatalf("after the slot freed, the retried SYN: %v", r.err)
	}
	defer r.nc.Close()
	if r.retrans == 0 {
		t.Fatalf("connected after %v with no SYN retransmitted: the first SYN was not dropped", r.took)
	}
	t.Logf("connected after %v, %d SYN retransmits", r.took, r.retrans)
	u := sendUpgrade(t, r.nc, addr)
	if got, ok, err := u.answer(opTimeout); !ok {
		t.Fatalf("the newcomer in the freed slot got %q (%v)", got, err)
	}
}

// TestStatsPortTakesNoSlot: readings through the stats port do not take a
// slot, are not counted as connections and answer on a full board.
func TestStatsPortTakesNoSlot(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 1024, FailMode: firmware.FailReject503})
	fillBoard(t, srv.Addr().String(), 1)
	for range 3 {
		st := boardStats(t, srv)
		if st.Slots.InUse != 1 || st.Conns.Accepted != 1 || st.Conns.Refused != 0 {
			t.Fatalf("stats on a full board: %+v", st)
		}
	}
	resp, err := http.Get(srv.StatsURL()[:len(srv.StatsURL())-len("stats")] + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(b, []byte("wslab_board_ram_in_use_bytes ")) || !bytes.Contains(b, []byte("wslab_board_slots_in_use 1\n")) {
		t.Fatalf("metrics:\n%s", b)
	}
}

// TestBoardRAM: RAM in use is the static footprint plus the open
// connections' cost plus what the stack holds; a client that does not
// read makes the stack hold bytes.
func TestBoardRAM(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024, FailMode: firmware.FailReject503, HeapBudget: 64 << 10})
	idle := boardStats(t, srv)
	fp := srv.Footprint()
	if idle.RAM.Static != fp.Total || idle.RAM.InUse != fp.Total || idle.RAM.Budget != 64<<10 {
		t.Fatalf("idle RAM %+v, footprint %d", idle.RAM, fp.Total)
	}
	fillBoard(t, srv.Addr().String(), 1)
	st := boardStats(t, srv)
	if st.RAM.Conns != firmware.DefaultConnCost || st.RAM.InUse != st.RAM.Static+st.RAM.Conns+st.RAM.Queued+st.RAM.Stack {
		t.Fatalf("one connection: %+v", st.RAM)
	}
	// Ask for a long /ws/source stream and never read it: the board's
	// output backs up in the kernel, which stands for the stack's buffers.
	src, err := wstest.Dial(srv.Addr().String(), "/ws/source?size=1000&count=1000000", opTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	deadline := time.Now().Add(opTimeout)
	for time.Now().Before(deadline) {
		st = boardStats(t, srv)
		if st.RAM.Stack > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.RAM.Stack <= 0 || st.RAM.Stack > 2*(1024+1024) || st.RAM.Conns != 2*firmware.DefaultConnCost {
		t.Fatalf("a client not reading: %+v", st.RAM)
	}
	if st.RAM.InUse != st.RAM.Static+st.RAM.Conns+st.RAM.Queued+st.RAM.Stack {
		t.Fatalf("RAM does not add up: %+v", st.RAM)
	}
}

// TestRefuseEvictOldestSpareBusy: while the evicted client has not closed
// yet, the spare slot is taken; one more newcomer finds the stack out of
// connections and is reset.
func TestRefuseEvictOldestSpareBusy(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 1024, FailMode: firmware.FailEvictOldest})
	addr := srv.Addr().String()
	fillBoard(t, addr, 1) // the oldest; it never reads its close frame
	c2, err := wstest.Dial(addr, "/ws", opTimeout)
	if err != nil {
		t.Fatalf("the newcomer must be admitted: %v", err)
	}
	defer c2.Close()
	got, reset, err := wstest.ReadClosed(addr, opTimeout)
	if err != nil || !reset || len(got) != 0 {
		t.Fatalf("with the spare slot busy: got %q, reset %v, %v; want a reset", got, reset, err)
	}
	keepEchoing(t, []*wstest.Conn{c2})
	if st := boardStats(t, srv); st.Conns.Evicted != 1 || st.Conns.Refused != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

// TestResetBoardBurst: newcomers arriving together at a reset board, more
// than its slots, while the board is slow to take them (a costly accept).
// lneto answers each SYN from its pool: every newcomer past the slots is
// turned away at once (refused, or reset if the kernel had completed its
// connect before the board turned full), never dropped. A dropped SYN is
// a silence the client sees only as a timeout: the connect retransmits its
// SYN after a second, so a wait shorter than that tells them apart.
func TestResetBoardBurst(t *testing.T) {
	const slots, extra, rounds = 3, 2, 4
	srv := startBoardOpts(t, host.Options{
		Board: firmware.Config{Slots: slots, RxBuf: 1024, TxBuf: 1024, FailMode: firmware.FailReset},
		CPU:   host.CPU{Accept: 20 * int64(time.Millisecond)},
	})
	addr := srv.Addr().String()
	for round := range rounds {
		type result struct {
			c   *wstest.Conn
			err error
		}
		done := make(chan result, slots+extra)
		for range slots + extra {
			go func() {
				c, err := wstest.Dial(addr, "/ws", 900*time.Millisecond)
				done <- result{c, err}
			}()
		}
		var held []*wstest.Conn
		for range slots + extra {
			r := <-done
			switch {
			case r.err == nil:
				held = append(held, r.c)
			case isTimeout(r.err):
				t.Errorf("round %d: a newcomer met silence (%v): its SYN was dropped, not answered with RST", round, r.err)
			case !errors.Is(r.err, syscall.ECONNREFUSED) && !errors.Is(r.err, syscall.ECONNRESET) && !errors.Is(r.err, io.EOF):
				t.Errorf("round %d: a newcomer: %v, want refused or reset", round, r.err)
			}
		}
		if len(held) != slots {
			t.Errorf("round %d: %d held, want %d", round, len(held), slots)
		}
		for _, c := range held {
			c.Close()
		}
		// The slots free: the board listens again.
		for try := 0; try < 200 && boardStats(t, srv).Slots.InUse > 0; try++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
}
