package core

import (
	"errors"
	"io"
	"testing"
)

// Issue 18 table: each RSV bit alone fails the connection (no extension is
// ever negotiated), for both roles.
func TestEveryReservedBitRefused(t *testing.T) {
	for _, role := range []Role{Server, Client} {
		for _, bit := range []byte{0x40, 0x20, 0x10} {
			f := AppendFrame(nil, true, OpText, []byte("hi"), role == Server, testKey)
			f[0] |= bit
			r := Reader{Role: role, Buf: make([]byte, 64)}
			_, _, err := r.Feed(f)
			if err != ErrReservedBits {
				t.Errorf("role %d, RSV bit %#x: %v, want ErrReservedBits", role, bit, err)
			}
		}
	}
}

// wireSize is a frame's size worked out from RFC 6455 5.2 directly, not
// with the package's own header code.
func wireSize(p int, masked bool) int {
	n := 2 + p
	switch {
	case p > 65535:
		n += 8
	case p > 125:
		n += 2
	}
	if masked {
		n += 4
	}
	return n
}

// Issue 18 table: maxPayloadFor(n) is the largest payload whose frame fits
// n bytes, for every n across the 7-bit, 16-bit and 64-bit length forms.
func TestMaxPayloadForEveryLength(t *testing.T) {
	for _, masked := range []bool{false, true} {
		for n := 0; n < 70000; n++ {
			p := maxPayloadFor(n, masked)
			if p < 0 {
				t.Fatalf("maxPayloadFor(%d, %v) = %d", n, masked, p)
			}
			if wireSize(p, masked) > n && p > 0 {
				t.Fatalf("maxPayloadFor(%d, %v) = %d: that frame takes %d bytes", n, masked, p, wireSize(p, masked))
			}
			if wireSize(p+1, masked) <= n {
				t.Fatalf("maxPayloadFor(%d, %v) = %d, but %d bytes fit", n, masked, p, p+1)
			}
		}
	}
}

// restThenLoopGuard hands out rest, then fails; a read into an empty
// slice (a full buffer) is counted and fails after a few, so a reader
// that loops on a full buffer ends.
type restThenLoopGuard struct {
	rest  []byte
	calls int
}

var errLooped = errors.New("the reader kept reading into a full buffer")

func (z *restThenLoopGuard) Read(p []byte) (int, error) {
	if len(p) == 0 {
		if z.calls++; z.calls > 100 {
			return 0, errLooped
		}
		return 0, nil
	}
	if len(z.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, z.rest)
	z.rest = z.rest[n:]
	return n, nil
}

// Issue 18 table: a receive buffer filled by part of a control frame is
// ErrShortBuffer, not a loop.
func TestConnReaderFullBufferPartialControl(t *testing.T) {
	ping := AppendFrame(nil, true, OpPing, make([]byte, 100), true, testKey)
	c := ConnReader{Src: &restThenLoopGuard{rest: ping[40:]}, Rx: make([]byte, 40), R: Reader{Role: Server, Stream: true}}
	c.Preload(ping[:40])
	_, err := c.Next()
	if err != ErrShortBuffer {
		t.Errorf("Next with a full buffer holding part of a ping: %v, want ErrShortBuffer", err)
	}
}
