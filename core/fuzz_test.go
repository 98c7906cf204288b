package core

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Native fuzz targets. Their seed corpora live in testdata/fuzz/<Name>/ and
// run as ordinary tests with `go test`; `go test -fuzz=FuzzName ./core`
// explores from them.

// FuzzParseHeader: ParseHeader never panics, a header it accepts is written
// back byte for byte by AppendHeader (so only minimal encodings parse), and
// ErrNeedMore always asks for a plausible number of bytes.
func FuzzParseHeader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		switch err {
		case nil:
			if n < 2 || n > len(b) || n > MaxHeaderSize || n != h.size() {
				t.Fatalf("% x: n=%d size=%d", b, n, h.size())
			}
			if h.Length < 0 || (h.Op.IsControl() && (!h.Fin || h.Length > MaxControlPayload)) {
				t.Fatalf("% x: accepted %+v", b, h)
			}
			if got := AppendHeader(nil, h); !bytes.Equal(got, b[:n]) {
				t.Fatalf("round trip: parsed % x as %+v, appended % x", b[:n], h, got)
			}
		case ErrNeedMore:
			if n < 1 || len(b)+n > MaxHeaderSize {
				t.Fatalf("% x: ErrNeedMore asks for %d more", b, n)
			}
		case ErrNonMinimalLength, ErrLengthMSB, ErrFrameTooLarge, ErrControlFragmented, ErrControlTooLong:
		default:
			t.Fatalf("% x: unexpected error %v", b, err)
		}
	})
}

// fuzzEvent is a Reader event with its bytes copied, comparable across
// buffered and streaming mode (a streamed message is joined into one).
type fuzzEvent struct {
	Kind    EventKind
	Op      Opcode
	Payload string
	Code    CloseCode
	Reason  string
}

// readAllFuzz feeds in to r in pieces whose sizes come from rng (maxPiece 0:
// all at once), keeping the bytes Feed leaves (the start of a control frame)
// as a caller must, checks each event against the Reader's promises and
// returns the events and the error that stopped it.
func readAllFuzz(t *testing.T, r *Reader, in []byte, rng *rand.Rand, maxPiece int) ([]fuzzEvent, error) {
	t.Helper()
	limit := r.limit()
	var evs []fuzzEvent
	var msg, pending []byte
	var msgOp Opcode
	inMsg := false
	for len(in) > 0 {
		k := len(in)
		if maxPiece > 0 {
			k = 1 + rng.IntN(min(k, maxPiece))
		}
		// A fresh copy each time: Feed unmasks in place.
		pending = append(pending[:len(pending):len(pending)], in[:k]...)
		in = in[k:]
		for len(pending) > 0 {
			n, ev, err := r.Feed(pending)
			if n < 0 || n > len(pending) {
				t.Fatalf("Feed consumed %d of %d bytes", n, len(pending))
			}
			if err != nil {
				if r.failure() != err {
					t.Fatalf("Feed returned %v but Err is %v", err, r.failure())
				}
				if _, _, again := r.Feed([]byte{0x81}); again != err {
					t.Fatalf("failed Reader returned %v, then %v", err, again)
				}
				return evs, err
			}
			pending = pending[n:]
			if ev.Kind == EventNone && len(pending) > 0 {
				// Feed may stop short only before the rest of a control
				// frame's payload, which it takes whole.
				if !r.inFrame || !r.h.Op.IsControl() || len(pending) >= r.left {
					t.Fatalf("Feed left %d bytes outside a control frame's payload (%+v, %d left)", len(pending), r.h, r.left)
				}
				break
			}
			switch ev.Kind {
			case EventNone:
			case EventMessage:
				if r.Stream || !ev.Final || (ev.Op != OpText && ev.Op != OpBinary) {
					t.Fatalf("bad message event %+v", ev)
				}
				if len(ev.Payload) > limit {
					t.Fatalf("message of %d bytes over the limit %d", len(ev.Payload), limit)
				}
				if ev.Op == OpText && !utf8.Valid(ev.Payload) {
					t.Fatalf("invalid UTF-8 text delivered: % x", ev.Payload)
				}
				evs = append(evs, fuzzEvent{Kind: EventMessage, Op: ev.Op, Payload: string(ev.Payload)})
			case EventFragment:
				if !r.Stream || (ev.Op != OpText && ev.Op != OpBinary) || ev.First == inMsg {
					t.Fatalf("bad fragment event %+v (in message %v)", ev, inMsg)
				}
				if ev.First {
					msg, msgOp, inMsg = msg[:0], ev.Op, true
				} else if ev.Op != msgOp {
					t.Fatalf("fragment opcode changed from %v to %v", msgOp, ev.Op)
				}
				msg = append(msg, ev.Payload...)
				if len(msg) > limit {
					t.Fatalf("streamed message of %d bytes over the limit %d", len(msg), limit)
				}
				if ev.Final {
					if msgOp == OpText && !utf8.Valid(msg) {
						t.Fatalf("invalid UTF-8 text delivered: % x", msg)
					}
					evs = append(evs, fuzzEvent{Kind: EventMessage, Op: msgOp, Payload: string(msg)})
					inMsg = false
				}
			case EventPing, EventPong, EventClose:
				if len(ev.Payload) > MaxControlPayload || !ev.Op.IsControl() {
					t.Fatalf("bad control event %+v", ev)
				}
				if ev.Kind == EventClose && ((ev.Code != CloseNoStatus && !ev.Code.validOnWire()) || !utf8.Valid(ev.Reason)) {
					t.Fatalf("bad close event %+v", ev)
				}
				evs = append(evs, fuzzEvent{Kind: ev.Kind, Op: ev.Op, Payload: string(ev.Payload), Code: ev.Code, Reason: string(ev.Reason)})
			default:
				t.Fatalf("unknown event kind %d", ev.Kind)
			}
		}
	}
	return evs, nil
}

// FuzzReader feeds arbitrary bytes to Readers of both roles, buffered and
// streaming, in pieces whose sizes derive from seed. No mode may panic or
// deliver more than the limit, and all of them must agree with the buffered
// Reader fed everything at once: the same messages, control frames and error.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		limit := 1 + int(seed>>40)%300
		for _, role := range []Role{Server, Client} {
			whole := Reader{Role: role, Buf: make([]byte, limit), MaxMessage: limit}
			want, wantErr := readAllFuzz(t, &whole, data, nil, 0)
			rng := rand.New(rand.NewPCG(seed, uint64(role)))
			for _, maxPiece := range []int{1, 3, 16, 200} {
				for _, stream := range []bool{false, true} {
					r := Reader{Role: role, Stream: stream, MaxMessage: limit}
					if !stream {
						r.Buf = make([]byte, limit+int(seed&7)) // a larger Buf: MaxMessage still rules
					}
					got, err := readAllFuzz(t, &r, data, rng, maxPiece)
					if err != wantErr || !reflect.DeepEqual(got, want) {
						t.Fatalf("role %d stream %v pieces <=%d: %v %+v\nall at once, buffered: %v %+v",
							role, stream, maxPiece, err, got, wantErr, want)
					}
				}
			}
		}
	})
}

// FuzzParseRequest: no panic; parseRequestHead agrees with refParseRequest;
// feeding the request a byte at a time through
// ParseRequestFrom gives exactly what parseRequestHead gives all at once, at the
// byte that ends the head.
func FuzzParseRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		checkRefParse(t, b)
		req, n, err := parseRequestHead(b)
		end := findHeadEnd(b, 0)
		if (end < 0) != (err == ErrNeedMore) {
			t.Fatalf("head end %d but err %v", end, err)
		}
		if err == nil {
			if n != end || !bytes.Equal(req.Head, b[:n]) {
				t.Fatalf("n=%d, head ends at %d", n, end)
			}
			if req.ContentLength < -1 || len(req.Method) == 0 || len(req.Target) == 0 {
				t.Fatalf("accepted %+v", req)
			}
		} else if n != 0 {
			t.Fatalf("error %v with n=%d", err, n)
		}
		// The whole of b in one call (the one-pass path the board takes for
		// a head that arrived whole), and b in two pieces: the first call
		// parses first and fails, the second looks for the blank line first.
		if wreq, wn, werr := ParseRequestFrom(b, 0); werr != err || wn != n || !reflect.DeepEqual(wreq, req) {
			t.Fatalf("whole: %v n=%d %+v\nparseRequestHead: %v n=%d %+v", werr, wn, wreq, err, n, req)
		}
		if k := len(b) / 2; k > 0 && (end < 0 || end > k) {
			if _, _, perr := ParseRequestFrom(b[:k], 0); perr != ErrNeedMore {
				t.Fatalf("first half of %d bytes: %v, the head ends at %d", k, perr, end)
			}
			if preq, pn, perr := ParseRequestFrom(b, k); perr != err || pn != n || !reflect.DeepEqual(preq, req) {
				t.Fatalf("in two pieces: %v n=%d %+v\nall at once: %v n=%d %+v", perr, pn, preq, err, n, req)
			}
		}
		for i := 1; i <= len(b); i++ {
			preq, pn, perr := ParseRequestFrom(b[:i], i-1)
			if perr == ErrNeedMore {
				if i == end {
					t.Fatalf("head complete at %d but ParseRequestFrom needs more", i)
				}
				continue
			}
			if i != end {
				t.Fatalf("ParseRequestFrom finished at byte %d, the head ends at %d", i, end)
			}
			if perr != err || pn != n || !reflect.DeepEqual(preq, req) {
				t.Fatalf("byte at a time: %v n=%d %+v\nall at once: %v n=%d %+v", perr, pn, preq, err, n, req)
			}
			break
		}
	})
}

// FuzzServerHandshake: no panic; every answer is an HTTP/1.1 response with
// the status HTTPStatus gives for the error, and a 101 is accepted by our
// own client for the request's key.
func FuzzServerHandshake(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		out, req, n, err := ServerHandshake([]byte("prefix"), b)
		if string(out[:6]) != "prefix" {
			t.Fatal("ServerHandshake overwrote dst")
		}
		out = out[6:]
		if err == ErrNeedMore {
			if len(out) != 0 || n != 0 {
				t.Fatalf("ErrNeedMore with output %q", out)
			}
			return
		}
		if !bytes.HasPrefix(out, []byte("HTTP/1.1 ")) {
			t.Fatalf("response %q does not start with HTTP/1.1", out)
		}
		status := 101
		if err != nil {
			status = HTTPStatus(err)
		}
		if !bytes.HasPrefix(out[9:], append(AppendInt(nil, int64(status)), ' ')) {
			t.Fatalf("err %v: response %q, want status %d", err, out, status)
		}
		if err != nil {
			return
		}
		if n != findHeadEnd(b, 0) {
			t.Fatalf("n=%d, head ends at %d", n, findHeadEnd(b, 0))
		}
		resp, rn, rerr := ParseResponse(out, req.Key)
		if rerr != nil || rn != len(out) || resp.Status != 101 {
			t.Fatalf("our client rejects our 101 %q: %v", out, rerr)
		}
	})
}

// FuzzParseResponse: no panic; byte-at-a-time feeding finishes exactly when
// the head ends, with the all-at-once result; and the 101 we write for key
// always passes.
func FuzzParseResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, b, key []byte) {
		resp, n, err := ParseResponse(b, key)
		end := findHeadEnd(b, 0)
		if (end < 0) != (err == ErrNeedMore) {
			t.Fatalf("head end %d but err %v", end, err)
		}
		if err != ErrNeedMore && (n != end || !bytes.Equal(resp.Head, b[:end])) {
			t.Fatalf("n=%d, head ends at %d", n, end)
		}
		if err == nil && resp.Status != 101 {
			t.Fatalf("accepted status %d", resp.Status)
		}
		if end >= 0 {
			for i := end - 1; i <= end; i++ {
				presp, pn, perr := ParseResponse(b[:i], key)
				if i < end && perr != ErrNeedMore {
					t.Fatalf("prefix %d of a head of %d: %v", i, end, perr)
				}
				if i == end && (perr != err || pn != n || !reflect.DeepEqual(presp, resp)) {
					t.Fatalf("prefix: %v %+v, whole: %v %+v", perr, presp, err, resp)
				}
			}
		}
		if _, _, err := ParseResponse(AppendUpgradeResponse(nil, key, nil), key); err != nil {
			t.Fatalf("our 101 for key %q rejected: %v", key, err)
		}
	})
}

// FuzzUTF8: the incremental validator fed in random pieces agrees with
// unicode/utf8.Valid, and reports the first bad byte no later than the end.
func FuzzUTF8(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		want := utf8.Valid(b)
		if validUTF8(b) != want {
			t.Fatalf("% x: validUTF8=%v utf8.Valid=%v", b, !want, want)
		}
		rng := rand.New(rand.NewPCG(seed, 1))
		var v utf8State
		ok, off := true, 0
		for rest := b; len(rest) > 0; {
			k := 1 + rng.IntN(len(rest))
			if i := v.feed(rest[:k]); i >= 0 {
				if i >= k {
					t.Fatalf("bad byte index %d in a piece of %d", i, k)
				}
				// The bad byte is the first that no valid text can continue.
				if bad := off + i; !validPrefix(b[:bad]) || validPrefix(b[:bad+1]) {
					t.Fatalf("% x: reported byte %d as the first bad one", b, bad)
				}
				ok = false
				break
			}
			off += k
			rest = rest[k:]
		}
		if got := ok && v.complete(); got != want {
			t.Fatalf("% x: incremental=%v utf8.Valid=%v", b, got, want)
		}
	})
}

// validPrefix reports whether some text starting with p is valid UTF-8: p
// itself, or p completed by the shortest continuation any lead byte accepts.
func validPrefix(p []byte) bool {
	for _, tail := range []string{"", "\x80", "\x80\x80", "\x80\x80\x80", "\xa0\x80", "\x90\x80\x80"} {
		if utf8.Valid(append(p[:len(p):len(p)], tail...)) {
			return true
		}
	}
	return false
}

// FuzzMask: Mask equals the byte-wise reference for any key, key position,
// length and start offset, and touches no byte outside its slice.
func FuzzMask(f *testing.F) {
	f.Fuzz(func(t *testing.T, key uint32, pos uint8, off uint8, n uint16, data []byte) {
		k := [4]byte{byte(key), byte(key >> 8), byte(key >> 16), byte(key >> 24)}
		size := int(n) % 20000
		o := int(off) % 64
		const guard = 64
		buf := make([]byte, guard+o+size+guard)
		for i := range buf {
			buf[i] = byte(i*7 + 3)
		}
		for i := 0; i < size && len(data) > 0; i++ {
			buf[guard+o+i] = data[i%len(data)]
		}
		ref := append([]byte(nil), buf...)
		p := int(pos)
		got := Mask(k, p, buf[guard+o:guard+o+size])
		want := maskBytes(k, p, ref[guard+o:guard+o+size])
		if got != want || !bytes.Equal(buf, ref) {
			t.Fatalf("key %x pos %d off %d len %d: Mask differs from maskBytes (pos %d vs %d)", k, p, o, size, got, want)
		}
	})
}

// naiveHeadEnd is the byte-at-a-time reference for findHeadEnd.
func naiveHeadEnd(b []byte, from int) int {
	for i := max(from-3, 0); i+3 < len(b); i++ {
		if string(b[i:i+4]) == "\r\n\r\n" {
			return i + 4
		}
	}
	return -1
}

// ctlIndex returns the index of the first control character in b, or -1,
// with the parser's scanner.
func ctlIndex(b []byte) int {
	s := headScan{b: b}
	s.fill(0)
	_, end := s.line(0)
	return end
}

// checkLines walks headScan over b from every start, line after line.
func checkLines(t *testing.T, b []byte, isCtl func(byte) bool) {
	t.Helper()
	for from := 0; from < len(b) && from < 80; from++ {
		s := headScan{b: b}
		s.fill(from)
		for p := from; ; p++ {
			colon, end := s.line(p)
			wantEnd := naiveIndex(b[p:], isCtl)
			wantColon := naiveIndex(b[p:], func(c byte) bool { return c == ':' })
			if wantEnd >= 0 {
				wantEnd += p
			}
			if wantColon >= 0 {
				wantColon += p
			}
			if wantEnd < 0 || wantColon > wantEnd {
				wantColon = -1
			}
			if colon != wantColon || end != wantEnd {
				t.Fatalf("%q: from %d, line(%d) = %d, %d, want %d, %d", b, from, p, colon, end, wantColon, wantEnd)
			}
			if end < 0 {
				break
			}
			p = end
		}
	}
}

func naiveIndex(b []byte, match func(byte) bool) int {
	for i, c := range b {
		if match(c) {
			return i
		}
	}
	return -1
}

// checkHeadScanners holds the word-at-a-time scanners of the HTTP parser to
// their byte-at-a-time references on b.
func checkHeadScanners(t *testing.T, b []byte) {
	t.Helper()
	for from := 0; from <= len(b)+1; from++ {
		if got, want := findHeadEnd(b, from), naiveHeadEnd(b, from); got != want {
			t.Fatalf("%q from %d: findHeadEnd %d, want %d", b, from, got, want)
		}
	}
	if got, want := indexLF(b), naiveIndex(b, func(c byte) bool { return c == '\n' }); got != want {
		t.Fatalf("%q: indexLF %d, want %d", b, got, want)
	}
	if got, want := crOrLF(b), naiveIndex(b, func(c byte) bool { return c == '\r' || c == '\n' }); got != want {
		t.Fatalf("%q: crOrLF %d, want %d", b, got, want)
	}
	isCtl := func(c byte) bool { return c < ' ' || c == 0x7F }
	if got, want := ctlIndex(b), naiveIndex(b, isCtl); got != want {
		t.Fatalf("%q: ctlIndex %d, want %d", b, got, want)
	}
	// The scanner walked forward from every start, line after line,
	// across its blocks and fills: each line's end and first colon. The
	// head alone, and in a larger buffer whose spare capacity holds
	// colons and control characters (which fill maps and must ignore).
	spare := make([]byte, len(b), len(b)+130)
	copy(spare, b)
	for i := len(b); i < cap(spare); i++ {
		spare[:cap(spare)][i] = ":\r\n\x00"[i%4]
	}
	for _, hb := range [][]byte{b, spare} {
		checkLines(t, hb, isCtl)
	}
	// Both forms of mapBlocks, block by block.
	for off := 0; off+64 <= len(b); off++ {
		var c1, k1, c2, k2 [1]uint64
		mapBlocks(b[off:off+64], c1[:], k1[:])
		mapBlocksGo(b[off:off+64], c2[:], k2[:])
		var c, k uint64
		for i, x := range b[off : off+64] {
			if isCtl(x) {
				c |= 1 << i
			}
			if x == ':' {
				k |= 1 << i
			}
		}
		if c1[0] != c || k1[0] != k || c2[0] != c || k2[0] != k {
			t.Fatalf("%q at %d: mapBlocks %x %x, mapBlocksGo %x %x, want %x %x", b, off, c1[0], k1[0], c2[0], k2[0], c, k)
		}
	}
	if ctlIndex(b) < 0 && headerID(b) != hdrOther {
		// parseHead skips the token check for a name headerID knows.
		for _, c := range b {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
				t.Fatalf("%q: headerID %d for a name with %q", b, headerID(b), c)
			}
		}
	}
	if ctlIndex(b) < 0 { // tokenLen's promise: a line free of control characters
		want := naiveIndex(b, func(c byte) bool { return !isTokenChar(c) })
		if want < 0 {
			want = len(b)
		}
		if got := tokenLen(b); got != want {
			t.Fatalf("%q: tokenLen %d, want %d", b, got, want)
		}
		if name := b[:want]; headerID(name) != refHeaderID(name) {
			t.Fatalf("%q: headerID %d, want %d", name, headerID(name), refHeaderID(name))
		}
	}
}

func refHeaderID(name []byte) int {
	for id, s := range headerNames {
		if s != "" && equalFold(name, s) {
			return id
		}
	}
	return hdrOther
}

// Every header name is found in any case, and a name one token character
// away from it is not.
func TestHeaderID(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	var tokens []byte
	for c := 0; c < 256; c++ {
		if isTokenChar(byte(c)) {
			tokens = append(tokens, byte(c))
		}
	}
	for id, s := range headerNames {
		if s == "" {
			continue
		}
		for i := 0; i < 200; i++ {
			name := []byte(s)
			for j := range name {
				if rng.IntN(2) == 0 && name[j] >= 'a' && name[j] <= 'z' {
					name[j] -= 'a' - 'A'
				}
			}
			if got := headerID(name); got != id {
				t.Fatalf("%q: headerID %d, want %d", name, got, id)
			}
			name[rng.IntN(len(name))] = tokens[rng.IntN(len(tokens))]
			checkHeadScanners(t, name)
		}
	}
}

func TestHeadScanners(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	alphabet := []byte{'\r', '\n', 'a', 'Z', '-', '0', '9', '@', '[', '`', '{', '/', ':', ' ', '\t', 0x00, 0x1F, 0x20, 0x7F, 0x80, 0x8D, 0x8A, 0xFF, 0x0D ^ 0x80}
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.IntN(40))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		checkHeadScanners(t, b)
		// Mostly token characters, so that tokenLen's fast path is taken.
		for j := range b {
			if rng.IntN(8) > 0 {
				b[j] = "abcXYZ-09"[rng.IntN(9)]
			}
		}
		checkHeadScanners(t, b)
	}
}

// FuzzHeadScan: the HTTP parser's word-at-a-time scanners agree with their
// byte-at-a-time references.
func FuzzHeadScan(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("\r\n\r\r\n\r\n\x7f\t\x00abcdefgh\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 256 {
			b = b[:256] // findHeadEnd is tried from every position
		}
		checkHeadScanners(t, b)
	})
}

// checkUTF8Pieces feeds b to a validator in pieces whose sizes come from rng
// and holds the result, and the index of the first bad byte, to
// unicode/utf8.
func checkUTF8Pieces(t *testing.T, b []byte, rng *rand.Rand, maxPiece int) {
	t.Helper()
	var v utf8State
	ok, off := true, 0
	for rest := b; len(rest) > 0; {
		k := 1 + rng.IntN(min(len(rest), maxPiece))
		if i := v.feed(rest[:k]); i >= 0 {
			if bad := off + i; i >= k || !validPrefix(b[:bad]) || validPrefix(b[:bad+1]) {
				t.Fatalf("% x: byte %d reported as the first bad one", b, bad)
			}
			ok = false
			break
		}
		off += k
		rest = rest[k:]
	}
	if got, want := ok && v.complete(), utf8.Valid(b); got != want {
		t.Fatalf("% x: incremental=%v utf8.Valid=%v", b, got, want)
	}
}

// Long texts in long pieces, so the validator's bulk path (utf8.Valid on
// all but the last character of a piece) is taken, with errors anywhere.
func TestUTF8LongPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	chars := []string{"a", "Z", "é", "κ", "日", "🙂", "\u0800", "\U0010FFFF", "\uD7FF", "\uE000"}
	bad := []string{"\x80", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\xe2\x82", "\xf0\x9f"}
	for i := 0; i < 5000; i++ {
		var b []byte
		for n := rng.IntN(60); len(b) < n; {
			b = append(b, chars[rng.IntN(len(chars))]...)
		}
		if rng.IntN(2) == 0 {
			at := rng.IntN(len(b) + 1)
			b = append(b[:at:at], append([]byte(bad[rng.IntN(len(bad))]), b[at:]...)...)
		}
		checkUTF8Pieces(t, b, rng, 1+rng.IntN(80))
	}
}

// foldWords.eq agrees with equalFold for every byte value at every
// position of each token in either case, and for other lengths.
func TestFoldWords(t *testing.T) {
	for _, tok := range []string{"upgrade", "close", "websocket"} {
		w := newFoldWords(tok)
		for _, base := range []string{tok, strings.ToUpper(tok), strings.ToUpper(tok[:1]) + tok[1:]} {
			for i := range base {
				for c := 0; c < 256; c++ {
					b := []byte(base)
					b[i] = byte(c)
					if got, want := w.eq(b), equalFold(b, tok); got != want {
						t.Fatalf("%q against %q: eq %v, equalFold %v", b, tok, got, want)
					}
				}
			}
			for _, b := range []string{base[1:], base + "s", base + " ", ""} {
				if got, want := w.eq([]byte(b)), equalFold([]byte(b), tok); got != want {
					t.Fatalf("%q against %q: eq %v, equalFold %v", b, tok, got, want)
				}
			}
		}
	}
}
