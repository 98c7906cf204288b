package core

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The example from the project's seed: a masked binary frame.
func TestSeedMaskedBinaryFrame(t *testing.T) {
	wire := unhex(t, "82 8a 2c ab b0 f2 28 af b1 52 9c ab b0 f2 2c ab")
	h, n, err := ParseHeader(wire)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Fin || h.Op != OpBinary || h.Length != 10 || !h.Masked || n != 6 {
		t.Fatalf("header = %+v n=%d", h, n)
	}
	payload := append([]byte(nil), wire[n:]...)
	Mask(h.Mask, 0, payload)
	if want := unhex(t, "04 04 01 a0 b0 00 00 00 00 00"); !bytes.Equal(payload, want) {
		t.Fatalf("payload = % x, want % x", payload, want)
	}
	// Through the Reader too, as a server reads it.
	r := Reader{Role: Server, Buf: make([]byte, 64)}
	_, ev, err := r.Feed(append([]byte(nil), wire...))
	if err != nil || ev.Kind != EventMessage || ev.Op != OpBinary || !bytes.Equal(ev.Payload, unhex(t, "04 04 01 a0 b0 00 00 00 00 00")) {
		t.Fatalf("Reader: ev=%+v err=%v", ev, err)
	}
}

// RFC 6455 section 5.7 examples.
func TestRFC6455Section57(t *testing.T) {
	cases := []struct {
		name  string
		wire  string
		role  Role
		kinds []EventKind
		texts []string
	}{
		{"unmasked text Hello", "81 05 48 65 6c 6c 6f", Client, []EventKind{EventMessage}, []string{"Hello"}},
		{"masked text Hello", "81 85 37 fa 21 3d 7f 9f 4d 51 58", Server, []EventKind{EventMessage}, []string{"Hello"}},
		{"fragmented unmasked text", "01 03 48 65 6c 80 02 6c 6f", Client, []EventKind{EventMessage}, []string{"Hello"}},
		{"unmasked ping", "89 05 48 65 6c 6c 6f", Client, []EventKind{EventPing}, []string{"Hello"}},
		{"masked pong", "8a 85 37 fa 21 3d 7f 9f 4d 51 58", Server, []EventKind{EventPong}, []string{"Hello"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Reader{Role: c.role, Buf: make([]byte, 64)}
			in := unhex(t, c.wire)
			var got []Event
			for len(in) > 0 {
				n, ev, err := r.Feed(in)
				if err != nil {
					t.Fatal(err)
				}
				in = in[n:]
				if ev.Kind != EventNone {
					ev.Payload = append([]byte(nil), ev.Payload...)
					got = append(got, ev)
				}
			}
			if len(got) != len(c.kinds) {
				t.Fatalf("got %d events, want %d", len(got), len(c.kinds))
			}
			for i := range got {
				if got[i].Kind != c.kinds[i] || string(got[i].Payload) != c.texts[i] {
					t.Fatalf("event %d = %v %q", i, got[i].Kind, got[i].Payload)
				}
			}
		})
	}
	// 256 and 65536 byte unmasked binary messages: header forms.
	h256 := unhex(t, "82 7E 01 00")
	h, n, err := ParseHeader(h256)
	if err != nil || h.Length != 256 || n != 4 {
		t.Fatalf("256: %+v %d %v", h, n, err)
	}
	h64k := unhex(t, "82 7F 00 00 00 00 00 01 00 00")
	h, n, err = ParseHeader(h64k)
	if err != nil || h.Length != 65536 || n != 10 {
		t.Fatalf("65536: %+v %d %v", h, n, err)
	}
	if got := AppendHeader(nil, Header{Fin: true, Op: OpBinary, Length: 256}); !bytes.Equal(got, h256) {
		t.Fatalf("append 256 = % x", got)
	}
	if got := AppendHeader(nil, Header{Fin: true, Op: OpBinary, Length: 65536}); !bytes.Equal(got, h64k) {
		t.Fatalf("append 65536 = % x", got)
	}
}

func TestHeaderBoundaryTable(t *testing.T) {
	lengths := []struct {
		n    int
		size int // header size unmasked
	}{
		{0, 2}, {1, 2}, {125, 2}, {126, 4}, {127, 4}, {65535, 4}, {65536, 10}, {maxInt, 10},
	}
	ops := []Opcode{OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong}
	for _, l := range lengths {
		for _, op := range ops {
			for _, masked := range []bool{false, true} {
				for _, fin := range []bool{false, true} {
					if op.IsControl() && (l.n > 125 || !fin) {
						continue
					}
					h := Header{Fin: fin, Op: op, Masked: masked, Length: l.n}
					if masked {
						h.Mask = [4]byte{1, 2, 3, 4}
					}
					wire := AppendHeader(nil, h) // no spare room: the append path
					want := l.size
					if masked {
						want += 4
					}
					// With room for any header (the store path), after a
					// prefix, the same bytes, and the spare room past them
					// untouched.
					room := make([]byte, 3, 3+MaxHeaderSize+2)
					for i := range room[:cap(room)] {
						room[:cap(room)][i] = 0xEE
					}
					stored := AppendHeader(room, h)
					if &stored[0] != &room[0] || !bytes.Equal(stored[3:], wire) || !bytes.Equal(stored[:3], []byte{0xEE, 0xEE, 0xEE}) {
						t.Fatalf("%+v: with room % x, without % x", h, stored, wire)
					}
					for _, c := range stored[len(stored):cap(stored)] {
						if c != 0xEE {
							t.Fatalf("%+v: spare room written: % x", h, stored[:cap(stored)])
						}
					}
					// AppendFrame writes the same header, with room and
					// without (its own copy of the code).
					if l.n <= 65536 {
						payload := make([]byte, l.n)
						for _, dst := range [][]byte{nil, make([]byte, 0, FrameSize(l.n, masked)+MaxHeaderSize)} {
							f := AppendFrame(dst, fin, op, payload, masked, h.Mask)
							if !bytes.Equal(f[:len(wire)], wire) || len(f) != len(wire)+l.n {
								t.Fatalf("%+v: AppendFrame's header % x, AppendHeader's % x", h, f[:len(wire)], wire)
							}
						}
					}
					// A buffer with exactly the header's room but less than
					// MaxHeaderSize does not grow.
					exact := AppendHeader(make([]byte, 0, want), h)
					if cap(exact) != want || !bytes.Equal(exact, wire) {
						t.Fatalf("%+v: exact buffer gives % x (cap %d)", h, exact, cap(exact))
					}
					if len(wire) != want || h.size() != want {
						t.Fatalf("len %d: header size %d/%d, want %d", l.n, len(wire), h.size(), want)
					}
					got, n, err := ParseHeader(wire)
					if err != nil || n != want || got != h {
						t.Fatalf("round trip %+v: got %+v n=%d err=%v", h, got, n, err)
					}
					// Every strict prefix needs more, and says how many at least.
					for i := 0; i < len(wire); i++ {
						_, more, err := ParseHeader(wire[:i])
						if err != ErrNeedMore || more <= 0 || i+more > len(wire) {
							t.Fatalf("prefix %d of %d: more=%d err=%v", i, len(wire), more, err)
						}
					}
				}
			}
		}
	}
	// Exact "need N more" once the second byte is known.
	_, more, _ := ParseHeader([]byte{0x82, 0xFF})
	if more != 12 {
		t.Fatalf("masked 64-bit header needs 12 more, got %d", more)
	}
}

func TestHeaderLengthErrors(t *testing.T) {
	cases := []struct {
		wire string
		err  error
	}{
		{"82 7E 00 7D", ErrNonMinimalLength},                   // 125 in the 16-bit form
		{"82 7F 00 00 00 00 00 00 FF FF", ErrNonMinimalLength}, // 65535 in the 64-bit form
		{"82 7F 80 00 00 00 00 00 00 00", ErrLengthMSB},        // top bit set
		{"89 7E 00 7E", ErrControlTooLong},                     // ping of 126
		{"09 00", ErrControlFragmented},                        // ping without FIN
		{"88 7E 00 80", ErrControlTooLong},                     // close of 128
	}
	for _, c := range cases {
		_, _, err := ParseHeader(unhex(t, c.wire))
		if err != c.err {
			t.Errorf("%s: err = %v, want %v", c.wire, err, c.err)
		}
	}
	// A 64-bit length over this platform's int is an error, never a wrap.
	wire := unhex(t, "82 7F 7F FF FF FF FF FF FF FF")
	_, _, err := ParseHeader(wire)
	if maxInt == 1<<31-1 {
		if err != ErrFrameTooLarge {
			t.Fatalf("32-bit: err = %v, want ErrFrameTooLarge", err)
		}
	} else if err != nil {
		t.Fatalf("64-bit: 2^63-1 must parse, got %v", err)
	}
	wire = unhex(t, "82 7F 00 00 00 00 80 00 00 00") // 2^31
	_, _, err = ParseHeader(wire)
	if maxInt == 1<<31-1 && err != ErrFrameTooLarge {
		t.Fatalf("32-bit: 2^31 must be ErrFrameTooLarge, got %v", err)
	}
}

func TestOpcodeClasses(t *testing.T) {
	for op := Opcode(0); op < 16; op++ {
		reserved := (op >= 3 && op <= 7) || op >= 0xB
		if op.isReserved() != reserved {
			t.Errorf("opcode %x reserved=%v", op, op.isReserved())
		}
		if op.IsControl() != (op >= 8) {
			t.Errorf("opcode %x control=%v", op, op.IsControl())
		}
	}
}

func TestCloseCodes(t *testing.T) {
	for c := 0; c < 5100; c++ {
		code := CloseCode(c)
		want := (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999)
		if code.validOnWire() != want {
			t.Fatalf("code %d valid=%v", c, code.validOnWire())
		}
		payload := appendClosePayload(nil, code, []byte("bye"))
		got, reason, err := parseClose(payload)
		if code == CloseNoStatus {
			// 1005 means "no code": it is written as an empty payload.
			if len(payload) != 0 || got != CloseNoStatus || err != nil {
				t.Fatalf("1005: payload % x -> %v %v", payload, got, err)
			}
			continue
		}
		if want {
			if err != nil || got != code || string(reason) != "bye" {
				t.Fatalf("code %d: %v %q %v", c, got, reason, err)
			}
		} else if err != ErrCloseCode {
			t.Fatalf("code %d: err %v, want ErrCloseCode", c, err)
		}
	}
	if c, _, err := parseClose(nil); c != CloseNoStatus || err != nil {
		t.Fatal("empty close payload is 1005, no error")
	}
	if _, _, err := parseClose([]byte{3}); err != ErrCloseLength {
		t.Fatal("one-byte close payload must be ErrCloseLength")
	}
	if _, _, err := parseClose([]byte{0x03, 0xE8, 0xff}); err != ErrInvalidUTF8 {
		t.Fatal("close reason must be UTF-8")
	}
	// A long reason is cut to fit a control frame at a character boundary.
	long := []byte(strings.Repeat("é", 100))
	p := appendClosePayload(nil, CloseNormal, long)
	if len(p) > MaxControlPayload || !validUTF8(p[2:]) {
		t.Fatalf("cut reason: len %d valid %v", len(p), validUTF8(p[2:]))
	}
}

func TestCloseCodeOf(t *testing.T) {
	cases := map[error]CloseCode{
		nil: CloseNormal, ErrInvalidUTF8: 1007, ErrMessageTooBig: 1009, ErrFrameTooLarge: 1009,
		ErrReservedBits: 1002, ErrReservedOpcode: 1002, ErrMaskRequired: 1002, ErrMaskUnexpected: 1002,
		ErrControlTooLong: 1002, ErrControlFragmented: 1002, ErrUnexpectedContinue: 1002,
		ErrExpectedContinue: 1002, ErrCloseCode: 1002, ErrCloseLength: 1002, ErrLengthMSB: 1002,
		ErrNonMinimalLength: 1002,
	}
	for err, want := range cases {
		if got := CloseCodeOf(err); got != want {
			t.Errorf("CloseCodeOf(%v) = %d, want %d", err, got, want)
		}
	}
	for e := Error(1); e < errCount; e++ {
		if e.Error() == "" || e.Error() == "ws: unknown error" {
			t.Errorf("error %d has no text", e)
		}
	}
}

func TestHeaderAllocs(t *testing.T) {
	wire := unhex(t, "82 fe 01 00 2c ab b0 f2")
	buf := make([]byte, 0, MaxHeaderSize)
	h := Header{Fin: true, Op: OpBinary, Length: 70000, Masked: true}
	n := testing.AllocsPerRun(1000, func() {
		if _, _, err := ParseHeader(wire); err != nil {
			t.Fatal(err)
		}
		buf = AppendHeader(buf[:0], h)
	})
	if n != 0 {
		t.Fatalf("header parse+append allocates %v", n)
	}
}
