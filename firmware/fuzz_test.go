package firmware_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// The board under random input: two slots fed the same client bytes in
// different random chunks, drained slowly or not at all for a while, with
// the clock jumping. Whatever the bytes, every byte the board sends must
// parse: HTTP responses, then (after a 101) valid server frames with
// control frames only between frames; slots are all free at the end.

const fuzzOutCap = 1 << 20 // a connection that took this much is cut (a source that never ends)

func FuzzBoard(f *testing.F) {
	up := func(path string) string { return string(wsUpgrade(path)) }
	mask := core.NewMaskGen(7)
	fr := func(fin bool, op core.Opcode, p string) string {
		return string(core.AppendFrame(nil, fin, op, []byte(p), true, mask.NextMask()))
	}
	seeds := []string{
		"GET / HTTP/1.1\r\nHost: b\r\n\r\nHEAD / HTTP/1.1\r\nHost: b\r\n\r\nGET /stats HTTP/1.1\r\nHost: b\r\n\r\n",
		"GET /metrics HTTP/1.0\r\n\r\n",
		"PUT /files/a.txt HTTP/1.1\r\nHost: b\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhelloGET /files/a.txt HTTP/1.1\r\nHost: b\r\n\r\nDELETE /files/a.txt HTTP/1.1\r\nHost: b\r\n\r\n",
		"GET /stats HTTP/1.1\r\nHost: b\r\nContent-Length: 44\r\n\r\nDELETE /files/good.txt HTTP/1.1\r\nHost: b\r\n\r\n",
		up("/ws") + fr(true, core.OpText, "hello") + fr(false, core.OpBinary, "ab") + fr(true, core.OpPing, "p") + fr(true, core.OpContinuation, "cd") + fr(true, core.OpClose, "\x03\xe8"),
		up("/ws/source?size=3000&count=3") + fr(true, core.OpPing, "PINGPING") + fr(true, core.OpPing, "PINGPING"),
		up("/ws/source?size=10&count=5&rate=100&type=text"),
		up("/ws/broadcast") + fr(false, core.OpText, "first") + fr(true, core.OpPing, "") + fr(true, core.OpContinuation, "second"),
		up("/ws/sink") + fr(true, core.OpBinary, strings.Repeat("x", 600)),
		up("/ws") + "\x81\xff\x7f\xff\xff\xff\xff\xff\xff\xff",
		"GET /" + strings.Repeat("a", 600) + " HTTP/1.1\r\n\r\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), []byte{byte(i), 3, 200, 7, 1, 90, 13, 255, 0, 42})
	}
	f.Fuzz(func(t *testing.T, in, ops []byte) {
		if len(in) > 1<<16 || len(ops) > 1<<10 {
			return
		}
		st := &memStore{files: map[string][]byte{"good.txt": []byte("good")}}
		m := newSim(t, firmware.Config{Slots: 2, RxBuf: 512, TxBuf: 512, MaxMessage: 2048, MaxUpload: 4096, QueueLen: 4}, st)
		m.outCap = fuzzOutCap
		conns := []*simConn{m.dial(), m.dial()}
		pos := []int{0, 0}
		op := 0
		next := func() int {
			if len(ops) == 0 {
				return 37
			}
			v := int(ops[op%len(ops)])
			op++
			return v
		}
		for steps := 0; steps < 4096 && (pos[0] < len(in) || pos[1] < len(in)); steps++ {
			k := next()
			c := conns[k&1]
			p := &pos[k&1]
			switch (k >> 1) % 4 {
			case 0, 1: // feed a chunk
				n := 1 + next()%64
				if *p+n > len(in) {
					n = len(in) - *p
				}
				if n > 0 && !c.closed {
					left := c.send(in[*p:*p+n], 1+next()%16)
					*p += n - left
					if left > 0 {
						// The slot takes nothing now: the client waits.
						c.hold = false
						m.settle()
					}
				} else {
					*p = len(in)
				}
			case 2: // stop or start reading, drain a little
				c.hold = !c.hold
				if c.hold && !c.closed {
					c.drainN(next())
				}
				m.settle()
			case 3: // time passes
				m.advance(m.now + int64(next())*50*firmware.Millisecond)
			}
		}
		// The clients read everything and go quiet until every slot ends.
		for _, c := range conns {
			c.hold = false
		}
		m.settle()
		m.advance(m.now + 120*firmware.Second)
		for _, c := range conns {
			if !c.closed {
				c.s.PeerClosed(m.now)
				m.settle()
			}
			checkStream(t, c)
		}
		bs := m.b.Stats()
		if bs.SlotsInUse != 0 || bs.Accepted != 2 {
			t.Fatalf("%d slots still in use, %d accepted", bs.SlotsInUse, bs.Accepted)
		}
		if r := m.b.RAM(); r.Queued != 0 {
			t.Fatalf("every slot ended and the echo queue's heap still holds %d B", r.Queued)
		}
		// The byte counters are what crossed the wire, both ways.
		if in, out := conns[0].in+conns[1].in, len(conns[0].out)+len(conns[1].out); bs.BytesIn != uint64(in) || bs.BytesOut != uint64(out) {
			t.Fatalf("bytes in %d out %d, the wire carried %d and %d", bs.BytesIn, bs.BytesOut, in, out)
		}
		var answered uint64
		for _, n := range bs.HTTPStatus {
			answered += n
		}
		if answered > bs.HTTPRequests {
			t.Fatalf("%d answers to %d requests", answered, bs.HTTPRequests)
		}
	})
}

// checkStream checks that what one connection received is HTTP responses,
// then after a 101 valid server frames.
func checkStream(t *testing.T, c *simConn) {
	t.Helper()
	out := c.out
	if !parseResponses(out, c.cut) {
		t.Fatalf("the board's output is not a sequence of responses:\n%q", trunc(out))
	}
	if i := bytes.Index(out, []byte("HTTP/1.1 101 ")); i >= 0 {
		parseWS(t, out[i:])
	}
}

func trunc(b []byte) []byte {
	if len(b) > 2000 {
		return b[:2000]
	}
	return b
}

// parseResponses reports whether out is a sequence of whole responses
// (the last may be cut short when cut). A response to HEAD has a
// Content-Length and no body, so both readings are tried, remembering
// which offsets failed so the search stays linear.
func parseResponses(out []byte, cut bool) bool {
	failed := map[int]bool{}
	var at func(off int) bool
	at = func(off int) bool {
		if failed[off] {
			return false
		}
		ok := responseAt(out, off, cut, at)
		if !ok {
			failed[off] = true
		}
		return ok
	}
	return at(0)
}

func responseAt(all []byte, off int, cut bool, next func(int) bool) bool {
	out := all[off:]
	if len(out) == 0 {
		return true
	}
	if !bytes.HasPrefix(out, []byte("HTTP/1.1 ")) || len(out) < 13 {
		return cut && bytes.HasPrefix([]byte("HTTP/1.1 "), out[:min(len(out), 9)])
	}
	end := bytes.Index(out, []byte("\r\n\r\n"))
	if end < 0 {
		return cut
	}
	head := string(out[:end])
	code, err := strconv.Atoi(head[9:12])
	if err != nil || code < 100 || code > 599 {
		return false
	}
	body := off + end + 4
	if code == 101 {
		return true // frames follow
	}
	n := -1
	for _, l := range strings.Split(head, "\r\n")[1:] {
		name, v, ok := strings.Cut(l, ": ")
		if !ok {
			return false
		}
		if strings.EqualFold(name, "Content-Length") {
			if n, err = strconv.Atoi(v); err != nil || n < 0 {
				return false
			}
		}
	}
	if code < 200 || code == 204 || n <= 0 {
		return next(body)
	}
	if body+n > len(all) {
		return cut || next(body) // cut short, or a HEAD
	}
	return next(body+n) || next(body)
}

// FuzzQuery checks the board's query parsers against a plain reading of
// the query string.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"size=1024&count=10", "count=&size=5", "size=999999999999999999", "size=9999999999999999999",
		"a=1&&size=7&size=8", "type=text", "size=-1", "size=1e3", "sizes=4&size=3", "=&="} {
		f.Add(s, "size")
	}
	f.Fuzz(func(t *testing.T, q, key string) {
		if key == "" || strings.ContainsAny(key, "&=") {
			return
		}
		const def = -7
		got := firmware.QueryInt([]byte(q), key, def)
		want := int64(def)
		for _, kv := range strings.Split(q, "&") {
			v, ok := strings.CutPrefix(kv, key+"=")
			if !ok {
				continue
			}
			if len(v) >= 1 && len(v) <= 18 && strings.Trim(v, "0123456789") == "" {
				want, _ = strconv.ParseInt(v, 10, 64)
			}
			break
		}
		if got != want {
			t.Fatalf("queryInt(%q, %q) = %d, want %d", q, key, got, want)
		}
		for _, v := range []string{"text", "", "1"} {
			want := false
			for _, kv := range strings.Split(q, "&") {
				if kv == key+"="+v {
					want = true
				}
			}
			if got := firmware.QueryHas([]byte(q), key, v); got != want && q != "" {
				t.Fatalf("queryHas(%q, %q, %q) = %v, want %v", q, key, v, got, want)
			}
		}
	})
}
