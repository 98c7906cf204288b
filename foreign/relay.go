package foreign

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/time/rate"

	"github.com/wslab/wslab/firmware/host"
)

// RelayOptions configure a Relay.
type RelayOptions struct {
	Listen   string    // address clients connect to, e.g. 127.0.0.1:0
	Upstream string    // the foreign server's address
	Link     host.Link // bandwidth shared by every connection and both directions; RTT added to the server's output
	// RxBuf and TxBuf size the client-side socket buffers (SO_RCVBUF,
	// SO_SNDBUF) like the board's TCP window; 0 leaves Linux's.
	RxBuf, TxBuf int
	// Stats, when set, answers GET /stats on the relay's address with the
	// document it returns for this relay (the foreign server never sees
	// those requests).
	Stats func(*Relay) []byte
	// HeadTimeout bounds the wait for a client's request line before the
	// relay forwards what it has; default 2s.
	HeadTimeout time.Duration
	// DialTimeout bounds the connect to the server; default 2 minutes (a
	// server with a full listen backlog leaves the client hanging, as
	// the real board does).
	DialTimeout time.Duration
}

// Relay is a TCP relay in front of a foreign server that applies a board's
// link.
//
// TODO: once the emulated board's link (firmware/host/link.go, with the
// TCP window and WiFi tails) is exported, shape with it instead of the
// token bucket here, so both kinds of board share one link model.
type Relay struct {
	o      RelayOptions
	ln     net.Listener
	lim    *rate.Limiter // nil: no bandwidth cap
	chunk  int           // bytes moved per shaping step
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}

	active, accepted, statsServed atomic.Int64
	bytesIn, bytesOut             atomic.Int64 // client to server, server to client
}

// StartRelay listens on o.Listen and relays each client to o.Upstream.
func StartRelay(o RelayOptions) (*Relay, error) {
	if o.HeadTimeout <= 0 {
		o.HeadTimeout = 2 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Minute
	}
	// The buffers are set on the listening socket, so accepted sockets
	// start with them and the window they advertise in the handshake is
	// the board's.
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if o.RxBuf > 0 {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, o.RxBuf)
			}
			if o.TxBuf > 0 && serr == nil {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, o.TxBuf)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", o.Listen)
	if err != nil {
		return nil, err
	}
	r := &Relay{o: o, ln: ln, conns: map[net.Conn]struct{}{}, chunk: 16 << 10}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	if o.Link.Bps > 0 {
		// A segment, or a millisecond of transfer when that is more, moves
		// at a time, so connections and directions take turns on a
		// saturated link; four of them may pass at once after an idle spell.
		q := int(o.Link.Bps / 8 / 1000)
		if q < 1460 {
			q = 1460
		}
		r.chunk = q
		r.lim = rate.NewLimiter(rate.Limit(float64(o.Link.Bps)/8), 4*q)
	}
	r.wg.Add(1)
	go r.acceptLoop()
	return r, nil
}

// Addr is the address clients connect to.
func (r *Relay) Addr() net.Addr { return r.ln.Addr() }

// Active is the number of client connections being relayed now.
func (r *Relay) Active() int64 { return r.active.Load() }

// Accepted is the number of client connections accepted so far, /stats
// requests included.
func (r *Relay) Accepted() int64 { return r.accepted.Load() }

// Bytes returns the bytes relayed from clients to the server and back.
func (r *Relay) Bytes() (in, out int64) { return r.bytesIn.Load(), r.bytesOut.Load() }

// Close stops accepting, cuts every relayed connection and waits for the
// relay's goroutines.
func (r *Relay) Close() error {
	err := r.ln.Close()
	r.cancel()
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

func (r *Relay) track(c net.Conn, on bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on {
		if r.ctx.Err() != nil {
			return false
		}
		r.conns[c] = struct{}{}
	} else {
		delete(r.conns, c)
	}
	return true
}

func (r *Relay) acceptLoop() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		r.accepted.Add(1)
		if !r.track(c, true) {
			c.Close()
			return
		}
		r.wg.Add(1)
		go r.serve(c)
	}
}

var statsLine = []byte("GET /stats")

// isStats reports whether a request line asks for /stats.
func isStats(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, statsLine)
	return ok && len(rest) > 0 && (rest[0] == ' ' || rest[0] == '?')
}

func (r *Relay) serve(c net.Conn) {
	defer r.wg.Done()
	defer r.track(c, false)
	defer c.Close()
	r.active.Add(1)
	defer r.active.Add(-1)
	// Clients of an HTTP or WebSocket server speak first: read the request
	// line to answer /stats here. One that says nothing in time is relayed
	// as it is.
	br := bufio.NewReaderSize(c, 4096)
	_ = c.SetReadDeadline(time.Now().Add(r.o.HeadTimeout))
	line, err := br.ReadSlice('\n')
	_ = c.SetReadDeadline(time.Time{})
	if err == nil && r.o.Stats != nil && isStats(line) {
		r.serveStats(c, br)
		return
	}
	var ne net.Error
	if err != nil && err != bufio.ErrBufferFull && !(errors.As(err, &ne) && ne.Timeout()) {
		return // the client left before saying anything
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.o.DialTimeout)
	up, err := (&net.Dialer{}).DialContext(ctx, "tcp", r.o.Upstream)
	cancel()
	if err != nil {
		return // the client sees its connection closed, as when a board resets
	}
	if !r.track(up, true) {
		up.Close()
		return
	}
	defer r.track(up, false)
	defer up.Close()

	// The request line read above goes first (ReadSlice's line lives in
	// br's buffer until the next read).
	if len(line) > 0 {
		if r.wait(len(line)) != nil {
			return
		}
		if _, err := up.Write(line); err != nil {
			return
		}
		r.bytesIn.Add(int64(len(line)))
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.toServer(br, up)
		closeWrite(up)
	}()
	r.toClient(up, c)
	closeWrite(c)
	wg.Wait()
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		c.Close()
	}
}

// wait takes n bytes from the shared link.
func (r *Relay) wait(n int) error {
	if r.lim == nil {
		return nil
	}
	return r.lim.WaitN(r.ctx, n)
}

// toServer moves the client's bytes to the server, taking its share of the
// link first.
func (r *Relay) toServer(src io.Reader, dst net.Conn) {
	buf := make([]byte, r.chunk)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if r.wait(n) != nil {
				dst.Close()
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			r.bytesIn.Add(int64(n))
		}
		if err != nil {
			return
		}
	}
}

type segment struct {
	b   []byte
	due time.Time
}

// toClient moves the server's bytes to the client: each chunk takes its
// share of the link, then arrives a round trip later.
func (r *Relay) toClient(src net.Conn, dst net.Conn) {
	rtt := time.Duration(r.o.Link.RTT)
	if rtt <= 0 {
		buf := make([]byte, r.chunk)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if r.wait(n) != nil {
					return
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					src.Close()
					return
				}
				r.bytesOut.Add(int64(n))
			}
			if err != nil {
				return
			}
		}
	}
	segs := make(chan segment, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		failed := false
		for s := range segs {
			if failed {
				continue
			}
			if d := time.Until(s.due); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-r.ctx.Done():
					t.Stop()
					failed = true
					continue
				}
			}
			if _, err := dst.Write(s.b); err != nil {
				failed = true
				src.Close()
				continue
			}
			r.bytesOut.Add(int64(len(s.b)))
		}
	}()
	for {
		buf := make([]byte, r.chunk)
		n, err := src.Read(buf)
		if n > 0 {
			if r.wait(n) != nil {
				break
			}
			segs <- segment{b: buf[:n], due: time.Now().Add(rtt)}
		}
		if err != nil {
			break
		}
	}
	close(segs)
	<-done
}

// serveStats answers GET /stats with the document, after reading the rest
// of the request head.
func (r *Relay) serveStats(c net.Conn, br *bufio.Reader) {
	_ = c.SetReadDeadline(time.Now().Add(r.o.HeadTimeout))
	for {
		l, err := br.ReadSlice('\n')
		if err != nil || len(bytes.TrimSpace(l)) == 0 {
			break
		}
	}
	r.statsServed.Add(1)
	doc := r.o.Stats(r)
	head := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(doc)) + "\r\n\r\n"
	_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, _ = c.Write(append([]byte(head), doc...))
}
