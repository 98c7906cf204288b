package core

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// Benchmarks of the hot paths, beside the code. The mask and copy()
// benchmarks are in mask_test.go; comparisons with other libraries are in
// the bench/peers module.

// headerForms are masked client headers in the three length forms.
var headerForms = []struct {
	name string
	h    Header
}{
	{"7bit", Header{Fin: true, Op: OpBinary, Masked: true, Mask: testKey, Length: 125}},
	{"16bit", Header{Fin: true, Op: OpBinary, Masked: true, Mask: testKey, Length: 1024}},
	{"64bit", Header{Fin: true, Op: OpBinary, Masked: true, Mask: testKey, Length: 1 << 20}},
}

func BenchmarkParseHeader(b *testing.B) {
	for _, f := range headerForms {
		b.Run(f.name, func(b *testing.B) {
			wire := AppendHeader(nil, f.h)
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			for b.Loop() {
				h, _, err := ParseHeader(wire)
				if err != nil || h.Length != f.h.Length {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendHeader(b *testing.B) {
	for _, f := range headerForms {
		b.Run(f.name, func(b *testing.B) {
			buf := make([]byte, 0, MaxHeaderSize)
			b.SetBytes(int64(f.h.size()))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendHeader(buf[:0], f.h)
			}
		})
	}
}

// benchText returns n bytes of valid UTF-8: ASCII only, or a mix of one- to
// four-byte characters.
func benchText(n int, mixed bool) []byte {
	unit := "The quick brown fox jumps over the lazy dog. "
	if mixed {
		unit = "héllo wörld, κόσμε, 日本語のテキスト 🙂 ok; "
	}
	s := make([]byte, 0, n)
	for _, c := range strings.Repeat(unit, n/len(unit)+1) {
		if len(s)+utf8.RuneLen(c) > n {
			break
		}
		s = utf8.AppendRune(s, c)
	}
	for len(s) < n {
		s = append(s, 'x')
	}
	return s
}

// readAll feeds in to r until it is used up and returns the last event.
func readAll(b *testing.B, r *Reader, in []byte) Event {
	var last Event
	for len(in) > 0 {
		n, ev, err := r.Feed(in)
		if err != nil {
			b.Fatal(err)
		}
		if ev.Kind != EventNone {
			last = ev
		} else if n == 0 {
			b.Fatalf("Feed stopped with %d bytes left", len(in))
		}
		in = in[n:]
	}
	return last
}

// BenchmarkReadMessage reads whole masked messages as a server, in
// buffered mode, from one Feed call's worth of bytes.
func BenchmarkReadMessage(b *testing.B) {
	frag := func(op Opcode, msg []byte, pieces int) []byte {
		var wire []byte
		step := len(msg) / pieces
		for i := 0; i < pieces; i++ {
			fop := op
			if i > 0 {
				fop = OpContinuation
			}
			end := (i + 1) * step
			if i == pieces-1 {
				end = len(msg)
			}
			wire = append(wire, cframe(i == pieces-1, fop, msg[i*step:end])...)
			if i == 1 {
				wire = append(wire, cframe(true, OpPing, []byte("ping"))...)
			}
		}
		return wire
	}
	cases := []struct {
		name string
		size int
		wire []byte
	}{
		{"text-64B", 64, cframe(true, OpText, benchText(64, true))},
		{"binary-64B", 64, cframe(true, OpBinary, make([]byte, 64))},
		{"text-1KiB", 1024, cframe(true, OpText, benchText(1024, true))},
		{"binary-1KiB", 1024, cframe(true, OpBinary, make([]byte, 1024))},
		{"fragmented-text-1KiB", 1024, frag(OpText, benchText(1024, true), 4)},
		{"fragmented-binary-1KiB", 1024, frag(OpBinary, make([]byte, 1024), 4)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := Reader{Role: Server, Buf: make([]byte, 4096)}
			b.SetBytes(int64(c.size))
			b.ReportAllocs()
			for b.Loop() {
				if ev := readAll(b, &r, c.wire); ev.Kind != EventMessage || len(ev.Payload) != c.size {
					b.Fatalf("last event %+v", ev)
				}
			}
		})
	}
	// Streaming mode unmasks in place, so each round starts from a fresh copy.
	b.Run("stream-binary-1KiB", func(b *testing.B) {
		wire := frag(OpBinary, make([]byte, 1024), 4)
		in := make([]byte, len(wire))
		r := Reader{Role: Server, Stream: true}
		b.SetBytes(1024)
		b.ReportAllocs()
		for b.Loop() {
			copy(in, wire)
			if ev := readAll(b, &r, in); !ev.Final {
				b.Fatalf("last event %+v", ev)
			}
		}
	})
}

// BenchmarkWriteMessage writes one-frame messages through Writer: a server
// copies the payload, a client copies and masks it with a fresh key.
func BenchmarkWriteMessage(b *testing.B) {
	for _, role := range []struct {
		name string
		r    Role
	}{{"server", Server}, {"client", Client}} {
		for _, n := range []int{64, 1024, 16384} {
			b.Run(role.name+"/"+sizeName(n), func(b *testing.B) {
				w := Writer{W: nopWriter{}, Buf: make([]byte, 32<<10), Role: role.r, Keys: NewMaskGen(1)}
				payload := make([]byte, n)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					if err := w.WriteMessage(OpBinary, payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkServerHandshake goes from the raw bytes of Chrome's request to
// the bytes of the 101 response.
func BenchmarkServerHandshake(b *testing.B) {
	raw := []byte(chromeRequest)
	out := make([]byte, 0, 512)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		out, _, _, err = ServerHandshake(out[:0], raw)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseRequestFrom parses Chrome's request head arrived whole, as
// the board's firmware does (scanned 0: the first call for a head).
func BenchmarkParseRequestFrom(b *testing.B) {
	raw := []byte(chromeRequest)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseRequestFrom(raw, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientHandshake makes a key and the request, then checks a 101
// response (its accept value is computed and compared).
func BenchmarkClientHandshake(b *testing.B) {
	g := NewMaskGen(5)
	key := NewClientKey(g)
	resp := AppendUpgradeResponse(nil, key[:], nil)
	req := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		k := NewClientKey(g)
		req = AppendClientRequest(req[:0], []byte("127.0.0.1:8080"), []byte("/ws"), k[:], nil)
		if _, _, err := ParseResponse(resp, key[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUTF8(b *testing.B) {
	for _, kind := range []string{"ascii", "mixed"} {
		for _, n := range []int{1024, 16384} {
			b.Run(kind+"/"+sizeName(n), func(b *testing.B) {
				text := benchText(n, kind == "mixed")
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				for b.Loop() {
					if !validUTF8(text) {
						b.Fatal("invalid")
					}
				}
			})
		}
	}
}

// BenchmarkEcho64 is a server's whole work for one small message: read a
// masked 64-byte binary message and append the unmasked echo frame.
func BenchmarkEcho64(b *testing.B) {
	wire := cframe(true, OpBinary, bytes.Repeat([]byte("echo"), 16))
	r := Reader{Role: Server, Buf: make([]byte, 1024)}
	out := make([]byte, 0, 128)
	b.SetBytes(64)
	b.ReportAllocs()
	for b.Loop() {
		n, ev, err := r.Feed(wire)
		if err != nil || n != len(wire) || ev.Kind != EventMessage {
			b.Fatal(err)
		}
		out = AppendFrame(out[:0], true, ev.Op, ev.Payload, false, [4]byte{})
	}
}
