package peers

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/gobwas/ws"
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
}

func TestSameEcho(t *testing.T) {
	want := core.AppendFrame(nil, true, core.OpBinary, bytes.Repeat([]byte("echo"), 16), false, [4]byte{})
	steps := map[string]func(*loopConn) (func() error, error){
		"gobwas":     func(c *loopConn) (func() error, error) { return gobwasEcho(c), nil },
		"gobwas-buf": func(c *loopConn) (func() error, error) { return gobwasBufEcho(c), nil },
		"wslab":      func(c *loopConn) (func() error, error) { return wslabEcho(c), nil },
		"gorilla":    gorillaEcho,
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
