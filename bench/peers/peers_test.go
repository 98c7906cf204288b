package peers

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/wslab/wslab/core"
)

// Each benchmark runs impl=gobwas first: benchstat's base column.

var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// chromeRequest is the opening handshake of Chrome 126, as a server reads it.
const chromeRequest = "GET /ws HTTP/1.1\r\n" +
	"Host: 127.0.0.1:8080\r\n" +
	"Connection: Upgrade\r\n" +
	"Pragma: no-cache\r\n" +
	"Cache-Control: no-cache\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\r\n" +
	"Upgrade: websocket\r\n" +
	"Origin: http://127.0.0.1:8080\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"

const chromeKey = "dGhlIHNhbXBsZSBub25jZQ=="

// headerForms are masked client headers in the three length forms.
var headerForms = []struct {
	name   string
	length int
}{{"7bit", 125}, {"16bit", 1024}, {"64bit", 1 << 20}}

func coreHeader(length int) core.Header {
	return core.Header{Fin: true, Op: core.OpBinary, Masked: true, Mask: testKey, Length: length}
}

func gobwasHeader(length int) ws.Header {
	return ws.Header{Fin: true, OpCode: ws.OpBinary, Masked: true, Mask: testKey, Length: int64(length)}
}

func BenchmarkHeaderParse(b *testing.B) {
	for _, f := range headerForms {
		wire := core.AppendHeader(nil, coreHeader(f.length))
		b.Run("form="+f.name+"/impl=gobwas", func(b *testing.B) {
			br := bytes.NewReader(wire)
			b.ReportAllocs()
			for b.Loop() {
				br.Reset(wire)
				h, err := ws.ReadHeader(br)
				if err != nil || h.Length != int64(f.length) {
					b.Fatal(err)
				}
			}
		})
		b.Run("form="+f.name+"/impl=gobwas-buf", func(b *testing.B) {
			br := bytes.NewReader(wire)
			buf := make([]byte, ws.MaxHeaderSize)
			b.ReportAllocs()
			for b.Loop() {
				br.Reset(wire)
				h, err := ws.ReadHeaderBuffer(br, buf)
				if err != nil || h.Length != int64(f.length) {
					b.Fatal(err)
				}
			}
		})
		b.Run("form="+f.name+"/impl=wslab", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, _, err := core.ParseHeader(wire)
				if err != nil || h.Length != f.length {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHeaderWrite(b *testing.B) {
	for _, f := range headerForms {
		b.Run("form="+f.name+"/impl=gobwas", func(b *testing.B) {
			var out bytes.Buffer
			out.Grow(ws.MaxHeaderSize)
			h := gobwasHeader(f.length)
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := ws.WriteHeader(&out, h); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("form="+f.name+"/impl=gobwas-buf", func(b *testing.B) {
			var out bytes.Buffer
			out.Grow(ws.MaxHeaderSize)
			buf := make([]byte, ws.MaxHeaderSize)
			h := gobwasHeader(f.length)
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := ws.WriteHeaderBuffer(&out, h, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("form="+f.name+"/impl=wslab", func(b *testing.B) {
			out := make([]byte, 0, core.MaxHeaderSize)
			h := coreHeader(f.length)
			b.ReportAllocs()
			for b.Loop() {
				out = core.AppendHeader(out[:0], h)
			}
		})
	}
}

var maskSizes = []struct {
	name string
	n    int
}{{"16B", 16}, {"125B", 125}, {"1KiB", 1024}, {"16KiB", 16384}}

func BenchmarkMask(b *testing.B) {
	for _, s := range maskSizes {
		b.Run("size="+s.name+"/impl=gobwas", func(b *testing.B) {
			buf := make([]byte, s.n)
			b.SetBytes(int64(s.n))
			b.ReportAllocs()
			for b.Loop() {
				ws.Cipher(buf, testKey, 0)
			}
		})
		b.Run("size="+s.name+"/impl=wslab", func(b *testing.B) {
			buf := make([]byte, s.n)
			b.SetBytes(int64(s.n))
			b.ReportAllocs()
			for b.Loop() {
				core.Mask(testKey, 0, buf)
			}
		})
		b.Run("size="+s.name+"/impl=copy", func(b *testing.B) {
			src, dst := make([]byte, s.n), make([]byte, s.n)
			b.SetBytes(int64(s.n))
			b.ReportAllocs()
			for b.Loop() {
				copy(dst, src)
			}
		})
	}
}

// gorillaUpgrade does what net/http and gorilla do for a request on conn:
// read the head with http.ReadRequest, then hijack and upgrade.
type gorillaUpgrade struct {
	up  websocket.Upgrader
	br  *bufio.Reader
	w   hijackWriter
	hdr http.Header
}

func newGorillaUpgrade(conn *loopConn) *gorillaUpgrade {
	g := &gorillaUpgrade{br: bufio.NewReaderSize(conn, 4096)}
	g.w = hijackWriter{conn: conn, brw: bufio.NewReadWriter(g.br, bufio.NewWriterSize(conn, 4096)), h: http.Header{}}
	return g
}

func (g *gorillaUpgrade) upgrade() (*websocket.Conn, error) {
	g.br.Reset(g.w.conn)
	req, err := http.ReadRequest(g.br)
	if err != nil {
		return nil, err
	}
	return g.up.Upgrade(&g.w, req, nil)
}

func BenchmarkServerHandshake(b *testing.B) {
	raw := []byte(chromeRequest)
	b.Run("impl=gobwas", func(b *testing.B) {
		conn := &loopConn{out: make([]byte, 0, 512)}
		b.ReportAllocs()
		for b.Loop() {
			conn.reset(raw)
			if _, err := ws.Upgrade(conn); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=wslab", func(b *testing.B) {
		out := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			out, _, _, err = core.ServerHandshake(out[:0], raw)
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=gorilla", func(b *testing.B) {
		conn := &loopConn{out: make([]byte, 0, 512)}
		g := newGorillaUpgrade(conn)
		b.ReportAllocs()
		for b.Loop() {
			conn.reset(raw)
			if _, err := g.upgrade(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// echoFrame is a client's masked 64-byte binary message.
var echoFrame = core.AppendFrame(nil, true, core.OpBinary, bytes.Repeat([]byte("echo"), 16), true, testKey)

// An echo server's step for each library: read one message from conn and
// write it back. Each returns a step function to call once per message.

func gobwasEcho(conn *loopConn) func() error {
	payload := make([]byte, 4096)
	return func() error {
		h, err := ws.ReadHeader(conn)
		if err != nil {
			return err
		}
		p := payload[:h.Length]
		if _, err := io.ReadFull(conn, p); err != nil {
			return err
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		if err := ws.WriteHeader(conn, ws.Header{Fin: true, OpCode: h.OpCode, Length: h.Length}); err != nil {
			return err
		}
		_, err = conn.Write(p)
		return err
	}
}

func gobwasBufEcho(conn *loopConn) func() error {
	br := bufio.NewReaderSize(conn, 4096)
	hbuf := make([]byte, ws.MaxHeaderSize)
	payload := make([]byte, 4096)
	return func() error {
		h, err := ws.ReadHeaderBuffer(br, hbuf)
		if err != nil {
			return err
		}
		p := payload[:h.Length]
		if _, err := io.ReadFull(br, p); err != nil {
			return err
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		if err := ws.WriteHeaderBuffer(conn, ws.Header{Fin: true, OpCode: h.OpCode, Length: h.Length}, hbuf); err != nil {
			return err
		}
		_, err = conn.Write(p)
		return err
	}
}

func wslabEcho(conn *loopConn) func() error {
	cr := core.ConnReader{Src: conn, Rx: make([]byte, 4096), R: core.Reader{Role: core.Server, Buf: make([]byte, 4096)}}
	w := core.Writer{W: conn, Buf: make([]byte, 4096), Role: core.Server}
	return func() error {
		ev, err := cr.Next()
		if err != nil {
			return err
		}
		return w.WriteMessage(ev.Op, ev.Payload)
	}
}

func gorillaEcho(conn *loopConn) (func() error, error) {
	conn.reset([]byte(chromeRequest))
	c, err := newGorillaUpgrade(conn).upgrade()
	if err != nil {
		return nil, err
	}
	payload := make([]byte, 4096)
	return func() error {
		mt, r, err := c.NextReader()
		if err != nil {
			return err
		}
		n, err := io.ReadFull(r, payload)
		if err != io.ErrUnexpectedEOF {
			return err
		}
		return c.WriteMessage(mt, payload[:n])
	}, nil
}

func BenchmarkEcho64(b *testing.B) {
	run := func(b *testing.B, conn *loopConn, step func() error) {
		conn.reset(echoFrame)
		b.SetBytes(64)
		b.ReportAllocs()
		for b.Loop() {
			conn.out = conn.out[:0]
			if err := step(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("impl=gobwas", func(b *testing.B) {
		conn := &loopConn{out: make([]byte, 0, 512)}
		run(b, conn, gobwasEcho(conn))
	})
	b.Run("impl=gobwas-buf", func(b *testing.B) {
		conn := &loopConn{out: make([]byte, 0, 512)}
		run(b, conn, gobwasBufEcho(conn))
	})
	b.Run("impl=wslab", func(b *testing.B) {
		conn := &loopConn{out: make([]byte, 0, 512)}
		run(b, conn, wslabEcho(conn))
	})
	b.Run("impl=gorilla", func(b *testing.B) {
		conn := &loopConn{out: make([]byte, 0, 512)}
		step, err := gorillaEcho(conn)
		if err != nil {
			b.Fatal(err)
		}
		run(b, conn, step)
	})
}
