package firmware_test

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// The echo queue held the AsyncWebSocket way: up to QueueLen messages per
// client outstanding on a heap of their own, apart from tx, moved into tx
// as it drains; new messages beyond that are dropped and counted.

// queueMsg is message i of a test: n bytes that name it, so order and
// content can be checked byte for byte.
func queueMsg(i, n int) []byte {
	p := make([]byte, n)
	for k := range p {
		p[k] = 'a' + byte((i*7+k)%26)
	}
	copy(p, itoa(i)+":")
	return p
}

// echoedMessages reassembles the data messages in the board's output.
func echoedMessages(t *testing.T, out []byte) [][]byte {
	t.Helper()
	var msgs [][]byte
	var cur []byte
	for _, e := range parseWS(t, out) {
		if e.kind != core.EventFragment {
			continue
		}
		if e.first {
			cur = nil
		}
		cur = append(cur, e.payload...)
		if e.final {
			msgs = append(msgs, cur)
		}
	}
	return msgs
}

// TestQueueHoldsLenApartFromTx: a client that does not read gets exactly
// QueueLen messages echoed, whatever their size against tx (the queue held
// them in tx once: with 300 B messages a 1 KiB tx held 2 of 32); the rest
// are dropped and counted; once the client reads, the queued messages
// come out whole, in the order they arrived. The queue's heap is in
// RAM.Queued while they wait and free after.
func TestQueueHoldsLenApartFromTx(t *testing.T) {
	const sent, size = 60, 300
	for _, q := range []int{1, 4, 32} {
		m := newSim(t, firmware.Config{Slots: 1, RxBuf: 2048, TxBuf: 1024, MaxMessage: 4096, QueueLen: q}, nil)
		c := m.openWS("/ws")
		c.hold = true
		for i := 0; i < sent; i++ {
			if left := c.send(m.frame(true, core.OpBinary, queueMsg(i, size)), 0); left != 0 {
				t.Fatalf("queue %d: the board stopped reading at message %d (%d bytes left)", q, i, left)
			}
		}
		st := m.b.Stats()
		if st.MsgsIn != sent || st.MsgsOut != uint64(q) || st.MsgsDropped != uint64(sent-q) {
			t.Fatalf("queue %d: in %d, echoed %d, dropped %d; want %d, %d, %d", q, st.MsgsIn, st.MsgsOut, st.MsgsDropped, sent, q, sent-q)
		}
		r := m.b.RAM()
		// Messages that did not fit tx wait on the heap: their frames
		// (300 B + a 4 B header each) rounded up to chunks, plus every
		// outstanding message's overhead.
		const ctrlReserve = core.MaxHeaderSize + core.MaxControlPayload // tx keeps room for a control reply
		inTx := min(q, (1024-ctrlReserve)/(size+4))                     // 2: what tx takes before the heap
		waiting := (q - inTx) * (size + 4)
		if r.Queued < waiting+q*firmware.QueueMsgOverhead || r.Queued >= waiting+q*firmware.QueueMsgOverhead+256 ||
			r.InUse != r.Static+r.Conns+r.Queued {
			t.Errorf("queue %d: RAM %+v; want %d B of frames waiting (in 256 B chunks) and %d x %d B overhead",
				q, r, waiting, q, firmware.QueueMsgOverhead)
		}
		c.hold = false
		m.settle()
		got := echoedMessages(t, c.out)
		if len(got) != q {
			t.Fatalf("queue %d: %d messages echoed, want %d", q, len(got), q)
		}
		for i, p := range got {
			if !bytes.Equal(p, queueMsg(i, size)) {
				t.Fatalf("queue %d: echo %d is %.20q..., want message %d", q, i, p, i)
			}
		}
		if r := m.b.RAM(); r.Queued != 0 {
			t.Errorf("queue %d: drained, the queue's heap still holds %d B", q, r.Queued)
		}
		// Drained, the queue takes QueueLen messages again.
		c.hold = true
		before := len(c.out)
		for i := 0; i < q+3; i++ {
			c.send(m.frame(true, core.OpText, queueMsg(100+i, 50)), 0)
		}
		c.hold = false
		m.settle()
		if got := echoedMessages(t, append(c.out[:0:0], append(c.out[:bytes.Index(c.out, []byte("\r\n\r\n"))+4], c.out[before:]...)...)); len(got) != q || string(got[0]) != string(queueMsg(100, 50)) {
			t.Errorf("queue %d: after a drain %d echoed, want %d from message 100", q, len(got), q)
		}
	}
}

// TestQueueBigMessagesWhole: messages larger than tx (and than rx, so
// they arrive in pieces) but within MaxMessage are queued whole and come
// out whole and in order, split into frames tx can take; a client's ping
// is answered between frames meanwhile.
func TestQueueBigMessagesWhole(t *testing.T) {
	const q, sent, size = 3, 6, 3000
	m := newSim(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 512, MaxMessage: 8192, QueueLen: q}, nil)
	c := m.openWS("/ws")
	c.hold = true
	for i := 0; i < sent; i++ {
		if left := c.send(m.frame(true, core.OpText, queueMsg(i, size)), 0); left != 0 {
			t.Fatalf("the board stopped reading at message %d", i)
		}
		if i == 1 {
			c.send(m.frame(true, core.OpPing, []byte("p")), 0)
		}
	}
	st := m.b.Stats()
	if st.MsgsOut != q || st.MsgsDropped != sent-q {
		t.Fatalf("echoed %d, dropped %d; want %d and %d", st.MsgsOut, st.MsgsDropped, q, sent-q)
	}
	c.hold = false
	m.settle()
	got := echoedMessages(t, c.out)
	if len(got) != q {
		t.Fatalf("%d messages echoed, want %d", len(got), q)
	}
	for i, p := range got {
		if !bytes.Equal(p, queueMsg(i, size)) {
			t.Fatalf("echo %d: %d B %.20q..., want message %d whole", i, len(p), p, i)
		}
	}
	pongs := 0
	for _, e := range parseWS(t, c.out) {
		if e.kind == core.EventPong && e.payload == "p" {
			pongs++
		}
	}
	if pongs != 1 {
		t.Errorf("%d pongs, want 1", pongs)
	}
}

// TestQueueDrainsInOrder: a client that reads slowly, a few bytes at a
// time between bursts, gets every message the board did not drop, whole
// and in order, and echoed + dropped = received.
func TestQueueDrainsInOrder(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 512, MaxMessage: 2048, QueueLen: 5}, nil)
	c := m.openWS("/ws")
	c.hold = true
	var want [][]byte
	for i := 0; i < 80; i++ {
		n := 900 // a big message, in frames on the heap, then small ones
		if i%3 != 0 {
			n = 10 + i
		}
		msg := queueMsg(i, n)
		before := m.b.Stats().MsgsOut
		c.send(m.frame(true, core.OpBinary, msg), 0)
		if m.b.Stats().MsgsOut > before {
			want = append(want, msg)
		}
		c.drainN(150)
	}
	c.hold = false
	m.settle()
	got := echoedMessages(t, c.out)
	st := m.b.Stats()
	if st.MsgsDropped == 0 || st.MsgsOut+st.MsgsDropped != 80 || len(got) != len(want) {
		t.Fatalf("in 80, echoed %d, dropped %d, received %d; want drops and every echo received", st.MsgsOut, st.MsgsDropped, len(got))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("echo %d: %.20q..., want %.20q...", i, got[i], want[i])
		}
	}
}

// TestQueueHeapBoundExact: with the heap smaller than QueueLen messages,
// it is the heap that bounds the queue, exactly: each message the heap
// takes costs its frames (rounded to 256 B chunks per client) and the
// overhead; the next one that does not fit is dropped.
func TestQueueHeapBoundExact(t *testing.T) {
	// 1000 B messages go to the heap (tx 256 takes none of them) as 10
	// frames of at most 103 B with a 2 B header: 1020 B. A message is
	// admitted when the heap has room for 1000 B in frames with headers of
	// up to 14 B (1140 B) beside the chunks and overheads in use: the
	// third needs 2 x 1020 B in 8 chunks (2048) + 3 x 64 + 5 more chunks
	// (1280, the 8 B left in the last one count) = 3520 B; the fourth 12
	// chunks + 4 x 64 + 5 chunks = 4608 B.
	for _, tc := range []struct{ heap, want int }{
		{3519, 2},
		{3520, 3},
		{4607, 3},
		{4608, 4},
	} {
		m := newSim(t, firmware.Config{Slots: 1, RxBuf: 2048, TxBuf: 256, MaxMessage: 2048, QueueLen: 32, QueueHeap: tc.heap}, nil)
		c := m.openWS("/ws")
		c.hold = true
		for i := 0; i < 10; i++ {
			c.send(m.frame(true, core.OpBinary, queueMsg(i, 1000)), 0)
		}
		st := m.b.Stats()
		if st.MsgsOut != uint64(tc.want) || st.MsgsDropped != uint64(10-tc.want) {
			t.Errorf("heap %d: echoed %d, dropped %d; want %d and %d", tc.heap, st.MsgsOut, st.MsgsDropped, tc.want, 10-tc.want)
		}
		if r := m.b.RAM(); r.Queued > tc.heap {
			t.Errorf("heap %d: %d B in use", tc.heap, r.Queued)
		}
		c.hold = false
		m.settle()
		if got := echoedMessages(t, c.out); len(got) != tc.want {
			t.Errorf("heap %d: %d received", tc.heap, len(got))
		}
	}
}

// TestQueueEchoAllocatesNothing: a burst that goes to the queue's heap and
// drains from it allocates nothing.
func TestQueueEchoAllocatesNothing(t *testing.T) {
	b, err := firmware.NewBoard(firmware.Config{Slots: 1, RxBuf: 2048, TxBuf: 512, MaxMessage: 4096, QueueLen: 4}, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &pipe{t: t, s: b.Accept(0), out: make([]byte, 0, 1<<20)}
	p.feed(upgradeReq)
	frames := make([][]byte, 6)
	for i := range frames {
		frames[i] = core.AppendFrame(nil, true, core.OpBinary, queueMsg(i, 1500), true, [4]byte{1, 2, 3, byte(i)})
	}
	in := make([]byte, 0, 2048)
	allocs := testing.AllocsPerRun(100, func() {
		p.out = p.out[:0]
		for _, f := range frames { // the client reads nothing meanwhile
			in = append(in[:0], f...)
			p.s.Received(copy(p.s.RxSpace(), in), p.now)
		}
		p.drain()
	})
	if allocs != 0 {
		t.Errorf("a queued burst allocates %.1f times", allocs)
	}
	st := b.Stats()
	if st.MsgsDropped == 0 || st.MsgsOut == 0 {
		t.Fatalf("echoed %d, dropped %d: the burst did not fill the queue", st.MsgsOut, st.MsgsDropped)
	}
}

// TestQueueHeapFromBudget: the queue's heap is what the budget leaves once
// the static footprint and every connection are taken, and its text adds
// up; a budget that leaves none refuses to start, naming the numbers.
func TestQueueHeapFromBudget(t *testing.T) {
	c := firmware.Config{Model: "q", Slots: 8, RxBuf: 2048, TxBuf: 2048, QueueLen: 32, HeapBudget: 100 << 10, FailMode: firmware.FailEvictOldest}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	f := c.Footprint()
	conns := (f.Slots + f.Spare) * firmware.DefaultConnCost
	if f.QueueHeap != f.Budget-f.Total-conns || f.QueueHeap <= 0 {
		t.Fatalf("queue heap %d, want %d - %d - %d", f.QueueHeap, f.Budget, f.Total, conns)
	}
	want := "queue heap " + itoa(f.QueueHeap) + " = " + itoa(f.Budget) + " budget - " + itoa(f.Total) + " static - 9 x 512 conn"
	if got := string(f.AppendQueueHeap(nil)); got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	b, err := firmware.NewBoard(c, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := b.RAM(); r.Budget-r.Static-9*firmware.DefaultConnCost != f.QueueHeap {
		t.Errorf("RAM %+v does not leave the queue heap %d", r, f.QueueHeap)
	}
	// A budget the static footprint fits but that leaves no heap for the
	// queue refuses to start with a sum that adds up.
	for _, left := range []int{0, 100, 319} {
		c.HeapBudget = f.Total + conns + left
		err = c.Check()
		if err == nil {
			t.Fatalf("%d B left for the queue: accepted", left)
		}
		m := queueBudgetText.FindStringSubmatch(err.Error())
		if m == nil {
			t.Fatalf("%q does not read as a sum", err)
		}
		n := make([]int, len(m))
		for i, s := range m[1:] {
			n[i+1], _ = strconv.Atoi(s)
		}
		static, slots, cost, heap, total, budget := n[1], n[2], n[3], n[4], n[5], n[6]
		if static != f.Total || slots != 9 || cost != firmware.DefaultConnCost || heap < firmware.QueueMsgOverhead ||
			static+slots*cost+heap != total || total <= budget || budget != c.HeapBudget {
			t.Errorf("%d B left: %q does not add up", left, err)
		}
	}
	c.HeapBudget = f.Total + conns + 320 // one chunk and one message's overhead
	if err := c.Check(); err != nil {
		t.Errorf("the least queue heap refused: %v", err)
	}
}

// queueBudgetText is "... = N B static + S x C B conn + Q B queue heap = T B > G B budget".
var queueBudgetText = regexp.MustCompile(`= (\d+) B static \+ (\d+) x (\d+) B conn \+ (\d+) B queue heap = (\d+) B > (\d+) B budget of q$`)

// TestQueueSplitHeaders: frames that arrive a few bytes at a time, their
// headers split across reads, are judged the same: QueueLen of them are
// echoed whole and in order, the rest dropped. (A 766 B frame, 0x2fe,
// with the mask ff ff 01 02 read from its third byte on looks like a
// frame of 65535 B, which the heap cannot take.)
func TestQueueSplitHeaders(t *testing.T) {
	const q, sent, size = 4, 12, 766
	for _, split := range []int{1, 2, 3, 5, 97} {
		m := newSim(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 512, MaxMessage: 4096, QueueLen: q}, nil)
		c := m.openWS("/ws")
		c.hold = true
		for i := 0; i < sent; i++ {
			f := core.AppendFrame(nil, true, core.OpBinary, queueMsg(i, size), true, [4]byte{0xff, 0xff, 1, 2})
			c.send(f[:split], 0) // a read ends inside the header
			c.send(f[split:], 0)
		}
		st := m.b.Stats()
		c.hold = false
		m.settle()
		got := echoedMessages(t, c.out)
		if st.MsgsOut != q || st.MsgsDropped != sent-q || len(got) != q {
			t.Fatalf("split at %d: echoed %d, dropped %d, received %d; want %d, %d, %d", split, st.MsgsOut, st.MsgsDropped, len(got), q, sent-q, q)
		}
		for i, p := range got {
			if !bytes.Equal(p, queueMsg(i, size)) {
				t.Fatalf("split at %d: echo %d is not message %d", split, i, i)
			}
		}
	}
}
