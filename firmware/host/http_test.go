//go:build linux

package host_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// Plain HTTP on the board: the file store's round trip, keep-alive with
// pipelined requests, and clients that half-close after their request.

func TestFilesRoundTrip(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxUpload: 1 << 20})
	addr := srv.Addr().String()
	for _, n := range []int{0, 1, 1023, 1024, 1025, 300_000} {
		body := payload(n, false)
		name := "/files/f" + strconv.Itoa(n) + ".bin"
		if r := put(t, addr, name, body); r.Status != 201 {
			t.Fatalf("PUT %d B: %d", n, r.Status)
		}
		if r := get(t, addr, name); r.Status != 200 || !bytes.Equal(r.Body, body) || r.Header["content-length"] != strconv.Itoa(n) {
			t.Fatalf("GET %d B: %d, %d B, Content-Length %s", n, r.Status, len(r.Body), r.Header["content-length"])
		}
		r := rawHTTP(t, addr, "HEAD "+name+" HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
		if r.Status != 200 || r.Header["content-length"] != strconv.Itoa(n) {
			t.Fatalf("HEAD %d B: %d, Content-Length %s", n, r.Status, r.Header["content-length"])
		}
	}
	if r := rawHTTP(t, addr, "DELETE /files/f1.bin HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"); r.Status != 204 {
		t.Fatalf("DELETE: %d", r.Status)
	}
	if r := get(t, addr, "/files/f1.bin"); r.Status != 404 {
		t.Fatalf("GET after DELETE: %d", r.Status)
	}
	if r := rawHTTP(t, addr, "DELETE /files/f1.bin HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"); r.Status != 404 {
		t.Fatalf("second DELETE: %d", r.Status)
	}
}

func TestKeepAlivePipelined(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024})
	addr := srv.Addr().String()
	body := payload(3000, false)
	if r := put(t, addr, "/files/p.bin", body); r.Status != 201 {
		t.Fatal(r.Status)
	}
	// Ten requests in one write, the last with Connection: close.
	var reqs strings.Builder
	for i := 0; i < 9; i++ {
		reqs.WriteString([]string{"GET /files/p.bin", "HEAD /files/p.bin", "GET /stats"}[i%3] + " HTTP/1.1\r\nHost: b\r\n\r\n")
	}
	reqs.WriteString("GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
	conn, err := net.DialTimeout("tcp", addr, opTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(opTimeout))
	io.WriteString(conn, reqs.String())
	all, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		end := bytes.Index(all, []byte("\r\n\r\n"))
		if end < 0 || !bytes.HasPrefix(all, []byte("HTTP/1.1 200 OK\r\n")) {
			t.Fatalf("response %d: %q", i, all[:min(len(all), 80)])
		}
		head := string(all[:end])
		_, cl, _ := strings.Cut(head, "Content-Length: ")
		cl, _, _ = strings.Cut(cl, "\r\n")
		n, _ := strconv.Atoi(cl)
		if i%3 == 1 && i < 9 {
			n = 0 // HEAD: no body
		}
		if i%3 == 0 && i < 9 && !bytes.Equal(all[end+4:end+4+n], body) {
			t.Fatalf("response %d: body differs", i)
		}
		all = all[end+4+n:]
	}
	if len(all) != 0 {
		t.Fatalf("%d bytes after the last response", len(all))
	}
}

// Requests one after another on a kept-alive connection, each sent only
// once the last answer arrived (as a browser or fasthttp does): each gets
// its answer at once, not a 408 when the header timeout runs out.
func TestKeepAliveSequential(t *testing.T) {
	srv := startBoardOpts(t, host.Options{Board: firmware.Config{Slots: 2, RxBuf: 1024, TxBuf: 1024,
		HeaderTimeout: int64(30 * time.Second)}})
	conn, err := net.DialTimeout("tcp", srv.Addr().String(), opTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	for i := 0; i < 5; i++ {
		conn.SetDeadline(time.Now().Add(opTimeout))
		io.WriteString(conn, "GET /stats HTTP/1.1\r\nHost: b\r\n\r\n")
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatalf("request %d on the kept-alive connection: %v", i+1, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i+1, resp.StatusCode)
		}
	}
}

// A client may shut down its sending side once its request is out (a FIN)
// and read the answer: the board must send the whole response, not drop it
// as it would for a reset.
func TestHalfClosedClientGetsWholeResponse(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxUpload: 1 << 20})
	addr := srv.Addr().String()
	big := payload(300_000, false)
	if r := put(t, addr, "/files/big.bin", big); r.Status != 201 {
		t.Fatal(r.Status)
	}
	halfClosed := func(req string) []byte {
		t.Helper()
		conn, err := net.DialTimeout("tcp", addr, opTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(opTimeout))
		io.WriteString(conn, req)
		conn.(*net.TCPConn).CloseWrite()
		b, err := io.ReadAll(conn)
		if err != nil {
			t.Fatalf("%q: %v after %d B", req, err, len(b))
		}
		return b
	}
	for _, conn := range []string{"", "Connection: close\r\n"} {
		b := halfClosed("GET /files/big.bin HTTP/1.1\r\nHost: b\r\n" + conn + "\r\n")
		if i := bytes.Index(b, []byte("\r\n\r\n")); i < 0 || !bytes.Equal(b[i+4:], big) {
			t.Fatalf("GET then FIN (%q): %d B, want the %d B file whole", conn, len(b), len(big))
		}
	}
	// Two pipelined requests and a FIN: both answered.
	b := halfClosed("GET /files/big.bin HTTP/1.1\r\nHost: b\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\n\r\n")
	if n := bytes.Count(b, []byte("HTTP/1.1 200 OK\r\n")); n != 2 || !bytes.HasSuffix(b, firmware.Page) {
		t.Fatalf("two requests then FIN: %d responses, %d B", n, len(b))
	}
	// A head cut short by the FIN can never complete: the board just closes.
	if b := halfClosed("GET / HTTP/1.1\r\nHost: b\r\n"); len(b) != 0 {
		t.Fatalf("half a head then FIN: got %q", b)
	}
	waitFor(t, opTimeout, "every slot to be released", func() bool { return srv.Stats().SlotsInUse == 0 })
	// Behind a link's round trip the request and its FIN are both in the
	// socket when the board first reads: the short read that takes the
	// request must not end the reading (no new edge comes for the FIN).
	// On a bare loopback the board often reads the request before the FIN
	// arrives, so only this board shows that bug every time.
	slow := startBoardOpts(t, host.Options{Board: firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024}, Link: host.Link{RTT: int64(5 * time.Millisecond)}})
	for range 3 {
		conn, err := net.DialTimeout("tcp", slow.Addr().String(), opTimeout)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(opTimeout))
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: b\r\n\r\n")
		conn.(*net.TCPConn).CloseWrite()
		b, err := io.ReadAll(conn)
		conn.Close()
		if err != nil || !bytes.HasSuffix(b, firmware.Page) {
			t.Fatalf("GET and FIN behind a 5 ms link: %v after %d B (the FIN not read: the board kept the connection)", err, len(b))
		}
	}
}

func TestStatsAndMetrics(t *testing.T) {
	srv := startBoard(t, firmware.Config{Model: `odd "model"\name`, Slots: 4, RxBuf: 1024, TxBuf: 1024})
	addr := srv.Addr().String()
	c := dialWS(t, addr, "/ws", 4096)
	c.write(frame(true, 0, core.OpText, []byte("counted")))
	c.expectMessage(core.OpText, []byte("counted"))
	c.closeNormally()
	waitFor(t, opTimeout, "the WebSocket slot to be released", func() bool { return srv.Stats().SlotsInUse == 0 })
	r := get(t, addr, "/stats")
	var st map[string]any
	if err := json.Unmarshal(r.Body, &st); err != nil || r.Header["content-type"] != "application/json" {
		t.Fatalf("/stats: %v, %s: %s", err, r.Header["content-type"], r.Body)
	}
	if st["model"] != `odd "model"\name` {
		t.Errorf("model %q", st["model"])
	}
	msgs := st["msgs"].(map[string]any)
	if msgs["in"] != 1.0 || msgs["out"] != 1.0 {
		t.Errorf("msgs %v", msgs)
	}
	if cr := st["close_recv"].(map[string]any); cr["1000"] != 1.0 {
		t.Errorf("close_recv %v", cr)
	}
	r = get(t, addr, "/metrics")
	if r.Status != 200 || !bytes.Contains(r.Body, []byte("\nwslab_board_messages_in_total 1\n")) {
		t.Fatalf("/metrics: %d\n%s", r.Status, r.Body)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(r.Body)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Errorf("metrics line %q", line)
			continue
		}
		if _, err := strconv.ParseFloat(f[1], 64); err != nil {
			t.Errorf("metrics line %q: %v", line, err)
		}
	}
}
