package core

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// cframe builds a masked client frame.
func cframe(fin bool, op Opcode, payload []byte) []byte {
	return AppendFrame(nil, fin, op, payload, true, testKey)
}

// feedAll feeds in to r in pieces of size step (0: all at once), keeping
// the bytes Feed leaves for later as a caller must, and collects the
// events, copying payloads.
func feedAll(r *Reader, in []byte, step int) ([]Event, error) {
	in = append([]byte(nil), in...)
	var evs []Event
	var pending []byte
	for len(in) > 0 {
		k := len(in)
		if step > 0 && step < k {
			k = step
		}
		pending = append(pending, in[:k]...)
		in = in[k:]
		for len(pending) > 0 {
			n, ev, err := r.Feed(pending)
			if err != nil {
				return evs, err
			}
			pending = pending[n:]
			if ev.Kind != EventNone {
				ev.Payload = append([]byte(nil), ev.Payload...)
				ev.Reason = append([]byte(nil), ev.Reason...)
				evs = append(evs, ev)
			} else if n == 0 || len(pending) > 0 && n == 0 {
				break
			}
		}
		pending = append([]byte(nil), pending...)
	}
	if len(pending) > 0 {
		return evs, ErrNeedMore
	}
	return evs, nil
}

func TestReaderRules(t *testing.T) {
	cat := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	unmasked := func(fin bool, op Opcode, p []byte) []byte { return AppendFrame(nil, fin, op, p, false, [4]byte{}) }
	rsv := cframe(true, OpText, []byte("x"))
	rsv[0] |= 0x40
	cases := []struct {
		name string
		in   []byte
		err  error
	}{
		{"unmasked client frame", unmasked(true, OpText, []byte("hi")), ErrMaskRequired},
		{"RSV1 without extension", rsv, ErrReservedBits},
		{"reserved data opcode 3", cframe(true, 3, nil), ErrReservedOpcode},
		{"reserved control opcode B", cframe(true, 0xB, nil), ErrReservedOpcode},
		{"continuation without start", cframe(true, OpContinuation, []byte("x")), ErrUnexpectedContinue},
		{"new start inside a message", cat(cframe(false, OpText, []byte("a")), cframe(true, OpText, []byte("b"))), ErrExpectedContinue},
		{"ping of 126 bytes", cat(AppendHeader(nil, Header{Fin: true, Op: OpPing, Length: 126, Masked: true})), ErrControlTooLong},
		{"fragmented ping", cat(AppendHeader(nil, Header{Op: OpPing, Masked: true})), ErrControlFragmented},
		{"invalid UTF-8 text", cframe(true, OpText, []byte{0xce, 0xba, 0xff}), ErrInvalidUTF8},
		{"truncated UTF-8 at end", cframe(true, OpText, []byte{0xce}), ErrInvalidUTF8},
		{"close with one byte", cframe(true, OpClose, []byte{3}), ErrCloseLength},
		{"close 1005 on the wire", cframe(true, OpClose, []byte{0x03, 0xED}), ErrCloseCode},
		{"close 999", cframe(true, OpClose, []byte{0x03, 0xE7}), ErrCloseCode},
		{"close 1016", cframe(true, OpClose, []byte{0x03, 0xF8}), ErrCloseCode},
		{"close reason not UTF-8", cframe(true, OpClose, []byte{0x03, 0xE8, 0xc0}), ErrInvalidUTF8},
		{"over the limit", cframe(true, OpBinary, make([]byte, 101)), ErrMessageTooBig},
		{"over the limit in fragments", cat(cframe(false, OpBinary, make([]byte, 60)), cframe(true, OpContinuation, make([]byte, 41))), ErrMessageTooBig},
	}
	for _, c := range cases {
		for _, step := range []int{0, 1, 3} {
			r := Reader{Role: Server, Buf: make([]byte, 100)}
			_, err := feedAll(&r, c.in, step)
			if err != c.err {
				t.Errorf("%s (step %d): err = %v, want %v", c.name, step, err, c.err)
			}
			if err != nil && r.failure() != err {
				t.Errorf("%s: Reader does not stay failed", c.name)
			}
		}
	}
	// A client rejects masked frames from a server.
	r := Reader{Role: Client, Buf: make([]byte, 100)}
	if _, err := feedAll(&r, cframe(true, OpText, []byte("x")), 0); err != ErrMaskUnexpected {
		t.Fatalf("client reading a masked frame: %v", err)
	}
}

func TestReaderLimitExact(t *testing.T) {
	for _, stream := range []bool{false, true} {
		r := Reader{Role: Server, Buf: make([]byte, 4096), MaxMessage: 1000, Stream: stream}
		evs, err := feedAll(&r, cframe(true, OpBinary, make([]byte, 1000)), 0)
		if err != nil || len(evs) == 0 || !evs[len(evs)-1].Final {
			t.Fatalf("stream=%v: a message of exactly the cap must pass: %v", stream, err)
		}
		r.Reset()
		if _, err := feedAll(&r, cframe(true, OpBinary, make([]byte, 1001)), 0); err != ErrMessageTooBig || CloseCodeOf(err) != 1009 {
			t.Fatalf("stream=%v: cap+1 must close 1009, got %v", stream, err)
		}
	}
}

func TestReaderFragmentsWithInterleavedControl(t *testing.T) {
	in := bytes.Join([][]byte{
		cframe(false, OpText, []byte("Hel")),
		cframe(true, OpPing, []byte("p1")),
		cframe(false, OpContinuation, []byte("lo, ")),
		cframe(true, OpPong, nil),
		cframe(false, OpContinuation, nil),
		cframe(true, OpContinuation, []byte("wörld")),
		cframe(true, OpClose, appendClosePayload(nil, CloseGoingAway, []byte("bye"))),
	}, nil)
	for _, step := range []int{0, 1, 2, 5, 7} {
		r := Reader{Role: Server, Buf: make([]byte, 64)}
		evs, err := feedAll(&r, in, step)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if len(evs) != 4 || evs[0].Kind != EventPing || string(evs[0].Payload) != "p1" ||
			evs[1].Kind != EventPong || evs[2].Kind != EventMessage || string(evs[2].Payload) != "Hello, wörld" ||
			evs[2].Op != OpText || evs[3].Kind != EventClose || evs[3].Code != CloseGoingAway || string(evs[3].Reason) != "bye" {
			t.Fatalf("step %d: events %+v", step, evs)
		}
		if _, _, err := r.Feed(cframe(true, OpText, nil)); err != ErrClosed {
			t.Fatalf("after close: %v", err)
		}
	}
}

// UTF-8 is checked as bytes arrive: an invalid byte in the first fragment
// fails before the message ends, even when a code point spans fragments.
func TestReaderUTF8FailFast(t *testing.T) {
	r := Reader{Role: Server, Buf: make([]byte, 64)}
	// "κ" = ce ba split over two fragments is fine.
	if _, err := feedAll(&r, bytes.Join([][]byte{cframe(false, OpText, []byte{0xce}), cframe(true, OpContinuation, []byte{0xba})}, nil), 0); err != nil {
		t.Fatalf("split code point: %v", err)
	}
	r.Reset()
	// The first fragment alone already holds an invalid sequence (0xF5 can
	// never start one): fail before any continuation arrives.
	_, err := feedAll(&r, cframe(false, OpText, []byte("ok\xf5")), 0)
	if err != ErrInvalidUTF8 {
		t.Fatalf("fail fast in the first fragment: %v", err)
	}
	r.Reset()
	// A sequence started in one fragment and broken by the next.
	_, err = feedAll(&r, bytes.Join([][]byte{cframe(false, OpText, []byte{0xe2, 0x82}), cframe(false, OpContinuation, []byte{0x28})}, nil), 0)
	if err != ErrInvalidUTF8 {
		t.Fatalf("broken across fragments: %v", err)
	}
	// Byte-by-byte feeding of an invalid frame fails at the invalid byte:
	// the reader never consumes bytes past it.
	r.Reset()
	frame := cframe(true, OpText, []byte("abc\xffdefgh"))
	consumed := 0
	for i := 0; i < len(frame); i++ {
		n, _, err := r.Feed(frame[i : i+1])
		consumed += n
		if err != nil {
			if err != ErrInvalidUTF8 || consumed != 6+4 {
				t.Fatalf("failed after %d bytes with %v, want at byte 10", consumed, err)
			}
			return
		}
	}
	t.Fatal("invalid byte not detected")
}

func TestUTF8Validator(t *testing.T) {
	valid := []string{"", "hello", "κόσμε", "\u0080", "\u07FF", "\u0800", "\uFFFD", "\U00010000", "\U0010FFFF", "\uD7FF", "\uE000"}
	invalid := []string{"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf0\x80\x80\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\x80", "\xce"}
	for _, s := range valid {
		if !validUTF8([]byte(s)) {
			t.Errorf("%q should be valid", s)
		}
	}
	for _, s := range invalid {
		if validUTF8([]byte(s)) {
			t.Errorf("%q should be invalid", s)
		}
	}
	// Against the standard library on random inputs, fed in random pieces.
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte{'a', 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xa0, 0xed, 0x9f, 0xf0, 0x90, 0xf4, 0x8f, 0xff, 0xce, 0xba}
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.IntN(24))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		var v utf8State
		ok := true
		for rest := b; len(rest) > 0; {
			k := 1 + rng.IntN(len(rest))
			if v.feed(rest[:k]) >= 0 {
				ok = false
				break
			}
			rest = rest[k:]
		}
		ok = ok && v.complete()
		if ok != utf8Valid(b) {
			t.Fatalf("% x: incremental=%v stdlib=%v", b, ok, !ok)
		}
	}
}

func TestReaderStreamingLargerThanBuffer(t *testing.T) {
	// A 10,000-byte message through a board whose receive buffer is 256 bytes.
	rng := rand.New(rand.NewPCG(7, 8))
	msg := make([]byte, 10000)
	for i := range msg {
		msg[i] = byte('a' + rng.IntN(26))
	}
	wire := bytes.Join([][]byte{cframe(false, OpText, msg[:4000]), cframe(true, OpPing, []byte("x")), cframe(true, OpContinuation, msg[4000:])}, nil)
	cr := ConnReader{Src: bytes.NewReader(wire), Rx: make([]byte, 256)}
	cr.R = Reader{Role: Server, Stream: true, MaxMessage: 1 << 20}
	var got []byte
	var firsts, pings int
	for {
		ev, err := cr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == EventPing {
			pings++
			continue
		}
		if ev.Kind != EventFragment || ev.Op != OpText {
			t.Fatalf("unexpected %+v", ev)
		}
		if ev.First {
			firsts++
		}
		got = append(got, ev.Payload...)
		if ev.Final {
			break
		}
	}
	if !bytes.Equal(got, msg) || firsts != 1 || pings != 1 {
		t.Fatalf("streamed %d bytes (equal=%v), firsts=%d pings=%d", len(got), bytes.Equal(got, msg), firsts, pings)
	}
}

func TestWriterFragmentsAndRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, role := range []Role{Server, Client} {
		for _, size := range []int{0, 1, 125, 126, 127, 1000, 65535, 65536, 70000} {
			msg := make([]byte, size)
			for i := range msg {
				msg[i] = byte(rng.Uint32())
			}
			var wire bytes.Buffer
			w := Writer{W: &wire, Buf: make([]byte, 512), Role: role, Keys: NewMaskGen(42)}
			if err := w.WriteMessage(OpBinary, msg); err != nil {
				t.Fatal(err)
			}
			frames := 0
			for b := wire.Bytes(); len(b) > 0; frames++ {
				h, n, err := ParseHeader(b)
				if err != nil {
					t.Fatal(err)
				}
				if n+h.Length > 512 {
					t.Fatalf("frame of %d bytes exceeds the 512-byte buffer", n+h.Length)
				}
				b = b[n+h.Length:]
			}
			// Worked out from RFC 6455 5.2, not with maxPayloadFor: a
			// 512-byte frame has a 16-bit length (2 + 2 bytes of header)
			// and, from a client, a 4-byte masking key.
			room := 512 - 4
			if role == Client {
				room -= 4
			}
			if want := (size + room - 1) / room; size > 0 && frames != want {
				t.Fatalf("size %d: %d frames, want %d", size, frames, want)
			}
			readRole := Client
			if role == Client {
				readRole = Server
			}
			r := Reader{Role: readRole, Buf: make([]byte, 1<<17)}
			evs, err := feedAll(&r, wire.Bytes(), 0)
			if err != nil || len(evs) != 1 || !bytes.Equal(evs[0].Payload, msg) {
				t.Fatalf("role %d size %d: round trip failed: %v", role, size, err)
			}
		}
	}
	// Close frames: code and reason survive, and a client's are masked.
	var wire bytes.Buffer
	w := Writer{W: &wire, Buf: make([]byte, 256), Role: Client, Keys: NewMaskGen(1)}
	if err := w.writeClose(CloseMessageTooBig, []byte("too big")); err != nil {
		t.Fatal(err)
	}
	r := Reader{Role: Server, Buf: make([]byte, 16)}
	evs, err := feedAll(&r, wire.Bytes(), 0)
	if err != nil || evs[0].Kind != EventClose || evs[0].Code != 1009 || string(evs[0].Reason) != "too big" {
		t.Fatalf("close round trip: %+v %v", evs, err)
	}
}

func TestMaskGenKeysVary(t *testing.T) {
	g := NewMaskGen(0x5EED)
	seen := make(map[[4]byte]bool)
	for i := 0; i < 1000; i++ {
		seen[g.NextMask()] = true
	}
	if len(seen) < 990 {
		t.Fatalf("only %d distinct keys in 1000", len(seen))
	}
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	if l.off == len(l.data) {
		l.off = 0
	}
	n := copy(p, l.data[l.off:])
	l.off += n
	return n, nil
}

func TestReaderWriterAllocs(t *testing.T) {
	text := cframe(true, OpText, []byte(strings.Repeat("héllo ", 20)))
	bin := cframe(true, OpBinary, make([]byte, 64))
	frag := bytes.Join([][]byte{cframe(false, OpText, []byte("frag")), cframe(true, OpPing, []byte("p")), cframe(true, OpContinuation, []byte("mented"))}, nil)
	r := Reader{Role: Server, Buf: make([]byte, 1024)}
	scratch := make([]byte, 1024)
	for name, wire := range map[string][]byte{"text": text, "binary": bin, "fragmented": frag} {
		n := testing.AllocsPerRun(1000, func() {
			in := scratch[:copy(scratch, wire)]
			for len(in) > 0 {
				k, _, err := r.Feed(in)
				if err != nil {
					t.Fatal(err)
				}
				in = in[k:]
			}
		})
		if n != 0 {
			t.Errorf("reading a %s message allocates %v", name, n)
		}
	}
	rs := Reader{Role: Server, Stream: true}
	if n := testing.AllocsPerRun(1000, func() {
		in := scratch[:copy(scratch, frag)]
		for len(in) > 0 {
			k, _, err := rs.Feed(in)
			if err != nil {
				t.Fatal(err)
			}
			in = in[k:]
		}
	}); n != 0 {
		t.Errorf("streaming read allocates %v", n)
	}
	cr := ConnReader{Src: &loopReader{data: frag}, Rx: make([]byte, 64), R: Reader{Role: Server, Buf: make([]byte, 256)}}
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := cr.Next(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("ConnReader.Next allocates %v", n)
	}
	payload := make([]byte, 3000)
	ws := Writer{W: nopWriter{}, Buf: make([]byte, 1024), Role: Server}
	wc := Writer{W: nopWriter{}, Buf: make([]byte, 1024), Role: Client, Keys: NewMaskGen(7)}
	out := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(1000, func() {
		_ = ws.WriteMessage(OpBinary, payload)
		_ = wc.WriteMessage(OpText, payload[:64])
		_ = wc.writeClose(CloseNormal, []byte("bye"))
		out = AppendFrame(out[:0], true, OpBinary, payload[:100], true, testKey)
	}); n != 0 {
		t.Errorf("writing allocates %v", n)
	}
}

var _ io.Reader = (*loopReader)(nil)

// TestReaderAtFrame: AtFrame is true only between frames, never with a
// header or a payload part read.
func TestReaderAtFrame(t *testing.T) {
	r := Reader{Role: Server, Stream: true, MaxMessage: 1 << 16}
	f := AppendFrame(nil, true, OpBinary, make([]byte, 300), true, [4]byte{1, 2, 3, 4})
	if !r.AtFrame() {
		t.Fatal("a new reader is not at a frame")
	}
	for _, cut := range []int{1, 3, 8, 100} { // in the header, its end, the payload
		r.Reset()
		n, _, err := r.Feed(f[:cut])
		if err != nil || n != cut {
			t.Fatalf("cut %d: fed %d, %v", cut, n, err)
		}
		if r.AtFrame() {
			t.Errorf("cut %d: at a frame with %d of %d bytes read", cut, cut, len(f))
		}
		for rest := f[cut:]; len(rest) > 0; {
			n, _, err := r.Feed(rest)
			if err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if !r.AtFrame() {
			t.Errorf("cut %d: the frame ended and the reader is not at a frame", cut)
		}
	}
}
