package firmware_test

import (
	"bytes"
	"testing"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// The sans-I/O board driven byte for byte, without sockets: the same state
// machine the host runs, here under testing.AllocsPerRun.

// pipe moves bytes between a test and one slot.
type pipe struct {
	t   testing.TB
	s   *firmware.Slot
	now int64
	out []byte // what the slot sent, not yet consumed
}

// feed hands in to the slot as the host would: as much as RxSpace takes,
// draining the slot's output between reads so back-pressure never stalls.
func (p *pipe) feed(in []byte) {
	for len(in) > 0 {
		p.drain()
		buf := p.s.RxSpace()
		if buf == nil {
			p.t.Fatalf("slot takes no input with %d bytes left to feed", len(in))
		}
		n := copy(buf, in)
		in = in[n:]
		p.now += 1000
		p.s.Received(n, p.now)
	}
	p.drain()
}

func (p *pipe) drain() {
	for {
		b := p.s.TxPending()
		if len(b) == 0 {
			return
		}
		p.out = append(p.out, b...)
		p.s.Sent(len(b), p.now)
	}
}

const testKey = "dGhlIHNhbXBsZSBub25jZQ=="

var upgradeReq = []byte("GET /ws HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: " + testKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n")

func newBoard(t *testing.T) *firmware.Board {
	b, err := firmware.NewBoard(firmware.Config{Slots: 2, RxBuf: 512, TxBuf: 512, MaxMessage: 4096}, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSlotEchoAllocatesNothing(t *testing.T) {
	b := newBoard(t)
	p := &pipe{t: t, s: b.Accept(0), out: make([]byte, 0, 64<<10)}
	p.feed(upgradeReq)
	if !p.s.IsWebSocket() || !bytes.HasPrefix(p.out, []byte("HTTP/1.1 101 ")) {
		t.Fatalf("upgrade: %q", p.out)
	}
	msgs := [][]byte{
		core.AppendFrame(nil, true, core.OpText, []byte("hello"), true, [4]byte{1, 2, 3, 4}),
		core.AppendFrame(nil, true, core.OpBinary, bytes.Repeat([]byte{7}, 3000), true, [4]byte{5, 6, 7, 8}),
		core.AppendFrame(nil, true, core.OpPing, []byte("ping"), true, [4]byte{9, 9, 9, 9}),
	}
	// Frames are unmasked in place: feed copies.
	in := make([]byte, 0, 8192)
	allocs := testing.AllocsPerRun(200, func() {
		p.out = p.out[:0]
		for _, m := range msgs {
			in = append(in[:0], m...)
			p.feed(in)
		}
	})
	if allocs != 0 {
		t.Errorf("an echo round allocates %.1f times", allocs)
	}
	// The last round's output: the echoes and the pong, in order.
	r := core.Reader{Role: core.Client, Buf: make([]byte, 4096)}
	type event struct {
		kind core.EventKind
		n    int
	}
	var got []event
	for out := p.out; len(out) > 0; {
		n, ev, err := r.Feed(out)
		if err != nil {
			t.Fatal(err)
		}
		out = out[n:]
		if ev.Kind != core.EventNone {
			got = append(got, event{ev.Kind, len(ev.Payload)})
		}
	}
	want := []event{{core.EventMessage, 5}, {core.EventMessage, 3000}, {core.EventPong, 4}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestSlotConnectionCycleAllocatesNothing(t *testing.T) {
	b := newBoard(t)
	closeFrame := core.AppendFrame(nil, true, core.OpClose, []byte{0x03, 0xe8}, true, [4]byte{1, 2, 3, 4})
	in := make([]byte, 0, 1024)
	out := make([]byte, 0, 4096)
	var now int64
	allocs := testing.AllocsPerRun(200, func() {
		now += 1e6
		p := &pipe{t: t, s: b.Accept(now), now: now, out: out[:0]}
		p.feed(append(in[:0], upgradeReq...))
		p.feed(append(in[:0], closeFrame...))
		if !p.s.Done() {
			t.Fatal("slot not done after the closing handshake")
		}
		p.s.Release(p.now)
		now = p.now
	})
	if allocs != 0 {
		t.Errorf("accept, upgrade, close and release allocate %.1f times", allocs)
	}
	if st := b.Stats(); st.SlotsInUse != 0 || st.Upgrades < 200 {
		t.Errorf("slots in use %d, upgrades %d", st.SlotsInUse, st.Upgrades)
	}
}

// A source size past what an int holds on a 32-bit board is refused with a
// 400 before the upgrade (on 32-bit, int(4294967297) would be 1: a header
// saying 1 byte followed by 4 GiB of payload); a size up to the bound is
// sent as exactly that many payload bytes, in frames that fit tx.
func TestSourceSizeBounded(t *testing.T) {
	for _, tc := range []struct {
		size   string
		status string
		length int64 // the message's payload; 0: refused
	}{
		{"4294967297", "400", 0},
		{"2147483648", "400", 0},
		{"999999999999999999", "400", 0},
		{"2147483647", "101", 2147483647},
		{"70000", "101", 70000},
	} {
		b, err := firmware.NewBoard(firmware.Config{Slots: 1, RxBuf: 512, TxBuf: 512, MaxMessage: 4096}, nil, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		sl := b.Accept(0)
		req := "GET /ws/source?size=" + tc.size + "&count=1 HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: " + testKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
		sl.Received(copy(sl.RxSpace(), req), 1000)
		out := append([]byte(nil), sl.TxPending()...)
		if !bytes.HasPrefix(out, []byte("HTTP/1.1 "+tc.status+" ")) {
			t.Errorf("size=%s: want %s, got %.40q", tc.size, tc.status, out)
			continue
		}
		if tc.length == 0 {
			continue
		}
		i := bytes.Index(out, []byte("\r\n\r\n"))
		if i < 0 {
			t.Fatalf("size=%s: no end of the 101 in %q", tc.size, out)
		}
		sl.Sent(i+4, 1000)
		// Read the message frame by frame, as far as 1 MiB of it.
		var got int64
		var buf []byte
		first := true
		for got < tc.length && got < 1<<20 {
			p := sl.TxPending()
			if len(p) == 0 {
				t.Fatalf("size=%s: board stopped after %d bytes", tc.size, got)
			}
			buf = append(buf, p...)
			sl.Sent(len(p), 1000)
			for {
				h, n, err := core.ParseHeader(buf)
				if err == core.ErrNeedMore {
					break
				}
				if err != nil {
					t.Fatalf("size=%s: frame header: %v", tc.size, err)
				}
				if len(buf) < n+h.Length {
					break
				}
				if first && h.Op != core.OpBinary || !first && h.Op != core.OpContinuation {
					t.Fatalf("size=%s: frame opcode %v at payload offset %d", tc.size, h.Op, got)
				}
				first = false
				got += int64(h.Length)
				buf = buf[n+h.Length:]
				if h.Fin {
					if got != tc.length {
						t.Errorf("size=%s: message ended after %d bytes, want %d", tc.size, got, tc.length)
					}
					got = tc.length
					break
				}
			}
		}
		if tc.length <= 1<<20 && got != tc.length {
			t.Errorf("size=%s: %d payload bytes, want %d", tc.size, got, tc.length)
		}
	}
}

// open upgrades a new slot of b at time now.
func open(t *testing.T, b *firmware.Board, now int64) *pipe {
	t.Helper()
	s := b.Accept(now)
	if s == nil {
		t.Fatal("no free slot")
	}
	p := &pipe{t: t, s: s, now: now, out: make([]byte, 0, 4096)}
	p.feed(upgradeReq)
	if !s.IsWebSocket() {
		t.Fatalf("upgrade: %q", p.out)
	}
	p.out = p.out[:0]
	return p
}

// TestEvictOldest: past Slots WebSocket clients, the upgrade of a newcomer
// (in the spare slot) puts a close frame without a status in the OLDEST
// client's output, and the eviction allocates nothing.
func TestEvictOldest(t *testing.T) {
	b, err := firmware.NewBoard(firmware.Config{Slots: 2, RxBuf: 512, TxBuf: 512, FailMode: firmware.FailEvictOldest}, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f := b.Footprint(); f.Spare != 1 || f.Total != 3*f.PerSlot+f.Fixed {
		t.Fatalf("footprint %+v: want the spare slot counted", f)
	}
	p1 := open(t, b, 1000)
	p2 := open(t, b, 2000)
	// Traffic on the oldest does not make it younger.
	p1.feed(core.AppendFrame(nil, true, core.OpText, []byte("hi"), true, [4]byte{1, 2, 3, 4}))
	p1.out = p1.out[:0]
	p3 := open(t, b, 3000)
	if got := p1.s.TxPending(); string(got) != "\x88\x00" {
		t.Fatalf("the oldest's output: %x, want an empty close frame", got)
	}
	// The host drains slots the board woke.
	woke := b.NextWake()
	if woke != p1.s || b.NextWake() != nil {
		t.Fatalf("woke slot %v, want the oldest (%d)", woke, p1.s.Index())
	}
	p1.drain()
	if string(p1.out) != "\x88\x00" {
		t.Fatalf("the oldest got %x, want an empty close frame", p1.out)
	}
	if len(p2.out) != 0 || len(p3.out) != 0 {
		t.Fatalf("others got %x and %x", p2.out, p3.out)
	}
	if st := b.Stats(); st.Evicted != 1 || st.SlotsInUse != 3 {
		t.Fatalf("evicted %d, slots in use %d", st.Evicted, st.SlotsInUse)
	}
	// The client answers the close: the slot ends and frees.
	p1.feed(core.AppendFrame(nil, true, core.OpClose, nil, true, [4]byte{1, 1, 1, 1}))
	if !p1.s.Done() {
		t.Fatal("the evicted slot is not done after the client's close")
	}
	p1.s.Release(p1.now)
	if b.Full() {
		t.Fatal("the board is full after the eviction completed")
	}
	// Steady state: a newcomer evicts the oldest, which closes and frees,
	// without allocating.
	closeFrame := core.AppendFrame(nil, true, core.OpClose, nil, true, [4]byte{1, 1, 1, 1})
	flush := func(s *firmware.Slot, now int64) {
		for out := s.TxPending(); len(out) > 0; out = s.TxPending() {
			s.Sent(len(out), now)
		}
	}
	now := p1.now
	allocs := testing.AllocsPerRun(50, func() {
		now += 1000
		s := b.Accept(now)
		s.Received(copy(s.RxSpace(), upgradeReq), now)
		flush(s, now)
		old := b.NextWake()
		if old == nil || s == old {
			t.Fatal("no eviction")
		}
		flush(old, now)
		old.Received(copy(old.RxSpace(), closeFrame), now)
		flush(old, now)
		old.Release(now)
	})
	if allocs != 0 {
		t.Errorf("admitting a newcomer and evicting the oldest allocates %.1f times", allocs)
	}
}

// TestRAMCountsQueueAndConns: RAM in use is the footprint plus each open
// connection's cost plus the queue's heap (an outstanding echo's overhead),
// without allocating.
func TestRAMCountsQueueAndConns(t *testing.T) {
	b, err := firmware.NewBoard(firmware.Config{Slots: 2, RxBuf: 512, TxBuf: 512, QueueLen: 4, HeapBudget: 64 << 10}, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := b.RAM()
	if r.Static != b.Footprint().Total || r.InUse != r.Static || r.Budget != 64<<10 {
		t.Fatalf("idle %+v", r)
	}
	p := open(t, b, 1000)
	// One echo the client has not taken yet: it went to tx, and its
	// message's overhead stays on the heap until it is sent.
	in := core.AppendFrame(nil, true, core.OpBinary, make([]byte, 100), true, [4]byte{1, 2, 3, 4})
	buf := p.s.RxSpace()
	p.s.Received(copy(buf, in), 2000)
	r = b.RAM()
	if r.Conns != firmware.DefaultConnCost || r.Queued != firmware.QueueMsgOverhead || len(p.s.TxPending()) != 102 ||
		r.InUse != r.Static+r.Conns+r.Queued+r.Stack {
		t.Fatalf("one connection with an echo queued: %+v (tx pending %d)", r, len(p.s.TxPending()))
	}
	held := 0
	b.StackHeld = func() int { return held }
	held = 300
	if got := b.RAM(); got.Stack != 300 || got.InUse != r.InUse+300 {
		t.Fatalf("stack bytes not counted: %+v", got)
	}
	if a := testing.AllocsPerRun(100, func() { r = b.RAM() }); a != 0 {
		t.Errorf("RAM allocates %.1f times", a)
	}
	p.drain()
	if got := b.RAM(); got.Queued != 0 {
		t.Fatalf("queue drained, still %+v", got)
	}
}

// The board's handshake (Chrome's request in one read, parsed in one pass,
// the 101 out) allocates nothing, nor does the slot's release.
func TestSlotUpgradeAllocatesNothing(t *testing.T) {
	b, err := firmware.NewBoard(firmware.Config{Slots: 2, RxBuf: 2048, TxBuf: 2048, MaxMessage: 4096}, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	in := make([]byte, 0, 1024)
	out := make([]byte, 0, 4096)
	var now int64
	allocs := testing.AllocsPerRun(200, func() {
		now += 1e6
		p := pipe{t: t, s: b.Accept(now), now: now, out: out[:0]}
		p.feed(append(in[:0], chromeUpgrade...))
		if len(p.out) < 12 || string(p.out[9:12]) != "101" {
			t.Fatalf("answer %q", p.out)
		}
		p.s.Release(p.now)
		now = p.now
	})
	if allocs != 0 {
		t.Errorf("an upgrade allocates %.1f times", allocs)
	}
}
