package firmware_test

import (
	"testing"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// Benchmarks of the board's hot paths, in process and without sockets: what
// the board's own code costs per message and per connection.

func benchBoard(b *testing.B) *firmware.Board {
	bd, err := firmware.NewBoard(firmware.Config{Slots: 2, RxBuf: 2048, TxBuf: 2048, MaxMessage: 4096}, nil, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	return bd
}

// BenchmarkSlotEcho64 is one masked 64-byte message in and its echo out.
func BenchmarkSlotEcho64(b *testing.B) {
	bd := benchBoard(b)
	p := &pipe{t: b, s: bd.Accept(0), out: make([]byte, 0, 4096)}
	p.feed(upgradeReq)
	msg := core.AppendFrame(nil, true, core.OpBinary, make([]byte, 64), true, [4]byte{1, 2, 3, 4})
	in := make([]byte, len(msg))
	b.SetBytes(64)
	b.ReportAllocs()
	for b.Loop() {
		p.out = p.out[:0]
		copy(in, msg)
		p.feed(in)
	}
}

// BenchmarkSlotConnection is a whole connection: accept, the upgrade
// request and its 101, a 64-byte echo, the closing handshake, release.
func BenchmarkSlotConnection(b *testing.B) {
	bd := benchBoard(b)
	msg := core.AppendFrame(nil, true, core.OpBinary, make([]byte, 64), true, [4]byte{1, 2, 3, 4})
	closeFrame := core.AppendFrame(nil, true, core.OpClose, []byte{0x03, 0xe8}, true, [4]byte{1, 2, 3, 4})
	in := make([]byte, 0, 1024)
	out := make([]byte, 0, 4096)
	var now int64
	b.ReportAllocs()
	for b.Loop() {
		now += 1e6
		p := &pipe{t: b, s: bd.Accept(now), now: now, out: out[:0]}
		p.feed(append(in[:0], upgradeReq...))
		p.feed(append(in[:0], msg...))
		p.feed(append(in[:0], closeFrame...))
		p.s.Release(p.now)
		now = p.now
	}
}

// chromeUpgrade is the opening handshake of Chrome 126 for the board's echo
// endpoint, as the board reads it.
var chromeUpgrade = []byte("GET /ws HTTP/1.1\r\n" +
	"Host: 127.0.0.1:8080\r\n" +
	"Connection: Upgrade\r\n" +
	"Pragma: no-cache\r\n" +
	"Cache-Control: no-cache\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\r\n" +
	"Upgrade: websocket\r\n" +
	"Origin: http://127.0.0.1:8080\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")

// BenchmarkSlotUpgrade is the board's handshake: accept, Chrome's upgrade
// request in one read, its 101 out, release.
func BenchmarkSlotUpgrade(b *testing.B) {
	bd := benchBoard(b)
	in := make([]byte, 0, 1024)
	out := make([]byte, 0, 4096)
	var now int64
	b.ReportAllocs()
	for b.Loop() {
		now += 1e6
		p := &pipe{t: b, s: bd.Accept(now), now: now, out: out[:0]}
		p.feed(append(in[:0], chromeUpgrade...))
		if len(p.out) < 12 || string(p.out[9:12]) != "101" {
			b.Fatalf("answer %q", p.out)
		}
		p.s.Release(p.now)
		now = p.now
	}
}

// BenchmarkSlotGETPage is an HTTP request for the board's page on a
// kept-alive connection, answered whole.
func BenchmarkSlotGETPage(b *testing.B) {
	bd := benchBoard(b)
	p := &pipe{t: b, s: bd.Accept(0), out: make([]byte, 0, 64<<10)}
	req := []byte("GET / HTTP/1.1\r\nHost: board\r\n\r\n")
	in := make([]byte, len(req))
	b.SetBytes(int64(len(firmware.Page)))
	b.ReportAllocs()
	for b.Loop() {
		p.out = p.out[:0]
		copy(in, req)
		p.feed(in)
	}
}
