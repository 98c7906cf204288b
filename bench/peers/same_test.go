package peers

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/gobwas/ws"
	"github.com/lxzan/gws"
	"github.com/wslab/wslab/core"
)

// The benchmarks compare like with like only if the libraries do the same
// work: these tests hold them to the same bytes.

func TestSameHeaders(t *testing.T) {
	for _, f := range headerForms {
		wire := core.AppendHeader(nil, coreHeader(f.length))
		var out bytes.Buffer
		if err := ws.WriteHeader(&out, gobwasHeader(f.length)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), wire) {
			t.Fatalf("%s: gobwas writes % x, wslab % x", f.name, out.Bytes(), wire)
		}
		gh, err := ws.ReadHeader(bytes.NewReader(wire))
		if err != nil {
			t.Fatal(err)
		}
		ch, _, err := core.ParseHeader(wire)
		if err != nil {
			t.Fatal(err)
		}
		if gh != gobwasHeader(f.length) || ch != coreHeader(f.length) {
			t.Fatalf("%s: gobwas reads %+v, wslab %+v", f.name, gh, ch)
		}
	}
}

func TestSameMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n += 1 + rng.IntN(300) {
		for pos := 0; pos < 4; pos++ {
			a := make([]byte, n)
			for i := range a {
				a[i] = byte(rng.Uint32())
			}
			b := append([]byte(nil), a...)
			ws.Cipher(a, testKey, pos)
			core.Mask(testKey, pos, b)
			if !bytes.Equal(a, b) {
				t.Fatalf("n=%d pos=%d: ws.Cipher and core.Mask differ", n, pos)
			}
		}
	}
}

func TestSameHandshake(t *testing.T) {
	raw := []byte(chromeRequest)
	want, _, _, err := core.ServerHandshake(nil, raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := core.ParseResponse(want, []byte(chromeKey)); err != nil {
		t.Fatalf("wslab's 101 fails the client check: %v", err)
	}
	conn := &loopConn{}
	conn.reset(raw)
	if _, err := newWslabUpgrade(conn).upgrade(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(conn.out, want) {
		t.Fatalf("wslab through a conn answers %q, want %q", conn.out, want)
	}
	conn.reset(raw)
	if err := newFloorUpgrade(conn, chromeRequest).upgrade(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(conn.out, want) {
		t.Fatalf("the floor answers %q, wslab %q", conn.out, want)
	}
	conn.reset(raw)
	if _, err := ws.Upgrade(conn); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(conn.out, want) {
		t.Fatalf("gobwas answers %q, wslab %q", conn.out, want)
	}
	conn.reset(raw)
	if _, err := newGorillaUpgrade(conn).upgrade(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(conn.out, want) {
		t.Fatalf("gorilla answers %q, wslab %q", conn.out, want)
	}
	conn.reset(raw)
	if _, err := newGwsUpgrade(conn, gws.BuiltinEventHandler{}).upgrade(); err != nil {
		t.Fatal(err)
	}
	// gws writes its headers in another order and no empty line of its own
	// making; compare the status line and the accept key.
	if !bytes.HasPrefix(conn.out, []byte("HTTP/1.1 101 ")) || !bytes.Contains(conn.out, []byte("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")) {
		t.Fatalf("gws answers %q", conn.out)
	}
}

// A wslab handshake split across reads (a slow client) still completes.
func TestWslabUpgradeInPieces(t *testing.T) {
	raw := []byte(chromeRequest)
	conn := &loopConn{}
	conn.reset(raw)
	conn.limit = len(raw)
	u := newWslabUpgrade(&chunkReader{conn, 7})
	n, err := u.upgrade()
	if err != nil || n != len(raw) {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

type chunkReader struct {
	*loopConn
	max int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.max {
		p = p[:c.max]
	}
	return c.loopConn.Read(p)
}

// The bases are the peers' zero-allocation paths, and wslab's are too.
func TestZeroAllocBases(t *testing.T) {
	raw := []byte(chromeRequest)
	conn := &loopConn{out: make([]byte, 0, 512)}
	u := newWslabUpgrade(conn)
	if a := testing.AllocsPerRun(100, func() {
		conn.reset(raw)
		if _, err := u.upgrade(); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("wslab handshake: %v allocs", a)
	}
	for name, mk := range map[string]func(*loopConn) func() error{"gobwas": gobwasEcho, "wslab": wslabEcho} {
		conn := &loopConn{out: make([]byte, 0, 512)}
		step := mk(conn)
		conn.reset(echoFrame)
		if a := testing.AllocsPerRun(100, func() {
			conn.out = conn.out[:0]
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s echo: %v allocs", name, a)
		}
	}
	wire := core.AppendHeader(nil, coreHeader(125))
	br := bytes.NewReader(wire)
	buf := make([]byte, ws.MaxHeaderSize)
	var out bytes.Buffer
	out.Grow(ws.MaxHeaderSize)
	if a := testing.AllocsPerRun(100, func() {
		br.Reset(wire)
		if _, err := ws.ReadHeaderBuffer(br, buf); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := ws.WriteHeaderBuffer(&out, gobwasHeader(125), buf); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("gobwas header read and write: %v allocs", a)
	}
}

func TestSameEchoGws(t *testing.T) {
	want := core.AppendFrame(nil, true, core.OpBinary, bytes.Repeat([]byte("echo"), 16), false, [4]byte{})
	conn := &loopConn{}
	echo, err := gwsEchoLoop(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := echo(3); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(conn.out, bytes.Repeat(want, 3)) {
		t.Fatalf("gws echoes % x", conn.out)
	}
}

func TestSameEcho(t *testing.T) {
	want := core.AppendFrame(nil, true, core.OpBinary, bytes.Repeat([]byte("echo"), 16), false, [4]byte{})
	steps := map[string]func(*loopConn) (func() error, error){
		"gobwas":  func(c *loopConn) (func() error, error) { return gobwasEcho(c), nil },
		"wslab":   func(c *loopConn) (func() error, error) { return wslabEcho(c), nil },
		"gorilla": gorillaEcho,
	}
	for name, mk := range steps {
		conn := &loopConn{}
		step, err := mk(conn)
		if err != nil {
			t.Fatal(err)
		}
		conn.reset(echoFrame)
		for i := 0; i < 3; i++ {
			conn.out = conn.out[:0]
			if err := step(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !bytes.Equal(conn.out, want) {
				t.Fatalf("%s: echo % x, want % x", name, conn.out, want)
			}
		}
	}
}
