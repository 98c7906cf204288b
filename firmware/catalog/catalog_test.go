package catalog

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/internal/maskseed"
	"github.com/wslab/wslab/internal/wstest"
)

const step = 10 * time.Second // per-operation deadline; generous for a loaded box

func TestCatalogComplete(t *testing.T) {
	want := []string{"esp32-idf", "esp32-async", "esp32-arduinows", "esp8266", "picow-sdk", "picow-tinygo",
		"nano33-wifinina", "wioterminal", "nucleo-f7-eth", "linux-sbc"}
	for _, name := range want {
		p, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Board.Check(); err != nil {
			t.Errorf("%s does not fit its own budget: %v", name, err)
		}
		for _, k := range []string{"slots", "buffers", "max_message", "budget", "link", "fail"} {
			if p.Sources[k] == "" {
				t.Errorf("%s: no source for %s", name, k)
			}
		}
		if p.Board.Model != name {
			t.Errorf("%s: model %q", name, p.Board.Model)
		}
		// Every real board has a CPU model and its sources; the WiFi ones
		// have tails and airtime.
		if name != "linux-sbc" {
			if !p.CPU.On() || p.Sources["cpu"] == "" || p.Sources["tails"] == "" {
				t.Errorf("%s: no CPU model or no source for cpu/tails", name)
			}
			if wifi := name != "nucleo-f7-eth"; wifi != (p.Link.Tails.On() && p.Link.Airtime > 0) {
				t.Errorf("%s: WiFi tails and airtime %v, want %v", name, p.Link.Tails.On(), wifi)
			}
		}
	}
	// A board with a hardware SHA accelerator (ESP32) pays less per
	// handshake than one doing SHA-1 in software on a slower core.
	esp, _ := Get("esp32-async")
	pico, _ := Get("picow-tinygo")
	if esp.CPU.Handshake >= pico.CPU.Handshake {
		t.Errorf("handshake: esp32 %d ns, picow %d ns: the SHA accelerator must be cheaper", esp.CPU.Handshake, pico.CPU.Handshake)
	}
	if _, err := Get("esp33"); err == nil || !strings.Contains(err.Error(), "esp32-idf") {
		t.Fatalf("unknown model must list the known ones: %v", err)
	}
}

// TestBudgetCheck: a configuration over its budget refuses to start and
// names the numbers; one exactly at the budget starts.
func TestBudgetCheck(t *testing.T) {
	p, _ := Get("nano33-wifinina")
	over := p.Board
	over.Slots, over.RxBuf, over.TxBuf = 8, 2048, 2048
	_, err := host.Start(host.Options{Board: over})
	if err == nil {
		t.Fatal("8 slots of 2 KiB buffers must not fit a 16 KiB board")
	}
	want := "8 slots x (2048 rx + 2048 tx + 512 slot) + 6144 fixed = 43008 B > 16384 B budget of nano33-wifinina"
	if err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	// The preset sits exactly at its budget: it starts.
	srv, err := host.Start(host.Options{Board: p.Board})
	if err != nil {
		t.Fatalf("the preset at its budget must start: %v", err)
	}
	if f := srv.Footprint(); f.Total != f.Budget {
		t.Fatalf("footprint %d, budget %d", f.Total, f.Budget)
	}
	srv.Close()
	// One byte more is over.
	p.Board.TxBuf++
	if _, err := host.Start(host.Options{Board: p.Board}); err == nil || !strings.Contains(err.Error(), "16388 B > 16384 B") {
		t.Fatalf("one byte over the budget: %v", err)
	}
}

// TestPresetBehaviour checks, for every preset, what its source says: the
// slot count, the refusal of one client more in the preset's way while the
// first ones keep echoing, and the message cap (cap echoes, cap+1 closes
// with 1009). The link is off here; link_test.go checks the link.
func TestPresetBehaviour(t *testing.T) {
	for _, p := range All() {
		t.Run(p.Name, func(t *testing.T) {
			cfg := p.Board
			if p.Name == "linux-sbc" {
				cfg.Slots = 100 // its 10,000 slots are measured in firmware/host/memtest
			}
			srv, err := host.Start(host.Options{Board: cfg})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			addr := srv.Addr().String()
			conns := make([]*wstest.Conn, cfg.Slots)
			for i := range conns {
				c, err := wstest.Dial(addr, "/ws", step)
				if err != nil {
					t.Fatalf("client %d of %d: %v", i+1, cfg.Slots, err)
				}
				defer c.Close()
				conns[i] = c
				if err := c.Echo([]byte("hello"), step); err != nil {
					t.Fatalf("client %d echo: %v", i+1, err)
				}
			}
			// One more: refused the preset's way.
			st := refuseOneMore(t, srv, cfg.FailMode)
			if cfg.FailMode == firmware.FailEvictOldest {
				conns = conns[1:] // the oldest was evicted
			}
			refused := uint64(1)
			switch cfg.FailMode {
			case firmware.FailBacklog, firmware.FailSynDrop, firmware.FailReset, firmware.FailEvictOldest:
				refused = 0 // the kernel holds, drops or refuses it; or it is admitted
			}
			if st.Refused != refused || st.SlotsInUse != cfg.Slots {
				t.Fatalf("refused %d, slots in use %d", st.Refused, st.SlotsInUse)
			}
			// The first clients keep echoing.
			for i, c := range conns {
				if err := c.Echo(bytes.Repeat([]byte{byte(i)}, 100), step); err != nil {
					t.Fatalf("client %d after the refusal: %v", i+1, err)
				}
			}
			// The cap: exactly the cap echoes, one byte more closes 1009.
			c := conns[0]
			msg := bytes.Repeat([]byte("x"), cfg.MaxMessage)
			if err := c.Echo(msg, step); err != nil {
				t.Fatalf("a message of exactly the cap (%d B): %v", cfg.MaxMessage, err)
			}
			err = c.Echo(append(msg, 'y'), step)
			var ce *wstest.CloseError
			if !errors.As(err, &ce) || ce.Code != core.CloseMessageTooBig {
				t.Fatalf("cap+1: %v, want a close with 1009", err)
			}
		})
	}
}

// quiet is how long to wait to see that nothing arrives (a lower bound on
// a silence, never a speed assertion).
const quiet = 300 * time.Millisecond

// refuseOneMore connects one client past the slots and checks it is
// turned away the mode's way; it returns the board's counters after.
func refuseOneMore(t *testing.T, srv *host.Server, mode firmware.FailMode) firmware.Stats {
	t.Helper()
	addr := srv.Addr().String()
	switch mode {
	case firmware.FailReset:
		nc, err := net.DialTimeout("tcp", addr, step)
		if err == nil {
			nc.Close()
			t.Fatal("a full reset board completed a connect")
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("a full reset board: %v, want the SYN answered with RST|ACK (connect refused)", err)
		}
	case firmware.FailReject503, firmware.FailAcceptClose:
		got, reset, err := wstest.ReadClosed(addr, step)
		if err != nil {
			t.Fatalf("one more client: %v", err)
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
	case firmware.FailBacklog:
		nc, err := net.DialTimeout("tcp", addr, step)
		if err != nil {
			t.Fatalf("a backlog board's newcomer must connect (in the backlog): %v", err)
		}
		defer nc.Close()
		key := core.NewClientKey(maskseed.New())
		nc.Write(core.AppendClientRequest(nil, []byte(addr), []byte("/ws"), key[:], nil))
		nc.SetReadDeadline(time.Now().Add(quiet))
		if n, err := nc.Read(make([]byte, 64)); n != 0 || err == nil {
			t.Fatalf("the newcomer in the backlog got %d bytes (%v): it must hang", n, err)
		}
	case firmware.FailSynDrop:
		if nc, err := net.DialTimeout("tcp", addr, quiet); err == nil {
			nc.Close()
			t.Fatal("a full syn-drop board completed a connect")
		}
	case firmware.FailEvictOldest:
		c, err := wstest.Dial(addr, "/ws", step)
		if err != nil {
			t.Fatalf("an evict-oldest board must admit the newcomer: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.Echo([]byte("new"), step); err != nil {
			t.Fatal(err)
		}
		st := srv.Stats()
		if st.Evicted != 1 {
			t.Fatalf("evicted %d, want 1", st.Evicted)
		}
		st.SlotsInUse-- // the evicted one is on its way out
		return st
	default:
		t.Fatalf("no check for fail mode %s", mode)
	}
	return srv.Stats()
}

// TestAsyncQueueDrops: esp32-async's 32-message queue drops new messages
// when full, counts them, and delivers the rest. The client sends 600
// messages of 1 KiB before it reads a byte, so the echoes back up: the
// client's receive buffer takes what it has room for, then its window is
// shut, the board's send buffer (5744 B unacknowledged) fills, the queue
// takes 32, and the board drops the rest while it goes on reading.
func TestAsyncQueueDrops(t *testing.T) {
	p, _ := Get("esp32-async")
	srv, err := host.Start(host.Options{Board: p.Board, Link: p.Link})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := wstest.Dial(srv.Addr().String(), "/ws", step)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const sent = 600
	msg := bytes.Repeat([]byte("q"), 1024)
	c.SetWriteDeadline(time.Now().Add(step))
	for i := 0; i < sent; i++ {
		if err := c.W.WriteMessage(core.OpBinary, msg); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(step)
	var st firmware.Stats
	for time.Now().Before(deadline) {
		if st = srv.Stats(); st.MsgsIn == sent {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st.MsgsIn != sent || st.MsgsDropped == 0 || st.MsgsDropped > uint64(sent-p.Board.QueueLen) {
		t.Fatalf("in %d, echoed %d, dropped %d of %d: want the queue's %d kept and the rest beyond the buffers dropped",
			st.MsgsIn, st.MsgsOut, st.MsgsDropped, sent, p.Board.QueueLen)
	}
	// Now the client reads: every message not dropped comes back, and
	// nothing more.
	received := 0
	for received < sent-int(st.MsgsDropped) {
		ev, err := c.NextMessage(step)
		if err != nil || ev.Kind != core.EventMessage {
			t.Fatalf("after %d echoes: %v %v", received, ev.Kind, err)
		}
		received++
	}
	if st = srv.Stats(); st.MsgsOut != uint64(received) || st.MsgsOut+st.MsgsDropped != sent {
		t.Fatalf("received %d; board echoed %d, dropped %d of %d", received, st.MsgsOut, st.MsgsDropped, sent)
	}
	t.Logf("sent %d, echoed %d, dropped %d", sent, received, st.MsgsDropped)
}

// TestPresetFailModes pins each preset's refusal to what its library or
// stack does (../shared/published.md section 3), with a source read in it.
func TestPresetFailModes(t *testing.T) {
	want := map[string]struct {
		mode  firmware.FailMode
		slots int
	}{
		"esp32-idf":       {firmware.FailBacklog, 7},
		"esp32-async":     {firmware.FailEvictOldest, 8},
		"esp32-arduinows": {firmware.FailAcceptClose, 5},
		"esp8266":         {firmware.FailAcceptClose, 5},
		"picow-sdk":       {firmware.FailSynDrop, 4},
		"picow-tinygo":    {firmware.FailReset, 3},
		"nucleo-f7-eth":   {firmware.FailSynDrop, 4},
	}
	for name, w := range want {
		p, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Board.FailMode != w.mode || p.Board.Slots != w.slots {
			t.Errorf("%s: %d slots, %s; want %d slots, %s", name, p.Board.Slots, p.Board.FailMode, w.slots, w.mode)
		}
		if !strings.HasPrefix(p.Sources["fail"], "[V]") {
			t.Errorf("%s: the fail source is not read in the source: %q", name, p.Sources["fail"])
		}
	}
	if p, _ := Get("esp32-idf"); p.Board.Backlog != 5 || p.Board.LRUPurge {
		t.Errorf("esp32-idf: backlog %d, LRU purge %v; want backlog_conn 5, lru_purge_enable off", p.Board.Backlog, p.Board.LRUPurge)
	}
}
