//go:build linux

package host_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
)

// An idle board's event loop waits in the runtime's netpoller ("IO
// wait"), like a goroutine reading a net.Conn, and not in a system call
// of its own ("syscall"): a loop blocked in epoll_wait from a goroutine
// keeps sysmon polling to retake its P (about one nanosleep a message on
// a busy board sharing its core). This fails if the wait goes back to a
// blocking unix.EpollWait.
func TestLoopWaitsInNetpoller(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024, MaxMessage: 2048})
	c := dialWS(t, srv.Addr().String(), "/ws", 1024)
	if err := c.echo(2, []byte("hello"), 1); err != nil {
		t.Fatal(err)
	}
	var state string
	waitFor(t, 10*time.Second, "the board's loop parked", func() bool {
		state = loopState()
		return state == "IO wait"
	})
	if state != "IO wait" {
		t.Fatalf("the board's event loop waits in state %q, want IO wait", state)
	}
}

// loopState is the scheduling state of the goroutine running the board's
// event loop, from a dump of every goroutine.
func loopState() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "host.(*Server).loop(") {
			continue
		}
		head, _, _ := strings.Cut(g, "\n")
		if i, j := strings.Index(head, "["), strings.Index(head, "]"); i >= 0 && j > i {
			st, _, _ := strings.Cut(head[i+1:j], ",") // "IO wait, 2 minutes"
			return st
		}
	}
	return ""
}
