// Package wstest is a small blocking WebSocket client over core, for tests
// that talk to a board over real sockets: dial and handshake, send a
// message or raw bytes, read events, with deadlines so no test can hang.
package wstest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/internal/maskseed"
)

// Conn is a client connection.
type Conn struct {
	net.Conn
	W core.Writer
	R core.ConnReader
}

// Dial connects to addr (host:port), upgrades on path and returns the
// connection, or the HTTP status the board answered with in the error.
func Dial(addr, path string, timeout time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(timeout))
	g := maskseed.New()
	key := core.NewClientKey(g)
	if _, err := nc.Write(core.AppendClientRequest(nil, []byte(addr), []byte(path), key[:], nil)); err != nil {
		nc.Close()
		return nil, err
	}
	buf := make([]byte, 0, 4096)
	for {
		if len(buf) == cap(buf) {
			nc.Close()
			return nil, errors.New("handshake response too large")
		}
		n, err := nc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		resp, hn, perr := core.ParseResponse(buf, key[:])
		if perr == nil {
			c := &Conn{Conn: nc}
			c.W = core.Writer{W: nc, Buf: make([]byte, 1<<17), Role: core.Client, Keys: g}
			c.R = core.ConnReader{Src: nc, Rx: make([]byte, 1<<17), R: core.Reader{Role: core.Client, Buf: make([]byte, 1<<21)}}
			c.R.Preload(buf[hn:])
			nc.SetDeadline(time.Time{})
			return c, nil
		}
		if perr != core.ErrNeedMore {
			nc.Close()
			return nil, &HandshakeError{Status: resp.Status, Err: perr}
		}
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("handshake: %w", err)
		}
	}
}

// HandshakeError is a refused upgrade.
type HandshakeError struct {
	Status int
	Err    error
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("handshake refused with status %d: %v", e.Status, e.Err)
}

// Next reads the next event within timeout, copying its payload.
func (c *Conn) Next(timeout time.Duration) (core.Event, error) {
	c.SetReadDeadline(time.Now().Add(timeout))
	ev, err := c.R.Next()
	ev.Payload = bytes.Clone(ev.Payload)
	ev.Reason = bytes.Clone(ev.Reason)
	return ev, err
}

// NextMessage reads until a data message or a close arrives, answering
// nothing (pings are skipped).
func (c *Conn) NextMessage(timeout time.Duration) (core.Event, error) {
	deadline := time.Now().Add(timeout)
	for {
		ev, err := c.Next(time.Until(deadline))
		if err != nil || ev.Kind == core.EventMessage || ev.Kind == core.EventClose {
			return ev, err
		}
	}
}

// Echo sends a binary message and waits for it to come back.
func (c *Conn) Echo(msg []byte, timeout time.Duration) error {
	c.SetWriteDeadline(time.Now().Add(timeout))
	if err := c.W.WriteMessage(core.OpBinary, msg); err != nil {
		return err
	}
	ev, err := c.NextMessage(timeout)
	if err != nil {
		return err
	}
	if ev.Kind == core.EventClose {
		return &CloseError{Code: ev.Code}
	}
	if !bytes.Equal(ev.Payload, msg) {
		return fmt.Errorf("echo of %d bytes came back as %d different bytes", len(msg), len(ev.Payload))
	}
	return nil
}

// CloseError is a close frame received where a message was expected.
type CloseError struct{ Code core.CloseCode }

func (e *CloseError) Error() string { return fmt.Sprintf("closed by the board with %d", e.Code) }

// ReadClosed reports how the server ends a connection it refused: the
// bytes it sent (a 503 response, or nothing) and whether it reset.
func ReadClosed(addr string, timeout time.Duration) (got []byte, reset bool, err error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		if isReset(err) {
			return nil, true, nil // reset before the connection was even up
		}
		return nil, false, err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(timeout))
	got, err = io.ReadAll(nc)
	if err != nil {
		if isReset(err) {
			return got, true, nil
		}
		return got, false, err
	}
	return got, false, nil
}
