//go:build linux

package loadgen

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/internal/rawio"
)

// transport is all a connection needs from outside itself: open, read,
// write, watch for writability and close. The worker's epoll sockets
// (below) are the only transport of a run; tests drive connections over
// an in-memory firmware.Board instead, with no socket and no clock.
type transport interface {
	// dial opens c's connection, setting c.fd (a handle; -1 none) and
	// bumping c.gen.
	dial(c *conn) (dialResult, errKind)
	// read reads into b: n > 0, or a status (ioAgain: nothing now).
	read(c *conn, b []byte) (int, ioStatus, errKind)
	// write writes from b: n >= 0, and ioAgain when the rest must wait
	// for the connection's onWritable.
	write(c *conn, b []byte) (int, ioStatus, errKind)
	// wantOut turns onWritable reports on or off.
	wantOut(c *conn, on bool)
	// shut closes the connection's socket at once.
	shut(c *conn)
}

type dialResult uint8

const (
	dialNoSocket dialResult = iota // failed before there was a socket
	dialFailed                     // the socket is there but the connect failed
	dialPending                    // connecting: connectDone follows
	dialNow                        // connected
)

type ioStatus uint8

const (
	ioOK    ioStatus = iota
	ioAgain          // nothing more now
	ioEOF            // the peer closed
	ioFail           // an error of the errKind returned
)

// eNone is "no error" where an errKind is returned.
const eNone = nErrKinds

// dial opens a non-blocking TCP socket to the target from the next source
// address and starts its connect.
func (w *worker) dial(c *conn) (dialResult, errKind) {
	e := w.e
	if e.t.tls != nil {
		return w.dialTLS(c)
	}
	for {
		idx, ok := e.addrs.get()
		if !ok {
			return dialNoSocket, eAddr
		}
		family := unix.AF_INET
		if w.v6 {
			family = unix.AF_INET6
		}
		// The dial's calls are raw (internal/rawio): a ramp makes
		// thousands of them back to back.
		fd, err := rawio.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return dialNoSocket, eDial
		}
		_ = rawio.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		if e.sndBuf > 0 {
			_ = rawio.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, e.sndBuf)
		}
		if w.s.MSS > 0 {
			_ = rawio.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_MAXSEG, w.s.MSS)
		}
		// 127.0.0.1 is the kernel's own choice for a loopback target: no
		// bind (two syscalls) until the pool moves past it.
		if sa := w.local(idx); sa != nil && !(e.addrs.auto && idx == 0) {
			// Let connect pick the port, so a port serves many targets.
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
			if err := unix.Bind(fd, sa); err != nil {
				unix.Close(fd)
				if err == unix.EADDRNOTAVAIL && e.addrs.exhausted(idx) {
					continue
				}
				return dialNoSocket, dialKind(err)
			}
		}
		c.gen++
		// Level-triggered: a read per readiness, no read to EAGAIN; write
		// readiness only while connecting or when a write would block.
		w.ev = unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP, Fd: int32(c.i), Pad: c.gen}
		if err := rawio.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &w.ev); err != nil {
			c.fd, c.addr = fd, idx
			return dialFailed, eDial
		}
		err = rawio.Connect(fd, w.targetRaw())
		switch err {
		case nil:
			c.fd, c.addr = fd, idx
			return dialNow, eNone
		case unix.EINPROGRESS:
			c.fd, c.addr = fd, idx
			return dialPending, eNone
		case unix.EADDRNOTAVAIL:
			// This source address has no ephemeral port left: next one.
			_ = rawio.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, fd, &w.ev)
			rawio.Close(fd)
			c.gen++
			if e.addrs.exhausted(idx) {
				continue
			}
			return dialNoSocket, eAddr
		default:
			c.fd, c.addr = fd, idx
			return dialFailed, dialKind(err)
		}
	}
}

// onEvent hands epoll readiness to connection c.
func (w *worker) onEvent(c *conn, ev uint32, now int64) {
	if c.st == csDialing {
		if w.tlsDials != nil {
			return // wss: the connect completes with the TLS handshake (tlsDone)
		}
		if ev&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
			return
		}
		k := eNone
		errno, err := rawio.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil || errno != 0 {
			if err == nil {
				err = unix.Errno(errno)
			}
			k = dialKind(err)
		}
		if k == eNone && now-c.dialAt >= synRetryAfter && synRetransmits(c.fd) > 0 {
			// The board dropped the first SYN (a full lwIP board).
			c.w.errs.add(eSynRetry, 1)
			c.w.lane.errors++
		}
		c.connectDone(now, k)
		if c.fd < 0 {
			return
		}
	}
	if ev&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		c.onWritable(now)
	}
	if c.fd >= 0 && ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		c.readAll(now)
	}
}

func (w *worker) read(c *conn, b []byte) (int, ioStatus, errKind) {
	for {
		n, err := rawio.Read(c.fd, b)
		switch {
		case n > 0:
			return n, ioOK, eNone
		case err == nil:
			return 0, ioEOF, eNone
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, ioAgain, eNone
		}
		return 0, ioFail, ioKind(err)
	}
}

func (w *worker) write(c *conn, b []byte) (int, ioStatus, errKind) {
	done := 0
	for done < len(b) {
		n, err := rawio.Write(c.fd, b[done:])
		if n > 0 {
			done += n
		}
		switch err {
		case nil:
			continue
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return done, ioAgain, eNone
		}
		return done, ioFail, ioKind(err)
	}
	return done, ioOK, eNone
}

func (w *worker) wantOut(c *conn, on bool) {
	w.ev = unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(c.i), Pad: c.gen}
	if on {
		w.ev.Events |= unix.EPOLLOUT
	}
	_ = rawio.EpollCtl(w.epfd, unix.EPOLL_CTL_MOD, c.fd, &w.ev)
}

func (w *worker) shut(c *conn) {
	if w.tlsDials != nil {
		w.tlsShut(c)
	}
	_ = rawio.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, c.fd, &w.ev)
	rawio.Close(c.fd)
}

// sockets is a worker's epoll side: the event loop's descriptors, the
// target's and the source addresses' sockaddrs, and the commands the
// coordinator hands the loop. It is the only place of a run that makes
// system calls on the connections.
type sockets struct {
	epfd, evfd, tfd int
	waiter          *rawio.Waiter // waits for epfd's events; owns epfd
	events          []unix.EpollEvent
	ev              unix.EpollEvent // for EpollCtl, kept here so it does not escape per call
	armed           int64           // the timerfd's deadline

	target4 unix.SockaddrInet4
	target6 unix.SockaddrInet6
	raw4    *rawio.Sockaddr // the target in the kernel's form, for connect
	raw6    *rawio.Sockaddr
	v6      bool
	locals  map[int]unix.Sockaddr // source address index -> this worker's sockaddr

	cmdMu sync.Mutex
	cmds  []func()
	stop  bool

	// wss: each connection's TLS connect in progress or done (tls.go);
	// nil for ws://.
	tlsDials []*tlsDial
}

// Event tags of the loop's own descriptors.
const (
	tagWake  = -1
	tagTimer = -2
)

func (k *sockets) init(t *target) {
	k.epfd, k.evfd, k.tfd = -1, -1, -1
	k.locals = map[int]unix.Sockaddr{}
	if ip4 := t.ip.To4(); ip4 != nil {
		copy(k.target4.Addr[:], ip4)
		k.target4.Port = t.port
	} else if t.ip != nil {
		k.v6 = true
		copy(k.target6.Addr[:], t.ip.To16())
		k.target6.Port = t.port
	}
}

func newWorker(e *engine, id int, gids []int) (*worker, error) {
	w := newLoop(e, id, gids)
	w.events = make([]unix.EpollEvent, 256)
	if e.t.tls != nil {
		w.tlsDials = make([]*tlsDial, len(w.conns))
	}
	var err error
	if w.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, err
	}
	w.waiter = rawio.NewWaiter(w.epfd, w.events)
	if w.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		w.closeFDs()
		w.closeWake()
		return nil, err
	}
	if w.tfd, err = unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC); err != nil {
		w.closeFDs()
		w.closeWake()
		return nil, err
	}
	for _, r := range []struct{ fd, tag int }{{w.evfd, tagWake}, {w.tfd, tagTimer}} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(r.tag)}
		if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, r.fd, &ev); err != nil {
			w.closeFDs()
			w.closeWake()
			return nil, err
		}
	}
	return w, nil
}

// do queues f to run on the worker's loop.
func (w *worker) do(f func()) {
	w.cmdMu.Lock()
	defer w.cmdMu.Unlock()
	w.cmds = append(w.cmds, f)
	if w.evfd >= 0 {
		one := [8]byte{1}
		_, _ = rawio.Write(w.evfd, one[:])
	}
}

func (w *worker) runCmds() {
	w.cmdMu.Lock()
	c := w.cmds
	w.cmds = nil
	w.cmdMu.Unlock()
	for _, f := range c {
		f()
	}
}

// run is the event loop. It returns when every connection is closed.
func (w *worker) run() {
	e := w.e
	now := e.clk.now()
	w.lane = e.col.lane(w.id, e.col.index(now))
	w.dl.Set(w.item(itemBound), e.col.boundary(w.lane.idx))
	if w.sc.rule == ruleCycle {
		w.phase = phWait // churn dials when the measurement starts
		w.report(repRampDone)
	} else {
		w.dialRamp(now)
	}
	for w.phase != phDone {
		var n int
		var err error
		if w.pollUntil > now && w.pace {
			n, err = rawio.EpollPoll(w.epfd, w.events) // spinning before a send: poll the sockets
		} else {
			w.pollUntil = 0
			w.armTimer(now)
			n, err = w.waiter.Wait()
		}
		if err != nil && err != unix.EINTR {
			w.hardStop()
			break
		}
		now = e.clk.now()
		for k := 0; k < n; k++ {
			ev := &w.events[k]
			switch ev.Fd {
			case tagWake:
				var b [8]byte
				_, _ = rawio.Read(w.evfd, b[:])
				w.runCmds()
			case tagTimer:
				var b [8]byte
				_, _ = rawio.Read(w.tfd, b[:])
				w.armed = 0
			default:
				c := w.conns[ev.Fd]
				if c.gen != ev.Pad || c.fd < 0 {
					continue // an event for a socket closed since
				}
				w.onEvent(c, ev.Events, now)
			}
		}
		if w.stop {
			w.hardStop()
			break
		}
		now = w.runTimers(e.clk.now())
		w.step(now)
	}
	e.col.finish(w.lane)
	w.lane = nil
	w.closeFDs()
	w.report(repDone)
}

// armTimer points the timerfd at the earliest deadline.
func (w *worker) armTimer(now int64) {
	_, at := w.dl.Min()
	if at == w.armed {
		return
	}
	w.armed = at
	var spec unix.ItimerSpec
	if at > 0 {
		d := at - now
		if d < 1000 {
			d = 1000
		}
		spec.Value = unix.NsecToTimespec(d)
	}
	_ = rawio.TimerfdSettime(w.tfd, &spec)
}

func (w *worker) closeFDs() {
	for _, c := range w.conns {
		if c.fd >= 0 {
			unix.Close(c.fd)
			c.fd = -1
		}
	}
	if w.waiter != nil {
		w.waiter.Close()
		w.waiter, w.epfd = nil, -1
	}
	for _, fd := range []int{w.epfd, w.tfd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	w.epfd, w.tfd = -1, -1
}

// closeWake closes the wake-up eventfd, once the coordinator will send no
// more commands (closing it earlier could let a late command write into a
// reused descriptor).
func (w *worker) closeWake() {
	w.cmdMu.Lock()
	defer w.cmdMu.Unlock()
	if w.evfd >= 0 {
		unix.Close(w.evfd)
		w.evfd = -1
	}
}

// local returns this worker's sockaddr for source address i (nil: none).
func (w *worker) local(i int) unix.Sockaddr {
	if sa, ok := w.locals[i]; ok {
		return sa
	}
	ip := w.e.addrs.ip(i)
	var sa unix.Sockaddr
	if ip != nil {
		if ip4 := ip.To4(); ip4 != nil {
			a := &unix.SockaddrInet4{}
			copy(a.Addr[:], ip4)
			sa = a
		} else {
			a := &unix.SockaddrInet6{}
			copy(a.Addr[:], ip.To16())
			sa = a
		}
	}
	w.locals[i] = sa
	return sa
}

func (w *worker) targetRaw() *rawio.Sockaddr {
	if w.v6 {
		if w.raw6 == nil {
			w.raw6 = rawio.NewSockaddr(&w.target6)
		}
		return w.raw6
	}
	if w.raw4 == nil {
		w.raw4 = rawio.NewSockaddr(&w.target4)
	}
	return w.raw4
}

// synRetryAfter is the connect time past which a connection is checked for
// SYN retransmissions: the kernel's first SYN retransmission comes after
// 1 s, so a faster connect cannot have had one (and costs no syscall).
const synRetryAfter = 900 * 1e6

// synRetransmits returns the SYN retransmissions of a socket whose connect
// just completed, from TCP_INFO.
func synRetransmits(fd int) uint32 {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0
	}
	return info.Total_retrans
}
