//go:build linux

package host_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// Bad input: what a board on a network must survive. Timeouts in these
// tests are the board's own functional timeouts, checked with wide margins.

func TestMalformedRequests(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024})
	addr := srv.Addr().String()
	cases := []struct {
		name, req string
		status    int
	}{
		{"garbage", "GARBAGE\r\n\r\n", 400},
		{"no HTTP version", "GET /\r\n\r\n", 400},
		{"no target", "GET  HTTP/1.1\r\nHost: b\r\n\r\n", 400},
		{"header without a colon", "GET / HTTP/1.1\r\nHost board\r\n\r\n", 400},
		{"space in a header name", "GET / HTTP/1.1\r\nHost: b\r\nBad Header: x\r\n\r\n", 400},
		{"space before the colon", "GET / HTTP/1.1\r\nHost : b\r\n\r\n", 400},
		{"obsolete line folding", "GET / HTTP/1.1\r\nHost: b\r\nX-A: a\r\n folded\r\n\r\n", 400},
		{"two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"Content-Length not a number", "PUT /files/x HTTP/1.1\r\nHost: b\r\nContent-Length: 12a\r\n\r\n", 400},
		{"two different Content-Lengths", "PUT /files/x HTTP/1.1\r\nHost: b\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", 400},
		{"Content-Length and Transfer-Encoding", "PUT /files/x HTTP/1.1\r\nHost: b\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\nx", 400},
		{"NUL in the target", "GET /a\x00b HTTP/1.1\r\nHost: b\r\n\r\n", 400},
		{"control byte in a header value", "GET / HTTP/1.1\r\nHost: b\x01\r\n\r\n", 400},
		{"CR without LF", "GET / HTTP/1.1\rHost: b\r\n\r\n", 400},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: b\r\n\r\n", 505},
		{"HTTP/1.1 with a bad minor", "GET / HTTP/1.x\r\nHost: b\r\n\r\n", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rawHTTP(t, addr, tc.req)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, tc.status, r.Head)
			}
			if r.Header["connection"] != "close" {
				t.Errorf("an error response must close the connection: %q", r.Header["connection"])
			}
		})
	}
	// The board is still fine.
	if r := get(t, addr, "/"); r.Status != 200 || !bytes.Equal(r.Body, firmware.Page) {
		t.Fatalf("GET / after the bad requests: %d, %d B", r.Status, len(r.Body))
	}
}

func TestPathTraversal(t *testing.T) {
	parent := t.TempDir()
	store := filepath.Join(parent, "store")
	secret := filepath.Join(parent, "secret.txt")
	if err := os.WriteFile(secret, []byte("do not touch"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startBoardOpts(t, host.Options{StoreDir: store, Board: firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024}})
	addr := srv.Addr().String()
	paths := []string{
		"/files/../x",
		"/files/../secret.txt",
		"/files/%2e%2e%2fx",
		"/files/%2E%2E%2Fsecret.txt",
		"/files/..%2fsecret.txt",
		"/files/a%2fb",
		"/files/a/b",
		"/files//etc/passwd",
		"/files/%2fetc%2fpasswd",
		"/files/..",
		"/files/.",
		"/files/.hidden",
		"/files/a%00b",
		"/files/a\\..\\secret.txt",
		"/files/" + strings.Repeat("a", firmware.MaxNameLen+1),
	}
	for _, p := range paths {
		for _, m := range []string{"GET", "HEAD", "PUT", "POST", "DELETE"} {
			req := m + " " + p + " HTTP/1.1\r\nHost: b\r\nConnection: close\r\n"
			if m == "PUT" || m == "POST" {
				req += "Content-Length: 5\r\n\r\npwned"
			} else {
				req += "\r\n"
			}
			r := rawHTTP(t, addr, req)
			if r.Status != 400 {
				t.Errorf("%s %q: status %d, want 400", m, p, r.Status)
			}
		}
	}
	// A raw NUL byte in the target never reaches the store either.
	if r := rawHTTP(t, addr, "PUT /files/a\x00b HTTP/1.1\r\nHost: b\r\nContent-Length: 5\r\n\r\npwned"); r.Status != 400 {
		t.Errorf("raw NUL: status %d, want 400", r.Status)
	}
	if got := storeEntries(t, parent); !slices.Equal(got, []string{"secret.txt", "store"}) {
		t.Errorf("the store's parent now holds %q", got)
	}
	if got := storeEntries(t, store); len(got) != 0 {
		t.Errorf("the store now holds %q", got)
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "do not touch" {
		t.Errorf("secret.txt: %q, %v", b, err)
	}
	// Valid names still work.
	if r := put(t, addr, "/files/ok-name_1.txt", []byte("fine")); r.Status != 201 {
		t.Fatalf("PUT a valid name: %d", r.Status)
	}
	if r := get(t, addr, "/files/ok-name_1.txt"); r.Status != 200 || string(r.Body) != "fine" {
		t.Fatalf("GET a valid name: %d %q", r.Status, r.Body)
	}
}

func TestOversizedHead(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024})
	addr := srv.Addr().String()
	start := "GET / HTTP/1.1\r\nHost: b\r\nX-Pad: "
	// Exactly fills the receive buffer without ending: the board cannot
	// take more and must answer now.
	exact := start + strings.Repeat("a", 1024-len(start))
	if r := rawHTTP(t, addr, exact); r.Status != 431 {
		t.Fatalf("a head filling the buffer: status %d, want 431", r.Status)
	}
	// Much larger, in one write: the rest is never read; the answer still
	// arrives (a reset may follow it).
	big := start + strings.Repeat("a", 8192) + "\r\n\r\n"
	if r := rawHTTP(t, addr, big); r.Status != 431 {
		t.Fatalf("an 8 KiB head: status %d, want 431", r.Status)
	}
	// Many small headers.
	many := "GET / HTTP/1.1\r\nHost: b\r\n" + strings.Repeat("X-Header: value\r\n", 200) + "\r\n"
	if r := rawHTTP(t, addr, many); r.Status != 431 {
		t.Fatalf("200 headers: status %d, want 431", r.Status)
	}
	// A head just under the buffer is fine.
	fits := "GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\nX-Pad: "
	fits += strings.Repeat("a", 1024-len(fits)-4) + "\r\n\r\n"
	if r := rawHTTP(t, addr, fits); r.Status != 200 {
		t.Fatalf("a %d-byte head: status %d, want 200", len(fits), r.Status)
	}
}

// A slowloris client dribbles its head slower than HeaderTimeout allows:
// the board drops it with 408 and frees its slot, and meanwhile a normal
// client is served as usual.
func TestSlowloris(t *testing.T) {
	const headerTimeout = 300 * time.Millisecond
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024,
		HeaderTimeout: int64(headerTimeout), IdleTimeout: 600 * firmware.Second})
	addr := srv.Addr().String()
	const slow = 2
	type result struct {
		resp    []byte
		err     error
		elapsed time.Duration
	}
	results := make(chan result, slow)
	for i := 0; i < slow; i++ {
		go func() {
			conn, err := net.DialTimeout("tcp", addr, opTimeout)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer conn.Close()
			conn.(*net.TCPConn).SetNoDelay(true)
			begin := time.Now()
			stop := make(chan struct{})
			go func() {
				head := "GET / HTTP/1.1\r\nHost: b\r\n" + strings.Repeat("X-Slow: 1\r\n", 1000)
				for i := 0; i < len(head); i++ {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
					if _, err := conn.Write([]byte{head[i]}); err != nil {
						return
					}
				}
			}()
			conn.SetReadDeadline(time.Now().Add(opTimeout))
			resp, err := io.ReadAll(conn)
			close(stop)
			results <- result{resp, err, time.Since(begin)}
		}()
	}
	// The normal client: a WebSocket echo and plain requests, over and over,
	// until both slow clients were dropped.
	ws := dialWS(t, addr, "/ws", 4096)
	served := 0
	for done := 0; done < slow; {
		select {
		case r := <-results:
			done++
			if r.err != nil && !isClosed(r.err) {
				t.Fatalf("slow client: %v after %q", r.err, r.resp)
			}
			if !bytes.HasPrefix(r.resp, []byte("HTTP/1.1 408 ")) {
				t.Errorf("slow client got %q, want a 408", r.resp)
			}
			// The board's clock started at the client's first byte, after
			// the client's: it cannot have fired sooner than this.
			if r.elapsed < headerTimeout {
				t.Errorf("slow client dropped after %v, before the %v header timeout", r.elapsed, headerTimeout)
			}
			t.Logf("slow client dropped after %v (header timeout %v)", r.elapsed.Round(time.Millisecond), headerTimeout)
		default:
			msg := []byte("still served " + strconv.Itoa(served))
			ws.write(frame(true, 0, core.OpText, msg))
			ws.expectMessage(core.OpText, msg)
			if r := get(t, addr, "/"); r.Status != 200 {
				t.Fatalf("normal client: status %d while the slow clients dribble", r.Status)
			}
			served++
			time.Sleep(20 * time.Millisecond)
		}
	}
	if served == 0 {
		t.Fatal("the normal client was never served while the slow clients dribbled")
	}
	ws.closeNormally()
	if st := srv.Stats(); st.Timeouts < slow {
		t.Errorf("board counted %d timeouts, want %d", st.Timeouts, slow)
	}
}

// An upload that never finishes leaves the old file as it was, byte for
// byte, and no temporary file behind.
func TestUploadCutOff(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024,
		HeaderTimeout: int64(300 * time.Millisecond), MaxUpload: 1 << 20})
	addr := srv.Addr().String()
	old := payload(100_000, false)
	if r := put(t, addr, "/files/keep.bin", old); r.Status != 201 {
		t.Fatalf("first upload: %d %s", r.Status, r.Body)
	}
	newer := bytes.Repeat([]byte("new!"), 25_000)
	head := "PUT /files/keep.bin HTTP/1.1\r\nHost: b\r\nContent-Length: " + strconv.Itoa(len(newer)) + "\r\n\r\n"
	endings := []struct {
		name string
		end  func(c *net.TCPConn)
	}{
		{"closed", func(c *net.TCPConn) { c.Close() }},
		{"reset", func(c *net.TCPConn) { c.SetLinger(0); c.Close() }},
		{"half-closed", func(c *net.TCPConn) {
			c.CloseWrite()
			c.SetReadDeadline(time.Now().Add(opTimeout))
			io.ReadAll(c)
			c.Close()
		}},
		// Stalled: the board's body timeout (HeaderTimeout) drops it.
		{"stalled", func(c *net.TCPConn) {
			c.SetReadDeadline(time.Now().Add(opTimeout))
			b, err := io.ReadAll(c)
			if len(b) > 0 || (err != nil && !isClosed(err)) {
				t.Errorf("stalled upload: board sent %q, %v", b, err)
			}
			c.Close()
		}},
	}
	for i, e := range endings {
		t.Run(e.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, opTimeout)
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(opTimeout))
			if _, err := conn.Write(append([]byte(head), newer[:len(newer)/2]...)); err != nil {
				t.Fatal(err)
			}
			// Wait until the board has the half body, so the cut really
			// falls inside the upload.
			waitFor(t, opTimeout, "the board to receive the half body", func() bool {
				return srv.Stats().BytesIn >= uint64(len(head)+len(newer)/2)*uint64(i+1)+uint64(len(old))
			})
			e.end(conn.(*net.TCPConn))
			waitFor(t, opTimeout, "the board to abort the upload", func() bool {
				return srv.Stats().UploadsAborted == uint64(i+1)
			})
			if got := storeEntries(t, srv.StoreDir()); !slices.Equal(got, []string{"keep.bin"}) {
				t.Errorf("store holds %q, want only keep.bin", got)
			}
			r := get(t, addr, "/files/keep.bin")
			if r.Status != 200 || !bytes.Equal(r.Body, old) {
				t.Fatalf("after a cut-off upload: %d, %d B (old file %d B, equal %v)", r.Status, len(r.Body), len(old), bytes.Equal(r.Body, old))
			}
		})
	}
	// The total of BytesIn above counts every upload's bytes; a whole
	// upload afterwards replaces the file.
	if r := put(t, addr, "/files/keep.bin", newer); r.Status != 201 {
		t.Fatalf("whole upload: %d", r.Status)
	}
	if r := get(t, addr, "/files/keep.bin"); !bytes.Equal(r.Body, newer) {
		t.Fatalf("after a whole upload: %d B", len(r.Body))
	}
}

func TestUploadLimits(t *testing.T) {
	const limit = 64 << 10
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxUpload: limit})
	addr := srv.Addr().String()
	for _, m := range []string{"PUT", "POST"} {
		r := rawHTTP(t, addr, m+" /files/a HTTP/1.1\r\nHost: b\r\n\r\nbody")
		if r.Status != 411 {
			t.Errorf("%s without Content-Length: %d, want 411", m, r.Status)
		}
		r = rawHTTP(t, addr, m+" /files/a HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n")
		if r.Status != 411 {
			t.Errorf("%s chunked: %d, want 411", m, r.Status)
		}
	}
	over := payload(limit+1, false)
	if r := put(t, addr, "/files/a", over); r.Status != 413 {
		t.Errorf("upload of the limit + 1: %d, want 413", r.Status)
	}
	if got := storeEntries(t, srv.StoreDir()); len(got) != 0 {
		t.Errorf("refused uploads left %q in the store", got)
	}
	exact := over[:limit]
	if r := put(t, addr, "/files/a", exact); r.Status != 201 {
		t.Fatalf("upload of exactly the limit: %d, want 201", r.Status)
	}
	if r := get(t, addr, "/files/a"); r.Status != 200 || !bytes.Equal(r.Body, exact) {
		t.Fatalf("GET: %d, %d B", r.Status, len(r.Body))
	}
	// 100-continue: the client waits for the board's go-ahead.
	conn, err := net.DialTimeout("tcp", addr, opTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(opTimeout))
	io.WriteString(conn, "PUT /files/c HTTP/1.1\r\nHost: b\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	var b [64]byte
	n, err := io.ReadAtLeast(conn, b[:], len("HTTP/1.1 100 Continue\r\n\r\n"))
	if err != nil || string(b[:n]) != "HTTP/1.1 100 Continue\r\n\r\n" {
		t.Fatalf("100-continue: %q, %v", b[:n], err)
	}
	io.WriteString(conn, "hello")
	if r := readHTTP(t, conn); r.Status != 201 {
		t.Fatalf("after 100-continue: %d", r.Status)
	}
}

// More clients than slots: each extra one is refused at once, the board's
// FailMode way, while the clients holding the slots keep echoing.
func TestSlotFlood(t *testing.T) {
	for _, mode := range []firmware.FailMode{firmware.FailReject503, firmware.FailAcceptClose, firmware.FailReset} {
		t.Run(mode.String(), func(t *testing.T) {
			const slots, extra = 2, 6
			// Long timeouts: a refusal seen within opTimeout cannot be a
			// timeout of the board's.
			srv := startBoard(t, firmware.Config{Slots: slots, RxBuf: 1024, TxBuf: 1024, FailMode: mode,
				HeaderTimeout: 600 * firmware.Second, IdleTimeout: 600 * firmware.Second})
			addr := srv.Addr().String()
			held := make([]*wsClient, slots)
			for i := range held {
				held[i] = dialWS(t, addr, "/ws", 4096)
			}
			echoAll := func(round int) {
				t.Helper()
				for i, c := range held {
					m := []byte("held " + strconv.Itoa(i) + " round " + strconv.Itoa(round))
					c.write(frame(true, 0, core.OpBinary, m))
					c.expectMessage(core.OpBinary, m)
				}
			}
			echoAll(0)
			for k := 0; k < extra; k++ {
				conn, err := net.DialTimeout("tcp", addr, opTimeout)
				if err != nil {
					// A full reset board answers the SYN with RST|ACK, as
					// lneto does: the connect is refused.
					if mode == firmware.FailReset && errors.Is(err, syscall.ECONNREFUSED) {
						echoAll(k + 1)
						continue
					}
					t.Fatalf("connect: %v (the backlog must take the connection)", err)
				}
				// Half the extra clients send a request first, as browsers
				// do; half wait for the board.
				var werr error
				if k%2 == 1 {
					conn.SetWriteDeadline(time.Now().Add(opTimeout))
					_, werr = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: b\r\n\r\n")
				}
				conn.SetReadDeadline(time.Now().Add(opTimeout))
				got, err := io.ReadAll(conn)
				if errors.Is(werr, syscall.ECONNRESET) || errors.Is(werr, syscall.EPIPE) {
					// The write met the refusal and took its error; the
					// read then sees the closed socket.
					err = werr
				}
				conn.Close()
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatalf("extra client %d: not refused within %v", k, opTimeout)
				}
				switch mode {
				case firmware.FailReject503:
					if !bytes.HasPrefix(got, []byte("HTTP/1.1 503 ")) || !bytes.Contains(got, []byte("\r\nRetry-After: ")) {
						t.Errorf("extra client %d: got %q, %v; want a 503 with Retry-After", k, got, err)
					}
				case firmware.FailAcceptClose:
					if len(got) != 0 || (err != nil && !isClosed(err)) {
						t.Errorf("extra client %d: got %q, %v; want a close without a byte", k, got, err)
					}
				case firmware.FailReset:
					t.Errorf("extra client %d: connected to a full reset board (got %q, %v)", k, got, err)
				}
				echoAll(k + 1)
			}
			st := srv.Stats()
			wantRefused := uint64(extra)
			if mode == firmware.FailReset {
				wantRefused = 0 // the kernel refuses for it: the board never sees them
			}
			if st.Refused != wantRefused || st.SlotsInUse != slots {
				t.Errorf("refused %d, slots in use %d; want %d and %d", st.Refused, st.SlotsInUse, wantRefused, slots)
			}
			// A freed slot serves the next client.
			held[0].closeNormally()
			waitFor(t, opTimeout, "the slot to be released", func() bool { return srv.Stats().SlotsInUse == slots-1 })
			held[0] = dialWS(t, addr, "/ws", 4096)
			echoAll(extra + 1)
		})
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024})
	addr := srv.Addr().String()
	for _, p := range []string{"/nope", "/files/missing", "/index.html", "/stats/x"} {
		if r := get(t, addr, p); r.Status != 404 {
			t.Errorf("GET %s: %d, want 404", p, r.Status)
		}
	}
	cases := []struct{ method, path, allow string }{
		{"POST", "/", "GET, HEAD"},
		{"PUT", "/", "GET, HEAD"},
		{"DELETE", "/stats", "GET, HEAD"},
		{"POST", "/metrics", "GET, HEAD"},
		{"POST", "/files", "GET, HEAD"},
		{"PATCH", "/files/a", "GET, HEAD, PUT, POST, DELETE"},
		{"OPTIONS", "/files/a", "GET, HEAD, PUT, POST, DELETE"},
	}
	for _, tc := range cases {
		r := rawHTTP(t, addr, tc.method+" "+tc.path+" HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n")
		if r.Status != 405 || r.Header["allow"] != tc.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, Allow %q", tc.method, tc.path, r.Status, r.Header["allow"], tc.allow)
		}
	}
}

// A WebSocket client that goes quiet is pinged after PingInterval and
// dropped PongTimeout later if it does not answer; one that answers stays.
func TestIdlePing(t *testing.T) {
	const interval, timeout = 200 * time.Millisecond, 300 * time.Millisecond
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024,
		PingInterval: int64(interval), PongTimeout: int64(timeout)})
	addr := srv.Addr().String()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	answered := 0
	// The lively client answers every ping with its pong until told to stop.
	lively := dialWS(t, addr, "/ws", 4096)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			lively.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			ev, err := lively.rd.Next()
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if err != nil || ev.Kind != core.EventPing {
				t.Errorf("lively client: %v, %s", err, describe(ev))
				return
			}
			if err := lively.sendFrame(true, core.OpPong, ev.Payload); err != nil {
				t.Errorf("lively client: %v", err)
				return
			}
			answered++
		}
	}()
	// The board starts its clock when it handles the upgrade, after this.
	begin := time.Now()
	quiet := dialWS(t, addr, "/ws", 4096)
	ev, err := quiet.next()
	if err != nil || ev.Kind != core.EventPing {
		t.Fatalf("quiet client: want a ping, got %s, %v", describe(ev), err)
	}
	pinged := time.Since(begin)
	// Never answered: the board drops the connection (without a close
	// frame: the client is presumed gone).
	quiet.expectEOF()
	dropped := time.Since(begin)
	t.Logf("quiet client pinged after %v, dropped after %v", pinged.Round(time.Millisecond), dropped.Round(time.Millisecond))
	if pinged < interval || dropped < interval+timeout {
		t.Errorf("pinged after %v and dropped after %v: sooner than %v and %v", pinged, dropped, interval, interval+timeout)
	}
	// Let the lively client go through a few more ping rounds.
	waitFor(t, opTimeout, "three more pings", func() bool { return srv.Stats().PingsSent >= 4 })
	close(stop)
	wg.Wait()
	if answered < 1 {
		t.Errorf("the lively client answered %d pings", answered)
	}
	lively.conn.SetReadDeadline(time.Time{})
	lively.write(frame(true, 0, core.OpText, []byte("still here")))
	for {
		ev, err := lively.next()
		if err != nil {
			t.Fatalf("lively client after the pings: %v", err)
		}
		if ev.Kind == core.EventPing {
			continue // one more ping may have been on its way
		}
		if ev.Kind != core.EventMessage || string(ev.Payload) != "still here" {
			t.Fatalf("lively client: %s", describe(ev))
		}
		break
	}
	lively.closeNormally()
	st := srv.Stats()
	if st.Timeouts != 1 || st.Abnormal != 1 {
		t.Errorf("timeouts %d, abnormal %d; want 1 and 1 (the quiet client only)", st.Timeouts, st.Abnormal)
	}
}
