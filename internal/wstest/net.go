package wstest

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// SilentServer listens on loopback, accepts every connection and never
// answers (a board that stopped serving): it returns the address; the
// listener and what it accepted are closed when the test ends.
func SilentServer(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

// WaitSynSent waits until a socket of this machine is in SYN_SENT to port
// (its SYN is out: on a full syn-drop board, dropped), read from
// /proc/net/tcp, so a test frees a slot only after the first SYN met the
// full board, whatever the machine's load.
func WaitSynSent(port int, timeout time.Duration) error {
	suffix := fmt.Sprintf(":%04X", port)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
			b, _ := os.ReadFile(f)
			for _, line := range strings.Split(string(b), "\n") {
				fs := strings.Fields(line)
				if len(fs) > 3 && strings.HasSuffix(fs[2], suffix) && fs[3] == "02" {
					return nil
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("no SYN_SENT socket to port %d within %v", port, timeout)
}
