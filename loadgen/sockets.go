//go:build linux

package loadgen

import (
	"golang.org/x/sys/unix"
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
	for {
		idx, ok := e.addrs.get()
		if !ok {
			return dialNoSocket, eAddr
		}
		family := unix.AF_INET
		if w.v6 {
			family = unix.AF_INET6
		}
		fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return dialNoSocket, eDial
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		if e.sndBuf > 0 {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, e.sndBuf)
		}
		if w.s.MSS > 0 {
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_MAXSEG, w.s.MSS)
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
		if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &w.ev); err != nil {
			c.fd, c.addr = fd, idx
			return dialFailed, eDial
		}
		err = unix.Connect(fd, w.targetSA())
		switch err {
		case nil:
			c.fd, c.addr = fd, idx
			return dialNow, eNone
		case unix.EINPROGRESS:
			c.fd, c.addr = fd, idx
			return dialPending, eNone
		case unix.EADDRNOTAVAIL:
			// This source address has no ephemeral port left: next one.
			_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, fd, &w.ev)
			unix.Close(fd)
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
		if ev&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
			return
		}
		k := eNone
		errno, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil || errno != 0 {
			if err == nil {
				err = unix.Errno(errno)
			}
			k = dialKind(err)
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
		n, err := unix.Read(c.fd, b)
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
		n, err := unix.Write(c.fd, b[done:])
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
	_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_MOD, c.fd, &w.ev)
}

func (w *worker) shut(c *conn) {
	_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, c.fd, &w.ev)
	unix.Close(c.fd)
}
