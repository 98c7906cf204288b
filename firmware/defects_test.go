package firmware_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// Defects from issue 18 and the tests that pin them, on the sans-I/O board
// with a virtual clock.

// drainN sends at most n bytes of what the slot has pending.
func (c *simConn) drainN(n int) {
	p := c.s.TxPending()
	if len(p) > n {
		p = p[:n]
	}
	c.out = append(c.out, p...)
	c.s.Sent(len(p), c.m.now)
}

// Issue 18 defect 1: /ws/source messages larger than tx, with the client's
// pings, the board's idle ping and the closing handshake in between, while
// the client drains slowly: every byte the board sends must parse as frames
// (a pong landing inside a data frame's payload corrupts the stream).
func TestSourceControlFramesOnlyBetweenFrames(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 2, RxBuf: 512, TxBuf: 512, MaxMessage: 4096}, nil)
	c := m.dial()
	c.hold = true
	c.send(wsUpgrade("/ws/source?size=3000&count=4"), 0)
	pings := 0
	for round := 0; round < 40; round++ {
		c.drainN(97 + 31*(round%5))
		if round%3 == 0 {
			c.send(m.frame(true, core.OpPing, []byte("PINGPING")), 0)
			pings++
		}
		if round == 20 {
			// Silence past the ping interval: the board pings.
			m.advance(m.now + firmware.DefaultPingInterval)
		}
	}
	c.hold = false
	m.settle()
	evs := parseWS(t, c.out)
	msgs, ctrl := sourceMessages(t, evs)
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want 4", len(msgs))
	}
	for i, n := range msgs {
		if n != 3000 {
			t.Errorf("message %d has %d bytes, want 3000", i, n)
		}
	}
	pongs, idlePings := 0, 0
	for _, e := range ctrl {
		switch {
		case e.kind == core.EventPong && e.payload == "PINGPING":
			pongs++
		case e.kind == core.EventPing:
			idlePings++
		}
	}
	if pongs != pings || idlePings != 1 {
		t.Errorf("%d pongs for %d pings, %d idle pings (want 1)", pongs, pings, idlePings)
	}
	if last := evs[len(evs)-1]; last.kind != core.EventClose || last.code != core.CloseNormal {
		t.Errorf("last event %+v, want a close 1000", last)
	}
}

// A close from the client in the middle of a large source message: the
// board's close reply must come after a whole frame.
func TestSourceCloseReplyBetweenFrames(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 1, RxBuf: 512, TxBuf: 512, MaxMessage: 4096}, nil)
	c := m.dial()
	c.hold = true
	c.send(wsUpgrade("/ws/source?size=100000&count=2"), 0)
	c.drainN(300)
	c.send(m.frame(true, core.OpClose, []byte{0x03, 0xe8}), 0)
	c.hold = false
	m.settle()
	evs := parseWS(t, c.out)
	if last := evs[len(evs)-1]; last.kind != core.EventClose || last.code != core.CloseNormal {
		t.Errorf("last event %+v, want the close reply 1000", last)
	}
}

// Issue 18 defect 4: a GET, HEAD or DELETE with a body must not have its
// body parsed as the next request.
func TestRequestSmuggling(t *testing.T) {
	smuggled := "DELETE /files/good.txt HTTP/1.1\r\nHost: b\r\n\r\n"
	for _, tc := range []struct{ name, head string }{
		{"GET with Content-Length", "GET /stats HTTP/1.1\r\nHost: b\r\nContent-Length: " + itoa(len(smuggled)) + "\r\n\r\n"},
		{"HEAD with Content-Length", "HEAD / HTTP/1.1\r\nHost: b\r\nContent-Length: " + itoa(len(smuggled)) + "\r\n\r\n"},
		{"GET file with Content-Length", "GET /files/good.txt HTTP/1.1\r\nHost: b\r\nContent-Length: " + itoa(len(smuggled)) + "\r\n\r\n"},
		{"DELETE with Content-Length", "DELETE /files/other.txt HTTP/1.1\r\nHost: b\r\nContent-Length: " + itoa(len(smuggled)) + "\r\n\r\n"},
		{"GET chunked", "GET /stats HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n" + itoa(len(smuggled)) + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &memStore{files: map[string][]byte{"good.txt": []byte("good"), "other.txt": []byte("x")}}
			m := newSim(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 4096}, st)
			c := m.dial()
			c.send([]byte(tc.head+smuggled), 0)
			if _, ok := st.files["good.txt"]; !ok {
				t.Fatalf("the body was run as a request: good.txt deleted; board answered %q", c.out)
			}
			for _, code := range httpResponses(t, c.out) {
				if code == 204 {
					t.Errorf("a 204 answered the smuggled DELETE: %q", c.out)
				}
			}
		})
	}
}

func itoa(n int) string { return string(core.AppendInt(nil, int64(n))) }

// Issue 18 defect 5: a broadcast client that starts a message and never
// finishes it (only pings) must not block the other senders for ever.
func TestBroadcastStuckOwnerIsBounded(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 2048, MaxMessage: 1024}, nil)
	a := m.openWS("/ws/broadcast")
	b := m.openWS("/ws/broadcast")
	a.send(m.frame(false, core.OpText, []byte("first half")), 0)
	b.send(m.frame(true, core.OpText, []byte("from b")), 0)
	got := func() bool {
		for _, e := range parseWS(t, b.out) {
			if e.kind == core.EventFragment && e.payload == "from b" {
				return true
			}
		}
		return false
	}
	start := m.now
	for !got() && m.now-start < 60*firmware.Second {
		// Both keep their connections alive with pings; a never sends the rest.
		if !a.closed {
			a.send(m.frame(true, core.OpPing, nil), 0)
		}
		b.send(m.frame(true, core.OpPing, nil), 0)
		m.advance(m.now + firmware.Second)
	}
	if !got() {
		t.Fatalf("b's message did not reach b in %d s: the stuck owner blocks every sender", (m.now-start)/firmware.Second)
	}
	evs := parseWS(t, a.out)
	if last := evs[len(evs)-1]; last.kind != core.EventClose || (last.code != core.ClosePolicyViolation && last.code != core.CloseInternalError) {
		t.Errorf("the stuck owner's last event %+v, want a close 1008 or 1011", last)
	}
}

// The broadcast buffer is released when its owner's connection ends.
func TestBroadcastOwnerGoneReleasesBuffer(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 2048, MaxMessage: 1024}, nil)
	a := m.openWS("/ws/broadcast")
	b := m.openWS("/ws/broadcast")
	a.send(m.frame(false, core.OpText, []byte("first half")), 0)
	b.send(m.frame(true, core.OpText, []byte("from b")), 0)
	a.s.PeerClosed(m.now)
	m.settle()
	if !a.closed {
		t.Fatal("a reset connection is not done")
	}
	var n int
	for _, e := range parseWS(t, b.out) {
		if e.kind == core.EventFragment && e.payload == "from b" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("b got its message %d times after the owner left, want once", n)
	}
}

// Issue 18 defect 8: a connection that sends nothing is dropped after the
// header timeout, not held for the idle timeout.
func TestSilentConnectionHeaderTimeout(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 2, RxBuf: 512, TxBuf: 512}, nil)
	c := m.dial()
	m.advance(firmware.DefaultHeaderTimeout)
	if !c.closed {
		t.Fatalf("a silent connection still holds its slot at the header timeout (deadline %d ms)", c.s.Deadline()/firmware.Millisecond)
	}
	if st := m.b.Stats(); st.Timeouts != 1 || st.SlotsInUse != 0 {
		t.Errorf("timeouts %d, slots in use %d", st.Timeouts, st.SlotsInUse)
	}
	// A kept-alive connection between requests still has the idle timeout.
	c = m.dial()
	c.send([]byte("GET / HTTP/1.1\r\nHost: b\r\n\r\n"), 0)
	m.advance(m.now + firmware.DefaultHeaderTimeout + firmware.Second)
	if c.closed {
		t.Error("a kept-alive connection was dropped at the header timeout between requests")
	}
	m.advance(m.now + firmware.DefaultIdleTimeout)
	if !c.closed {
		t.Error("a kept-alive idle connection outlived the idle timeout")
	}
}

// Issue 18 defect 8: http.requests counts the 431 answers.
func TestRequestsCount431(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 1, RxBuf: 256, TxBuf: 512}, nil)
	c := m.dial()
	c.send([]byte("GET / HTTP/1.1\r\nX-Long: "+strings.Repeat("a", 400)), 0)
	if codes := httpResponses(t, c.out); len(codes) != 1 || codes[0] != 431 {
		t.Fatalf("answers %v, want [431]", codes)
	}
	if st := m.b.Stats(); st.HTTPRequests != 1 || st.HTTPStatus[4] != 1 {
		t.Errorf("requests %d, 4xx %d; want 1 and 1", st.HTTPRequests, st.HTTPStatus[4])
	}
}

// huge is a size no board can allocate that still fits an int: 4e9 on a
// 64-bit host, the largest int on a 32-bit one (the tests run on both).
var huge = int(min(4000000000, uint64(^uint(0)>>1)))

// Issue 18 defect 8: sizes that cannot be allocated are a clean error.
func TestConfigBounds(t *testing.T) {
	for _, c := range []firmware.Config{
		{Slots: huge, RxBuf: 1024, TxBuf: 1024}, // 4,000,000,000 on 64-bit
		{Slots: 1 << 21, RxBuf: 1024, TxBuf: 1024},
		{Slots: 1, RxBuf: huge, TxBuf: 1024},
		{Slots: 1, RxBuf: 1024, TxBuf: huge},
		{Slots: 1, RxBuf: 1024, TxBuf: 1024, MaxMessage: huge},
		{Slots: 1, RxBuf: 1024, TxBuf: 1024, MaxUpload: -1},
		{Slots: 1 << 20, RxBuf: 1 << 24, TxBuf: 1 << 24},
		{Slots: 4, RxBuf: 1024, TxBuf: 1024, HeaderTimeout: -1},
	} {
		if err := c.Check(); err == nil {
			t.Errorf("%+v passes Check", c)
		}
	}
	if err := (&firmware.Config{Slots: 10000, RxBuf: 1024, TxBuf: 1024}).Check(); err != nil {
		t.Errorf("the memtest's 10,000 slots: %v", err)
	}
}

// Every number taken from a /ws/source query is bounded before use.
func TestSourceQueryBounds(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 1, RxBuf: 512, TxBuf: 512, MaxMessage: 4096}, nil)
	c := m.dial()
	c.hold = true
	c.send(wsUpgrade("/ws/source?size=10&count=999999999999999999&rate=999999999999999999"), 0)
	c.drainN(4096)
	evs := parseWS(t, c.out)
	if len(evs) == 0 {
		t.Fatal("no message")
	}
}

// Issue 18 table: /ws/source paces at the asked rate, on a virtual clock.
func TestSourcePacingSchedule(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 1, RxBuf: 512, TxBuf: 512}, nil)
	m.now = 7 * firmware.Second
	c := m.openWS("/ws/source?size=10&count=6&rate=100")
	t0 := m.now // the upgrade arrived now: the first message leaves at once
	count := func() int {
		msgs, _ := sourceMessages(t, parseWS(t, c.out))
		return len(msgs)
	}
	every := firmware.Second / 100
	for k := int64(1); k < 6; k++ {
		m.advance(t0 + k*every - 1)
		if n := count(); n != int(k) {
			t.Fatalf("%d messages just before %d ms, want %d", n, k*every/firmware.Millisecond, k)
		}
		m.advance(t0 + k*every)
		if n := count(); n != int(k)+1 {
			t.Fatalf("%d messages at %d ms, want %d", n, k*every/firmware.Millisecond, k+1)
		}
	}
}

// Issue 18 table: the echo queue holds exactly QueueLen messages.
func TestEchoQueueBoundExact(t *testing.T) {
	for _, q := range []int{1, 3, 8} {
		m := newSim(t, firmware.Config{Slots: 1, RxBuf: 1024, TxBuf: 4096, QueueLen: q}, nil)
		c := m.openWS("/ws")
		c.hold = true
		before := len(c.out)
		for i := 0; i < 20; i++ {
			c.send(m.frame(true, core.OpText, []byte("hello")), 0)
		}
		c.hold = false
		m.settle()
		n := 0
		for _, e := range parseWS(t, c.out[:before:before]) {
			_ = e
		}
		for _, e := range parseWS(t, c.out) {
			if e.kind == core.EventFragment && e.final {
				n++
			}
		}
		st := m.b.Stats()
		if n != q || st.MsgsOut != uint64(q) || st.MsgsDropped != uint64(20-q) || st.MsgsIn != 20 {
			t.Errorf("queue %d: %d echoed (out %d, dropped %d, in %d), want %d echoed and %d dropped",
				q, n, st.MsgsOut, st.MsgsDropped, st.MsgsIn, q, 20-q)
		}
	}
}

// Issue 18 table: every /stats counter after a scripted session, the
// expected figures worked out by hand, and the JSON document carrying each.
func TestStatsEveryCounter(t *testing.T) {
	st := &memStore{files: map[string][]byte{}}
	m := newSim(t, firmware.Config{Model: "t", Slots: 4, RxBuf: 512, TxBuf: 1024, MaxMessage: 1024, MaxUpload: 100}, st)
	var in uint64
	send := func(c *simConn, b []byte) { in += uint64(len(b)); c.send(b, 0) }

	// 1: GET / kept alive, then an upload with 100-continue, then a 404.
	c1 := m.dial()
	send(c1, []byte("GET / HTTP/1.1\r\nHost: b\r\n\r\n"))
	send(c1, []byte("PUT /files/a.txt HTTP/1.1\r\nHost: b\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"))
	send(c1, []byte("hello"))
	// 2: an echo connection, a ping, a close 1000 from the client.
	c2 := m.openWS("/ws")
	in += uint64(len(wsUpgrade("/ws")))
	send(c2, m.frame(true, core.OpText, []byte("one")))
	send(c2, m.frame(true, core.OpBinary, []byte("two!")))
	send(c2, m.frame(true, core.OpPing, []byte("p")))
	// 3: a source that ends with its own close 1000; the client answers 1000.
	c3 := m.openWS("/ws/source?size=10&count=3")
	in += uint64(len(wsUpgrade("/ws/source?size=10&count=3")))
	send(c1, []byte("GET /files/nope HTTP/1.1\r\nHost: b\r\n\r\n")) // 404, closes c1
	send(c3, m.frame(true, core.OpClose, []byte{0x03, 0xe8}))
	send(c2, m.frame(true, core.OpClose, []byte{0x03, 0xe9})) // 1001 from the client, echoed
	// 4: an upgrade whose client resets, and a cut upload.
	c4 := m.openWS("/ws")
	in += uint64(len(wsUpgrade("/ws")))
	c4.s.PeerClosed(m.now)
	c5 := m.dial()
	send(c5, []byte("PUT /files/b.txt HTTP/1.1\r\nHost: b\r\nContent-Length: 10\r\n\r\nabc"))
	c5.s.PeerClosed(m.now)
	// 6: an idle WebSocket is pinged, never answers, and is dropped.
	c6 := m.openWS("/ws/sink")
	in += uint64(len(wsUpgrade("/ws/sink")))
	m.settle()
	m.advance(m.now + firmware.DefaultPingInterval + firmware.DefaultPongTimeout)
	// 7: a silent connection times out.
	c7 := m.dial()
	m.advance(m.now + firmware.DefaultIdleTimeout + firmware.Second)
	m.b.Refused()
	m.settle()
	var out uint64
	for _, c := range []*simConn{c1, c2, c3, c4, c5, c6, c7} {
		if !c.closed {
			t.Errorf("connection at slot %d still open", c.s.Index())
		}
		out += uint64(len(c.out))
	}
	if string(st.files["a.txt"]) != "hello" {
		t.Errorf("stored %q", st.files["a.txt"])
	}
	want := firmware.Stats{
		Accepted: 7, Refused: 1, SlotsInUse: 0, PeakSlots: 3,
		HTTPRequests:   8, // GET /, PUT, 3 upgrades at first, GET 404, PUT b, upgrade sink... counted below
		HTTPStatus:     [6]uint64{0, 4, 2, 0, 1, 0},
		Upgrades:       4,
		MsgsIn:         2,
		MsgsOut:        5,
		BytesIn:        in,
		BytesOut:       out,
		Uploads:        1,
		UploadsAborted: 1,
		Timeouts:       2,
		PingsSent:      1,
		Abnormal:       2,
	}
	want.ClosesSent[0] = 1 // the source's "done"
	want.ClosesSent[1] = 1 // the echoed 1001
	want.ClosesRecv[0] = 1
	want.ClosesRecv[1] = 1
	got := m.b.Stats()
	if got != want {
		t.Errorf("stats\n got %+v\nwant %+v", got, want)
	}
	checkStatsJSON(t, m.b, got)

	// The configuration and footprint fields, worked out by hand for
	// Slots 4, rx 512, tx 1024, max message 1024, max upload 100.
	m.b.LinkBps, m.b.LinkRTT = 2_000_000, 3*firmware.Millisecond
	m.dial() // the board learns the time from its host's calls
	var doc map[string]any
	if err := json.Unmarshal(m.b.AppendStats(nil), &doc); err != nil {
		t.Fatal(err)
	}
	field := func(path ...string) any {
		var v any = doc
		for _, k := range path {
			v = v.(map[string]any)[k]
		}
		return v
	}
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"model"}, "t"},
		{[]string{"uptime_ms"}, float64(m.now / firmware.Millisecond)},
		{[]string{"footprint", "slots"}, 4.0}, {[]string{"footprint", "rx"}, 512.0}, {[]string{"footprint", "tx"}, 1024.0},
		{[]string{"footprint", "per_slot"}, 512.0 + 1024 + 512}, {[]string{"footprint", "fixed"}, 4096.0 + 1024},
		{[]string{"footprint", "total"}, 4*(512.0+1024+512) + 4096 + 1024}, {[]string{"footprint", "budget"}, 0.0},
		{[]string{"config", "max_message"}, 1024.0}, {[]string{"config", "max_upload"}, 100.0},
		{[]string{"config", "queue_len"}, 0.0}, {[]string{"config", "fail_mode"}, "503"},
		{[]string{"config", "link_bps"}, 2e6}, {[]string{"config", "link_rtt_us"}, 3000.0},
		{[]string{"slots", "total"}, 4.0},
	} {
		if got := field(c.path...); got != c.want {
			t.Errorf("/stats %s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	for _, k := range []string{"inuse", "sys", "mallocs", "frees"} {
		if v, ok := field("heap", k).(float64); !ok || v <= 0 {
			t.Errorf("/stats heap.%s = %v", k, field("heap", k))
		}
	}
}

// checkStatsJSON reads every counter back from the /stats document.
func checkStatsJSON(t *testing.T, b *firmware.Board, s firmware.Stats) {
	t.Helper()
	var doc struct {
		Slots struct{ Total, InUse, Peak int } `json:"slots"`
		Conns struct {
			Accepted, Refused, Upgrades, Timeouts, Abnormal uint64
		} `json:"conns"`
		HTTP map[string]uint64 `json:"http"`
		Msgs struct {
			In, Out, Dropped uint64
			PingsSent        uint64 `json:"pings_sent"`
		} `json:"msgs"`
		Bytes      struct{ In, Out uint64 } `json:"bytes"`
		CloseSent  map[string]uint64        `json:"close_sent"`
		CloseRecv  map[string]uint64        `json:"close_recv"`
		SlotsInUse int                      `json:"-"`
	}
	raw := b.AppendStats(nil)
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("/stats is not JSON: %v\n%s", err, raw)
	}
	var inUse struct {
		Slots struct {
			InUse int `json:"in_use"`
		} `json:"slots"`
	}
	json.Unmarshal(raw, &inUse)
	check := func(name string, got, want uint64) {
		if got != want {
			t.Errorf("/stats %s = %d, want %d", name, got, want)
		}
	}
	check("slots.in_use", uint64(inUse.Slots.InUse), uint64(s.SlotsInUse))
	check("slots.peak", uint64(doc.Slots.Peak), uint64(s.PeakSlots))
	check("conns.accepted", doc.Conns.Accepted, s.Accepted)
	check("conns.refused", doc.Conns.Refused, s.Refused)
	check("conns.upgrades", doc.Conns.Upgrades, s.Upgrades)
	check("conns.timeouts", doc.Conns.Timeouts, s.Timeouts)
	check("conns.abnormal", doc.Conns.Abnormal, s.Abnormal)
	check("http.requests", doc.HTTP["requests"], s.HTTPRequests)
	for cls := 1; cls <= 5; cls++ {
		k := string(rune('0'+cls)) + "xx"
		check("http."+k, doc.HTTP[k], s.HTTPStatus[cls])
	}
	check("http.uploads", doc.HTTP["uploads"], s.Uploads)
	check("http.uploads_aborted", doc.HTTP["uploads_aborted"], s.UploadsAborted)
	check("msgs.in", doc.Msgs.In, s.MsgsIn)
	check("msgs.out", doc.Msgs.Out, s.MsgsOut)
	check("msgs.dropped", doc.Msgs.Dropped, s.MsgsDropped)
	check("msgs.pings_sent", doc.Msgs.PingsSent, s.PingsSent)
	check("bytes.in", doc.Bytes.In, s.BytesIn)
	check("bytes.out", doc.Bytes.Out, s.BytesOut)
	for i := 0; i < 17; i++ {
		k := "other"
		if i < 16 {
			k = itoa(1000 + i)
		}
		check("close_sent."+k, doc.CloseSent[k], s.ClosesSent[i])
		check("close_recv."+k, doc.CloseRecv[k], s.ClosesRecv[i])
	}
}

// Found by FuzzBoard: a ping arriving after the board's own close (a
// source that finished) was answered with a pong after the close frame.
func TestSourceNothingAfterClose(t *testing.T) {
	m := newSim(t, firmware.Config{Slots: 1, RxBuf: 512, TxBuf: 512}, nil)
	c := m.openWS("/ws/source?size=10&count=2")
	c.send(m.frame(true, core.OpPing, []byte("late")), 0)
	evs := parseWS(t, c.out) // fails on bytes after the close frame
	if last := evs[len(evs)-1]; last.kind != core.EventClose {
		t.Errorf("last event %+v, want the close", last)
	}
}

// Found by FuzzBoard: a due idle ping or paced source message that tx has
// no room for left the slot's deadline in the past, so the host's timer
// fired again at once (a busy loop) for as long as the client did not
// read. Now the slot waits for Sent, and drops a client that takes
// nothing for PongTimeout.
func TestNoSpinWithTxFull(t *testing.T) {
	for _, path := range []string{"/ws/source?size=100000&count=3", "/ws/source?size=200&count=100&rate=1000", "/ws"} {
		m := newSim(t, firmware.Config{Slots: 1, RxBuf: 512, TxBuf: 512, MaxMessage: 4096}, nil)
		c := m.dial()
		c.hold = true
		c.send(wsUpgrade(path), 0)
		if path == "/ws" {
			// An echo the client does not read fills tx to the last byte.
			c.send(m.frame(true, core.OpBinary, make([]byte, 3000)), 0)
		}
		m.advance(m.now + firmware.DefaultPingInterval + 2*firmware.DefaultPongTimeout) // fails on a spin
		if !c.closed {
			t.Errorf("%s: a client that reads nothing is still held", path)
		}
		if st := m.b.Stats(); st.Timeouts != 1 {
			t.Errorf("%s: %d timeouts, want 1", path, st.Timeouts)
		}
	}
}

// bigCL is the answer to a Content-Length of 10^18 - 1: past the upload
// limit (413) where an int holds it, past what a number may hold (400) on
// a 32-bit board.
var bigCL = map[bool]int{true: 413, false: 400}[strconv.IntSize == 64]

// Every number read from a request is bounded before use: a Content-Length
// past the upload limit is 413, one past what a number may hold is 400.
func TestContentLengthBounds(t *testing.T) {
	for _, tc := range []struct {
		cl   string
		want int
	}{{"999999999999999999", bigCL}, {"99999999999999999999", 400}, {"-1", 400}, {"4097", 413}, {"1e3", 400}} {
		st := &memStore{files: map[string][]byte{}}
		m := newSim(t, firmware.Config{Slots: 1, RxBuf: 512, TxBuf: 512, MaxUpload: 4096}, st)
		c := m.dial()
		c.send([]byte("PUT /files/a HTTP/1.1\r\nHost: b\r\nContent-Length: "+tc.cl+"\r\n\r\nabc"), 0)
		if codes := httpResponses(t, c.out); len(codes) != 1 || codes[0] != tc.want {
			t.Errorf("Content-Length %s: answers %v, want %d", tc.cl, codes, tc.want)
		}
		if !c.closed || len(st.files) != 0 {
			t.Errorf("Content-Length %s: connection open %v, files %d", tc.cl, !c.closed, len(st.files))
		}
	}
}
