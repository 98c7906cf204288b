package poll_test

import (
	"testing"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/poll"
)

// A full board refuses the way its FailMode says: a 503 then a close, a
// close without a byte, or a reset where the stack can send one.
func TestRefuseByFailMode(t *testing.T) {
	for _, c := range []struct {
		mode          firmware.FailMode
		wantBytes     bool
		closed, abort bool
	}{
		{firmware.FailReject503, true, true, false},
		{firmware.FailAcceptClose, false, true, false},
		{firmware.FailReset, false, false, true},
	} {
		b, err := firmware.NewBoard(firmware.Config{Slots: 1, RxBuf: 256, TxBuf: 256, FailMode: c.mode}, nil, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		l := poll.New(b)
		first := &abortConn{stackConn: stackConn{name: "first", free: outSpace}}
		if !l.Accept(first, 0) {
			t.Fatalf("%v: the first connection was refused", c.mode)
		}
		second := &abortConn{stackConn: stackConn{name: "second", free: outSpace}}
		if l.Accept(second, 0) {
			t.Fatalf("%v: a second connection got a slot on a one-slot board", c.mode)
		}
		if got := len(second.got) > 0; got != c.wantBytes || second.closed != c.closed || second.aborted != c.abort {
			t.Errorf("%v: refused with %q, closed %v, aborted %v", c.mode, second.got, second.closed, second.aborted)
		}
		if st := b.Stats(); st.Refused != 1 || l.InUse() != 1 {
			t.Errorf("%v: refused %d, in use %d", c.mode, st.Refused, l.InUse())
		}
	}
}

// sinkConn is a stack connection with fixed buffers: what the board sends
// is counted, not kept, so only the loop's own allocations are measured.
type sinkConn struct {
	rx   []byte
	sent int
}

func (c *sinkConn) Available() int { return len(c.rx) }
func (c *sinkConn) Read(p []byte) (int, error) {
	if len(c.rx) == 0 {
		panic("Read of an empty buffer")
	}
	n := copy(p, c.rx)
	c.rx = c.rx[n:]
	return n, nil
}
func (c *sinkConn) Free() int                   { return 1 << 20 }
func (c *sinkConn) Write(p []byte) (int, error) { c.sent += len(p); return len(p), nil }
func (c *sinkConn) State() poll.State           { return poll.Open }
func (c *sinkConn) Close() error                { return nil }

// Polling an open WebSocket connection that echoes a message allocates
// nothing: the loop's tables are made once, in New.
func TestPollAllocatesNothing(t *testing.T) {
	b, err := firmware.NewBoard(firmware.Config{Slots: 2, RxBuf: 512, TxBuf: 1024}, nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	l := poll.New(b)
	key := core.NewClientKey(core.NewMaskGen(1))
	c := &sinkConn{rx: core.AppendClientRequest(nil, []byte("board"), []byte("/ws"), key[:], nil)}
	if !l.Accept(c, 0) || !b.Slot(0).IsWebSocket() {
		t.Fatal("no upgrade")
	}
	msg := core.AppendFrame(nil, true, core.OpBinary, make([]byte, 64), true, [4]byte{1, 2, 3, 4})
	now := int64(0)
	before := b.Stats().MsgsOut
	allocs := testing.AllocsPerRun(100, func() {
		c.rx = msg
		now += firmware.Millisecond
		l.Poll(now)
	})
	if allocs != 0 {
		t.Fatalf("Poll allocates %v per echoed message", allocs)
	}
	if got := b.Stats().MsgsOut - before; got != 101 {
		t.Fatalf("echoed %d messages in 101 polls", got)
	}
}
