package foreign

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/firmware/host"
)

// RelayOptions configure a Relay.
type RelayOptions struct {
	Listen   string // address clients connect to, e.g. 127.0.0.1:0
	Upstream string // the foreign server's address
	// Link is the board's link, applied as on an emulated board
	// (host.Shaper); with an RTT, RxBuf is the receive window.
	Link host.Link
	// RxBuf and TxBuf size the client-side socket buffers (SO_RCVBUF,
	// SO_SNDBUF) like the board's TCP window, and the upstream socket's
	// the other way round (what the board's firmware holds); 0 leaves
	// Linux's. TxBuf also bounds the server's output the relay holds.
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
// link with the emulated board's own model (host.Shaper): the bandwidth
// shared by every connection and both directions, the added round trip,
// the WiFi tails, the radio's airtime per small frame and the receive
// window of the board's rx buffer.
type Relay struct {
	o      RelayOptions
	ln     net.Listener
	shaper *host.Shaper
	chunk  int // bytes read per step
	// onRelease, when set (tests), gets each read of the server's output's
	// delay: the round trip plus the tail drawn for it.
	onRelease func(delay int64)
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

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
	// start with them. Without a round trip or a channel access (a link
	// that is not Windowed) the kernel's receive buffer is the board's
	// window (the one advertised in the handshake). Otherwise the Shaper
	// holds the window, and the receive buffer is sized as
	// the emulated board sizes its own (clientRcvBuf): Linux's window
	// updates on a buffer of a few hundred bytes (its silly-window
	// avoidance) would let the client's bytes in by the host's timing.
	rcv := clientRcvBuf(o)
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if rcv > 0 {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcv)
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
	r := &Relay{o: o, ln: ln, conns: map[net.Conn]struct{}{}, chunk: 16 << 10,
		shaper: host.NewShaper(o.Link, o.RxBuf)}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(1)
	go r.acceptLoop()
	return r, nil
}

// clientRcvBuf is the receive buffer of a client-side socket: the board's
// rx buffer when the kernel is the window, else what the emulated board
// gives its sockets (host.SocketBuffer).
func clientRcvBuf(o RelayOptions) int {
	if o.Link.Windowed() && o.RxBuf > 0 {
		return host.SocketBuffer(o.RxBuf, o.TxBuf)
	}
	return o.RxBuf
}

// upstreamBuffers sizes the upstream socket like the board's buffers: the
// bytes it takes are what the board's firmware has taken (the receive
// window reopens a round trip after), so it holds no more than the board.
func (r *Relay) upstreamBuffers(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		if r.o.RxBuf > 0 {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, r.o.RxBuf)
		}
		if r.o.TxBuf > 0 && serr == nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, r.o.TxBuf)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// Shaper is the link model the relay applies.
func (r *Relay) Shaper() *host.Shaper { return r.shaper }

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
	up, err := (&net.Dialer{Control: r.upstreamBuffers}).DialContext(ctx, "tcp", r.o.Upstream)
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
	sc := r.shaper.Conn()
	if len(line) > 0 && r.forward(sc, line, up) != nil {
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.toServer(sc, br, c, up)
		closeWrite(up)
	}()
	r.toClient(sc, up, c)
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

// sleepUntil waits until at on the shaper's clock, or the relay's end.
func (r *Relay) sleepUntil(at int64) error {
	d := time.Until(r.shaper.Time(at))
	if d <= 0 {
		return r.ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// waitReadable waits until the socket has input (or its end) without
// taking any: the board takes input only when its radio, its window and
// the link let it, and until then the bytes wait in the client's socket.
func waitReadable(rc syscall.RawConn) error {
	var one [1]byte
	return rc.Read(func(fd uintptr) bool {
		_, _, err := unix.Recvfrom(int(fd), one[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		return err != unix.EAGAIN && err != unix.EINTR
	})
}

// forward passes b, bytes of the client the relay holds already, to the
// server as the board takes input.
func (r *Relay) forward(sc *host.ShapedConn, b []byte, up net.Conn) error {
	for len(b) > 0 {
		g, at := sc.In(r.shaper.Now(), len(b))
		if g == 0 {
			if err := r.sleepUntil(max(at, r.shaper.Now()+int64(time.Millisecond))); err != nil {
				return err
			}
			continue
		}
		if err := r.sleepUntil(sc.Received(r.shaper.Now(), g, g)); err != nil {
			return err
		}
		if _, err := up.Write(b[:g]); err != nil {
			return err
		}
		sc.Consumed(r.shaper.Now(), g)
		r.bytesIn.Add(int64(g))
		b = b[g:]
	}
	return nil
}

// toServer moves the client's bytes to the server the way the board takes
// input (host.ShapedConn.In): when the radio is awake and free, within the
// receive window, with the shared link's credit. The bytes count as taken
// by the server (their window reopens a round trip later) once written to
// the upstream socket, whose buffers are board-sized.
func (r *Relay) toServer(sc *host.ShapedConn, br *bufio.Reader, c, up net.Conn) {
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		if r.forward(sc, b, up) != nil {
			up.Close()
			return
		}
		_, _ = br.Discard(n)
	}
	var rc syscall.RawConn
	if scc, ok := c.(syscall.Conn); ok {
		rc, _ = scc.SyscallConn()
	}
	buf := make([]byte, r.chunk)
	// arrived is when the bytes read next reached the board, as the
	// emulated board counts it (its conn's rxAt): when the socket turned
	// readable, or the last read while it stayed readable (a read that
	// filled its grant leaves the rest waiting since then). Bytes the
	// window held back cross the channel in the aggregate of those read
	// before them, as on the board, not in an access of their own.
	var arrived int64
	fresh := true
	for {
		if rc != nil && waitReadable(rc) != nil {
			return
		}
		now := r.shaper.Now()
		if fresh {
			arrived, fresh = now, false
		}
		g, at := sc.In(now, len(buf))
		if g == 0 {
			// Until the window reopens or the link has credit, at the
			// time the Shaper names; a millisecond where it names none.
			if at <= now {
				at = now + int64(time.Millisecond)
			}
			if r.sleepUntil(at) != nil {
				up.Close()
				return
			}
			continue
		}
		n, err := c.Read(buf[:g])
		readAt := r.shaper.Now()
		crossed := sc.Received(min(arrived, readAt), g, n)
		arrived, fresh = readAt, n < g // a short read emptied the socket: what comes next is a new arrival
		if n > 0 {
			if r.sleepUntil(crossed) != nil {
				up.Close()
				return
			}
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
			// The server took them when they crossed, on the Shaper's
			// clock: the relay's own timer and write come on top of that
			// by a fraction of a millisecond each round, which is not the
			// board's. Later than relaySlack, the server held them back
			// (its buffer full): then its own time counts.
			took := crossed
			if now := r.shaper.Now(); now > crossed+relaySlack {
				took = now
			}
			sc.Consumed(took, n)
			r.bytesIn.Add(int64(n))
		}
		if err != nil {
			return
		}
	}
}

// relaySlack is how late the relay's own timers and copies may make it
// behind the Shaper's clock before a delay counts as the server's.
const relaySlack = int64(time.Millisecond)

type segment struct {
	b   []byte
	due int64 // on the shaper's clock
}

// toClient moves the server's bytes to the client the way the board sends
// (host.ShapedConn.Produced, Out): each read is due a round trip and its
// drawn tail later, in order, then takes the radio and the shared link. At
// most the board's tx buffer is held between the server and the client.
func (r *Relay) toClient(sc *host.ShapedConn, src, dst net.Conn) {
	limit := int64(r.o.TxBuf)
	if limit <= 0 {
		limit = 64 << 10
	}
	var queued atomic.Int64
	room := make(chan struct{}, 1)
	segs := make(chan segment, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		failed := false
		for s := range segs {
			if !failed {
				failed = r.send(sc, s, dst, len(segs) > 0) != nil
				if failed {
					src.Close()
				}
			}
			queued.Add(-int64(len(s.b)))
			select {
			case room <- struct{}{}:
			default:
			}
		}
	}()
	for {
		for q := queued.Load(); q >= limit; q = queued.Load() {
			select {
			case <-room:
			case <-done:
			case <-r.ctx.Done():
			}
			if !running(done) || r.ctx.Err() != nil {
				break
			}
		}
		if !running(done) || r.ctx.Err() != nil {
			break
		}
		buf := make([]byte, min(int64(r.chunk), max(limit-queued.Load(), 1)))
		n, err := src.Read(buf)
		if n > 0 {
			now := r.shaper.Now()
			due := sc.Produced(now, n)
			if r.onRelease != nil {
				r.onRelease(due - now)
			}
			queued.Add(int64(n))
			segs <- segment{b: buf[:n], due: due}
		}
		if err != nil {
			break
		}
	}
	close(segs)
	<-done
}

// send writes one segment to the client once it is due, a grant of the
// shared link at a time.
func (r *Relay) send(sc *host.ShapedConn, s segment, dst net.Conn, more bool) error {
	if err := r.sleepUntil(s.due); err != nil {
		return err
	}
	b := s.b
	for len(b) > 0 {
		now := r.shaper.Now()
		g, at := sc.Out(now, len(b))
		if g == 0 {
			if err := r.sleepUntil(max(at, now+1)); err != nil {
				return err
			}
			continue
		}
		n, err := dst.Write(b[:g])
		sc.Wrote(now, g, n, n < len(b) || more)
		r.bytesOut.Add(int64(n))
		b = b[n:]
		if err != nil {
			return err
		}
	}
	return nil
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
