package core_test

import (
	"fmt"
	"strings"

	"github.com/wslab/wslab/core"
)

// A server-side Reader fed a text message sent in two fragments with a ping
// between them (a control frame may interleave a fragmented message). The
// frames are masked, as a client must send them; Feed hands back one event
// per call, and the ping comes out before the message it interrupted.
func ExampleReader() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	var wire []byte
	wire = core.AppendFrame(wire, false, core.OpText, []byte("Hel"), true, key)
	wire = core.AppendFrame(wire, true, core.OpPing, []byte("are you there?"), true, key)
	wire = core.AppendFrame(wire, true, core.OpContinuation, []byte("lo"), true, key)

	r := core.Reader{Role: core.Server, Buf: make([]byte, 64)}
	for len(wire) > 0 {
		n, ev, err := r.Feed(wire)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		wire = wire[n:]
		switch ev.Kind {
		case core.EventPing:
			fmt.Printf("ping %q\n", ev.Payload)
		case core.EventMessage:
			fmt.Printf("message %q\n", ev.Payload)
		}
	}
	// Output:
	// ping "are you there?"
	// message "Hello"
}

// The board's side of the opening handshake: the client's request in, the
// 101 response out, and the number of bytes the request took (frames may
// follow it in the same read).
func ExampleServerHandshake() {
	in := []byte("GET /ws HTTP/1.1\r\n" +
		"Host: 192.168.1.50\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n")
	out, req, n, err := core.ServerHandshake(nil, in)
	fmt.Printf("err=%v path=%s consumed=%d of %d\n", err, req.Path, n, len(in))
	fmt.Print(crlf(out))

	// A request without Sec-WebSocket-Version gets the error response.
	bad := []byte("GET /ws HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	out, _, _, err = core.ServerHandshake(out[:0], bad)
	fmt.Printf("err=%v status=%d\n", err, core.HTTPStatus(err))
	fmt.Print(crlf(out))
	// Output:
	// err=<nil> path=/ws consumed=153 of 153
	// HTTP/1.1 101 Switching Protocols
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
	//
	// err=ws: unsupported Sec-WebSocket-Version status=426
	// HTTP/1.1 426 Upgrade Required
	// Sec-WebSocket-Version: 13
	// Upgrade: websocket
	// Content-Type: text/plain
	// Content-Length: 38
	// Connection: close
	//
	// ws: unsupported Sec-WebSocket-Version
}

// The load generator's side: the request it sends, then the server's 101
// response parsed and its Sec-WebSocket-Accept checked against the key.
func ExampleParseResponse() {
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	req := core.AppendClientRequest(nil, []byte("127.0.0.1:8080"), []byte("/ws"), key, nil)
	fmt.Print(crlf(req))

	in := []byte("HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n" +
		"\x81\x02hi") // the first frame may arrive with the response
	resp, n, err := core.ParseResponse(in, key)
	fmt.Printf("status=%d err=%v frames follow: % x\n", resp.Status, err, in[n:])

	// The same response checked against another key is refused.
	_, _, err = core.ParseResponse(in, []byte("x3JJHMbDL1EzLkh9GBhXDw=="))
	fmt.Println(err)
	// Output:
	// GET /ws HTTP/1.1
	// Host: 127.0.0.1:8080
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
	// Sec-WebSocket-Version: 13
	//
	// status=101 err=<nil> frames follow: 81 02 68 69
	// ws: Sec-WebSocket-Accept does not match
}

// crlf shows an HTTP head with its CRLF line ends as plain newlines.
func crlf(b []byte) string { return strings.ReplaceAll(string(b), "\r\n", "\n") }
