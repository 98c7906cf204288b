package peers

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"
	"github.com/wslab/wslab/core"
)

// Each benchmark runs impl=gobwas first, gobwas's zero-allocation form:
// benchstat's base column.

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

// BenchmarkHeaderParse: gobwas's zero-allocation form, ReadHeaderBuffer
// with a reused 14-byte buffer over a reused bytes.Reader, against
// core.ParseHeader on the bytes. Both check the length forms; gobwas does
// not reject non-minimal lengths or control-frame rules here (core does).
func BenchmarkHeaderParse(b *testing.B) {
	for _, f := range headerForms {
		for _, masked := range []bool{false, true} {
			h := coreHeader(f.length)
			h.Masked = masked
			wire := core.AppendHeader(nil, h)
			name := "form=" + f.name + "/masked=" + strconv.FormatBool(masked)
			b.Run(name+"/impl=gobwas", func(b *testing.B) {
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
			b.Run(name+"/impl=wslab", func(b *testing.B) {
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
}

// BenchmarkHeaderWrite: gobwas's zero-allocation form, WriteHeaderBuffer
// with a reused buffer into a reused bytes.Buffer (gobwas has no append
// form), against core.AppendHeader into a reused slice.
func BenchmarkHeaderWrite(b *testing.B) {
	for _, f := range headerForms {
		b.Run("form="+f.name+"/impl=gobwas", func(b *testing.B) {
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

// wslabUpgrade is the board's handshake on conn: read into a fixed
// receive buffer until the head is complete, parse and check it, append the
// 101 (or the error response) to a fixed transmit buffer and write it.
type wslabUpgrade struct {
	conn   io.ReadWriter
	rx, tx []byte
}

func newWslabUpgrade(conn io.ReadWriter) *wslabUpgrade {
	return &wslabUpgrade{conn: conn, rx: make([]byte, 4096), tx: make([]byte, 0, 512)}
}

func (u *wslabUpgrade) upgrade() (n int, err error) {
	got := 0
	for {
		m, rerr := u.conn.Read(u.rx[got:])
		got += m
		var out []byte
		out, _, n, err = core.ServerHandshake(u.tx[:0], u.rx[:got])
		if err == core.ErrNeedMore {
			if rerr != nil {
				return 0, rerr
			}
			if got == len(u.rx) {
				err = core.ErrHeaderTooLarge
				out = core.AppendHandshakeError(u.tx[:0], err)
			} else {
				continue
			}
		}
		if _, werr := u.conn.Write(out); werr != nil && err == nil {
			err = werr
		}
		return n, err
	}
}

// gwsUpgrade is gws's handshake for a request on conn: it needs net/http's
// request, so http.ReadRequest on a reused bufio.Reader, then
// Upgrader.UpgradeFromConn, which writes the 101 to conn.
type gwsUpgrade struct {
	up   *gws.Upgrader
	conn *loopConn
	br   *bufio.Reader
}

func newGwsUpgrade(conn *loopConn, h gws.Event) *gwsUpgrade {
	return &gwsUpgrade{up: gws.NewUpgrader(h, nil), conn: conn, br: bufio.NewReaderSize(conn, 4096)}
}

func (g *gwsUpgrade) upgrade() (*gws.Conn, error) {
	g.br.Reset(g.conn)
	req, err := http.ReadRequest(g.br)
	if err != nil {
		return nil, err
	}
	return g.up.UpgradeFromConn(g.conn, g.br, req)
}

// floorUpgrade is the work every server handshake shares and nothing else:
// read the request from the connection, SHA-1 of the key (found at an
// offset known in advance: no parsing, no check) and the GUID, base64 of
// the digest into a 101 made in advance, one Write. No implementation can
// do less; what one spends above it is its own.
type floorUpgrade struct {
	conn     io.ReadWriter
	rx, resp []byte
	keyAt    int // the key's offset in the request
	acceptAt int // the accept value's offset in resp
}

func newFloorUpgrade(conn io.ReadWriter, request string) *floorUpgrade {
	resp := core.AppendUpgradeResponse(nil, []byte(chromeKey), nil)
	return &floorUpgrade{
		conn: conn, rx: make([]byte, 4096), resp: resp,
		keyAt:    strings.Index(request, "Sec-WebSocket-Key: ") + len("Sec-WebSocket-Key: "),
		acceptAt: bytes.Index(resp, []byte("Accept: ")) + len("Accept: "),
	}
}

const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func (f *floorUpgrade) upgrade() error {
	n, err := f.conn.Read(f.rx)
	if n < f.keyAt+24 {
		return fmt.Errorf("floor: read %d bytes: %v", n, err)
	}
	var in [24 + len(keyGUID)]byte
	copy(in[:], f.rx[f.keyAt:f.keyAt+24])
	copy(in[24:], keyGUID)
	sum := sha1.Sum(in[:])
	base64.StdEncoding.Encode(f.resp[f.acceptAt:f.acceptAt+28], sum[:])
	_, err = f.conn.Write(f.resp)
	return err
}

// BenchmarkServerHandshake: on every side the request is read from an
// in-memory connection and the 101 is written to it. impl=floor is
// floorUpgrade, the part of that work every implementation shares (read,
// SHA-1 of key and GUID by crypto/sha1, base64, write): its column is
// the floor as a fraction of gobwas's time, and an implementation's
// overhead is its time less the floor's (TestCPUTimeRatios prints both).
//
// What each checks of the request (RFC 6455 4.2.1, RFC 9110/9112):
//   - wslab: every header line's bytes (lines end in CRLF, field names
//     are tokens right up to the colon, values hold no control character
//     but tab), one Host, one key, Content-Length and Transfer-Encoding
//     consistent, method GET, HTTP/1.1+, Connection has the token upgrade,
//     Upgrade has the token websocket, version 13, and the key is base64
//     of 16 bytes.
//   - gobwas (ws.Upgrade, the base): method, HTTP/1.1+, Host present,
//     Upgrade exactly websocket, the Connection token, version 13, key
//     length 24. It skips these RFC 9110/9112 checks: names are not
//     checked to be tokens (and whitespace around a name, which RFC 9112
//     5.1 forbids, is trimmed), values may hold control characters, a bare
//     LF ends a line, the key is not checked to be base64, a second Host
//     or key passes, and Content-Length/Transfer-Encoding are not looked
//     at.
//   - gorilla and gws go through net/http's http.ReadRequest (which checks
//     the header bytes) and then their Upgrader; gws does not check Host,
//     the HTTP version or the key's form (only that it is present). Both
//     return a connection object, which their count includes.
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
		conn := &loopConn{out: make([]byte, 0, 512)}
		u := newWslabUpgrade(conn)
		b.ReportAllocs()
		for b.Loop() {
			conn.reset(raw)
			if _, err := u.upgrade(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=floor", func(b *testing.B) {
		conn := &loopConn{out: make([]byte, 0, 512)}
		f := newFloorUpgrade(conn, chromeRequest)
		b.ReportAllocs()
		for b.Loop() {
			conn.reset(raw)
			if err := f.upgrade(); err != nil {
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
	b.Run("impl=gws", func(b *testing.B) {
		conn := &loopConn{out: make([]byte, 0, 512)}
		g := newGwsUpgrade(conn, gws.BuiltinEventHandler{})
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

// gobwasEcho is gobwas's zero-allocation path: a bufio.Reader over conn,
// ReadHeaderBuffer and WriteHeaderBuffer with a reused header buffer,
// io.ReadFull into a reused payload buffer, ws.Cipher, and a Write of the
// payload. It checks no RSV bits, opcodes, control-frame rules or UTF-8
// (the caller's job with this API); wslab's Reader does all of these.
func gobwasEcho(conn *loopConn) func() error {
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

// wslabEcho is the board's path (firmware's echo endpoint): the streaming
// Reader (Stream true: the payload is unmasked in place in the receive
// buffer and handed over as it arrives) through ConnReader, each piece
// appended as a frame to a fixed transmit buffer and written.
func wslabEcho(conn *loopConn) func() error {
	cr := core.ConnReader{Src: conn, Rx: make([]byte, 4096), R: core.Reader{Role: core.Server, Stream: true}}
	tx := make([]byte, 0, 4096+core.MaxHeaderSize)
	return func() error {
		for {
			ev, err := cr.Next()
			if err != nil {
				return err
			}
			if ev.Kind != core.EventFragment {
				continue
			}
			op := core.OpContinuation
			if ev.First {
				op = ev.Op
			}
			if _, err := conn.Write(core.AppendFrame(tx[:0], ev.Final, op, ev.Payload, false, [4]byte{})); err != nil {
				return err
			}
			if ev.Final {
				return nil
			}
		}
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

// gwsEcho answers each message from gws's OnMessage callback with
// WriteMessage; its pooled buffers make it allocation-free in steady state.
type gwsEcho struct{ gws.BuiltinEventHandler }

func (gwsEcho) OnMessage(c *gws.Conn, m *gws.Message) {
	_ = c.WriteMessage(m.Opcode, m.Bytes())
	_ = m.Close()
}

// gwsEchoLoop upgrades conn with gws and returns a function that echoes n
// messages: gws has no call that reads one message, only ReadLoop, which
// runs until the connection fails, so conn ends after n frames.
func gwsEchoLoop(conn *loopConn) (func(n int) error, error) {
	conn.reset([]byte(chromeRequest))
	c, err := newGwsUpgrade(conn, gwsEcho{}).upgrade()
	if err != nil {
		return nil, err
	}
	return func(n int) error {
		conn.reset(echoFrame)
		conn.limit = n * len(echoFrame)
		c.ReadLoop() // ends with a close frame of gws's after the echoes
		if len(conn.out) < n*(len(echoFrame)-4) {
			return fmt.Errorf("gws echoed %d bytes, want %d", len(conn.out), n*(len(echoFrame)-4))
		}
		return nil
	}, nil
}

// BenchmarkEcho64: a server reads a client's masked 64-byte binary message
// from a connection and writes it back, unmasked. The base is gobwas's
// zero-allocation path.
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
	b.Run("impl=gws", func(b *testing.B) {
		conn := &loopConn{}
		echo, err := gwsEchoLoop(conn)
		if err != nil {
			b.Fatal(err)
		}
		conn.out = make([]byte, 0, b.N*(len(echoFrame)-4)+16)
		b.SetBytes(64)
		b.ReportAllocs()
		b.ResetTimer()
		if err := echo(b.N); err != nil {
			b.Fatal(err)
		}
	})
}
