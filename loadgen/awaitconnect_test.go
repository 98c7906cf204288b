//go:build linux

package loadgen

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// awaitConnect (a /stats connect a signal interrupted) gives the
// handshake's outcome: success against a listener, the refusal against a
// closed port.
func TestAwaitConnect(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := l.Addr().(*net.TCPAddr).Port
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l2.Addr().(*net.TCPAddr).Port
	l2.Close()
	defer l.Close()
	for _, c := range []struct {
		port int
		want error
	}{{open, nil}, {closed, unix.ECONNREFUSED}} {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: c.port})
		if err == unix.EINPROGRESS {
			err = awaitConnect(fd, 20*time.Second)
		}
		unix.Close(fd)
		if err != c.want {
			t.Errorf("port %d: %v, want %v", c.port, err, c.want)
		}
	}
}
