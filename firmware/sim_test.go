package firmware_test

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// sim drives a whole board without sockets on a virtual clock: several
// connections, output drained or held back at will, timers run in
// deadline order. It is the host's loop, minus the kernel.
type sim struct {
	t     testing.TB
	b     *firmware.Board
	now   int64
	conns map[int]*simConn // by slot index
	mask  *core.MaskGen
	// outCap, when > 0, cuts a connection that has received this many
	// bytes (the client resets it): a source may never end.
	outCap int
}

type simConn struct {
	m      *sim
	s      *firmware.Slot
	out    []byte // everything the slot sent, in order
	hold   bool   // do not drain: a client that stopped reading
	closed bool   // the host closed the connection (Done)
	cut    bool   // the client reset it after outCap bytes
	in     int    // bytes the slot took
	// drainAt records, for every drain, the time and how many bytes out
	// held before it: tests use it to find when bytes left.
	sends []sendMark
}

type sendMark struct {
	at       int64
	from, to int
}

func newSim(t testing.TB, cfg firmware.Config, store firmware.Store) *sim {
	t.Helper()
	b, err := firmware.NewBoard(cfg, store, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &sim{t: t, b: b, conns: map[int]*simConn{}, mask: core.NewMaskGen(1)}
}

func (m *sim) dial() *simConn {
	m.t.Helper()
	s := m.b.Accept(m.now)
	if s == nil {
		m.t.Fatal("no free slot")
	}
	c := &simConn{m: m, s: s}
	m.conns[s.Index()] = c
	return c
}

// settle drains every connection that is not held and every woken slot,
// closing connections that are done, until nothing moves.
func (m *sim) settle() {
	for moved := true; moved; {
		moved = false
		for s := m.b.NextWake(); s != nil; s = m.b.NextWake() {
			moved = true
		}
		idx := make([]int, 0, len(m.conns))
		for i := range m.conns {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		for _, i := range idx {
			c := m.conns[i]
			if c.closed {
				continue
			}
			if !c.hold {
				for p := c.s.TxPending(); len(p) > 0; p = c.s.TxPending() {
					if m.outCap > 0 && len(c.out) >= m.outCap {
						c.cut = true
						c.s.PeerClosed(m.now)
						break
					}
					c.sends = append(c.sends, sendMark{m.now, len(c.out), len(c.out) + len(p)})
					c.out = append(c.out, p...)
					c.s.Sent(len(p), m.now)
					moved = true
				}
			}
			if c.s.Done() {
				c.closed = true
				c.s.Release(m.now)
				moved = true
			}
		}
	}
}

// send hands in to the slot in pieces of at most chunk bytes (0: as much
// as it takes), settling after each; it reports how many bytes the slot
// could not take (a slot with a held peer stops reading).
func (c *simConn) send(in []byte, chunk int) int {
	m := c.m
	for len(in) > 0 && !c.closed {
		buf := c.s.RxSpace()
		if buf == nil {
			m.settle()
			if buf = c.s.RxSpace(); buf == nil {
				return len(in)
			}
		}
		k := len(in)
		if chunk > 0 && k > chunk {
			k = chunk
		}
		n := copy(buf, in[:k])
		in = in[n:]
		c.in += n
		m.now += 1000
		c.s.Received(n, m.now)
		m.settle()
	}
	return len(in)
}

// frame is a masked client frame.
func (m *sim) frame(fin bool, op core.Opcode, p []byte) []byte {
	return core.AppendFrame(nil, fin, op, p, true, m.mask.NextMask())
}

// advance runs the board's timers up to time to, in deadline order.
func (m *sim) advance(to int64) {
	spins := 0
	for {
		next, which := int64(0), (*simConn)(nil)
		for _, c := range m.conns {
			if c.closed {
				continue
			}
			if d := c.s.Deadline(); d != 0 && d <= to && (which == nil || d < next) {
				next, which = d, c
			}
		}
		if which == nil {
			break
		}
		if next > m.now {
			m.now = next
			spins = 0
		}
		which.s.Tick(m.now)
		m.settle()
		// A Tick that leaves its deadline in the past makes the host's
		// timer fire again at once: the event loop would spin.
		if spins++; spins > 1000 {
			m.t.Fatalf("slot %d: Tick at %d ms leaves its deadline at %d ms: the host would spin",
				which.s.Index(), m.now/firmware.Millisecond, which.s.Deadline()/firmware.Millisecond)
		}
	}
	if to > m.now {
		m.now = to
	}
}

func wsUpgrade(path string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + testKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
}

// openWS dials and upgrades to path; it fails the test on anything but a 101.
func (m *sim) openWS(path string) *simConn {
	m.t.Helper()
	c := m.dial()
	c.send(wsUpgrade(path), 0)
	if !c.s.IsWebSocket() || !bytes.HasPrefix(c.out, []byte("HTTP/1.1 101 ")) {
		m.t.Fatalf("upgrade to %s: %q", path, c.out)
	}
	return c
}

// wsEvent is one thing the board sent on a WebSocket, parsed independently
// of the board's own reader settings.
type wsEvent struct {
	kind    core.EventKind
	op      core.Opcode
	payload string
	first   bool
	final   bool
	code    core.CloseCode
}

// parseWS checks that out (an upgrade response and then frames) is a valid
// server stream: every byte a frame of a well-formed sequence, control
// frames only between frames; it returns what it found. A partial last
// frame is allowed (bytes still under way).
func parseWS(t testing.TB, out []byte) []wsEvent {
	t.Helper()
	i := bytes.Index(out, []byte("\r\n\r\n"))
	if !bytes.HasPrefix(out, []byte("HTTP/1.1 101 ")) || i < 0 {
		t.Fatalf("no upgrade response: %q", out)
	}
	out = out[i+4:]
	r := core.Reader{Role: core.Client, Stream: true}
	var evs []wsEvent
	for len(out) > 0 {
		n, ev, err := r.Feed(out)
		if err != nil {
			t.Fatalf("the board's output does not parse as frames at %d bytes before its end: %v", len(out), err)
		}
		out = out[n:]
		if ev.Kind == core.EventNone {
			if n == 0 {
				break
			}
			continue
		}
		evs = append(evs, wsEvent{ev.Kind, ev.Op, string(ev.Payload), ev.First, ev.Final, ev.Code})
		if ev.Kind == core.EventClose {
			if len(out) > 0 {
				t.Fatalf("%d bytes after the close frame", len(out))
			}
			break
		}
	}
	return evs
}

// sourceMessages joins the data pieces into messages and checks each
// message's bytes count up from 'a' as /ws/source promises.
func sourceMessages(t testing.TB, evs []wsEvent) (msgs []int, ctrl []wsEvent) {
	t.Helper()
	var cur []byte
	for _, e := range evs {
		if e.kind != core.EventFragment {
			ctrl = append(ctrl, e)
			continue
		}
		cur = append(cur, e.payload...)
		if e.final {
			for k, c := range cur {
				if c != 'a'+byte(k%26) {
					t.Fatalf("message %d: byte %d is %q, want %q", len(msgs), k, c, 'a'+byte(k%26))
				}
			}
			msgs = append(msgs, len(cur))
			cur = cur[:0]
		}
	}
	return msgs, ctrl
}

// memStore is a firmware.Store in memory.
type memStore struct{ files map[string][]byte }

func (s *memStore) Open(name []byte) (firmware.File, int64, error) {
	b, ok := s.files[string(name)]
	if !ok {
		return nil, 0, firmware.ErrNotExist
	}
	return &memFile{b: b}, int64(len(b)), nil
}

func (s *memStore) Create(name []byte, size int64) (firmware.Upload, error) {
	return &memUpload{s: s, name: string(name)}, nil
}

func (s *memStore) Remove(name []byte) error {
	if _, ok := s.files[string(name)]; !ok {
		return firmware.ErrNotExist
	}
	delete(s.files, string(name))
	return nil
}

type memFile struct{ b []byte }

func (f *memFile) Read(p []byte) (int, error) { n := copy(p, f.b); f.b = f.b[n:]; return n, nil }
func (f *memFile) Close() error               { return nil }

type memUpload struct {
	s    *memStore
	name string
	b    []byte
}

func (u *memUpload) Write(p []byte) (int, error) { u.b = append(u.b, p...); return len(p), nil }
func (u *memUpload) Commit() error               { u.s.files[u.name] = u.b; return nil }
func (u *memUpload) Abort()                      {}

// httpResponses splits out into responses (head and body by
// Content-Length) and returns their status codes; it fails on bytes that
// are not a response.
func httpResponses(t testing.TB, out []byte) []int {
	t.Helper()
	var codes []int
	for len(out) > 0 {
		i := bytes.Index(out, []byte("\r\n\r\n"))
		if i < 0 || !bytes.HasPrefix(out, []byte("HTTP/1.1 ")) {
			t.Fatalf("not a response: %q", out)
		}
		head := string(out[:i])
		code, err := strconv.Atoi(head[9:12])
		if err != nil {
			t.Fatalf("status in %q", head)
		}
		codes = append(codes, code)
		out = out[i+4:]
		n := 0
		for _, l := range strings.Split(head, "\r\n") {
			if v, ok := strings.CutPrefix(strings.ToLower(l), "content-length: "); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		if code == 101 {
			break
		}
		if n > len(out) {
			t.Fatalf("response %d: body of %d bytes, %d arrived", code, n, len(out))
		}
		out = out[n:]
	}
	return codes
}
