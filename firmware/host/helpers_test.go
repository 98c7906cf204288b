//go:build linux

package host_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// opTimeout bounds every blocking socket operation of the tests. It is a
// safety net against a hung board, never a performance assertion, so it is
// generous for a loaded 2-core machine.
const opTimeout = 20 * time.Second

// startBoard runs a board on a loopback port and stops it when the test ends.
func startBoard(t testing.TB, cfg firmware.Config) *host.Server {
	t.Helper()
	return startBoardOpts(t, host.Options{Board: cfg})
}

func startBoardOpts(t testing.TB, opts host.Options) *host.Server {
	t.Helper()
	if opts.Board.Model == "" {
		opts.Board.Model = "test"
	}
	srv, err := host.Start(opts)
	if err != nil {
		t.Fatalf("start board: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close board: %v", err)
		}
	})
	return srv
}

// testKey masks the frames the tests build by hand.
var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// frame builds one client frame: masked with testKey, any RSV bits and
// opcode, the shortest length form.
func frame(fin bool, rsv uint8, op core.Opcode, payload []byte) []byte {
	return appendFrame(nil, fin, rsv, op, payload, true, testKey)
}

// unmaskedFrame builds a frame as a server would send it, which a client
// must not.
func unmaskedFrame(fin bool, op core.Opcode, payload []byte) []byte {
	return appendFrame(nil, fin, 0, op, payload, false, [4]byte{})
}

func appendFrame(dst []byte, fin bool, rsv uint8, op core.Opcode, payload []byte, masked bool, key [4]byte) []byte {
	dst = core.AppendHeader(dst, core.Header{Fin: fin, Rsv: rsv, Op: op, Masked: masked, Mask: key, Length: len(payload)})
	start := len(dst)
	dst = append(dst, payload...)
	if masked {
		core.Mask(key, 0, dst[start:])
	}
	return dst
}

// closePayload is a close frame's payload: the code, big-endian, and reason.
func closePayload(code uint16, reason string) []byte {
	return append([]byte{byte(code >> 8), byte(code)}, reason...)
}

// wsClient is the tests' WebSocket client: a raw TCP connection, the
// handshake and frames done with package core, fixed buffers throughout,
// so that exchanging a message allocates nothing on the client either.
type wsClient struct {
	t    testing.TB
	conn net.Conn
	rd   core.ConnReader
	wbuf []byte
	keys *core.MaskGen
	key  [core.ClientKeyLen]byte
	path string
}

// dialWS connects to path on the board at addr and completes the opening
// handshake. maxMsg sizes the buffer the client reassembles messages in.
func dialWS(t testing.TB, addr, path string, maxMsg int) *wsClient {
	t.Helper()
	c, err := tryDialWS(addr, path, maxMsg, nil)
	if err != nil {
		t.Fatalf("websocket %s: %v", path, err)
	}
	c.t = t
	t.Cleanup(func() { c.conn.Close() })
	return c
}

// tryDialWS is dialWS without a test: it reports failure as an error.
// keys supplies the masks (nil: a generator seeded from the clock).
func tryDialWS(addr, path string, maxMsg int, keys *core.MaskGen) (*wsClient, error) {
	if keys == nil {
		keys = core.NewMaskGen(uint64(time.Now().UnixNano()))
	}
	conn, err := net.DialTimeout("tcp", addr, opTimeout)
	if err != nil {
		return nil, err
	}
	c := &wsClient{conn: conn, keys: keys, path: path}
	c.wbuf = make([]byte, 0, core.FrameSize(maxMsg, true)+core.MaxHeaderSize)
	c.rd.Src = conn
	c.rd.Rx = make([]byte, 64<<10)
	c.rd.R = core.Reader{Role: core.Client, Buf: make([]byte, maxMsg), MaxMessage: maxMsg}
	if err := c.handshake(addr); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func (c *wsClient) handshake(addr string) error {
	return c.handshakeWith(addr, nil)
}

// handshakeWith sends the opening handshake with early (frames, say)
// right behind it in the same write, and reads the board's answer.
func (c *wsClient) handshakeWith(addr string, early []byte) error {
	c.key = core.NewClientKey(c.keys)
	req := core.AppendClientRequest(c.wbuf[:0], []byte(addr), []byte(c.path), c.key[:], nil)
	req = append(req, early...)
	c.conn.SetDeadline(time.Now().Add(opTimeout))
	defer c.conn.SetDeadline(time.Time{})
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	rx := c.rd.Rx
	n := 0
	for {
		k, err := c.conn.Read(rx[n:])
		n += k
		_, hn, perr := core.ParseResponse(rx[:n], c.key[:])
		if perr == nil {
			c.rd.Preload(rx[hn:n])
			return nil
		}
		if perr != core.ErrNeedMore {
			return fmt.Errorf("handshake: %v: %q", perr, rx[:n])
		}
		if err != nil {
			return fmt.Errorf("handshake: %w after %q", err, rx[:n])
		}
		if n == len(rx) {
			return errors.New("handshake: response head too large")
		}
	}
}

// write sends raw bytes.
func (c *wsClient) write(b []byte) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(opTimeout))
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// writeLate sends bytes that may legitimately meet a board that already
// failed the connection: write errors are ignored.
func (c *wsClient) writeLate(b []byte) {
	c.conn.SetWriteDeadline(time.Now().Add(opTimeout))
	_, _ = c.conn.Write(b)
}

// writeChopped sends b in pieces of size bytes, each its own write, with
// TCP_NODELAY set so they travel as separate segments.
func (c *wsClient) writeChopped(b []byte, size int, pause time.Duration) {
	c.t.Helper()
	if tc, ok := c.conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	for len(b) > 0 {
		n := min(size, len(b))
		c.write(b[:n])
		b = b[n:]
		if pause > 0 && len(b) > 0 {
			time.Sleep(pause)
		}
	}
}

// sendFrame writes one masked frame built in the client's own buffer.
func (c *wsClient) sendFrame(fin bool, op core.Opcode, payload []byte) error {
	c.wbuf = core.AppendFrame(c.wbuf[:0], fin, op, payload, true, c.keys.NextMask())
	c.conn.SetWriteDeadline(time.Now().Add(opTimeout))
	_, err := c.conn.Write(c.wbuf)
	return err
}

// sendMessage writes payload as one message in frags frames (at least one).
func (c *wsClient) sendMessage(op core.Opcode, payload []byte, frags int) error {
	if frags < 1 {
		frags = 1
	}
	step := len(payload)/frags + 1
	fop := op
	for i := 0; i < frags; i++ {
		lo := min(i*step, len(payload))
		hi := min(lo+step, len(payload))
		if i == frags-1 {
			hi = len(payload)
		}
		if err := c.sendFrame(i == frags-1, fop, payload[lo:hi]); err != nil {
			return err
		}
		fop = core.OpContinuation
	}
	return nil
}

// next returns the next event from the board, waiting at most opTimeout.
func (c *wsClient) next() (core.Event, error) {
	c.conn.SetReadDeadline(time.Now().Add(opTimeout))
	return c.rd.Next()
}

var errMismatch = errors.New("echo differs from the message sent")

// echo sends a message and checks that the next event is its echo. It
// allocates nothing unless it fails.
func (c *wsClient) echo(op core.Opcode, payload []byte, frags int) error {
	if err := c.sendMessage(op, payload, frags); err != nil {
		return err
	}
	ev, err := c.rd.Next()
	if err != nil {
		return err
	}
	if ev.Kind != core.EventMessage || ev.Op != op || !bytes.Equal(ev.Payload, payload) {
		return fmt.Errorf("%w: sent op %d, %d B; got %s", errMismatch, op, len(payload), describe(ev))
	}
	return nil
}

// ping sends a ping and checks the next event is its pong.
func (c *wsClient) ping(payload []byte) error {
	if err := c.sendFrame(true, core.OpPing, payload); err != nil {
		return err
	}
	ev, err := c.rd.Next()
	if err != nil {
		return err
	}
	if ev.Kind != core.EventPong || !bytes.Equal(ev.Payload, payload) {
		return fmt.Errorf("ping %q: got %s", payload, describe(ev))
	}
	return nil
}

func describe(ev core.Event) string {
	switch ev.Kind {
	case core.EventMessage:
		p := ev.Payload
		if len(p) > 40 {
			return fmt.Sprintf("message op %d, %d B: %q...", ev.Op, len(p), p[:40])
		}
		return fmt.Sprintf("message op %d, %d B: %q", ev.Op, len(p), p)
	case core.EventPing:
		return fmt.Sprintf("ping %q", ev.Payload)
	case core.EventPong:
		return fmt.Sprintf("pong %q", ev.Payload)
	case core.EventClose:
		return fmt.Sprintf("close %d %q", ev.Code, ev.Reason)
	}
	return fmt.Sprintf("event kind %d", ev.Kind)
}

// expectMessage fails the test unless the next event is the message op/payload.
func (c *wsClient) expectMessage(op core.Opcode, payload []byte) {
	c.t.Helper()
	ev, err := c.next()
	if err != nil {
		c.t.Fatalf("want a %d-byte message (op %d), got error %v", len(payload), op, err)
	}
	if ev.Kind != core.EventMessage || ev.Op != op || !bytes.Equal(ev.Payload, payload) {
		c.t.Fatalf("want a %d-byte message (op %d), got %s", len(payload), op, describe(ev))
	}
}

// expectPong fails the test unless the next event is a pong with payload.
func (c *wsClient) expectPong(payload []byte) {
	c.t.Helper()
	ev, err := c.next()
	if err != nil {
		c.t.Fatalf("want pong %q, got error %v", payload, err)
	}
	if ev.Kind != core.EventPong || !bytes.Equal(ev.Payload, payload) {
		c.t.Fatalf("want pong %q, got %s", payload, describe(ev))
	}
}

// expectClose fails the test unless the board's next frame is a close
// with code (core.CloseNoStatus: an empty close), after which the board
// closes the TCP connection without sending anything more.
func (c *wsClient) expectClose(code core.CloseCode) {
	c.t.Helper()
	ev, err := c.next()
	if err != nil {
		c.t.Fatalf("want close %d, got error %v", code, err)
	}
	if ev.Kind != core.EventClose || ev.Code != code {
		c.t.Fatalf("want close %d, got %s", code, describe(ev))
	}
	c.expectEOF()
}

// expectEOF fails the test unless the board closes the connection (FIN or
// reset) without sending another byte.
func (c *wsClient) expectEOF() {
	c.t.Helper()
	if b := c.rd.Buffered(); len(b) > 0 {
		c.t.Fatalf("board sent %d bytes after its close frame: %q", len(b), b)
	}
	var buf [256]byte
	c.conn.SetReadDeadline(time.Now().Add(opTimeout))
	n, err := c.conn.Read(buf[:])
	if n > 0 {
		c.t.Fatalf("board sent %d more bytes after its close: %q", n, buf[:n])
	}
	if !isClosed(err) {
		c.t.Fatalf("want the board to close the connection, got %v", err)
	}
}

// expectNothingBefore fails if anything but the probe's echo arrives next: the
// way to show the board ignored what was sent before the probe.
func (c *wsClient) expectNothingBefore(op core.Opcode, probe []byte) {
	c.t.Helper()
	if err := c.sendMessage(op, probe, 1); err != nil {
		c.t.Fatalf("send probe: %v", err)
	}
	c.expectMessage(op, probe)
}

// closeNormally runs the closing handshake from the client side.
func (c *wsClient) closeNormally() {
	c.t.Helper()
	if err := c.sendFrame(true, core.OpClose, closePayload(1000, "bye")); err != nil {
		c.t.Fatalf("send close: %v", err)
	}
	c.expectClose(core.CloseNormal)
	c.conn.Close()
}

// isClosed reports whether err means the peer closed the connection.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// httpResponse is a raw HTTP/1.1 response as a client received it.
type httpResponse struct {
	Status int
	Head   string            // status line and headers
	Header map[string]string // lower-case names, first value
	Body   []byte
	Err    error // how the read ended (nil: io.EOF or a complete body)
}

// rawHTTP sends req as is on a new connection and reads the response until
// the board closes the connection or the Content-Length is complete.
func rawHTTP(t testing.TB, addr, req string) httpResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, opTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(opTimeout))
	if _, err := io.WriteString(conn, req); err != nil && !isClosed(err) {
		t.Fatalf("write request: %v", err)
	}
	return readHTTP(t, conn)
}

// readHTTP reads one response from conn.
func readHTTP(t testing.TB, conn net.Conn) httpResponse {
	t.Helper()
	var buf []byte
	var r httpResponse
	tmp := make([]byte, 32<<10)
	headEnd, clen := -1, -1
	for {
		n, err := conn.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if headEnd < 0 {
			if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
				headEnd = i + 4
				r.Head = string(buf[:i])
				r.Header = map[string]string{}
				lines := strings.Split(r.Head, "\r\n")
				f := strings.Fields(lines[0])
				if len(f) < 2 {
					t.Fatalf("bad status line %q", lines[0])
				}
				r.Status, _ = strconv.Atoi(f[1])
				for _, l := range lines[1:] {
					k, v, _ := strings.Cut(l, ":")
					k = strings.ToLower(strings.TrimSpace(k))
					if _, dup := r.Header[k]; !dup {
						r.Header[k] = strings.TrimSpace(v)
					}
				}
				if v, ok := r.Header["content-length"]; ok {
					clen, _ = strconv.Atoi(v)
				}
			}
		}
		if headEnd >= 0 && clen >= 0 && len(buf)-headEnd >= clen {
			r.Body = buf[headEnd : headEnd+clen]
			return r
		}
		if err != nil {
			if headEnd < 0 {
				t.Fatalf("no response head (%v) after %q", err, buf)
			}
			r.Body = buf[headEnd:]
			if !errors.Is(err, io.EOF) {
				r.Err = err
			}
			return r
		}
	}
}

// get fetches path with a plain GET and Connection: close.
func get(t testing.TB, addr, path string) httpResponse {
	t.Helper()
	return rawHTTP(t, addr, "GET "+path+" HTTP/1.1\r\nHost: board\r\nConnection: close\r\n\r\n")
}

// put uploads body to path.
func put(t testing.TB, addr, path string, body []byte) httpResponse {
	t.Helper()
	return rawHTTP(t, addr, "PUT "+path+" HTTP/1.1\r\nHost: board\r\nConnection: close\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"+string(body))
}

// waitFor polls cond until it holds, failing the test after limit. The
// limit is a bound on a functional event (a timeout firing, a close being
// processed), never a performance assertion.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// storeEntries lists the names in the board's store directory.
func storeEntries(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read store: %v", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// payload returns n deterministic bytes; text payloads are printable ASCII.
func payload(n int, text bool) []byte {
	b := make([]byte, n)
	for i := range b {
		if text {
			b[i] = byte('a' + (i*7+i/26)%26)
		} else {
			b[i] = byte(i*131 + i>>8)
		}
	}
	return b
}
