//go:build linux

// Package memtest measures the emulated board's memory per slot; it lives in a package of its own because it re-executes its test binary as the client process.
package memtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/internal/testenv"
)

// rawClients opens n WebSocket connections to addr with raw blocking
// sockets, so the client side adds nothing to the Go heap per connection,
// and returns their descriptors.
func rawClients(tb testing.TB, port int, fds []int) {
	tb.Helper()
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	req := core.AppendClientRequest(nil, []byte("127.0.0.1"), []byte("/ws"), key, nil)
	var resp [512]byte
	sa := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	for i := range fds {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			tb.Fatalf("client socket %d: %v", i, err)
		}
		fds[i] = fd
		tv := unix.Timeval{Sec: 10}
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		// Raw system calls see EINTR when the Go runtime preempts the
		// thread with a signal: retry those.
		err = unix.Connect(fd, sa)
		for err == unix.EINTR {
			err = unix.Connect(fd, sa)
			if err == unix.EISCONN || err == unix.EALREADY {
				err = nil
			}
		}
		if err != nil {
			tb.Fatalf("connect %d: %v", i, err)
		}
		for sent := 0; sent < len(req); {
			n, err := unix.Write(fd, req[sent:])
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				tb.Fatalf("write %d: %v", i, err)
			}
			sent += n
		}
		got := 0
		for !bytes.Contains(resp[:got], []byte("\r\n\r\n")) {
			n, err := unix.Read(fd, resp[got:])
			if err == unix.EINTR {
				continue
			}
			if n <= 0 {
				tb.Fatalf("handshake %d: read %d, %v (after %q)", i, n, err, resp[:got])
			}
			got += n
		}
		if !bytes.HasPrefix(resp[:got], []byte("HTTP/1.1 101 ")) {
			tb.Fatalf("handshake %d: %q", i, resp[:got])
		}
	}
}

func raiseFileLimit(tb testing.TB, need uint64) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		testenv.SkipOrFail(tb, "getrlimit: %v", err)
	}
	if lim.Cur >= need {
		return
	}
	want := unix.Rlimit{Cur: need, Max: need}
	if lim.Max > need {
		want.Max = lim.Max
	}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err != nil {
		testenv.SkipOrFail(tb, "need %d file descriptors, have %d and cannot raise the limit (%v): run `ulimit -n %d` first", need, lim.Cur, err, need)
	}
}

// heapAndStacks is the memory the Go runtime holds for live objects and
// goroutine stacks.
func heapAndStacks() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// measurePerSlot starts a board of n slots with 1 KiB rx and tx buffers,
// fills every slot with an idle upgraded WebSocket, and returns the heap
// and stack bytes per slot the board process grew by.
func measurePerSlot(tb testing.TB, n int) float64 {
	raiseFileLimit(tb, uint64(n+256))
	before := heapAndStacks()
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "mem", Slots: n, RxBuf: 1024, TxBuf: 1024,
		MaxMessage: 1024}, Backlog: 1024})
	if err != nil {
		tb.Fatal(err)
	}
	defer srv.Close()
	// The clients live in a child process (this test binary again), so
	// their descriptors do not count against this process's limit and
	// their memory does not count in its heap.
	stop := startClientProcess(tb, srv.Addr().Port, n)
	defer stop()
	if st := srv.Stats(); st.SlotsInUse != n || st.Upgrades != uint64(n) {
		tb.Fatalf("slots in use %d, upgrades %d, want %d", st.SlotsInUse, st.Upgrades, n)
	}
	after := heapAndStacks()
	return float64(after-before) / float64(n)
}

// TestHeapPerSlot holds the emulated board to its memory target: with 1 KiB
// rx and tx buffers, at most 2.5 KiB of heap and stacks per slot at 10,000
// connected slots (2 KiB of it the buffers themselves). Heap bytes are
// deterministic enough to assert, unlike timings.
func TestHeapPerSlot(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 10,000 connections")
	}
	perSlot := measurePerSlot(t, 10000)
	t.Logf("heap+stacks per slot at 10,000 slots with 1 KiB rx + 1 KiB tx: %.0f B", perSlot)
	if perSlot > 2560 {
		t.Fatalf("%.0f B per slot, over the 2.5 KiB target", perSlot)
	}
}

// BenchmarkHeapPerSlot reports the figure as a benchmark metric (B/slot).
func BenchmarkHeapPerSlot(b *testing.B) {
	for b.Loop() {
		b.ReportMetric(measurePerSlot(b, 10000), "B/slot")
	}
}

const clientEnv = "WSLAB_MEM_CLIENTS"

// TestMain runs as the client process when clientEnv is set: it opens the
// connections, says "ready", and holds them until its stdin closes.
func TestMain(m *testing.M) {
	if spec := os.Getenv(clientEnv); spec != "" {
		port, n, _ := strings.Cut(spec, ":")
		p, _ := strconv.Atoi(port)
		k, _ := strconv.Atoi(n)
		var lim unix.Rlimit
		_ = unix.Getrlimit(unix.RLIMIT_NOFILE, &lim)
		lim.Cur = lim.Max
		_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
		fds := make([]int, k)
		rawClients(exitTB{}, p, fds)
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// exitTB is the little of testing.TB the client process needs.
type exitTB struct{ testing.TB }

func (exitTB) Helper() {}
func (exitTB) Fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, f+"\n", a...)
	os.Exit(1)
}

func startClientProcess(tb testing.TB, port, n int) (stop func()) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d:%d", clientEnv, port, n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err == nil && strings.TrimSpace(line) != "ready" {
			err = fmt.Errorf("client process said %q", line)
		}
		ready <- err
	}()
	select {
	case err = <-ready:
	case <-time.After(2 * time.Minute):
		err = fmt.Errorf("client process not ready after 2 minutes")
	}
	stop = func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	if err != nil {
		stop()
		tb.Fatalf("client process: %v\n%s", err, stderr.String())
	}
	return stop
}
