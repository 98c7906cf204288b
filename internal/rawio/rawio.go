//go:build linux

// Package rawio holds the system calls of wslab's epoll loops: the
// emulated board's (firmware/host) and the load generator's workers.
//
// A loop that blocks in epoll_wait from its goroutine (unix.EpollWait, a
// unix.Syscall) leaves its P marked as in a system call; the runtime's
// sysmon thread then keeps waking every 20 µs to retake it (one
// nanosleep per message on a board sharing a core with its clients),
// and handing the P back costs a futex or two. Waiter does not block in
// a system call at all: the loop's epoll descriptor is itself registered
// with the runtime's netpoller, so the goroutine parks as a net.Conn
// reader does and the process sleeps in the runtime's own epoll_wait
// with every P idle. The loops' calls on non-blocking descriptors, which
// never block, are made raw (unix.RawSyscall: no entersyscall and
// exitsyscall around each).
package rawio

import (
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

var zeroBuf [1]byte

func bufPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return unsafe.Pointer(&zeroBuf[0])
	}
	return unsafe.Pointer(&b[0])
}

func errnoErr(e syscall.Errno) error {
	switch e {
	case 0:
		return nil
	case unix.EAGAIN:
		return unix.EAGAIN
	}
	return e
}

// Read is unix.Read for a non-blocking descriptor.
func Read(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(bufPtr(b)), uintptr(len(b)))
	if e != 0 {
		return -1, errnoErr(e)
	}
	return int(r), nil
}

// Write is unix.Write for a non-blocking descriptor.
func Write(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(bufPtr(b)), uintptr(len(b)))
	if e != 0 {
		return -1, errnoErr(e)
	}
	return int(r), nil
}

// EpollCtl is unix.EpollCtl without entersyscall.
func EpollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return errnoErr(e)
}

// EpollPoll is epoll_wait with a zero timeout: the events ready now.
func EpollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}

// Accept4 accepts a connection without its address (nothing to
// allocate), non-blocking and close-on-exec.
func Accept4(lfd int) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(lfd), 0, 0, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, errnoErr(e)
	}
	return int(r), nil
}

// Waiter waits for an epoll descriptor's events in the runtime's
// netpoller (see above); when the descriptor cannot be registered there,
// it falls back to a blocking epoll_wait.
type Waiter struct {
	fd     int
	file   *os.File
	rc     syscall.RawConn
	events []unix.EpollEvent
	n      int
	err    error
	ready  func(fd uintptr) bool // w.poll, made once: no allocation per wait
}

// NewWaiter takes ownership of epfd: close it with Close.
func NewWaiter(epfd int, events []unix.EpollEvent) *Waiter {
	w := &Waiter{fd: epfd, events: events}
	w.ready = w.poll
	if unix.SetNonblock(epfd, true) == nil {
		// os.NewFile registers a non-blocking descriptor with the netpoller.
		w.file = os.NewFile(uintptr(epfd), "epoll")
		if rc, err := w.file.SyscallConn(); err == nil {
			w.rc = rc
		}
	}
	return w
}

func (w *Waiter) poll(uintptr) bool {
	w.n, w.err = EpollPoll(w.fd, w.events)
	return w.n > 0 || (w.err != nil && w.err != unix.EINTR)
}

// Wait returns the number of events ready, waiting for one if none is.
func (w *Waiter) Wait() (int, error) {
	if w.poll(0) {
		return w.n, w.err
	}
	if w.rc != nil {
		if err := w.rc.Read(w.ready); err == nil {
			return w.n, w.err
		}
		w.rc = nil // not pollable after all: block in epoll_wait from now on
	}
	for {
		n, err := unix.EpollWait(w.fd, w.events, -1)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func (w *Waiter) Close() {
	if w.file != nil {
		w.file.Close()
		return
	}
	unix.Close(w.fd)
}

// TimerfdSettime is unix.TimerfdSettime (relative, no old value)
// without entersyscall.
func TimerfdSettime(fd int, spec *unix.ItimerSpec) error {
	_, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(fd), 0, uintptr(unsafe.Pointer(spec)), 0, 0, 0)
	return errnoErr(e)
}

// Socket is unix.Socket without entersyscall.
func Socket(domain, typ, proto int) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(domain), uintptr(typ), uintptr(proto))
	if e != 0 {
		return -1, errnoErr(e)
	}
	return int(r), nil
}

// SetsockoptInt is unix.SetsockoptInt without entersyscall.
func SetsockoptInt(fd, level, opt, value int) error {
	v := int32(value)
	_, _, e := unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(unsafe.Pointer(&v)), 4, 0)
	return errnoErr(e)
}

// GetsockoptInt is unix.GetsockoptInt without entersyscall.
func GetsockoptInt(fd, level, opt int) (int, error) {
	var v int32
	l := uint32(4)
	_, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&l)), 0)
	return int(v), errnoErr(e)
}

// Close is unix.Close without entersyscall, for a socket without a
// lingering close (SO_LINGER with a timeout would block).
func Close(fd int) error {
	_, _, e := unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	return errnoErr(e)
}

// Sockaddr is a socket address in the kernel's form, made once: Connect
// takes it without converting (nor allocating) per call.
type Sockaddr struct {
	raw [unsafe.Sizeof(unix.RawSockaddrInet6{})]byte
	len uintptr
}

// NewSockaddr converts an IPv4 or IPv6 address; nil for another kind.
func NewSockaddr(sa unix.Sockaddr) *Sockaddr {
	var s Sockaddr
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		r := (*unix.RawSockaddrInet4)(unsafe.Pointer(&s.raw[0]))
		r.Family = unix.AF_INET
		p := (*[2]byte)(unsafe.Pointer(&r.Port))
		p[0], p[1] = byte(a.Port>>8), byte(a.Port)
		r.Addr = a.Addr
		s.len = unsafe.Sizeof(*r)
	case *unix.SockaddrInet6:
		r := (*unix.RawSockaddrInet6)(unsafe.Pointer(&s.raw[0]))
		r.Family = unix.AF_INET6
		p := (*[2]byte)(unsafe.Pointer(&r.Port))
		p[0], p[1] = byte(a.Port>>8), byte(a.Port)
		r.Addr = a.Addr
		r.Scope_id = a.ZoneId
		s.len = unsafe.Sizeof(*r)
	default:
		return nil
	}
	return &s
}

// Connect is unix.Connect to sa without entersyscall (a non-blocking
// socket: EINPROGRESS while the handshake runs).
func Connect(fd int, sa *Sockaddr) error {
	_, _, e := unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa.raw[0])), sa.len)
	if e == unix.EINPROGRESS {
		return unix.EINPROGRESS
	}
	return errnoErr(e)
}
