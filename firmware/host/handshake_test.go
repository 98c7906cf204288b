//go:build linux

package host_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// The opening handshake (RFC 6455 section 4) as real clients send it and as
// broken ones do, against the running board.
func TestHandshake(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxMessage: 4096})
	addr := srv.Addr().String()
	const key = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455 section 1.3
	const accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
	chrome := "GET /ws HTTP/1.1\r\nHost: " + addr + "\r\nConnection: Upgrade\r\nPragma: no-cache\r\n" +
		"Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 Chrome/124.0\r\nUpgrade: websocket\r\n" +
		"Origin: http://" + addr + "\r\nSec-WebSocket-Version: 13\r\nAccept-Encoding: gzip, deflate, br\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\nSec-WebSocket-Key: " + key + "\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
	firefox := "GET /ws HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: Mozilla/5.0 Firefox/126.0\r\n" +
		"Accept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n" +
		"Sec-WebSocket-Version: 13\r\nOrigin: http://" + addr + "\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Key: " + key + "\r\n" +
		"Connection: keep-alive, Upgrade\r\nSec-Fetch-Dest: empty\r\nSec-Fetch-Mode: websocket\r\n" +
		"Sec-Fetch-Site: same-origin\r\nPragma: no-cache\r\nCache-Control: no-cache\r\nUpgrade: websocket\r\n\r\n"
	// edit replaces one header line of the minimal request (or removes it
	// when repl is empty, or adds it when old is empty).
	minimal := "GET /ws HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	edit := func(old, repl string) string {
		if old == "" {
			return strings.Replace(minimal, "\r\n\r\n", "\r\n"+repl+"\r\n\r\n", 1)
		}
		if !strings.Contains(minimal, old) {
			t.Fatalf("bad edit %q", old)
		}
		if repl == "" {
			return strings.Replace(minimal, old+"\r\n", "", 1)
		}
		return strings.Replace(minimal, old, repl, 1)
	}
	cases := []struct {
		name   string
		req    string
		chop   bool
		status int
		header map[string]string // expected response headers; "" means absent
	}{
		{"chrome, extensions offered and declined", chrome, false, 101,
			map[string]string{"sec-websocket-accept": accept, "upgrade": "websocket", "sec-websocket-extensions": "", "sec-websocket-protocol": ""}},
		{"firefox, Connection: keep-alive, Upgrade", firefox, false, 101,
			map[string]string{"sec-websocket-accept": accept, "sec-websocket-extensions": ""}},
		{"minimal, one byte per write", minimal, true, 101, map[string]string{"sec-websocket-accept": accept}},
		{"header names and tokens in other cases", strings.NewReplacer("Upgrade: websocket", "UPGRADE: WebSocket",
			"Connection: Upgrade", "connection: UPGRADE", "Sec-WebSocket-Key", "sec-websocket-key").Replace(minimal), false, 101,
			map[string]string{"sec-websocket-accept": accept}},
		{"subprotocol offered, none chosen", edit("", "Sec-WebSocket-Protocol: chat, superchat"), false, 101,
			map[string]string{"sec-websocket-protocol": ""}},
		{"version 8", edit("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), false, 426,
			map[string]string{"sec-websocket-version": "13"}},
		{"no version", edit("Sec-WebSocket-Version: 13", ""), false, 426, map[string]string{"sec-websocket-version": "13"}},
		{"key of 15 bytes", edit(key, "dGhlIHNhbXBsZSBub25jZQ="), false, 400, nil},
		{"key not base64", edit(key, "!!!!!!!!!!!!!!!!!!!!!!=="), false, 400, nil},
		{"no key", edit("Sec-WebSocket-Key: "+key, ""), false, 400, nil},
		{"two keys", edit("", "Sec-WebSocket-Key: "+key), false, 400, nil},
		{"POST upgrade", strings.Replace(minimal, "GET", "POST", 1), false, 405, map[string]string{"allow": "GET"}},
		{"no Host", edit("Host: board", ""), false, 400, nil},
		{"Connection without the upgrade token", edit("Connection: Upgrade", "Connection: keep-alive"), false, 400, nil},
		{"HTTP/1.0", strings.Replace(minimal, "HTTP/1.1", "HTTP/1.0", 1), false, 505, nil},
		{"plain GET of a WebSocket endpoint", "GET /ws HTTP/1.1\r\nHost: board\r\n\r\n", false, 426,
			map[string]string{"upgrade": "websocket", "sec-websocket-version": "13"}},
		{"unknown WebSocket endpoint", strings.Replace(minimal, "/ws", "/ws/nope", 1), false, 404, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, opTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(opTimeout))
			if tc.chop {
				conn.(*net.TCPConn).SetNoDelay(true)
				for i := 0; i < len(tc.req); i++ {
					if _, err := conn.Write([]byte{tc.req[i]}); err != nil {
						t.Fatal(err)
					}
				}
			} else if _, err := conn.Write([]byte(tc.req)); err != nil {
				t.Fatal(err)
			}
			if tc.status != 101 {
				r := readHTTP(t, conn)
				if r.Status != tc.status {
					t.Fatalf("status %d, want %d:\n%s", r.Status, tc.status, r.Head)
				}
				checkHeaders(t, r.Head, r.Header, tc.header)
				return
			}
			// Read the head byte by byte, so the frames after it stay in the socket.
			var head []byte
			var b [1]byte
			for !strings.HasSuffix(string(head), "\r\n\r\n") {
				if _, err := conn.Read(b[:]); err != nil {
					t.Fatalf("after %q: %v", head, err)
				}
				head = append(head, b[0])
			}
			lines := strings.Split(strings.TrimSpace(string(head)), "\r\n")
			if lines[0] != "HTTP/1.1 101 Switching Protocols" {
				t.Fatalf("status line %q", lines[0])
			}
			hdr := map[string]string{}
			for _, l := range lines[1:] {
				k, v, _ := strings.Cut(l, ":")
				hdr[strings.ToLower(k)] = strings.TrimSpace(v)
			}
			checkHeaders(t, string(head), hdr, tc.header)
			if !strings.EqualFold(hdr["connection"], "upgrade") {
				t.Errorf("Connection: %q", hdr["connection"])
			}
			// The connection is a WebSocket now; with extensions declined,
			// a frame with RSV1 (a compressed message) is a protocol error.
			c := &wsClient{t: t, conn: conn}
			c.rd.Src = conn
			c.rd.Rx = make([]byte, 4096)
			c.rd.R = core.Reader{Role: core.Client, Buf: make([]byte, 4096)}
			c.write(frame(true, 0, core.OpText, []byte("after the handshake")))
			c.expectMessage(core.OpText, []byte("after the handshake"))
			c.writeLate(frame(true, 4, core.OpText, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}))
			c.expectClose(core.CloseProtocolError)
		})
	}
}

func checkHeaders(t *testing.T, head string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		switch {
		case v == "" && ok:
			t.Errorf("header %s: %q, want none\n%s", k, g, head)
		case v != "" && g != v:
			t.Errorf("header %s: %q, want %q\n%s", k, g, v, head)
		}
	}
}
