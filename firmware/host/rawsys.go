//go:build linux

package host

import (
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The event loop's system calls on non-blocking descriptors are made raw
// (unix.RawSyscall: no entersyscall/exitsyscall), as they never block.
// A call made through unix.Syscall marks the goroutine's P as in a system
// call; a loop making one after another keeps the runtime's sysmon thread
// polling (usleep 20 µs) to retake that P, which on a board sharing a
// core with its clients cost about one nanosleep per message. The one
// call that does wait, for the next event, is not made at all: the
// loop's epoll descriptor is itself registered with the runtime's
// netpoller, so the goroutine parks as a net.Conn reader does and the
// process sleeps in the runtime's own epoll_wait with every P idle.

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

// rawRead is unix.Read for a non-blocking descriptor.
func rawRead(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(bufPtr(b)), uintptr(len(b)))
	if e != 0 {
		return -1, errnoErr(e)
	}
	return int(r), nil
}

// rawWrite is unix.Write for a non-blocking descriptor.
func rawWrite(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(bufPtr(b)), uintptr(len(b)))
	if e != 0 {
		return -1, errnoErr(e)
	}
	return int(r), nil
}

// rawEpollCtl is unix.EpollCtl without entersyscall.
func rawEpollCtl(epfd, op, fd int, ev *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(ev)), 0, 0)
	return errnoErr(e)
}

// rawEpollPoll is epoll_wait with a zero timeout: the events ready now.
func rawEpollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, errnoErr(e)
	}
	return int(r), nil
}

// rawAccept4 accepts a connection without its address (nothing to
// allocate), non-blocking and close-on-exec.
func rawAccept4(lfd int) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(lfd), 0, 0, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, errnoErr(e)
	}
	return int(r), nil
}

// epollWaiter waits for an epoll descriptor's events in the runtime's
// netpoller (see above); when the descriptor cannot be registered there,
// it falls back to a blocking epoll_wait.
type epollWaiter struct {
	fd     int
	file   *os.File
	rc     syscall.RawConn
	events []unix.EpollEvent
	n      int
	err    error
	ready  func(fd uintptr) bool // w.poll, made once: no allocation per wait
}

// newEpollWaiter takes ownership of epfd: close it with close.
func newEpollWaiter(epfd int, events []unix.EpollEvent) *epollWaiter {
	w := &epollWaiter{fd: epfd, events: events}
	w.ready = w.poll
	if unix.SetNonblock(epfd, true) == nil {
		// os.NewFile registers a non-blocking descriptor with the netpoller.
		w.file = os.NewFile(uintptr(epfd), "board-epoll")
		if rc, err := w.file.SyscallConn(); err == nil {
			w.rc = rc
		}
	}
	return w
}

func (w *epollWaiter) poll(uintptr) bool {
	w.n, w.err = rawEpollPoll(w.fd, w.events)
	return w.n > 0 || (w.err != nil && w.err != unix.EINTR)
}

// wait returns the number of events ready, waiting for one if none is.
func (w *epollWaiter) wait() (int, error) {
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

func (w *epollWaiter) close() {
	if w.file != nil {
		w.file.Close()
		return
	}
	unix.Close(w.fd)
}

// rawTimerfdSettime is unix.TimerfdSettime (relative, no old value)
// without entersyscall.
func rawTimerfdSettime(fd int, spec *unix.ItimerSpec) error {
	_, _, e := unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, uintptr(fd), 0, uintptr(unsafe.Pointer(spec)), 0, 0, 0)
	return errnoErr(e)
}
