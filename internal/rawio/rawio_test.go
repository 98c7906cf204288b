//go:build linux

package rawio

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

// The raw calls report what the loops branch on: bytes, EAGAIN (the
// very value unix.EAGAIN, compared with ==), end of stream and errors.
func TestReadWrite(t *testing.T) {
	a, b := socketPair(t)
	buf := make([]byte, 16)
	if n, err := Read(a, buf); n != -1 || err != unix.EAGAIN {
		t.Fatalf("read of an empty socket: %d %v, want -1 EAGAIN", n, err)
	}
	if n, err := Write(b, []byte("hello")); n != 5 || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	if n, err := Read(a, buf); n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read: %d %v %q", n, err, buf[:max(n, 0)])
	}
	if n, err := Write(b, nil); n != 0 || err != nil {
		t.Fatalf("empty write: %d %v", n, err)
	}
	unix.Shutdown(b, unix.SHUT_WR)
	if n, err := Read(a, buf); n != 0 || err != nil {
		t.Fatalf("read at EOF: %d %v, want 0 nil", n, err)
	}
	if _, err := Read(-1, buf); err != unix.EBADF {
		t.Fatalf("read of a bad descriptor: %v", err)
	}
	if _, err := Accept4(a); err == nil {
		t.Fatal("accept on a connected socket succeeded")
	}
}

// Wait returns the ready events, waiting in the netpoller for the first.
func TestWaiter(t *testing.T) {
	a, b := socketPair(t)
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	events := make([]unix.EpollEvent, 8)
	w := NewWaiter(epfd, events)
	defer w.Close()
	if w.rc == nil {
		t.Fatal("the epoll descriptor is not in the netpoller")
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: 7}
	if err := EpollCtl(epfd, unix.EPOLL_CTL_ADD, a, &ev); err != nil {
		t.Fatal(err)
	}
	if n, err := EpollPoll(epfd, events); n != 0 || err != nil {
		t.Fatalf("poll of an idle set: %d %v", n, err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond) // let Wait park first
		Write(b, []byte("x"))
	}()
	done := make(chan struct{})
	var n int
	go func() { n, err = w.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // a safety net, not a timing assertion
		t.Fatal("Wait did not return after the socket turned readable")
	}
	if n != 1 || err != nil || events[0].Fd != 7 || events[0].Events&unix.EPOLLIN == 0 {
		t.Fatalf("Wait: %d %v %+v", n, err, events[0])
	}
	// Ready already: no parking.
	if n, err := w.Wait(); n != 1 || err != nil {
		t.Fatalf("second Wait: %d %v", n, err)
	}
	var spec unix.ItimerSpec
	if err := TimerfdSettime(-1, &spec); err != unix.EBADF {
		t.Fatalf("timerfd_settime on a bad descriptor: %v", err)
	}
}

// Connect reaches the address NewSockaddr converted (the port in network
// byte order), over IPv4 and IPv6.
func TestConnect(t *testing.T) {
	for _, c := range []struct {
		family int
		sa     unix.Sockaddr
	}{
		{unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}},
		{unix.AF_INET6, &unix.SockaddrInet6{Addr: [16]byte{15: 1}}},
	} {
		lfd, err := unix.Socket(c.family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(lfd)
		if err := unix.Bind(lfd, c.sa); err != nil {
			if c.family == unix.AF_INET6 {
				t.Logf("no IPv6 loopback: %v", err)
				continue
			}
			t.Fatal(err)
		}
		if err := unix.Listen(lfd, 4); err != nil {
			t.Fatal(err)
		}
		bound, err := unix.Getsockname(lfd)
		if err != nil {
			t.Fatal(err)
		}
		fd, err := Socket(c.family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer Close(fd)
		if err := Connect(fd, NewSockaddr(bound)); err != nil {
			t.Fatalf("family %d: connect to %+v: %v", c.family, bound, err)
		}
		if err := SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
			t.Fatal(err)
		}
		if v, err := GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); err != nil || v == 0 {
			t.Fatalf("TCP_NODELAY reads %d %v", v, err)
		}
		if v, err := GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || v != 0 {
			t.Fatalf("SO_ERROR %d %v", v, err)
		}
	}
	if NewSockaddr(&unix.SockaddrUnix{Name: "x"}) != nil {
		t.Error("a Unix address converted")
	}
}
