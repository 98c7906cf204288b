package peers

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"time"
)

// loopConn is a net.Conn whose reads replay in again and again and whose
// writes are kept in out (cut back to empty by the benchmarks). With limit
// above zero, reads end with io.EOF once limit bytes have been read.
type loopConn struct {
	in    []byte
	off   int
	out   []byte
	limit int
	read  int
}

func (c *loopConn) Read(p []byte) (int, error) {
	if c.off == len(c.in) {
		c.off = 0
	}
	if c.limit > 0 {
		if c.limit == c.read {
			return 0, io.EOF
		}
		if len(p) > c.limit-c.read {
			p = p[:c.limit-c.read]
		}
	}
	n := copy(p, c.in[c.off:])
	c.off += n
	c.read += n
	return n, nil
}

func (c *loopConn) Write(p []byte) (int, error) {
	c.out = append(c.out, p...)
	return len(p), nil
}

// reset replays in from its start and forgets what was written.
func (c *loopConn) reset(in []byte) {
	c.in, c.off, c.out, c.limit, c.read = in, 0, c.out[:0], 0, 0
}

func (c *loopConn) Close() error                     { return nil }
func (c *loopConn) LocalAddr() net.Addr              { return loopAddr{} }
func (c *loopConn) RemoteAddr() net.Addr             { return loopAddr{} }
func (c *loopConn) SetDeadline(time.Time) error      { return nil }
func (c *loopConn) SetReadDeadline(time.Time) error  { return nil }
func (c *loopConn) SetWriteDeadline(time.Time) error { return nil }

type loopAddr struct{}

func (loopAddr) Network() string { return "loop" }
func (loopAddr) String() string  { return "loop" }

// hijackWriter is the http.ResponseWriter gorilla's Upgrader needs: it
// hands over conn with the caller's bufio.ReadWriter, as net/http's server
// does.
type hijackWriter struct {
	conn *loopConn
	brw  *bufio.ReadWriter
	h    http.Header
}

func (w *hijackWriter) Header() http.Header         { return w.h }
func (w *hijackWriter) Write(p []byte) (int, error) { return w.conn.Write(p) }
func (w *hijackWriter) WriteHeader(int)             {}
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, w.brw, nil
}
